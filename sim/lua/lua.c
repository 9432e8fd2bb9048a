/* lua.c — Lua states for scripts and zoo builds, the `npusim` module table, npusim.Graph,
 * the zoo (npu_lua_zoo) and the script runner (npu_lua_run_file). Prefix npu_lua_.
 *
 * Sandbox (what a script can do), following the practice of lua.c, Redis and haproxy
 * (research/style_and_courses.md, "Embedding Lua 5.4 in C"):
 *   - the state is created with our allocator, which refuses to grow past a cap (1 GiB for a
 *     script, 256 MiB for a zoo build): running out is a Lua "not enough memory" error;
 *   - libraries opened: base, table, string, math, utf8, io (to write files), and a reduced
 *     os (clock, time, date, difftime, getenv). Not opened: package (no require/loadlib),
 *     debug, coroutine. Removed: io.popen. load/loadfile/dofile are replaced by versions that
 *     only accept text chunks (mode "t"): precompiled bytecode can crash the interpreter;
 *   - every call into Lua goes through npu_lua_pcall, whose message handler appends a
 *     traceback, so errors read "script.lua:42: message" followed by the call stack.
 * There is no global mutable state: the context is found through the allocator's user data.
 */
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lint.h"
#include "lua.h"

/* ---- the allocator with a cap ------------------------------------------------------------- */
typedef struct npu_lua_box {
    npu_ctx *ctx;
    size_t used, limit;
} npu_lua_box;

static void *l_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    npu_lua_box *b = ud;
    if (ptr == NULL)
        osize = 0; /* osize then encodes the object type, not a size */
    if (nsize == 0) {
        free(ptr);
        b->used -= osize;
        return NULL;
    }
    if (nsize > osize && b->used + (nsize - osize) > b->limit)
        return NULL;
    void *p = realloc(ptr, nsize);
    if (p)
        b->used = b->used - osize + nsize;
    return p;
}

npu_ctx *npu_lua_ctx(lua_State *L)
{
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return ((npu_lua_box *)ud)->ctx;
}

/* ---- errors ---------------------------------------------------------------------------------- */
static int l_msghandler(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) { /* error object is not a string */
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            msg = lua_tostring(L, -1);
        else
            msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

int npu_lua_pcall(lua_State *L, int nargs, int nresults)
{
    int base = lua_gettop(L) - nargs; /* the function's slot */
    lua_pushcfunction(L, l_msghandler);
    lua_insert(L, base);
    int st = lua_pcall(L, nargs, nresults, base);
    lua_remove(L, base);
    return st;
}

int npu_lua_error_to(lua_State *L, int status, npu_err *err)
{
    const char *msg = lua_tostring(L, -1);
    int code = status == LUA_ERRMEM ? NPU_ENOMEM
               : status == LUA_ERRSYNTAX ? NPU_EFORMAT
               : status == LUA_ERRFILE ? NPU_EIO
                                        : NPU_EINVAL;
    npu_err_set(err, code, "%s", msg ? msg : "(error without message)");
    lua_pop(L, 1);
    return code;
}

/* ---- helpers shared with lbuilder.c / lrun.c ----------------------------------------------- */
void npu_lua_check_keys(lua_State *L, int idx, int argn, const char *const *allowed)
{
    idx = lua_absindex(L, idx);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING) {
            luaL_argerror(L, argn, lua_pushfstring(L, "unexpected %s key in the table",
                                                   luaL_typename(L, -1)));
        }
        const char *k = lua_tostring(L, -1);
        int ok = 0;
        for (int i = 0; allowed[i]; i++)
            if (strcmp(k, allowed[i]) == 0)
                ok = 1;
        if (!ok) {
            const char *dym = npu_did_you_mean(k, allowed);
            luaL_Buffer b;
            luaL_buffinit(L, &b);
            luaL_addstring(&b, "unknown key '");
            luaL_addstring(&b, k);
            luaL_addstring(&b, "'");
            if (dym) {
                luaL_addstring(&b, " (did you mean '");
                luaL_addstring(&b, dym);
                luaL_addstring(&b, "'?)");
            } else {
                luaL_addstring(&b, "; known:");
                for (int i = 0; allowed[i]; i++) {
                    luaL_addstring(&b, i ? ", " : " ");
                    luaL_addstring(&b, allowed[i]);
                }
            }
            luaL_pushresult(&b);
            luaL_argerror(L, argn, lua_tostring(L, -1));
        }
    }
}

int npu_lua_opt_bool(lua_State *L, int idx, const char *key, int def)
{
    if (lua_isnoneornil(L, idx))
        return def;
    int t = lua_getfield(L, idx, key);
    int v = def;
    if (t == LUA_TBOOLEAN)
        v = lua_toboolean(L, -1);
    else if (t != LUA_TNIL)
        luaL_error(L, "option '%s' must be a boolean, got %s", key, luaL_typename(L, -1));
    lua_pop(L, 1);
    return v;
}

