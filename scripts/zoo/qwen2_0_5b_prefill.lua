-- qwen2_0_5b_prefill.lua — Qwen2-0.5B, prefill of N prompt tokens (argument tokens=N, default
-- 128): the `transformer` network with Qwen2-0.5B's dimensions, an empty KV cache and logits for
-- the last position only.
--
-- Dimensions (Qwen/Qwen2-0.5B config.json): hidden_size 896, num_hidden_layers 24,
-- num_attention_heads 14, num_key_value_heads 2 (GQA; head dim 896/14 = 64), intermediate_size
-- 4864, vocab_size 151936, RMSNorm, RoPE, SiLU-gated MLP, tie_word_embeddings true, and biases
-- on the q/k/v projections only (Qwen2Attention in Hugging Face transformers).
--
-- Published / expected figures:
--   params 494,032,768 = embedding 151936*896 = 136,134,656 + final norm 896 + 24 layers *
--     14,912,384 (q 896*896+896, k and v 896*128+128 each, o 896*896, MLP 3*896*4864, two norms
--     2*896). Qwen's model card rounds this to 0.49 B.
--   MACs(N) = N * 357,826,560 (the 24 layers' matrix weights: 2*params*tokens FLOP rule)
--           + 24 * 2 * N * N * 14 * 64 (Q K^T and P V over N positions)
--           + 136,134,656 (LM head, last token) — 46,642,577,408 for N = 128.
-- Arguments: tokens=N (default 128), dtype= (default fp16), logits=last|all (default last).
local npusim, args = ...
args = args or {}
for k in pairs(args) do
  if k ~= "tokens" and k ~= "dtype" and k ~= "logits" then
    error("qwen2_0_5b_prefill: unknown argument '" .. tostring(k) .. "' (known: tokens, dtype, logits)")
  end
end
local n = math.tointeger(tonumber(args.tokens or 128))
if not n or n < 1 then error("qwen2_0_5b_prefill: tokens must be a positive integer") end
local b = npusim.zoo("transformer", {
  name = "qwen2_0_5b_prefill", hidden = 896, layers = 24, heads = 14, kv_heads = 2, head_dim = 64,
  ffn = 4864, vocab = 151936, qkv_bias = 1, tied = 1, tokens = n, kv = 0,
  logits = args.logits or "last", dtype = args.dtype or "fp16",
})
local rows = (args.logits == "all") and n or 1
return b, { macs = n * 357826560 + 24 * 2 * n * n * 14 * 64 + rows * 136134656, params = 494032768,
            source = "Qwen2-0.5B config.json dimensions; parameter and MAC totals derived in docs/zoo.md",
            tol = 1e-9 }
