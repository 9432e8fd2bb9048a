/* builder.c — npusim.Builder: build an operator graph from Lua, and the npusim.Graph box
 * (script.h).
 *
 *   local b = npusim.builder("tiny", { input = {1, 3, 32, 32}, dtype = "int8" })
 *   local x = b:conv(b.input, { out = 16, k = 3, s = 1, p = 1, act = "relu", name = "conv1" })
 *   b:output(x); local g = b:build()
 *
 * One method per IR op, named as the .npg ops (sim/core/graph.h). Arguments: tensor names,
 * then an optional attribute table. Attribute keys are checked against a per-op schema (the
 * keys graph.h documents for the op, with their type), so a typo ("kk = 3") or a wrong type
 * ("k = 'three'") is an error at the line of the call, never silently ignored. Special keys
 * for every op: name, act, alpha (slope of act=; for leaky/hardsigmoid an attribute), dtype,
 * outs, host, src (as in .npg). The schema mirrors the key table of sim/core/graph.c.
 *
 * Every layer records the Lua line of the call (layer.line) and the graph records the script
 * (graph.file), so shape errors found when b:build() runs npu_graph_prepare read
 * "net.lua:12: conv 'c2': ...".
 *
 * Choices where the spec is silent (docs/lua.md):
 *   - default layer name "<op><n>" with a counter per op, starting at 1 and skipping names
 *     already used ("conv1", "conv2", "relu1", ...);
 *   - split produces #sizes (or n) outputs unless outs= says otherwise; other ops 1;
 *   - a Lua float with an integral value is accepted where integers are expected (k = 6 / 2);
 *   - booleans are accepted for 0/1 flags (bias = true);
 *   - b:build() leaves the builder usable: it prepares a copy.
 */
#include <lua.h>
#include <lauxlib.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script.h"

typedef struct npu_lb {
    npu_graph *g;
    int last;                 /* last layer added, -1 */
    int nmarked;              /* outputs marked with b:output */
    int counter[NPU_OP_COUNT];/* default-name counters */
} npu_lb;

/* ---- attribute schema --------------------------------------------------------------------
 * Types: i = integer or list of integers, b = flag (boolean or 0/1), f = number (FLOAT),
 * s = string, t = dtype name (STR), n = integers (INTS) or a non-integral number (FLOAT). */
typedef struct lb_schema {
    npu_op op;
    const char *keys; /* "out:i k:i ..." */
} lb_schema;

#define CONV_KEYS "out:i k:i s:i p:i d:i g:i bias:b"
#define POOL_KEYS "k:i s:i p:i ceil:b"
static const lb_schema lb_schemas[] = {
    {NPU_OP_CONV, CONV_KEYS},
    {NPU_OP_CONVT, CONV_KEYS " op:i"},
    {NPU_OP_GEMM, "out:i bias:b"},
    {NPU_OP_MATMUL, "transb:b"},
    {NPU_OP_MAXPOOL, "k:i s:i p:i d:i ceil:b"},
    {NPU_OP_AVGPOOL, POOL_KEYS},
    {NPU_OP_LEAKY, "alpha:f"},
    {NPU_OP_PRELU, "slopes:i"},
    {NPU_OP_HARDSIGMOID, "alpha:f beta:f"},
    {NPU_OP_CLIP, "min:f max:f"},
    {NPU_OP_BATCHNORM, "eps:f"},
    {NPU_OP_SOFTMAX, "axis:i"},
    {NPU_OP_LAYERNORM, "axis:i eps:f affine:b"},
    {NPU_OP_RMSNORM, "axis:i eps:f affine:b"},
    {NPU_OP_CONCAT, "axis:i"},
    {NPU_OP_SPLIT, "axis:i sizes:i n:i"},
    {NPU_OP_SLICE, "starts:i ends:i axes:i steps:i"},
    {NPU_OP_RESHAPE, "shape:i"},
    {NPU_OP_FLATTEN, "axis:i"},
    {NPU_OP_SQUEEZE, "axes:i"},
    {NPU_OP_UNSQUEEZE, "axes:i"},
    {NPU_OP_TRANSPOSE, "perm:i"},
    {NPU_OP_RESIZE, "scale:n size:i mode:s"},
    {NPU_OP_PAD, "p:i pads:i mode:s value:f"},
    {NPU_OP_GATHER, "axis:i"},
    {NPU_OP_CAST, "to:t axis:i"},
    {NPU_OP_QUANTIZE, "to:t axis:i"},
    {NPU_OP_DEQUANTIZE, "to:t axis:i"},
    {NPU_OP_REDUCE, "kind:s axes:i keep:b"},
    {NPU_OP_LRN, "size:i alpha:f beta:f bias:f"},
    /* erf, softplus, reciprocal (and the other unary ops) take no attributes */
};