const char *npu_lua_opt_string(lua_State *L, int idx, const char *key, const char *def)
{
    if (lua_isnoneornil(L, idx))
        return def;
    int t = lua_getfield(L, idx, key);
    const char *v = def;
    if (t == LUA_TSTRING)
        v = lua_tostring(L, -1); /* the option table keeps the string alive */
    else if (t != LUA_TNIL)
        luaL_error(L, "option '%s' must be a string, got %s", key, luaL_typename(L, -1));
    lua_pop(L, 1);
    return v;
}

void npu_lua_fmt_double(double v, char *buf, size_t n)
{
    if (isnan(v)) {
        snprintf(buf, n, "nan");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, n, v < 0 ? "-inf" : "inf");
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

typedef struct lua_sort_ent {
    const char *s; /* string element (kept alive by the list itself) or NULL */
    size_t len;
    lua_Number x;
    int pos;
} lua_sort_ent;

static int lua_sort_cmp(const void *pa, const void *pb)
{
    const lua_sort_ent *a = pa, *b = pb;
    int c;
    if (a->s) {
        size_t m = a->len < b->len ? a->len : b->len;
        c = memcmp(a->s, b->s, m);
        if (c == 0)
            c = (a->len > b->len) - (a->len < b->len);
    } else if (isnan(a->x) || isnan(b->x)) {
        c = isnan(a->x) - isnan(b->x); /* NaN last: the order must stay total for qsort */
    } else {
        /* by value as a double, then position: a total order (comparing integers exactly
         * and mixed pairs as doubles would not be transitive beyond 2^53) */
        c = (a->x > b->x) - (a->x < b->x);
    }
    return c ? c : a->pos - b->pos; /* stable */
}

MAY_RAISE void npu_lua_sort_list(lua_State *L, int t, int n)
{
    t = lua_absindex(L, t);
    if (n < 2)
        return;
    /* the entries live in a userdata so that a raise below frees them */
    lua_sort_ent *e = lua_newuserdatauv(L, sizeof *e * (size_t)n, 0);
    int strings = 0;
    for (int k = 0; k < n; k++) {
        int ty = lua_rawgeti(L, t, k + 1);
        if (k == 0)
            strings = ty == LUA_TSTRING;
        if (ty != (strings ? LUA_TSTRING : LUA_TNUMBER))
            luaL_error(L, "cannot sort a list that mixes %s and %s values",
                       strings ? "string" : "number", lua_typename(L, ty));
        e[k] = (lua_sort_ent){.pos = k};
        if (strings) {
            e[k].s = lua_tolstring(L, -1, &e[k].len);
        } else {
            e[k].x = lua_tonumber(L, -1);
        }
        lua_pop(L, 1);
    }
    qsort(e, (size_t)n, sizeof *e, lua_sort_cmp);
    /* reorder through a copy: the strings stay referenced by t or the copy throughout */
    lua_createtable(L, n, 0);
    for (int k = 0; k < n; k++) {
        lua_rawgeti(L, t, e[k].pos + 1);
        lua_rawseti(L, -2, k + 1);
    }
    for (int k = 0; k < n; k++) {
        lua_rawgeti(L, -1, k + 1);
        lua_rawseti(L, t, k + 1);
    }
    lua_pop(L, 2);
}

void npu_lua_push_module(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_getfield(L, -1, "npusim");
    lua_remove(L, -2);
}

int npu_lua_scalar_text(lua_State *L, int idx, char *buf, size_t n)
{
    switch (lua_type(L, idx)) {
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx))
            snprintf(buf, n, "%lld", (long long)lua_tointeger(L, idx));
        else
            npu_lua_fmt_double(lua_tonumber(L, idx), buf, n);
        return 0;
    case LUA_TBOOLEAN:
        snprintf(buf, n, "%s", lua_toboolean(L, idx) ? "true" : "false");
        return 0;
    case LUA_TSTRING:
        snprintf(buf, n, "%s", lua_tostring(L, idx));
        return 0;
    default:
        return -1;
    }
}

/* ---- npusim.Graph ------------------------------------------------------------------------- */
npu_lua_graph *npu_lua_new_graph(lua_State *L)
{
    npu_lua_graph *box = lua_newuserdatauv(L, sizeof *box, 0);
    box->g = NULL; /* consistent before anything is acquired */
    luaL_setmetatable(L, NPU_LUA_GRAPH);
    return box;
}

npu_lua_graph *npu_lua_test_graph(lua_State *L, int idx)
{
    return luaL_testudata(L, idx, NPU_LUA_GRAPH);
}

const npu_graph *npu_lua_check_graph(lua_State *L, int idx)
{
    npu_lua_graph *box = luaL_checkudata(L, idx, NPU_LUA_GRAPH);
    if (!box->g)
        luaL_argerror(L, idx, "empty graph");
    return box->g;
}

