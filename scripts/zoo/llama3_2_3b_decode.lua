-- llama3_2_3b_decode.lua — Llama-3.2-3B, one decode step: 1 new token attending to a KV cache of L earlier
-- tokens (argument kv=L, default 1024). The `transformer` network with model=llama3_2_3b (dimensions and
-- source in transformer.lua's MODELS table, totals in docs/zoo.md); the KV cache arrives as
-- graph inputs and the new key/value rows are graph outputs.
-- Arguments: kv=L (default 1024), dtype= (default fp16).
local npusim, args = ...
local a = { model = "llama3_2_3b", mode = "decode" }
for k, v in pairs(args or {}) do
  if k ~= "kv" and k ~= "dtype" then
    error("llama3_2_3b_decode: unknown argument '" .. tostring(k) .. "' (known: kv, dtype)")
  end
  a[k] = v
end
return npusim.zoo("transformer", a)