static const char *lb_keys_of(npu_op op)
{
    for (size_t i = 0; i < sizeof lb_schemas / sizeof lb_schemas[0]; i++)
        if (lb_schemas[i].op == op)
            return lb_schemas[i].keys;
    return "";
}

/* Type of attribute `key` for op, 0 if the op has no such attribute. */
static char lb_key_type(npu_op op, const char *key)
{
    const char *p = lb_keys_of(op);
    size_t kl = strlen(key);
    while (*p) {
        const char *colon = strchr(p, ':');
        if (!colon)
            break;
        if ((size_t)(colon - p) == kl && memcmp(p, key, kl) == 0)
            return colon[1];
        p = colon + 2;
        while (*p == ' ')
            p++;
    }
    return 0;
}

static const char *const lb_special[] = {"name", "act", "alpha", "dtype", "outs", "host", "src",
                                         NULL};

/* "unknown attribute 'kk' for conv (did you mean 'k'?; known: out, k, ...)" */
static MAY_RAISE int lb_unknown_key(lua_State *L, const char *what, const char *key, npu_op op)
{
    const char *cands[40];
    int n = 0;
    char names[40][16];
    const char *p = lb_keys_of(op);
    while (*p && n < 32) {
        const char *colon = strchr(p, ':');
        if (!colon)
            break;
        snprintf(names[n], sizeof names[n], "%.*s", (int)(colon - p), p);
        cands[n] = names[n];
        n++;
        p = colon + 2;
        while (*p == ' ')
            p++;
    }
    int nop = n;
    for (int i = 0; lb_special[i]; i++)
        cands[n++] = lb_special[i];
    cands[n] = NULL;
    const char *dym = npu_did_you_mean(key, cands);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 0; i < n; i++) {
        luaL_addstring(&b, i ? ", " : "");
        luaL_addstring(&b, cands[i]);
    }
    luaL_pushresult(&b);
    return luaL_error(L, "%s: unknown attribute '%s' for %s%s%s%s (%s: %s)", what, key,
                      npu_op_name(op), dym ? " (did you mean '" : "", dym ? dym : "",
                      dym ? "'?)" : "", nop ? "attributes" : "only", lua_tostring(L, -1));
}

typedef struct lb_attr {
    const char *key;
    npu_attr_type type;
    int n;
    int64_t i[NPU_ATTR_MAXN];
    double f;
    const char *s;
} lb_attr;

/* Attributes in key order: a Lua table's iteration order changes from run to run (string
 * hashes are seeded per state), and the graph — its .npg and ONNX files — must not. */
static int lb_attr_cmp(const void *a, const void *b)
{
    return strcmp(((const lb_attr *)a)->key, ((const lb_attr *)b)->key);
}

/* Reads the integer at idx (an integer or an integral float); raises naming the attribute. */
static MAY_RAISE int64_t lb_int(lua_State *L, int idx, const char *what, const char *key)
{
    int isnum = 0;
    lua_Integer v = lua_tointegerx(L, idx, &isnum);
    if (!isnum || lua_type(L, idx) != LUA_TNUMBER) {
        if (lua_type(L, idx) == LUA_TNUMBER)
            luaL_error(L, "%s: attribute '%s' must be an integer or a list of integers, got the "
                          "non-integer %f", what, key, lua_tonumber(L, idx));
        luaL_error(L, "%s: attribute '%s' must be an integer or a list of integers, got %s",
                   what, key, luaL_typename(L, idx));
    }
    return (int64_t)v;
}