static int graph_gc(lua_State *L)
{
    npu_lua_graph *box = luaL_checkudata(L, 1, NPU_LUA_GRAPH);
    npu_graph_free(box->g);
    box->g = NULL;
    return 0;
}

static int graph_nlive(const npu_graph *g)
{
    int n = 0;
    for (int i = 0; i < g->nl; i++)
        n += !(g->l[i].flags & NPU_LF_DEAD);
    return n;
}

/* "4.09 GMAC" */
static void fmt_macs(int64_t m, char *buf, size_t n)
{
    if (m >= 1000000000)
        snprintf(buf, n, "%.2f GMAC", (double)m / 1e9);
    else if (m >= 1000000)
        snprintf(buf, n, "%.2f MMAC", (double)m / 1e6);
    else if (m >= 1000)
        snprintf(buf, n, "%.2f KMAC", (double)m / 1e3);
    else
        snprintf(buf, n, "%lld MAC", (long long)m);
}

static int graph_tostring(lua_State *L)
{
    npu_lua_graph *box = luaL_checkudata(L, 1, NPU_LUA_GRAPH);
    if (!box->g) {
        lua_pushliteral(L, "graph (empty)");
        return 1;
    }
    char macs[64];
    fmt_macs(npu_graph_macs(box->g), macs, sizeof macs);
    lua_pushfstring(L, "graph %s: %d layers, %s", box->g->name ? box->g->name : "?",
                    graph_nlive(box->g), macs);
    return 1;
}

static int graph_macs(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)npu_graph_macs(npu_lua_check_graph(L, 1)));
    return 1;
}

static int graph_params(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)npu_graph_params(npu_lua_check_graph(L, 1)));
    return 1;
}

static int graph_name(lua_State *L)
{
    const npu_graph *g = npu_lua_check_graph(L, 1);
    lua_pushstring(L, g->name ? g->name : "");
    return 1;
}

static void push_tensor_names(lua_State *L, const npu_graph *g, int n, const int *idx)
{
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        lua_pushstring(L, g->t[idx[i]].name);
        lua_rawseti(L, -2, i + 1);
    }
}

static void push_dims(lua_State *L, const npu_tensor *t)
{
    lua_createtable(L, t->ndim, 0);
    for (int d = 0; d < t->ndim; d++) {
        lua_pushinteger(L, (lua_Integer)t->dim[d]);
        lua_rawseti(L, -2, d + 1);
    }
}

/* g:info() → list of live layers: {index, name, op, inputs, outputs, shape, dtype, act, macs,
 * params, line, host, attrs} (index is the 0-based position in the graph, as in results). */
static int graph_info(lua_State *L)
{
    const npu_graph *g = npu_lua_check_graph(L, 1);
    lua_createtable(L, graph_nlive(g), 0);
    int k = 0;
    for (int i = 0; i < g->nl; i++) {
        const npu_layer *l = &g->l[i];
        if (l->flags & NPU_LF_DEAD)
            continue;
        lua_createtable(L, 0, 14);
        lua_pushinteger(L, i);
        lua_setfield(L, -2, "index");
        lua_pushstring(L, l->name);
        lua_setfield(L, -2, "name");
        lua_pushstring(L, npu_op_name(l->op));
        lua_setfield(L, -2, "op");
        push_tensor_names(L, g, l->nin, l->in);
        lua_setfield(L, -2, "inputs");
        push_tensor_names(L, g, l->nout, l->out);
        lua_setfield(L, -2, "outputs");
        if (l->nout > 0) {
            push_dims(L, &g->t[l->out[0]]);
            lua_setfield(L, -2, "shape");
        }
        lua_pushstring(L, npu_dtype_name(l->dtype));
        lua_setfield(L, -2, "dtype");
        lua_pushstring(L, npu_act_name(l->act));
        lua_setfield(L, -2, "act");
        lua_pushinteger(L, (lua_Integer)l->macs);
        lua_setfield(L, -2, "macs");
        lua_pushinteger(L, (lua_Integer)l->params);
        lua_setfield(L, -2, "params");
        lua_pushinteger(L, l->line);
        lua_setfield(L, -2, "line");
        lua_pushboolean(L, (l->flags & NPU_LF_HOST) != 0);
        lua_setfield(L, -2, "host");
        /* attributes as given: one integer, a list of integers, a number or a string */
        lua_createtable(L, 0, l->nattr);
        for (int a = 0; a < l->nattr; a++) {
            const npu_attr *at = &l->attr[a];
            if (at->type == NPU_ATTR_FLOAT) {
                lua_pushnumber(L, at->f);
            } else if (at->type == NPU_ATTR_STR) {
                lua_pushstring(L, at->s ? at->s : "");
            } else if (at->n == 1) {
                lua_pushinteger(L, (lua_Integer)at->i[0]);
            } else {
                lua_createtable(L, at->n, 0);
                for (int v = 0; v < at->n; v++) {
                    lua_pushinteger(L, (lua_Integer)at->i[v]);
                    lua_rawseti(L, -2, v + 1);
                }
            }
            lua_setfield(L, -2, at->key);
        }
        lua_setfield(L, -2, "attrs");
        lua_rawseti(L, -2, ++k);
    }
    return 1;
}

