-- qwen2_5_1_5b_decode.lua — Qwen2.5-1.5B, one decode step: 1 new token attending to a KV cache of L
-- earlier tokens (argument kv=L, default 1024). A thin call of the `transformer` network with the
-- dimensions given in qwen2_5_1_5b_prefill.lua; the KV cache arrives as graph inputs and the new
-- key/value rows are graph outputs (as qwen2_0_5b_decode).
--
-- Published / expected figures:
--   params 1,543,714,304 (as for prefill).
--   MACs(L) = 1,310,195,712 + 28 * 2 * (L + 1) * 12 * 128 + 233,373,696 (LM head).
-- Arguments: kv=L (default 1024), dtype= (default fp16).
local npusim, args = ...
args = args or {}
for k in pairs(args) do
  if k ~= "kv" and k ~= "dtype" then
    error("qwen2_5_1_5b_decode: unknown argument '" .. tostring(k) .. "' (known: kv, dtype)")
  end
end
local kv = math.tointeger(tonumber(args.kv or 1024))
if not kv or kv < 0 then error("qwen2_5_1_5b_decode: kv must be a non-negative integer") end
local b = npusim.zoo("transformer", {
  name = "qwen2_5_1_5b_decode", hidden = 1536, layers = 28, heads = 12, kv_heads = 2, head_dim = 128,
  ffn = 8960, vocab = 151936, qkv_bias = 1, tied = 1, tokens = 1, kv = kv,
  dtype = args.dtype or "fp16",
})
return b, { macs = 1310195712 + 28 * 2 * (kv + 1) * 12 * 128 + 233373696, params = 1543714304,
            source = "Qwen2.5-1.5B config.json dimensions (Qwen/Qwen2.5-1.5B); totals derived in qwen2_5_1_5b_prefill.lua",
            tol = 1e-9 }