/* Converts the attribute value on the stack top into a (type-checked) lb_attr. */
static MAY_RAISE void lb_value(lua_State *L, const char *what, const char *key, char type,
                               lb_attr *a)
{
    int vt = lua_type(L, -1);
    a->key = key;
    switch (type) {
    case 'b':
        a->type = NPU_ATTR_INTS;
        a->n = 1;
        if (vt == LUA_TBOOLEAN)
            a->i[0] = lua_toboolean(L, -1);
        else {
            a->i[0] = lb_int(L, -1, what, key);
            if (a->i[0] != 0 && a->i[0] != 1)
                luaL_error(L, "%s: attribute '%s' must be true/false or 0/1", what, key);
        }
        return;
    case 'f':
        if (vt != LUA_TNUMBER)
            luaL_error(L, "%s: attribute '%s' must be a number, got %s", what, key,
                       luaL_typename(L, -1));
        a->type = NPU_ATTR_FLOAT;
        a->f = lua_tonumber(L, -1);
        return;
    case 's':
    case 't':
        if (vt != LUA_TSTRING)
            luaL_error(L, "%s: attribute '%s' must be a string, got %s", what, key,
                       luaL_typename(L, -1));
        a->type = NPU_ATTR_STR;
        a->s = lua_tostring(L, -1);
        if (type == 't') {
            npu_dtype dt;
            if (npu_dtype_parse(a->s, &dt) != 0)
                luaL_error(L, "%s: attribute '%s': unknown dtype '%s'", what, key, a->s);
        }
        return;
    case 'n':
        if (vt == LUA_TNUMBER && !lua_isinteger(L, -1)) {
            int isnum = 0;
            lua_tointegerx(L, -1, &isnum);
            if (!isnum) {
                a->type = NPU_ATTR_FLOAT;
                a->f = lua_tonumber(L, -1);
                return;
            }
        }
        /* integers */
        goto ints;
    default:
    ints: /* 'i' */
        a->type = NPU_ATTR_INTS;
        if (vt == LUA_TTABLE) {
            lua_Integer n = luaL_len(L, -1);
            if (n < 1 || n > NPU_ATTR_MAXN)
                luaL_error(L, "%s: attribute '%s' must have 1 to %d values, got %d", what, key,
                           NPU_ATTR_MAXN, (int)n);
            a->n = (int)n;
            for (int k = 1; k <= a->n; k++) {
                lua_rawgeti(L, -1, k);
                a->i[k - 1] = lb_int(L, -1, what, key);
                lua_pop(L, 1);
            }
        } else {
            a->n = 1;
            a->i[0] = lb_int(L, -1, what, key);
        }
        return;
    }
}

/* ---- npusim.Graph: the box ---------------------------------------------------------------- */
npu_script_graph *npu_script_new_graph(lua_State *L)
{
    npu_script_graph *box = lua_newuserdatauv(L, sizeof *box, 0);
    box->g = NULL; /* consistent before anything is acquired */
    luaL_setmetatable(L, NPU_SCRIPT_GRAPH);
    return box;
}

npu_script_graph *npu_script_test_graph(lua_State *L, int idx)
{
    return luaL_testudata(L, idx, NPU_SCRIPT_GRAPH);
}

const npu_graph *npu_script_check_graph(lua_State *L, int idx)
{
    npu_script_graph *box = luaL_checkudata(L, idx, NPU_SCRIPT_GRAPH);
    if (!box->g)
        luaL_argerror(L, idx, "empty graph");
    return box->g;
}

static int graph_gc(lua_State *L)
{
    npu_script_graph *box = luaL_checkudata(L, 1, NPU_SCRIPT_GRAPH);
    npu_graph_free(box->g);
    box->g = NULL;
    return 0;
}

/* ---- the userdata ---------------------------------------------------------------------------- */
static npu_lb *lb_check(lua_State *L, int idx)
{
    npu_lb *b = luaL_checkudata(L, idx, NPU_SCRIPT_BUILDER);
    if (!b->g)
        luaL_argerror(L, idx, "builder is closed");
    return b;
}

int npu_script_is_builder(lua_State *L, int idx)
{
    npu_lb *b = luaL_testudata(L, idx, NPU_SCRIPT_BUILDER);
    return b && b->g;
}

/* The graph's messages start with "file: " (the script); the Lua position says it already. */
static const char *lb_msg(const npu_graph *g, const char *m)
{
    size_t fl = g->file ? strlen(g->file) : 0;
    if (fl && strncmp(m, g->file, fl) == 0 && m[fl] == ':' && m[fl + 1] == ' ')
        return m + fl + 2;
    return m;
}

/* The nearest Lua function up the stack from the current C function (skipping C frames
 * such as pcall): its line is what a layer records and its script what a graph names. */