/* g:inputs() / g:outputs() → list of {name=, shape=, dtype=} */
static int push_tensor_list(lua_State *L, const npu_graph *g, int n, const int *idx)
{
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        const npu_tensor *t = &g->t[idx[i]];
        lua_createtable(L, 0, 3);
        lua_pushstring(L, t->name);
        lua_setfield(L, -2, "name");
        push_dims(L, t);
        lua_setfield(L, -2, "shape");
        lua_pushstring(L, npu_dtype_name(t->dtype));
        lua_setfield(L, -2, "dtype");
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

static int graph_inputs(lua_State *L)
{
    const npu_graph *g = npu_lua_check_graph(L, 1);
    return push_tensor_list(L, g, g->ninputs, g->inputs);
}

static int graph_outputs(lua_State *L)
{
    const npu_graph *g = npu_lua_check_graph(L, 1);
    return push_tensor_list(L, g, g->noutputs, g->outputs);
}

/* The arguments of the graph writers: (g, path [, {force=true}]); returns force. */
static int write_args(lua_State *L, const npu_graph **g, const char **path)
{
    *g = npu_lua_check_graph(L, 1);
    *path = luaL_checkstring(L, 2);
    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TTABLE);
        static const char *const keys[] = {"force", NULL};
        npu_lua_check_keys(L, 3, 3, keys);
    }
    return npu_lua_opt_bool(L, 3, "force", 0);
}

/* true, or nil + the message */
static int write_result(lua_State *L, int st, const npu_err *err)
{
    if (st != 0) {
        lua_pushnil(L);
        lua_pushstring(L, err->msg);
        return 2;
    }
    lua_pushboolean(L, 1);
    return 1;
}

/* g:write_npg(path [, {force=true}]) → true | nil, message */
static int graph_write_npg(lua_State *L)
{
    const npu_graph *g;
    const char *path;
    int force = write_args(L, &g, &path);
    npu_strbuf sb;
    npu_sb_init(&sb);
    npu_err err = {0};
    int st = npu_graph_write_npg(g, &sb);
    if (st == 0 && sb.oom)
        st = npu_err_set(&err, NPU_ENOMEM, "out of memory");
    else if (st != 0)
        npu_err_set(&err, st, "%s: cannot write graph '%s' as npg", path, g->name);
    if (st == 0)
        st = npu_write_file(path, sb.s, sb.len, force, &err);
    npu_sb_free(&sb);
    return write_result(L, st, &err);
}

/* npusim.write_onnx(g, path [, {force=true}]) and g:write_onnx(path [, {force=true}]) →
 * true | nil, message: the ONNX model and its sparse weight file PATH.data (docs/onnx.md). */
static int graph_write_onnx(lua_State *L)
{
    const npu_graph *g;
    const char *path;
    int force = write_args(L, &g, &path);
    npu_err err = {0};
    return write_result(L, npu_graph_write_onnx(g, path, force != 0, &err), &err);
}

static const luaL_Reg graph_methods[] = {
    {"info", graph_info},       {"macs", graph_macs},       {"params", graph_params},
    {"name", graph_name},       {"inputs", graph_inputs},   {"outputs", graph_outputs},
    {"write_npg", graph_write_npg}, {"write_onnx", graph_write_onnx}, {NULL, NULL}};

static const luaL_Reg graph_meta[] = {
    {"__gc", graph_gc}, {"__close", graph_gc}, {"__tostring", graph_tostring}, {NULL, NULL}};

/* ---- zoo lookups ------------------------------------------------------------------------------ */
static const npu_builtin_text *zoo_find(const char *name)
{
    for (const npu_builtin_text *z = npu_builtin_zoo; z->name; z++)
        if (strcmp(z->name, name) == 0)
            return z;
    return NULL;
}

static void zoo_unknown(const char *name, npu_err *err)
{
    const char *names[512];
    int n = 0;
    for (const npu_builtin_text *z = npu_builtin_zoo; z->name && n < 511; z++)
        names[n++] = z->name;
    names[n] = NULL;
    npu_strbuf sb;
    npu_sb_init(&sb);
    for (int i = 0; i < n; i++)
        npu_sb_printf(&sb, "%s%s", i ? ", " : "", names[i]);
    const char *dym = npu_did_you_mean(name, names);
    if (dym)
        npu_err_set(err, NPU_EINVAL, "unknown network '%s' (did you mean '%s'?); networks: %s",
                    name, dym, sb.s ? sb.s : "");
    else
        npu_err_set(err, NPU_EINVAL, "unknown network '%s'; networks: %s", name,
                    n ? (sb.s ? sb.s : "") : "(none)");
    npu_sb_free(&sb);
}

