-- tinyllama_1_1b_prefill.lua — TinyLlama-1.1B, prefill of N prompt tokens (argument tokens=N, default 128):
-- a thin call of the `transformer` network with its dimensions, an empty KV cache and logits for
-- the last position only (as qwen2_0_5b_prefill).
--
-- Dimensions (TinyLlama/TinyLlama-1.1B-Chat-v1.0 config.json): hidden_size 2048, num_hidden_layers 22, num_attention_heads 32, num_key_value_heads 4
-- (head dim 64), intermediate_size 5632, vocab_size 32000, tie_word_embeddings false, no biases
-- (LlamaAttention/LlamaMLP).
--
-- Published / expected figures:
--   params 1,100,048,384 = embedding and head 2 * 32000*2048 = 131,072,000 + final norm 2048 + 22 layers *
--     44,044,288 (q 2048*2048, k and v 2048*256 each, o 2048*2048, MLP 3*2048*5632, two norms 2*2048).
--   MACs(N) = N * 968,884,224 (matrix weights) + 22 * 2 * N * N * 32 * 64 (Q K^T and P V)
--           + 65,536,000 (LM head, last token).
-- Arguments: tokens=N (default 128), dtype= (default fp16), logits=last|all (default last).
local npusim, args = ...
args = args or {}
for k in pairs(args) do
  if k ~= "tokens" and k ~= "dtype" and k ~= "logits" then
    error("tinyllama_1_1b_prefill: unknown argument '" .. tostring(k) .. "' (known: tokens, dtype, logits)")
  end
end
local n = math.tointeger(tonumber(args.tokens or 128))
if not n or n < 1 then error("tinyllama_1_1b_prefill: tokens must be a positive integer") end
local b = npusim.zoo("transformer", {
  name = "tinyllama_1_1b_prefill", hidden = 2048, layers = 22, heads = 32, kv_heads = 4, head_dim = 64,
  ffn = 5632, vocab = 32000, qkv_bias = 0, tied = 0, tokens = n, kv = 0,
  logits = args.logits or "last", dtype = args.dtype or "fp16",
})
local rows = (args.logits == "all") and n or 1
return b, { macs = n * 968884224 + 22 * 2 * n * n * 32 * 64 + rows * 65536000, params = 1100048384,
            source = "TinyLlama-1.1B config.json dimensions (TinyLlama/TinyLlama-1.1B-Chat-v1.0); totals derived in the header",
            tol = 1e-9 }