static int lb_lua_caller(lua_State *L, lua_Debug *ar)
{
    for (int level = 1; lua_getstack(L, level, ar); level++) {
        if (lua_getinfo(L, "Sl", ar) && ar->currentline > 0 && strcmp(ar->what, "C") != 0)
            return 1;
    }
    return 0;
}

/* Line of the Lua code that called the current C function (0 if unknown). */
static int lb_caller_line(lua_State *L)
{
    lua_Debug ar;
    return lb_lua_caller(L, &ar) ? ar.currentline : 0;
}

/* Generates "<op><n>" not yet used by a layer or tensor; pushes it. */
static const char *lb_default_name(lua_State *L, npu_lb *b, npu_op op)
{
    char buf[64];
    for (;;) {
        snprintf(buf, sizeof buf, "%s%d", npu_op_name(op), ++b->counter[op]);
        if (npu_graph_find_layer(b->g, buf) < 0 && npu_graph_find_tensor(b->g, buf) < 0)
            break;
    }
    return lua_pushstring(L, buf);
}

#define LB_MAX_IN 64
#define LB_MAX_ATTR 32

/* b:<op>(tensor, ... [, attrs]) → output tensor name(s) */
static int lb_op(lua_State *L)
{
    npu_lb *b = lb_check(L, 1);
    npu_op op = (npu_op)lua_tointeger(L, lua_upvalueindex(1));
    int top = lua_gettop(L);
    int attrs = 0;
    if (top >= 2 && lua_type(L, top) == LUA_TTABLE) {
        attrs = top;
        top--;
    }
    int nin = top - 1;
    if (nin > LB_MAX_IN)
        return luaL_error(L, "%s: too many inputs (%d, at most %d)", npu_op_name(op), nin,
                          LB_MAX_IN);
    const char *inputs[LB_MAX_IN];
    for (int i = 0; i < nin; i++) {
        if (lua_type(L, 2 + i) != LUA_TSTRING)
            return luaL_typeerror(L, 2 + i, "string (a tensor name)");
        inputs[i] = npu_script_check_cstr(L, 2 + i, "tensor name");
    }
    /* the name first, so that every later message can name the layer */
    const char *name = NULL;
    if (attrs) {
        int t = lua_getfield(L, attrs, "name");
        if (t == LUA_TSTRING)
            name = npu_script_check_cstr(L, -1, "layer name");
        else if (t != LUA_TNIL)
            return luaL_error(L, "%s: attribute 'name' must be a string, got %s",
                              npu_op_name(op), luaL_typename(L, -1));
        else
            lua_pop(L, 1);
    }
    if (!name)
        name = lb_default_name(L, b, op); /* stays on the stack */
    if (strlen(name) > NPU_NAME_MAX) { /* before the name is quoted in every message below */
        char head[41];
        snprintf(head, sizeof head, "%s", name); /* lua_pushfstring has no precision */
        return luaL_error(L, "%s: layer name of %d bytes (at most %d): '%s...'",
                          npu_op_name(op), (int)strlen(name), NPU_NAME_MAX, head);
    }
    const char *what = lua_pushfstring(L, "%s '%s'", npu_op_name(op), name);

    lb_attr at[LB_MAX_ATTR];
    int nat = 0;
    npu_act act = NPU_ACT_NONE;
    int has_act = 0, has_alpha = 0, has_dtype = 0, host = 0, outs = 0;
    double alpha = 0;
    npu_dtype dtype = NPU_DT_INT8;
    const char *src = NULL;
    if (attrs) {
        lua_pushnil(L);
        while (lua_next(L, attrs)) {
            if (lua_type(L, -2) != LUA_TSTRING)
                return luaL_error(L, "%s: attribute keys must be strings, got %s", what,
                                  luaL_typename(L, -2));
            const char *key = lua_tostring(L, -2);
            int vt = lua_type(L, -1);
            if (strcmp(key, "name") == 0) {
                /* handled above */
            } else if (strcmp(key, "act") == 0) {
                if (vt != LUA_TSTRING || npu_act_parse(lua_tostring(L, -1), &act) != 0) {
                    luaL_Buffer lb;
                    luaL_buffinit(L, &lb);
                    for (int a = 1; a < NPU_ACT_COUNT; a++) {
                        luaL_addstring(&lb, a > 1 ? ", " : "");
                        luaL_addstring(&lb, npu_act_name((npu_act)a));
                    }
                    luaL_pushresult(&lb);
                    return luaL_error(L, "%s: act = '%s' is not an activation (%s)", what,
                                      vt == LUA_TSTRING ? lua_tostring(L, -2)
                                                        : luaL_typename(L, -2),
                                      lua_tostring(L, -1));
                }
                has_act = 1;
            } else if (strcmp(key, "alpha") == 0 && !lb_key_type(op, "alpha")) {
                if (vt != LUA_TNUMBER)
                    return luaL_error(L, "%s: attribute 'alpha' must be a number, got %s", what,
                                      luaL_typename(L, -1));
                alpha = lua_tonumber(L, -1);
                has_alpha = 1;
            } else if (strcmp(key, "dtype") == 0) {
                if (vt != LUA_TSTRING || npu_dtype_parse(lua_tostring(L, -1), &dtype) != 0)
                    return luaL_error(L, "%s: dtype = '%s' is not a data type", what,
                                      vt == LUA_TSTRING ? lua_tostring(L, -1)
                                                        : luaL_typename(L, -1));
                has_dtype = 1;
            } else if (strcmp(key, "outs") == 0) {
                int64_t v = lb_int(L, -1, what, key);
                if (v < 1 || v > 64)
                    return luaL_error(L, "%s: outs = %d out of range [1, 64]", what, (int)v);
                outs = (int)v;
            } else if (strcmp(key, "host") == 0) {
                lb_attr tmp;
                lb_value(L, what, key, 'b', &tmp);
                host = (int)tmp.i[0];
            } else if (strcmp(key, "src") == 0) {
                if (vt != LUA_TSTRING)
                    return luaL_error(L, "%s: attribute 'src' must be a string", what);
                src = lua_tostring(L, -1);
            } else {
                char type = lb_key_type(op, key);
                if (!type)
                    return lb_unknown_key(L, what, key, op);
                if (nat >= LB_MAX_ATTR)
                    return luaL_error(L, "%s: too many attributes", what);
                lb_value(L, what, key, type, &at[nat++]);
            }
            lua_pop(L, 1); /* value; strings stay alive in the attribute table */
        }
        qsort(at, (size_t)nat, sizeof at[0], lb_attr_cmp);
    }
    /* leaky's slope is an attribute of the op (schema); alpha= elsewhere goes with act= */
    if (has_alpha && !has_act) {
        return luaL_error(L, "%s: alpha= needs act= (the slope of the fused activation)", what);
    }
    int nout = outs;
    if (!nout) {
        nout = 1;
        if (op == NPU_OP_SPLIT)
            for (int i = 0; i < nat; i++) {
                if (strcmp(at[i].key, "sizes") == 0)
                    nout = at[i].n;
                else if (strcmp(at[i].key, "n") == 0 && at[i].i[0] >= 1 && at[i].i[0] <= 64)
                    nout = (int)at[i].i[0];
            }
    }

    if (b->g->nl >= npu_script_max_layers(L))
        return luaL_error(L, "builder '%s': more than %d layers (the limit of a script's graph, "
                             "docs/lua.md)", b->g->name, npu_script_max_layers(L));
    /* everything is checked: now change the graph (only out-of-memory can fail below) */
    npu_err err = {0};
    int li = npu_graph_add_layer(b->g, op, name, nin, inputs, nout, &err);
    if (li < 0) {
        /* the graph's message may start with "file: " and name the layer itself */
        const char *m = lb_msg(b->g, err.msg);
        if (strncmp(m, what, strlen(what)) == 0)
            return luaL_error(L, "%s", m);
        return luaL_error(L, "%s: %s", what, m);
    }
    for (int i = 0; i < nat; i++) {
        int st = 0;
        if (at[i].type == NPU_ATTR_INTS)
            st = npu_layer_set_ints(b->g, li, at[i].key, at[i].n, at[i].i);
        else if (at[i].type == NPU_ATTR_FLOAT)
            st = npu_layer_set_float(b->g, li, at[i].key, at[i].f);
        else
            st = npu_layer_set_str(b->g, li, at[i].key, at[i].s);
        if (st != 0)
            return luaL_error(L, "%s: cannot set attribute '%s' (out of memory)", what,
                              at[i].key);
    }
    npu_layer *l = &b->g->l[li];
    if (has_act) {
        l->act = act;
        if (has_alpha)
            l->act_alpha = alpha;
    } else if (has_alpha) {
        l->act_alpha = alpha;
    }
    if (has_dtype) {
        l->dtype = dtype;
        l->flags |= NPU_LF_DTYPE;
    }
    if (host)
        l->flags |= NPU_LF_HOST;
    if (src) {
        l->src_op = npu_arena_strdup(&b->g->arena, src);
        if (!l->src_op)
            return luaL_error(L, "out of memory");
    }
    l->line = lb_caller_line(L);
    b->last = li;
    int n = l->nout;
    luaL_checkstack(L, n, "too many outputs");
    for (int o = 0; o < n; o++)
        lua_pushstring(L, b->g->t[b->g->l[li].out[o]].name);
    return n;
}