/* Parses "k=v,k2=v2" into a table pushed on the stack (numbers converted). */
static void push_zoo_args(lua_State *L, const char *args)
{
    lua_newtable(L);
    if (!args)
        return;
    const char *p = args;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > 0) {
            const char *eq = memchr(p, '=', len);
            if (!eq || eq == p) {
                lua_pushlstring(L, p, len);
                luaL_error(L, "zoo arguments: '%s' is not key=value", lua_tostring(L, -1));
            }
            lua_pushlstring(L, p, (size_t)(eq - p));
            lua_pushlstring(L, eq + 1, len - (size_t)(eq - p) - 1);
            if (lua_stringtonumber(L, lua_tostring(L, -1)) != 0)
                lua_remove(L, -2); /* keep the number */
            lua_settable(L, -3);
        }
        p += len;
        if (*p == ',')
            p++;
    }
}

/* Loads zoo script `z` and calls it with (npusim, args table at index argsidx). Leaves its
 * first two results on the stack. */
static MAY_RAISE void zoo_call(lua_State *L, const npu_builtin_text *z, int argsidx)
{
    argsidx = lua_absindex(L, argsidx);
    char chunk[300];
    snprintf(chunk, sizeof chunk, "@scripts/zoo/%s.lua", z->name);
    if (luaL_loadbufferx(L, z->text, strlen(z->text), chunk, "t") != LUA_OK)
        lua_error(L);
    npu_lua_push_module(L); /* the real module, whatever the global holds */
    lua_pushvalue(L, argsidx);
    lua_call(L, 2, 2);
}

/* Pushes the args table for zoo functions: argument at idx may be nil, a string "k=v,..." or
 * a table (used as is). */
static void push_args_value(lua_State *L, int idx)
{
    if (lua_isnoneornil(L, idx))
        lua_newtable(L);
    else if (lua_type(L, idx) == LUA_TSTRING)
        push_zoo_args(L, lua_tostring(L, idx));
    else {
        luaL_checktype(L, idx, LUA_TTABLE);
        lua_pushvalue(L, idx);
    }
}

/* npusim.zoo(name [, args]) → what the zoo script returns (builder or graph, info). Lets one
 * zoo script build on another (e.g. a preset of a parameterised network). */
static int l_zoo(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    const npu_builtin_text *z = zoo_find(name);
    if (!z) {
        npu_err err = {0};
        zoo_unknown(name, &err);
        return luaL_error(L, "%s", err.msg);
    }
    push_args_value(L, 2);
    zoo_call(L, z, -1);
    return 2;
}

/* npusim.zoo_info(name [, args]) → the published figures table a zoo script returns as its
 * second value ({macs=, params=, source=, tol=}), nil if it has none; nil, message for an
 * unknown network. */
static int l_zoo_info(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    const npu_builtin_text *z = zoo_find(name);
    if (!z) {
        npu_err err = {0};
        zoo_unknown(name, &err);
        lua_pushnil(L);
        lua_pushstring(L, err.msg);
        return 2;
    }
    push_args_value(L, 2);
    zoo_call(L, z, -1);
    if (!lua_istable(L, -1)) {
        lua_pushnil(L);
        return 1;
    }
    return 1;
}

/* ---- module functions ----------------------------------------------------------------------- */
static void push_string_list(lua_State *L, const char *const *names)
{
    lua_newtable(L);
    for (int i = 0; names && names[i]; i++) {
        lua_pushstring(L, names[i]);
        lua_rawseti(L, -2, i + 1);
    }
}

static int l_archs(lua_State *L)
{
    push_string_list(L, npu_preset_names());
    return 1;
}

static int l_models(lua_State *L)
{
    push_string_list(L, npu_model_names());
    return 1;
}

static int l_networks(lua_State *L)
{
    lua_newtable(L);
    int i = 0;
    for (const npu_builtin_text *z = npu_builtin_zoo; z->name; z++) {
        lua_pushstring(L, z->name);
        lua_rawseti(L, -2, ++i);
    }
    return 1;
}

/* npusim.graph(path_or_zoo [, {allow_unsupported=, format=, args=, batch=}]) → Graph | nil, msg
 * batch=N is --batch N (npu_load_opts.batch): the same for every source. */
