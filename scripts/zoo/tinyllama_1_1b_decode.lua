-- tinyllama_1_1b_decode.lua — TinyLlama-1.1B, one decode step: 1 new token attending to a KV cache of L
-- earlier tokens (argument kv=L, default 1024). A thin call of the `transformer` network with the
-- dimensions given in tinyllama_1_1b_prefill.lua; the KV cache arrives as graph inputs and the new
-- key/value rows are graph outputs (as qwen2_0_5b_decode).
--
-- Published / expected figures:
--   params 1,100,048,384 (as for prefill).
--   MACs(L) = 968,884,224 + 22 * 2 * (L + 1) * 32 * 64 + 65,536,000 (LM head).
-- Arguments: kv=L (default 1024), dtype= (default fp16).
local npusim, args = ...
args = args or {}
for k in pairs(args) do
  if k ~= "kv" and k ~= "dtype" then
    error("tinyllama_1_1b_decode: unknown argument '" .. tostring(k) .. "' (known: kv, dtype)")
  end
end
local kv = math.tointeger(tonumber(args.kv or 1024))
if not kv or kv < 0 then error("tinyllama_1_1b_decode: kv must be a non-negative integer") end
local b = npusim.zoo("transformer", {
  name = "tinyllama_1_1b_decode", hidden = 2048, layers = 22, heads = 32, kv_heads = 4, head_dim = 64,
  ffn = 5632, vocab = 32000, qkv_bias = 0, tied = 0, tokens = 1, kv = kv,
  dtype = args.dtype or "fp16",
})
return b, { macs = 968884224 + 22 * 2 * (kv + 1) * 32 * 64 + 65536000, params = 1100048384,
            source = "TinyLlama-1.1B config.json dimensions (TinyLlama/TinyLlama-1.1B-Chat-v1.0); totals derived in tinyllama_1_1b_prefill.lua",
            tol = 1e-9 }