/* dims table at idx → dim[]; raises naming argument argn (or `what` when argn is 0) */
static MAY_RAISE int lb_dims(lua_State *L, int idx, int argn, const char *what, int64_t *dim)
{
    const char *msg = NULL;
    lua_Integer n = 0;
    if (lua_type(L, idx) != LUA_TTABLE) {
        msg = lua_pushfstring(L, "a shape must be a list of integers, got %s",
                              luaL_typename(L, idx));
    } else {
        n = luaL_len(L, idx);
        if (n < 1 || n > NPU_MAX_DIMS)
            msg = lua_pushfstring(L, "a shape has 1 to %d dimensions, got %d", NPU_MAX_DIMS,
                                  (int)n);
    }
    for (int i = 1; !msg && i <= n; i++) {
        lua_rawgeti(L, idx, i);
        int isnum = 0;
        lua_Integer v = lua_tointegerx(L, -1, &isnum);
        bool ok = isnum && lua_type(L, -1) == LUA_TNUMBER;
        lua_pop(L, 1); /* before the message is pushed: popping after it freed the message */
        if (!ok)
            msg = lua_pushfstring(L, "dimension %d is not an integer", i);
        dim[i - 1] = (int64_t)v;
    }
    if (msg && argn)
        luaL_argerror(L, argn, msg);
    if (msg)
        luaL_error(L, "%s: %s", what, msg);
    return (int)n;
}