static int l_graph(lua_State *L)
{
    const char *what = luaL_checkstring(L, 1);
    npu_load_opts o = {0};
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        static const char *const keys[] = {"allow_unsupported", "format", "args", "batch", NULL};
        npu_lua_check_keys(L, 2, 2, keys);
        if (lua_getfield(L, 2, "batch") != LUA_TNIL) {
            int isint = 0;
            lua_Integer b = lua_tointegerx(L, -1, &isint);
            if (!isint || b < 1 || b > INT32_MAX)
                return luaL_argerror(L, 2, "batch must be a positive integer");
            o.batch = (int64_t)b;
        }
        lua_pop(L, 1);
        o.allow_unsupported = npu_lua_opt_bool(L, 2, "allow_unsupported", 0);
        o.format = npu_lua_opt_string(L, 2, "format", NULL);
        int t = lua_getfield(L, 2, "args");
        if (t == LUA_TSTRING) {
            o.zoo_args = lua_tostring(L, -1);
        } else if (t == LUA_TTABLE) {
            /* {tokens=128} → "tokens=128" (keys sorted for a deterministic string) */
            int tab = lua_gettop(L);
            lua_newtable(L);
            int keys_idx = lua_gettop(L), nk = 0;
            lua_pushnil(L);
            while (lua_next(L, tab)) {
                lua_pop(L, 1);
                if (lua_type(L, -1) != LUA_TSTRING)
                    return luaL_argerror(L, 2, "args keys must be strings");
                lua_pushvalue(L, -1);
                lua_rawseti(L, keys_idx, ++nk);
            }
            npu_lua_sort_list(L, keys_idx, nk);
            luaL_Buffer b;
            luaL_buffinit(L, &b);
            for (int i = 1; i <= nk; i++) {
                char v[128];
                lua_rawgeti(L, keys_idx, i);
                const char *k = lua_tostring(L, -1); /* kept alive by the keys table */
                lua_getfield(L, tab, k);
                if (npu_lua_scalar_text(L, -1, v, sizeof v) != 0)
                    return luaL_argerror(L, 2, lua_pushfstring(L, "args.%s must be a number, "
                                                              "string or boolean", k));
                lua_pop(L, 2);
                if (i > 1)
                    luaL_addchar(&b, ',');
                luaL_addstring(&b, k);
                luaL_addchar(&b, '=');
                luaL_addstring(&b, v);
            }
            luaL_pushresult(&b);
            o.zoo_args = lua_tostring(L, -1); /* stays on the stack */
        } else if (t != LUA_TNIL) {
            return luaL_argerror(L, 2, "args must be a string or a table");
        }
    }
    npu_lua_graph *box = npu_lua_new_graph(L);
    npu_err err = {0};
    box->g = npu_load_graph(npu_lua_ctx(L), what, &o, &err);
    if (!box->g) {
        lua_pushnil(L);
        lua_pushstring(L, err.msg[0] ? err.msg : "cannot load graph");
        return 2;
    }
    return 1;
}

/* npusim.clock() → monotonic wall-clock seconds (os.clock is CPU time of all threads). */
static int l_clock(lua_State *L)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    lua_pushnumber(L, (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9);
    return 1;
}

static const luaL_Reg module_funcs[] = {
    {"graph", l_graph},       {"archs", l_archs},       {"models", l_models},
    {"networks", l_networks}, {"zoo", l_zoo},
    {"zoo_info", l_zoo_info}, {"clock", l_clock},       {"write_onnx", graph_write_onnx},
    {NULL, NULL}};

static int luaopen_npusim(lua_State *L)
{
    luaL_newmetatable(L, NPU_LUA_GRAPH);
    luaL_setfuncs(L, graph_meta, 0);
    luaL_newlib(L, graph_methods);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);

    luaL_newlib(L, module_funcs);
    lua_pushliteral(L, NPUSIM_VERSION);
    lua_setfield(L, -2, "version");
    npu_lb_open(L);
    npu_lr_open(L);
    return 1;
}

/* ---- the sandbox ------------------------------------------------------------------------------ */
/* load(chunk [, chunkname [, mode [, env]]]) with mode forced to "t". */
static int l_load_text(lua_State *L)
{
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1)); /* the original load */
    lua_pushvalue(L, 1);
    if (n >= 2)
        lua_pushvalue(L, 2);
    else
        lua_pushnil(L);
    lua_pushliteral(L, "t");
    int nargs = 3;
    if (n >= 4) {
        lua_pushvalue(L, 4);
        nargs = 4;
    }
    lua_call(L, nargs, LUA_MULTRET);
    return lua_gettop(L) - n;
}

/* luaL_loadfilex(L, fname, "t") through npu_read_file: a FIFO or a device is refused instead of
 * read forever, the size is capped, a read error is reported (fname NULL: stdin, as Lua
 * does). Skips a UTF-8 BOM and a first line starting with '#' (kept as an empty line, so line
 * numbers stay right), as luaL_loadfilex does. */
