-- transformer.lua — a decoder-only LLM (the Llama/Qwen2 family) parameterised by its
-- dimensions. Defaults are Qwen2-0.5B; see qwen2_0_5b_prefill.lua and qwen2_0_5b_decode.lua for
-- the two presets and docs/zoo.md for the derivation of the expected figures.
--
-- One forward pass over `tokens` new tokens with `kv` tokens already in the KV cache:
--   prefill of N tokens = tokens=N kv=0;  one decode step after L tokens = tokens=1 kv=L.
-- Graph inputs: "ids" (1 x T, int64 token ids), "rope.cos"/"rope.sin" (T x head_dim, the rotary
-- tables of the T positions: computed at run time from the positions, not weights), "mask"
-- (T x (kv+T) additive causal mask; absent when T = 1) and, when kv > 0, per layer
-- "layers.<i>.k_cache"/"v_cache" (1 x kv_heads x kv x head_dim). Outputs: the logits and, per
-- layer, the new keys and values (what a runtime appends to the KV cache).
--
-- Per layer (as Hugging Face's Qwen2DecoderLayer / LlamaDecoderLayer):
--   x = RMSNorm(h); q, k, v = x Wq + bq, x Wk + bk, x Wv + bv (biases when qkv_bias=1, as Qwen2)
--   RoPE on q and k: q*cos + rotate_half(q)*sin, rotate_half(q) = concat(-q[d/2:], q[:d/2])
--   K, V = concat(cache, k), concat(cache, v) over the sequence (ctx = kv + T positions)
--   grouped-query attention: the heads/kv_heads query heads that share one KV head are stacked
--   into the M dimension of one matmul per KV head: scores [1, kvh, (heads/kvh) T, ctx] =
--   Q K^T, + mask, softmax, then P V — so K/V are read once per group, not copied per head
--   (HF's repeat_kv is a broadcast, not new data). The 1/sqrt(head_dim) scale is taken as
--   folded into Wq (a standard deployment transform that removes one element-wise pass).
--   h = h + (attn Wo);  h = h + W_down(SiLU(x W_gate) * (x W_up)) with x = RMSNorm(h)
-- Then a final RMSNorm and the LM head. With tied embeddings (tied=1, Qwen2-0.5B) the LM head is
-- a matmul against the embedding table itself (the same constant tensor the token lookup reads),
-- so its weights are counted once; tied=0 gives the head its own weights (a gemm). logits=last
-- (default) computes logits only for the last position, as serving runtimes do during prefill;
-- logits=all for every position.
--
-- Expected figures returned with the graph (first principles, independent of the builder):
--   params = V*H (embedding) [+ V*H untied head] + H (final norm)
--            + layers * (H*(H + 2*kvh*d) [+ (H + 2*kvh*d) biases] + H*H + 3*H*F + 2*H)
--   MACs   = T * layers * (H*(H + 2*kvh*d) + H*H + 3*H*F)  -- the 2*params*tokens FLOP rule
--                                                           (Kaplan et al. 2020) applied to the
--                                                           matrix weights only
--          + layers * 2 * T * ctx * heads * d               -- Q K^T and P V (the causal mask
--                                                           does not skip work in a dense matmul)
--          + R * V * H                                      -- LM head, R = 1 or T rows
-- Arguments (defaults = Qwen2-0.5B, Qwen2 config.json): hidden=896 layers=24 heads=14
-- kv_heads=2 head_dim=hidden/heads ffn=4864 vocab=151936 qkv_bias=1 tied=1 tokens=128 kv=0
-- logits=last|all dtype=fp16 name=transformer, and
--   mlp_act=silu|gelu (default silu): the gate activation (Gemma's GeGLU uses GELU, tanh form);
--   model=NAME: the dimensions of a published model from the table below (its config.json);
--     explicit dimension arguments still override them;
--   mode=prefill|decode: prefill = tokens=128 kv=0 by default, decode = tokens=1 kv=1024 by
--     default (tokens= and kv= override); the graph is named <model>_<mode>.
local npusim, args = ...
args = args or {}
local known = { hidden = 1, layers = 1, heads = 1, kv_heads = 1, head_dim = 1, ffn = 1, vocab = 1,
                qkv_bias = 1, tied = 1, tokens = 1, kv = 1, logits = 1, dtype = 1, name = 1,
                mlp_act = 1, model = 1, mode = 1 }
for k in pairs(args) do
  if not known[k] then error("transformer: unknown argument '" .. tostring(k) .. "'") end
end

-- Published models: the dimensions of each model's Hugging Face config.json (repository named
-- in `src`): hidden_size, num_hidden_layers, num_attention_heads, num_key_value_heads,
-- head_dim (when the config sets it apart from hidden/heads), intermediate_size, vocab_size,
-- tie_word_embeddings, and the architecture's bias and activation choices. Totals derived from
-- them are in docs/zoo.md and checked exactly by tests/lua/zoo_test.lua.
local MODELS = {
  qwen2_5_0_5b = { src = "Qwen/Qwen2.5-0.5B", hidden = 896, layers = 24, heads = 14, kv_heads = 2,
                   ffn = 4864, vocab = 151936, qkv_bias = 1, tied = 1 },
  qwen2_5_3b = { src = "Qwen/Qwen2.5-3B", hidden = 2048, layers = 36, heads = 16, kv_heads = 2,
                 ffn = 11008, vocab = 151936, qkv_bias = 1, tied = 1 },
  qwen2_5_7b = { src = "Qwen/Qwen2.5-7B", hidden = 3584, layers = 28, heads = 28, kv_heads = 4,
                 ffn = 18944, vocab = 152064, qkv_bias = 1, tied = 0 },
  llama3_2_1b = { src = "meta-llama/Llama-3.2-1B", hidden = 2048, layers = 16, heads = 32,
                  kv_heads = 8, head_dim = 64, ffn = 8192, vocab = 128256, qkv_bias = 0, tied = 1 },
  llama3_2_3b = { src = "meta-llama/Llama-3.2-3B", hidden = 3072, layers = 28, heads = 24,
                  kv_heads = 8, head_dim = 128, ffn = 8192, vocab = 128256, qkv_bias = 0, tied = 1 },
  llama2_7b = { src = "meta-llama/Llama-2-7b-hf", hidden = 4096, layers = 32, heads = 32,
                kv_heads = 32, ffn = 11008, vocab = 32000, qkv_bias = 0, tied = 0 },
  -- Phi-3 fuses q/k/v (qkv_proj) and gate/up (gate_up_proj) into one matrix each: the same
  -- weights and MACs as the separate projections built here
  phi3_mini = { src = "microsoft/Phi-3-mini-4k-instruct", hidden = 3072, layers = 32, heads = 32,
                kv_heads = 32, ffn = 8192, vocab = 32064, qkv_bias = 0, tied = 0 },
  -- Gemma: multi-query attention (1 KV head) of head_dim 256, GeGLU MLP (gelu_pytorch_tanh).
  -- Its embeddings are multiplied by sqrt(hidden) before the first layer and its RMSNorm uses
  -- (1 + w): both are weight transforms a deployment applies offline, not ops (the table is
  -- stored pre-scaled and the tied LM head's 1/sqrt(hidden) goes into the final norm's weights),
  -- as the 1/sqrt(d) attention scale is folded into W_q
  gemma_2b = { src = "google/gemma-2b", hidden = 2048, layers = 18, heads = 8, kv_heads = 1,
               head_dim = 256, ffn = 16384, vocab = 256000, qkv_bias = 0, tied = 1, mlp_act = "gelu" },
  -- MiniCPM (a Llama block): its scale_emb 12, residual-branch scale scale_depth/sqrt(layers)
  -- and logit scale hidden/dim_model_base are constants folded the same way (into the stored
  -- table, o_proj/down_proj and the final norm's weights)
  minicpm_2b = { src = "openbmb/MiniCPM-2B-sft-bf16", hidden = 2304, layers = 40, heads = 36,
                 kv_heads = 36, ffn = 5760, vocab = 122753, qkv_bias = 0, tied = 1 },
}
local model = args.model and MODELS[args.model]
if args.model and not model then
  local names = {}
  for n in pairs(MODELS) do names[#names + 1] = n end
  table.sort(names)
  error("transformer: unknown model '" .. tostring(args.model) .. "' (known: " .. table.concat(names, ", ") .. ")")
end
local mode = args.mode
if mode ~= nil and mode ~= "prefill" and mode ~= "decode" then
  error("transformer: mode must be prefill or decode, not '" .. tostring(mode) .. "'")
end
local me = args.name or (args.model and mode and (args.model .. "_" .. mode)) or "transformer"
local function int(key, def)
  local v = args[key]
  if v == nil and model then v = model[key] end
  if v == nil then return def end
  local i = math.tointeger(tonumber(v))
  if not i or i < 0 then error(string.format("%s: %s=%s is not a non-negative integer", me, key, tostring(v)), 2) end
  return i
end
local H = int("hidden", 896)
local L = int("layers", 24)
local nh = int("heads", 14)
local kvh = int("kv_heads", 2)
local d = int("head_dim", nh > 0 and H // nh or 0)
local F = int("ffn", 4864)
local V = int("vocab", 151936)
local T = int("tokens", mode == "decode" and 1 or 128)
local P = int("kv", mode == "decode" and 1024 or 0)
local qkv_bias = int("qkv_bias", 1) ~= 0
local tied = int("tied", 1) ~= 0
local logits = args.logits or "last"
local dt = args.dtype or "fp16"
local mlp_act = args.mlp_act or (model and model.mlp_act) or "silu"
if mlp_act ~= "silu" and mlp_act ~= "gelu" then
  error(me .. ": mlp_act must be silu or gelu, not '" .. tostring(mlp_act) .. "'")
end

for _, c in ipairs({ { "hidden", H }, { "layers", L }, { "heads", nh }, { "kv_heads", kvh },
                     { "head_dim", d }, { "ffn", F }, { "vocab", V }, { "tokens", T } }) do
  if c[2] < 1 then error(me .. ": " .. c[1] .. " must be at least 1") end
end
if nh % kvh ~= 0 then error(string.format("transformer: heads=%d is not a multiple of kv_heads=%d", nh, kvh)) end
if d % 2 ~= 0 then
  if args.head_dim ~= nil then
    error(string.format("transformer: head_dim=%d must be even (RoPE rotates pairs)", d))
  end
  error(string.format("transformer: head_dim = hidden/heads = %d/%d = %d must be even (RoPE " ..
    "rotates pairs): give heads= or head_dim=", H, nh, d))
end
if logits ~= "last" and logits ~= "all" then error(me .. ": logits must be 'last' or 'all', got '" .. tostring(logits) .. "'") end
local grp, ctx, qd, kd = nh // kvh, P + T, nh * d, kvh * d

-- What one run produces, for throughput in tokens (npusim.builder items/unit/prefill): a run
-- processes T tokens; with an empty cache (kv=0) it is a prefill, whose time is the time to the
-- first generated token; a decode step (T=1, kv=L) makes one token.
local b = npusim.builder(me,
                         { dtype = dt, items = T, unit = "token", prefill = P == 0 })
local ids = b:add_input("ids", { 1, T }, "int64")
local cos = b:add_input("rope.cos", { T, d })
local sin = b:add_input("rope.sin", { T, d })
local mask = T > 1 and b:add_input("mask", { T, ctx }) or nil
local embed = b:const("embed_tokens", { V, H })

-- x [1, heads, T, d] with RoPE applied
local function rope(x, name)
  local lo = b:slice(x, { starts = { 0 }, ends = { d // 2 }, axes = { 3 }, name = name .. ".lo" })
  local hi = b:slice(x, { starts = { d // 2 }, ends = { d }, axes = { 3 }, name = name .. ".hi" })
  local rot = b:concat(b:neg(hi, { name = name .. ".neg" }), lo, { axis = 3, name = name .. ".rot" })
  return b:add(b:mul(x, cos, { name = name .. ".cos" }), b:mul(rot, sin, { name = name .. ".sin" }),
               { name = name .. ".rope" })
end

-- [1, T, n*d] -> [1, n, T, d]
local function heads(x, n, name)
  x = b:reshape(x, { shape = { 1, T, n, d }, name = name .. ".view" })
  return b:transpose(x, { perm = { 0, 2, 1, 3 }, name = name .. ".heads" })
end

local h = b:gather(embed, ids, { axis = 0, name = "embed" })          -- [1, T, H]
local outputs = {}
for i = 0, L - 1 do
  local n = "layers." .. i
  local x = b:rmsnorm(h, { axis = 2, name = n .. ".input_layernorm" })
  local q = b:gemm(x, { out = qd, bias = qkv_bias and 1 or 0, name = n .. ".q_proj" })
  local k = b:gemm(x, { out = kd, bias = qkv_bias and 1 or 0, name = n .. ".k_proj" })
  local v = b:gemm(x, { out = kd, bias = qkv_bias and 1 or 0, name = n .. ".v_proj" })
  q = rope(heads(q, nh, n .. ".q"), n .. ".q")
  k = rope(heads(k, kvh, n .. ".k"), n .. ".k")
  v = heads(v, kvh, n .. ".v")
  outputs[#outputs + 1] = k
  outputs[#outputs + 1] = v
  if P > 0 then
    local kc = b:add_input(n .. ".k_cache", { 1, kvh, P, d })
    local vc = b:add_input(n .. ".v_cache", { 1, kvh, P, d })
    k = b:concat(kc, k, { axis = 2, name = n .. ".k_all" })
    v = b:concat(vc, v, { axis = 2, name = n .. ".v_all" })
  end
  -- grouped-query attention, one matmul per KV head with its query heads stacked in M
  q = b:reshape(q, { shape = { 1, kvh, grp * T, d }, name = n .. ".q_group" })
  local s = b:matmul(q, k, { transb = 1, name = n .. ".scores" })    -- [1, kvh, grp*T, ctx]
  if mask then
    s = b:reshape(s, { shape = { 1, nh, T, ctx }, name = n .. ".scores_heads" })
    s = b:add(s, mask, { name = n .. ".mask" })
  end
  s = b:softmax(s, { axis = -1, name = n .. ".softmax" })
  s = b:reshape(s, { shape = { 1, kvh, grp * T, ctx }, name = n .. ".probs" })
  local o = b:matmul(s, v, { name = n .. ".attn" })                  -- [1, kvh, grp*T, d]
  o = b:reshape(o, { shape = { 1, nh, T, d }, name = n .. ".attn_heads" })
  o = b:transpose(o, { perm = { 0, 2, 1, 3 }, name = n .. ".attn_t" })
  o = b:reshape(o, { shape = { 1, T, qd }, name = n .. ".attn_flat" })
  o = b:gemm(o, { out = H, bias = 0, name = n .. ".o_proj" })
  h = b:add(h, o, { name = n .. ".residual1" })
  x = b:rmsnorm(h, { axis = 2, name = n .. ".post_attention_layernorm" })
  local g = b:gemm(x, { out = F, bias = 0, act = mlp_act, name = n .. ".gate_proj" })
  local u = b:gemm(x, { out = F, bias = 0, name = n .. ".up_proj" })
  local m = b:mul(g, u, { name = n .. ".gate_mul" })
  m = b:gemm(m, { out = H, bias = 0, name = n .. ".down_proj" })
  h = b:add(h, m, { name = n .. ".residual2" })
end
h = b:rmsnorm(h, { axis = 2, name = "norm" })
local R = T
if logits == "last" and T > 1 then
  h = b:slice(h, { starts = { T - 1 }, ends = { T }, axes = { 1 }, name = "last_token" })
  R = 1
elseif logits == "last" then
  R = 1
end
local out
if tied then
  out = b:matmul(h, embed, { transb = 1, name = "lm_head" })         -- [1, R, V]
else
  out = b:gemm(h, { out = V, bias = 0, name = "lm_head" })
end
b:output(out, table.unpack(outputs))

local per_layer_w = H * (qd + 2 * kd) + qd * H + 3 * H * F
local params = V * H + (tied and 0 or V * H) + H
               + L * (per_layer_w + (qkv_bias and (qd + 2 * kd) or 0) + 2 * H)
local macs = T * L * per_layer_w + L * 2 * T * ctx * nh * d + R * V * H
return b, { macs = macs, params = params, tol = 1e-9,
            source = (model and (model.src .. " config.json dimensions; ") or "") .. "first principles (2*params*tokens rule, Kaplan et al. 2020, plus attention and LM-head terms; see docs/zoo.md)" }
