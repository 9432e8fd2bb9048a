-- qwen2_5_3b_prefill.lua — Qwen2.5-3B, prefill of N prompt tokens (argument tokens=N, default 128): the
-- `transformer` network with model=qwen2_5_3b (its config.json dimensions and their source are in
-- transformer.lua's MODELS table; parameter and MAC totals in docs/zoo.md), an empty KV cache
-- and logits for the last position only.
-- Arguments: tokens=N (default 128), dtype= (default fp16), logits=last|all (default last).
local npusim, args = ...
local a = { model = "qwen2_5_3b", mode = "prefill" }
for k, v in pairs(args or {}) do
  if k ~= "tokens" and k ~= "dtype" and k ~= "logits" then
    error("qwen2_5_3b_prefill: unknown argument '" .. tostring(k) .. "' (known: tokens, dtype, logits)")
  end
  a[k] = v
end
return npusim.zoo("transformer", a)