static int load_file_text(lua_State *L, const char *fname)
{
    char *text = NULL;
    size_t len = 0;
    npu_err err = {0};
    if (npu_read_file(fname ? fname : "-", &text, &len, &err) != 0) {
        lua_pushstring(L, err.msg);
        return LUA_ERRFILE;
    }
    const char *s = text;
    if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        s += 3;
    if (*s == '#')
        while (*s && *s != '\n')
            s++;
    /* the text lives in C memory: copy it into a Lua string first so that a raise in the
     * parser (out of memory) does not leak it */
    lua_pushlstring(L, s, len - (size_t)(s - text));
    free(text);
    size_t n;
    const char *chunk = lua_tolstring(L, -1, &n);
    if (fname)
        lua_pushfstring(L, "@%s", fname);
    else
        lua_pushliteral(L, "=stdin");
    int st = luaL_loadbufferx(L, chunk, n, lua_tostring(L, -1), "t");
    lua_remove(L, -2); /* chunk name */
    lua_remove(L, -2); /* text */
    return st;
}

/* loadfile([filename [, mode [, env]]]) — text only. */
static int l_loadfile_text(lua_State *L)
{
    const char *fname = luaL_optstring(L, 1, NULL);
    int envidx = !lua_isnone(L, 3) ? 3 : 0;
    if (load_file_text(L, fname) != LUA_OK) {
        luaL_pushfail(L);
        lua_insert(L, -2);
        return 2;
    }
    if (envidx) {
        lua_pushvalue(L, envidx);
        if (!lua_setupvalue(L, -2, 1))
            lua_pop(L, 1);
    }
    return 1;
}

/* dofile([filename]) — text only. */
static int l_dofile_text(lua_State *L)
{
    const char *fname = luaL_optstring(L, 1, NULL);
    lua_settop(L, 1);
    if (load_file_text(L, fname) != LUA_OK)
        return lua_error(L);
    lua_call(L, 0, LUA_MULTRET);
    return lua_gettop(L) - 1;
}

static int l_setup(lua_State *L)
{
    static const luaL_Reg libs[] = {{LUA_GNAME, luaopen_base},       {LUA_TABLIBNAME, luaopen_table},
                                    {LUA_STRLIBNAME, luaopen_string}, {LUA_MATHLIBNAME, luaopen_math},
                                    {LUA_UTF8LIBNAME, luaopen_utf8},  {LUA_IOLIBNAME, luaopen_io},
                                    {LUA_OSLIBNAME, luaopen_os},      {NULL, NULL}};
    for (const luaL_Reg *l = libs; l->func; l++) {
        luaL_requiref(L, l->name, l->func, 1);
        lua_pop(L, 1);
    }
    /* text-only loaders */
    lua_getglobal(L, "load");
    lua_pushcclosure(L, l_load_text, 1);
    lua_setglobal(L, "load");
    lua_pushcfunction(L, l_loadfile_text);
    lua_setglobal(L, "loadfile");
    lua_pushcfunction(L, l_dofile_text);
    lua_setglobal(L, "dofile");
    /* io without popen */
    lua_getglobal(L, "io");
    lua_pushnil(L);
    lua_setfield(L, -2, "popen");
    lua_pop(L, 1);
    /* os reduced to clock/time/date/difftime/getenv */
    static const char *const os_keep[] = {"clock", "time", "date", "difftime", "getenv", NULL};
    lua_getglobal(L, "os");
    int old = lua_gettop(L);
    lua_newtable(L);
    for (int i = 0; os_keep[i]; i++) {
        lua_getfield(L, old, os_keep[i]);
        lua_setfield(L, -2, os_keep[i]);
    }
    lua_pushvalue(L, -1);
    lua_setglobal(L, "os");
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_pushvalue(L, -2);
    lua_setfield(L, -2, "os");
    lua_pop(L, 3);
    /* the module */
    luaL_requiref(L, "npusim", luaopen_npusim, 1);
    lua_pop(L, 1);
    return 0;
}

lua_State *npu_lua_open(npu_ctx *ctx, size_t mem_limit, npu_err *err)
{
    npu_lua_box *box = malloc(sizeof *box);
    if (!box) {
        npu_err_set(err, NPU_ENOMEM, "out of memory");
        return NULL;
    }
    box->ctx = ctx;
    box->used = 0;
    box->limit = mem_limit;
    lua_State *L = lua_newstate(l_alloc, box);
    if (!L) {
        free(box);
        npu_err_set(err, NPU_ENOMEM, "out of memory creating a Lua state");
        return NULL;
    }
    lua_pushcfunction(L, l_setup);
    int st = npu_lua_pcall(L, 0, 0);
    if (st != LUA_OK) {
        npu_lua_error_to(L, st, err);
        npu_lua_close(L);
        return NULL;
    }
    return L;
}