static MAY_RAISE npu_dtype lb_opt_dtype(lua_State *L, int idx, npu_dtype def)
{
    if (lua_isnoneornil(L, idx))
        return def;
    const char *s = luaL_checkstring(L, idx);
    npu_dtype dt;
    if (npu_dtype_parse(s, &dt) != 0)
        luaL_argerror(L, idx, lua_pushfstring(L, "unknown dtype '%s'", s));
    return dt;
}

/* b:input(name, dims [, dtype]) / b:const(name, dims [, dtype] [, value]) → name; value (a
 * number: every element of the constant) lets the passes match patterns such as x·(1/6). */
static int lb_tensor(lua_State *L, int is_const)
{
    npu_lb *b = lb_check(L, 1);
    const char *name = npu_script_check_cstr(L, 2, "tensor name");
    int64_t dim[NPU_MAX_DIMS];
    int nd = lb_dims(L, 3, 3, NULL, dim);
    int vi = is_const && lua_type(L, 4) == LUA_TNUMBER ? 4 : 5;
    npu_dtype dt = vi == 4 ? b->g->dtype : lb_opt_dtype(L, 4, b->g->dtype);
    bool has_value = is_const && !lua_isnoneornil(L, vi);
    double value = has_value ? luaL_checknumber(L, vi) : 0;
    if (!is_const && !lua_isnoneornil(L, 5))
        return luaL_argerror(L, 5, "an input has no value");
    npu_err err = {0};
    int ti = is_const ? npu_graph_add_const(b->g, name, nd, dim, dt, &err)
                      : npu_graph_add_input(b->g, name, nd, dim, dt, &err);
    if (ti < 0)
        return luaL_error(L, "%s", lb_msg(b->g, err.msg));
    b->g->t[ti].has_value = has_value;
    b->g->t[ti].value = value;
    lua_pushstring(L, b->g->t[ti].name);
    return 1;
}

static int lb_input(lua_State *L) { return lb_tensor(L, 0); }
static int lb_const(lua_State *L) { return lb_tensor(L, 1); }

