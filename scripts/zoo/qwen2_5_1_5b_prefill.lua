-- qwen2_5_1_5b_prefill.lua — Qwen2.5-1.5B, prefill of N prompt tokens (argument tokens=N, default 128):
-- a thin call of the `transformer` network with its dimensions, an empty KV cache and logits for
-- the last position only (as qwen2_0_5b_prefill).
--
-- Dimensions (Qwen/Qwen2.5-1.5B config.json): hidden_size 1536, num_hidden_layers 28, num_attention_heads 12, num_key_value_heads 2
-- (head dim 128), intermediate_size 8960, vocab_size 151936, tie_word_embeddings true, biases on
-- the q/k/v projections (Qwen2Attention).
--
-- Published / expected figures:
--   params 1,543,714,304 = embedding 151936*1536 = 233,373,696 (tied: the LM head reads it) + final norm 1536 +
--     28 layers * 46,797,824 (q 1536*1536+1536, k and v 1536*256+256 each, o 1536*1536,
--     MLP 3*1536*8960, two norms 2*1536).
--   MACs(N) = N * 1,310,195,712 (matrix weights) + 28 * 2 * N * N * 12 * 128 (Q K^T and P V)
--           + 233,373,696 (LM head, last token).
-- Arguments: tokens=N (default 128), dtype= (default fp16), logits=last|all (default last).
local npusim, args = ...
args = args or {}
for k in pairs(args) do
  if k ~= "tokens" and k ~= "dtype" and k ~= "logits" then
    error("qwen2_5_1_5b_prefill: unknown argument '" .. tostring(k) .. "' (known: tokens, dtype, logits)")
  end
end
local n = math.tointeger(tonumber(args.tokens or 128))
if not n or n < 1 then error("qwen2_5_1_5b_prefill: tokens must be a positive integer") end
local b = npusim.zoo("transformer", {
  name = "qwen2_5_1_5b_prefill", hidden = 1536, layers = 28, heads = 12, kv_heads = 2, head_dim = 128,
  ffn = 8960, vocab = 151936, qkv_bias = 1, tied = 1, tokens = n, kv = 0,
  logits = args.logits or "last", dtype = args.dtype or "fp16",
})
local rows = (args.logits == "all") and n or 1
return b, { macs = n * 1310195712 + 28 * 2 * n * n * 12 * 128 + rows * 233373696, params = 1543714304,
            source = "Qwen2.5-1.5B config.json dimensions (Qwen/Qwen2.5-1.5B); totals derived in the header",
            tol = 1e-9 }