void npu_lua_close(lua_State *L)
{
    if (!L)
        return;
    void *ud = NULL;
    lua_getallocf(L, &ud);
    lua_close(L);
    free(ud);
}

/* ---- the zoo ------------------------------------------------------------------------------------ */
typedef struct zoo_job {
    const npu_builtin_text *z;
    const char *args;
    npu_graph *out;
    npu_err err;
} zoo_job;

static int l_zoo_main(lua_State *L)
{
    zoo_job *job = lua_touserdata(L, 1);
    push_zoo_args(L, job->args);
    zoo_call(L, job->z, -1);
    lua_pop(L, 1); /* the published figures are not needed here */
    npu_lua_graph *gb = npu_lua_test_graph(L, -1);
    if (gb && gb->g) {
        job->out = npu_graph_clone(gb->g);
        if (!job->out)
            return luaL_error(L, "out of memory");
        return 0;
    }
    if (npu_lb_is_builder(L, -1)) {
        job->out = npu_lb_take_graph(L, -1, &job->err);
        if (!job->out)
            return luaL_error(L, "scripts/zoo/%s.lua: %s", job->z->name, job->err.msg);
        return 0;
    }
    return luaL_error(L, "scripts/zoo/%s.lua: the script must return a builder or a graph, got %s",
                      job->z->name, luaL_typename(L, -1));
}

npu_graph *npu_lua_zoo(npu_ctx *ctx, const char *name, const char *args, npu_err *err)
{
    zoo_job job = {.z = zoo_find(name ? name : ""), .args = args};
    if (!job.z) {
        zoo_unknown(name ? name : "", err);
        return NULL;
    }
    lua_State *L = npu_lua_open(ctx, NPU_LUA_ZOO_MEM, err);
    if (!L)
        return NULL;
    lua_pushcfunction(L, l_zoo_main);
    lua_pushlightuserdata(L, &job);
    /* no traceback: a zoo error is about its arguments ("scripts/zoo/transformer.lua:56:
     * transformer: layers=abc is not ..."), one line; the stack of the zoo script means
     * nothing to the user */
    int st = lua_pcall(L, 1, 0, 0);
    if (st != LUA_OK) {
        npu_lua_error_to(L, st, err);
        npu_graph_free(job.out);
        job.out = NULL;
    }
    npu_lua_close(L);
    return job.out;
}

/* ---- scripts ---------------------------------------------------------------------------------- */
typedef struct run_job {
    const char *path;
    int argc;
    char **argv;
} run_job;

/* Sets the global `arg` like the stand-alone lua does: arg[0] = script, arg[1..] = arguments,
 * and pushes the arguments for the chunk's `...`. */
static int l_run_args(lua_State *L)
{
    run_job *job = lua_touserdata(L, 1);
    lua_createtable(L, job->argc, 1);
    lua_pushstring(L, job->path);
    lua_rawseti(L, -2, 0);
    for (int i = 0; i < job->argc; i++) {
        lua_pushstring(L, job->argv[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setglobal(L, "arg");
    return 0;
}

/* A script stops when its context is cancelled (the CLI's Ctrl-C handler sets the flag): the
 * count hook checks every 100000 instructions, as lua.c's laction does. The hook stays on, so
 * a pcall that catches "interrupted" is interrupted again. Sweeps catch Ctrl-C themselves and
 * return their finished rows (lrun.c). */
static void l_cancel_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    if (npu_ctx_cancelled(npu_lua_ctx(L)))
        luaL_error(L, "interrupted");
}

int npu_lua_run_file(npu_ctx *ctx, const char *path, int argc, char **argv, npu_err *err)
{
    if (!path)
        return npu_err_set(err, NPU_EINVAL, "no script given");
    lua_State *L = npu_lua_open(ctx, NPU_LUA_SCRIPT_MEM, err);
    if (!L)
        return err ? err->code : NPU_ENOMEM;
    lua_sethook(L, l_cancel_hook, LUA_MASKCOUNT, 100000);
    run_job job = {path, argc < 0 ? 0 : argc, argv};
    lua_pushcfunction(L, l_run_args);
    lua_pushlightuserdata(L, &job);
    int st = npu_lua_pcall(L, 1, 0);
    if (st == LUA_OK)
        st = load_file_text(L, path);
    if (st == LUA_OK) {
        if (!lua_checkstack(L, job.argc + 5)) {
            npu_lua_close(L);
            return npu_err_set(err, NPU_EINVAL, "%s: too many arguments", path);
        }
        for (int i = 0; i < job.argc; i++)
            lua_pushstring(L, argv[i]);
        st = npu_lua_pcall(L, job.argc, 0);
    }
    int code = NPU_OK;
    if (st != LUA_OK) {
        code = npu_lua_error_to(L, st, err);
        if (npu_ctx_cancelled(ctx) && err)
            code = err->code = NPU_EINTR;
    }
    npu_lua_close(L);
    return code;
}
