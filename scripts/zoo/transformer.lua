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
-- logits=last|all dtype=fp16 name=transformer.
local npusim, args = ...
args = args or {}
local known = { hidden = 1, layers = 1, heads = 1, kv_heads = 1, head_dim = 1, ffn = 1, vocab = 1,
                qkv_bias = 1, tied = 1, tokens = 1, kv = 1, logits = 1, dtype = 1, name = 1 }
for k in pairs(args) do
  if not known[k] then error("transformer: unknown argument '" .. tostring(k) .. "'") end
end
local function int(key, def)
  local v = args[key]
  if v == nil then return def end
  local i = math.tointeger(tonumber(v))
  if not i or i < 0 then error(string.format("transformer: %s=%s is not a non-negative integer", key, tostring(v)), 2) end
  return i
end
local H = int("hidden", 896)
local L = int("layers", 24)
local nh = int("heads", 14)
local kvh = int("kv_heads", 2)
local d = int("head_dim", nh > 0 and H // nh or 0)
local F = int("ffn", 4864)
local V = int("vocab", 151936)
local T = int("tokens", 128)
local P = int("kv", 0)
local qkv_bias = int("qkv_bias", 1) ~= 0
local tied = int("tied", 1) ~= 0
local logits = args.logits or "last"
local dt = args.dtype or "fp16"
for _, c in ipairs({ { "hidden", H }, { "layers", L }, { "heads", nh }, { "kv_heads", kvh },
                     { "head_dim", d }, { "ffn", F }, { "vocab", V }, { "tokens", T } }) do
  if c[2] < 1 then error("transformer: " .. c[1] .. " must be at least 1") end
end
if nh % kvh ~= 0 then error(string.format("transformer: heads=%d is not a multiple of kv_heads=%d", nh, kvh)) end
if d % 2 ~= 0 then
  if args.head_dim ~= nil then
    error(string.format("transformer: head_dim=%d must be even (RoPE rotates pairs)", d))
  end
  error(string.format("transformer: head_dim = hidden/heads = %d/%d = %d must be even (RoPE " ..
    "rotates pairs): give heads= or head_dim=", H, nh, d))
end
if logits ~= "last" and logits ~= "all" then error("transformer: logits must be 'last' or 'all', got '" .. tostring(logits) .. "'") end
local grp, ctx, qd, kd = nh // kvh, P + T, nh * d, kvh * d

-- What one run produces, for throughput in tokens (npusim.builder items/unit/prefill): a run
-- processes T tokens; with an empty cache (kv=0) it is a prefill, whose time is the time to the
-- first generated token; a decode step (T=1, kv=L) makes one token.
local b = npusim.builder(args.name or "transformer",
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
  local g = b:gemm(x, { out = F, bias = 0, act = "silu", name = n .. ".gate_proj" })
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
            source = "first principles (2*params*tokens rule, Kaplan et al. 2020, plus attention and LM-head terms; see docs/zoo.md)" }
