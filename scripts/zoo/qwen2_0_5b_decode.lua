-- qwen2_0_5b_decode.lua — Qwen2-0.5B, one decode step: 1 new token attending to a KV cache of
-- L earlier tokens (argument kv=L, default 1024), so attention spans L + 1 positions. The
-- `transformer` network with Qwen2-0.5B's dimensions (see qwen2_0_5b_prefill.lua for their
-- source); the KV cache arrives as graph inputs (layers.<i>.k_cache / v_cache, 1x2xLx64 each)
-- and the new key/value rows are graph outputs.
--
-- Published / expected figures:
--   params 494,032,768 (as for prefill: the weights do not depend on the phase).
--   MACs(L) = 357,826,560 (matrix weights, one token) + 24 * 2 * (L + 1) * 14 * 64 (Q K^T and
--             P V) + 136,134,656 (LM head) — 538,044,416 for L = 1024. Decode reads every weight
--             once per token for about one MAC per weight: it is memory bound on any NPU.
-- Arguments: kv=L (default 1024), dtype= (default fp16).
local npusim, args = ...
args = args or {}
for k in pairs(args) do
  if k ~= "kv" and k ~= "dtype" then
    error("qwen2_0_5b_decode: unknown argument '" .. tostring(k) .. "' (known: kv, dtype)")
  end
end
local kv = math.tointeger(tonumber(args.kv or 1024))
if not kv or kv < 0 then error("qwen2_0_5b_decode: kv must be a non-negative integer") end
local b = npusim.zoo("transformer", {
  name = "qwen2_0_5b_decode", hidden = 896, layers = 24, heads = 14, kv_heads = 2, head_dim = 64,
  ffn = 4864, vocab = 151936, qkv_bias = 1, tied = 1, tokens = 1, kv = kv,
  dtype = args.dtype or "fp16",
})
return b, { macs = 357826560 + 24 * 2 * (kv + 1) * 14 * 64 + 136134656, params = 494032768,
            source = "Qwen2-0.5B config.json dimensions; parameter and MAC totals derived in docs/zoo.md",
            tol = 1e-9 }