/* b:output(t, ...) marks graph outputs → b */
static int lb_output(lua_State *L)
{
    npu_lb *b = lb_check(L, 1);
    int top = lua_gettop(L);
    if (top < 2)
        return luaL_error(L, "output: give at least one tensor name");
    for (int i = 2; i <= top; i++) {
        if (lua_type(L, i) != LUA_TSTRING)
            return luaL_typeerror(L, i, "string (a tensor name)");
        npu_err err = {0};
        if (npu_graph_mark_output(b->g, lua_tostring(L, i), &err) != 0)
            return luaL_error(L, "output '%s': %s", lua_tostring(L, i), lb_msg(b->g, err.msg));
        b->nmarked++;
    }
    lua_settop(L, 1);
    return 1;
}

npu_graph *npu_script_builder_graph(lua_State *L, int idx, npu_err *err)
{
    npu_lb *b = luaL_testudata(L, idx, NPU_SCRIPT_BUILDER);
    if (!b || !b->g) {
        npu_err_clear(err);
        return NULL;
    }
    if (b->g->nl == 0) {
        npu_err_set(err, NPU_EINVAL, "builder '%s' has no layers", b->g->name);
        return NULL;
    }
    npu_graph *g = npu_graph_clone(b->g);
    if (!g) {
        npu_err_set(err, NPU_ENOMEM, "out of memory");
        return NULL;
    }
    if (g->noutputs == 0 && b->last >= 0) {
        const npu_layer *l = &g->l[b->last];
        for (int o = 0; o < l->nout; o++)
            if (npu_graph_mark_output(g, g->t[l->out[o]].name, err) != 0) {
                npu_graph_free(g);
                return NULL;
            }
    }
    return g;
}

/* b:build() → Graph (prepared: shapes inferred, passes run). Shape errors are raised with the
 * script line of the offending layer. */
static int lb_build(lua_State *L)
{
    lb_check(L, 1);
    npu_script_graph *box = npu_script_new_graph(L); /* owns the graph from now on */
    npu_err err = {0};
    box->g = npu_script_builder_graph(L, 1, &err);
    if (!box->g)
        return luaL_error(L, "build: %s", err.msg);
    if (npu_graph_prepare(box->g, &err) != 0) {
        /* the message normally starts with "file:line:" of the layer already */
        const char *file = box->g->file;
        size_t fl = file ? strlen(file) : 0;
        if (fl && strncmp(err.msg, file, fl) == 0 && err.msg[fl] == ':')
            lua_pushstring(L, err.msg);
        else {
            luaL_where(L, 1);
            lua_pushfstring(L, "build: %s", err.msg);
            lua_concat(L, 2);
        }
        return lua_error(L);
    }
    return 1;
}

static int lb_gc(lua_State *L)
{
    npu_lb *b = luaL_checkudata(L, 1, NPU_SCRIPT_BUILDER);
    npu_graph_free(b->g);
    b->g = NULL;
    return 0;
}

static int lb_tostring(lua_State *L)
{
    npu_lb *b = luaL_checkudata(L, 1, NPU_SCRIPT_BUILDER);
    if (!b->g)
        lua_pushliteral(L, "builder (closed)");
    else
        lua_pushfstring(L, "builder %s: %d layers", b->g->name, b->g->nl);
    return 1;
}

/* b.input → first input's name; b.name → graph name; methods otherwise */
static int lb_index(lua_State *L)
{
    npu_lb *b = luaL_checkudata(L, 1, NPU_SCRIPT_BUILDER);
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL)
        return 1;
    const char *k = lua_tostring(L, 2);
    if (k && b->g && strcmp(k, "input") == 0) {
        if (b->g->ninputs > 0)
            lua_pushstring(L, b->g->t[b->g->inputs[0]].name);
        else
            lua_pushcfunction(L, lb_input);
        return 1;
    }
    if (k && b->g && strcmp(k, "name") == 0) {
        lua_pushstring(L, b->g->name);
        return 1;
    }
    lua_pushnil(L);
    return 1;
}

/* b:input(name, dims [, dtype]) must work although b.input reads as the first input's name
 * (both are in the spec the zoo scripts are written against). Strings share one metatable
 * per state, so this state's string metatable gets a __call: calling a string with a Builder
 * as its first argument adds an input; any other call is the usual error. */
static int lb_string_call(lua_State *L)
{
    if (!npu_script_is_builder(L, 2))
        return luaL_error(L, "attempt to call a string value");
    lua_remove(L, 1);
    return lb_input(L);
}

/* npusim.builder(name [, {input = dims, dtype = "int8", items = N, unit = "token",
 * prefill = true}]) → Builder. items/unit/prefill say what one run produces when it is not
 * the batch of images (graph.h npu_graph.items): an LLM prefill of T tokens is items = T,
 * unit = "token", prefill = true. */
static int l_builder(lua_State *L)
{
    const char *name = npu_script_check_cstr(L, 1, "graph name");
    lua_settop(L, 2); /* the userdata goes to 3, whether the options were given or not */
    if (!lua_isnil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        static const char *const keys[] = {"input", "dtype", "items", "unit", "prefill", NULL};
        npu_script_check_keys(L, 2, 2, keys);
    }
    npu_dtype dt = NPU_DT_INT8;
    const char *dts = npu_script_opt_string(L, 2, "dtype", NULL);
    if (dts && npu_dtype_parse(dts, &dt) != 0)
        return luaL_argerror(L, 2, lua_pushfstring(L, "unknown dtype '%s'", dts));
    npu_lb *b = lua_newuserdatauv(L, sizeof *b, 0);
    int ud = lua_gettop(L);
    memset(b, 0, sizeof *b);
    b->last = -1;
    luaL_setmetatable(L, NPU_SCRIPT_BUILDER);
    b->g = npu_graph_new(name);
    if (!b->g)
        return luaL_error(L, "out of memory");
    b->g->dtype = dt;
    if (!lua_isnil(L, 2)) {
        if (lua_getfield(L, 2, "items") != LUA_TNIL) {
            int isint = 0;
            lua_Integer n = lua_tointegerx(L, -1, &isint);
            if (!isint || n < 1)
                return luaL_argerror(L, 2, "items must be a positive integer");
            b->g->items = (int64_t)n;
        }
        lua_pop(L, 1);
        const char *unit = npu_script_opt_string(L, 2, "unit", NULL);
        if (unit && (!unit[0] || strpbrk(unit, " \t\n\r#=\"")))
            return luaL_argerror(L, 2, "unit must be one word (e.g. \"token\")");
        if (unit && !(b->g->unit = npu_arena_strdup(&b->g->arena, unit)))
            return luaL_error(L, "out of memory");
        b->g->prefill = npu_script_opt_bool(L, 2, "prefill", 0) != 0;
    }
    /* the script file, so that shape errors name it: "net.lua:12: ..." */
    lua_Debug ar;
    if (lb_lua_caller(L, &ar)) {
        const char *src = ar.source[0] == '@' ? ar.source + 1 : ar.short_src;
        b->g->file = npu_arena_strdup(&b->g->arena, src);
    }
    if (!lua_isnil(L, 2) && lua_getfield(L, 2, "input") != LUA_TNIL) {
        int64_t dim[NPU_MAX_DIMS];
        int nd = lb_dims(L, lua_gettop(L), 0, "builder: input", dim);
        npu_err err = {0};
        if (npu_graph_add_input(b->g, "input", nd, dim, dt, &err) < 0)
            return luaL_error(L, "builder '%s': %s", name, lb_msg(b->g, err.msg));
        lua_pop(L, 1);
    }
    lua_pushvalue(L, ud);
    return 1;
}

static const luaL_Reg lb_methods[] = {{"add_input", lb_input}, {"const", lb_const},
                                      {"output", lb_output},   {"build", lb_build},
                                      {NULL, NULL}};

void npu_script_builder_open(lua_State *L)
{
    int mod = lua_gettop(L);
    luaL_newmetatable(L, NPU_SCRIPT_GRAPH);
    lua_pushcfunction(L, graph_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, graph_gc);
    lua_setfield(L, -2, "__close");
    lua_pop(L, 1);
    luaL_newmetatable(L, NPU_SCRIPT_BUILDER);
    lua_pushcfunction(L, lb_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, lb_tostring);
    lua_setfield(L, -2, "__tostring");
    luaL_newlib(L, lb_methods);
    for (int op = 0; op < NPU_OP_COUNT; op++) {
        lua_pushinteger(L, op);
        lua_pushcclosure(L, lb_op, 1);
        lua_setfield(L, -2, npu_op_name((npu_op)op));
    }
    lua_pushcclosure(L, lb_index, 1);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    lua_pushcfunction(L, l_builder);
    lua_setfield(L, mod, "builder");
    lua_pushliteral(L, "");
    if (lua_getmetatable(L, -1)) {
        lua_pushcfunction(L, lb_string_call);
        lua_setfield(L, -2, "__call");
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}
