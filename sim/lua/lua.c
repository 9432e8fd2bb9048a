/* lua.c — the `npusim` module table, the methods of npusim.Graph, the module's own functions
 * (graph, archs, models, clock) and the script runner (npu_lua_run_file). Prefix npu_lua_.
 *
 * The module sits above the public API (sim/npusim.h): it opens its state through the one
 * sandbox of sim/script (the full library set: base, table, string, math, utf8, io without
 * popen, a reduced os; text-only loaders; a memory cap of 1 GiB) and takes the builder, the
 * zoo functions and the Graph box from there. Run, compare, sweep, arch, the CSV/JSON helpers
 * and plot are in the other files of this folder (lint.h).
 */
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "lint.h"
#include "lua.h"

/* ---- npusim.Graph methods ------------------------------------------------------------------ */
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
    npu_script_graph *box = luaL_checkudata(L, 1, NPU_SCRIPT_GRAPH);
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
    lua_pushinteger(L, (lua_Integer)npu_graph_macs(npu_script_check_graph(L, 1)));
    return 1;
}

static int graph_params(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)npu_graph_params(npu_script_check_graph(L, 1)));
    return 1;
}

static int graph_name(lua_State *L)
{
    const npu_graph *g = npu_script_check_graph(L, 1);
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
    const npu_graph *g = npu_script_check_graph(L, 1);
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
    const npu_graph *g = npu_script_check_graph(L, 1);
    return push_tensor_list(L, g, g->ninputs, g->inputs);
}

static int graph_outputs(lua_State *L)
{
    const npu_graph *g = npu_script_check_graph(L, 1);
    return push_tensor_list(L, g, g->noutputs, g->outputs);
}

/* The arguments of the graph writers: (g, path [, {force=true}]); sets *force. Returns 0, or
 * a status in err when the path is outside the file sandbox. */
static int write_args(lua_State *L, const npu_graph **g, const char **path, int *force,
                      npu_err *err)
{
    *g = npu_script_check_graph(L, 1);
    *path = npu_script_check_cstr(L, 2, "path");
    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TTABLE);
        static const char *const keys[] = {"force", NULL};
        npu_script_check_keys(L, 3, 3, keys);
    }
    *force = npu_script_opt_bool(L, 3, "force", 0);
    return npu_script_path_ok(L, *path, 0, err);
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
    int force;
    npu_err err = {0};
    if (write_args(L, &g, &path, &force, &err) != 0)
        return write_result(L, err.code, &err);
    npu_strbuf sb;
    npu_sb_init(&sb);
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
    int force;
    npu_err err = {0};
    if (write_args(L, &g, &path, &force, &err) != 0)
        return write_result(L, err.code, &err);
    return write_result(L, npu_graph_write_onnx(g, path, force != 0, &err), &err);
}

static const luaL_Reg graph_methods[] = {
    {"info", graph_info},       {"macs", graph_macs},       {"params", graph_params},
    {"name", graph_name},       {"inputs", graph_inputs},   {"outputs", graph_outputs},
    {"write_npg", graph_write_npg}, {"write_onnx", graph_write_onnx}, {NULL, NULL}};


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

/* npusim.graph(path_or_zoo [, {allow_unsupported=, format=, args=, batch=}]) → Graph | nil, msg
 * batch=N is --batch N (npu_load_opts.batch): the same for every source. */
static int l_graph(lua_State *L)
{
    const char *what = npu_script_check_cstr(L, 1, "graph");
    npu_load_opts o = {0};
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        static const char *const keys[] = {"allow_unsupported", "format", "args", "batch", NULL};
        npu_script_check_keys(L, 2, 2, keys);
        if (lua_getfield(L, 2, "batch") != LUA_TNIL) {
            int isint = 0;
            lua_Integer b = lua_tointegerx(L, -1, &isint);
            if (!isint || b < 1 || b > INT32_MAX)
                return luaL_argerror(L, 2, "batch must be a positive integer");
            o.batch = (int64_t)b;
        }
        lua_pop(L, 1);
        o.allow_unsupported = npu_script_opt_bool(L, 2, "allow_unsupported", 0);
        o.format = npu_script_opt_string(L, 2, "format", NULL);
        int t = lua_getfield(L, 2, "args");
        if (t == LUA_TSTRING) {
            o.zoo_args = npu_script_cstr(L, -1, "args");
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
            npu_script_sort_list(L, keys_idx, nk);
            luaL_Buffer b;
            luaL_buffinit(L, &b);
            for (int i = 1; i <= nk; i++) {
                char v[128];
                lua_rawgeti(L, keys_idx, i);
                const char *k = lua_tostring(L, -1); /* kept alive by the keys table */
                lua_getfield(L, tab, k);
                if (npu_script_scalar_text(L, -1, v, sizeof v) != 0)
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
    npu_script_graph *box = npu_script_new_graph(L);
    npu_err err = {0};
    if (npu_script_path_ok(L, what, 1, &err) == 0)
        box->g = npu_lr_load_graph(L, what, &o, &err);
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

static const luaL_Reg module_funcs[] = {{"graph", l_graph},   {"archs", l_archs},
                                        {"models", l_models}, {"clock", l_clock},
                                        {"write_onnx", graph_write_onnx}, {NULL, NULL}};

static int luaopen_npusim(lua_State *L)
{
    luaL_newlib(L, module_funcs);
    lua_pushliteral(L, NPUSIM_VERSION);
    lua_setfield(L, -2, "version");
    npu_script_zoo_open(L); /* builder, zoo, zoo_info, networks; the Graph metatable */
    lua_getfield(L, -1, "zoo"); /* for npu_lr_load_graph, out of the script's reach */
    lua_setfield(L, LUA_REGISTRYINDEX, LR_KEY_ZOO);
    /* the Graph box is sim/script's; the module gives it its methods */
    luaL_getmetatable(L, NPU_SCRIPT_GRAPH);
    lua_pushcfunction(L, graph_tostring);
    lua_setfield(L, -2, "__tostring");
    luaL_newlib(L, graph_methods);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    npu_lr_open(L);
    return 1;
}

/* ---- states ------------------------------------------------------------------------------------
 * A script's state: the sandbox's full library set (sim/script/sandbox.c), 1 GiB, a hook that
 * stops the script when its context is cancelled (the CLI's Ctrl-C handler sets the flag),
 * checked every 100000 instructions as lua.c's laction does, and the module as global
 * `npusim`. Sweeps catch Ctrl-C themselves and return their finished rows (lsweep.c). */
static int l_open_module(lua_State *L)
{
    luaL_requiref(L, "npusim", luaopen_npusim, 1);
    lua_pop(L, 1);
    return 0;
}

#define HOOK_EVERY 100000 /* instructions between checks for Ctrl-C and the budget */

/* The script's state; `roots`, `budget`, `mem` and `max_layers` are the sandbox's (NULL and
 * 0: none, or the default). */
static lua_State *lua_open(npu_ctx *ctx, const char *const *roots, long long budget, size_t mem,
                           size_t alloc, int max_layers, const char *what, npu_err *err)
{
    const npu_script_opts so = {.libs = NPU_SCRIPT_LIBS_FULL,
                                .mem_limit = mem ? mem : NPU_SCRIPT_MEM,
                                .hook_every = HOOK_EVERY,
                                .max_hooks = (long)((budget + HOOK_EVERY - 1) / HOOK_EVERY),
                                .what = what,
                                .open = l_open_module,
                                .roots = roots,
                                .max_layers = max_layers,
                                .alloc_limit = alloc};
    return npu_script_open(ctx, &so, err);
}

lua_State *npu_lua_open(npu_ctx *ctx, long long budget, const char *what, npu_err *err)
{
    return lua_open(ctx, NULL, budget, 0, 0, 0, what, err);
}

/* ---- limits (npu_lua_open_limited) ---------------------------------------------------------- */
typedef struct lr_limits {
    npu_lua_limits l; /* roots NULL: the sandbox holds them */
    long long runs;   /* simulations so far */
} lr_limits;

static int l_set_limits(lua_State *L)
{
    lr_limits *b = lua_newuserdatauv(L, sizeof *b, 0);
    b->l = *(const npu_lua_limits *)lua_touserdata(L, 1);
    b->l.roots = NULL;
    b->runs = 0;
    lua_setfield(L, LUA_REGISTRYINDEX, LR_KEY_LIMITS);
    return 0;
}

lua_State *npu_lua_open_limited(npu_ctx *ctx, const npu_lua_limits *lim, const char *what,
                                npu_err *err)
{
    if (!lim)
        return npu_lua_open(ctx, 0, what, err);
    lua_State *L = lua_open(ctx, lim->roots, lim->budget, lim->mem, lim->alloc, lim->max_layers,
                            what, err);
    if (!L)
        return NULL;
    lua_pushcfunction(L, l_set_limits);
    lua_pushlightuserdata(L, (void *)lim);
    int st = npu_script_pcall(L, 1, 0);
    if (st != LUA_OK) {
        npu_script_error_to(L, st, err);
        npu_script_close(L);
        return NULL;
    }
    return L;
}

static lr_limits *limits_of(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, LR_KEY_LIMITS);
    lr_limits *b = lua_touserdata(L, -1);
    lua_pop(L, 1);
    return b;
}

const npu_lua_limits *npu_lr_limits(lua_State *L)
{
    lr_limits *b = limits_of(L);
    return b ? &b->l : NULL;
}

int npu_lr_charge_runs(lua_State *L, long long n, npu_err *err)
{
    lr_limits *b = limits_of(L);
    if (!b || b->l.max_runs <= 0)
        return 0;
    if (n > b->l.max_runs - b->runs)
        return npu_err_set(err, NPU_EINVAL,
                           "%lld more simulations would make %lld, more than "
                           "this script's limit of %lld",
                           n, b->runs + n, b->l.max_runs);
    b->runs += n;
    return 0;
}

/* Zoo network `name` (canonical) built in this state through its own npusim.zoo, so that the
 * state's instruction budget and layer limit bound the build (npu_script_zoo's state has
 * neither: `transformer` with layers=1000000 builds 2^18 layers there). Un-prepared, or NULL
 * and err. */
static MAY_RAISE npu_graph *zoo_in_state(lua_State *L, const char *name, const char *args,
                                         npu_err *err)
{
    lua_getfield(L, LUA_REGISTRYINDEX, LR_KEY_ZOO);
    lua_pushstring(L, name);
    if (args)
        lua_pushstring(L, args);
    else
        lua_pushnil(L);
    npu_graph *g = NULL;
    if (lua_pcall(L, 2, 1, 0) != LUA_OK) {
        npu_err_set(err, NPU_EINVAL, "%s",
                    lua_isstring(L, -1) ? lua_tostring(L, -1) : "the zoo script failed");
    } else if (npu_script_test_graph(L, -1) && npu_script_test_graph(L, -1)->g) {
        if (!(g = npu_graph_clone(npu_script_test_graph(L, -1)->g)))
            npu_err_set(err, NPU_ENOMEM, "out of memory");
    } else if (npu_script_is_builder(L, -1)) {
        g = npu_script_builder_graph(L, -1, err);
    } else {
        npu_err_set(err, NPU_EINVAL,
                    "scripts/zoo/%s.lua: the script must return a builder or "
                    "a graph, got %s",
                    name, luaL_typename(L, -1));
    }
    lua_pop(L, 1);
    return g;
}

MAY_RAISE npu_graph *npu_lr_load_graph(lua_State *L, const char *what, const npu_load_opts *o,
                                       npu_err *err)
{
    const npu_lua_limits *lim = npu_lr_limits(L);
    if (!lim || lim->max_layers <= 0)
        return npu_load_graph(npu_script_ctx(L), what, o, err);
    npu_load_opts lo = o ? *o : (npu_load_opts){0};
    const char *canon = NULL;
    struct stat st;
    if (lo.format ? strcmp(lo.format, "zoo") == 0 : stat(what, &st) != 0) /* as npu_load_graph */
        canon = npu_zoo_canonical(what);
    npu_graph *g;
    if (!canon) {
        g = npu_load_graph(npu_script_ctx(L), what, &lo, err);
    } else {
        g = npu_script_zoo_batch_twice(what, lo.zoo_args, lo.batch, err)
                ? NULL
                : zoo_in_state(L, canon, lo.zoo_args, err);
        if (g && ((lo.batch > 0 && npu_graph_set_batch(g, lo.batch, err)) ||
                  npu_graph_prepare(g, err))) {
            npu_graph_free(g);
            g = NULL;
        }
    }
    if (g && g->nl > lim->max_layers) {
        npu_err_set(err, NPU_EINVAL, "%s: %d layers, more than this script's limit of %d", what,
                    g->nl, lim->max_layers);
        npu_graph_free(g);
        g = NULL;
    }
    return g;
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

static int run_file(npu_ctx *ctx, const char *path, int argc, char **argv,
                    const char *const *roots, long long budget, npu_err *err)
{
    lua_State *L = lua_open(ctx, roots, budget, 0, 0, 0, roots ? "sandboxed script" : "script",
                            err);
    if (!L)
        return err ? err->code : NPU_ENOMEM;
    run_job job = {path, argc < 0 ? 0 : argc, argv};
    lua_pushcfunction(L, l_run_args);
    lua_pushlightuserdata(L, &job);
    int st = npu_script_pcall(L, 1, 0);
    if (st == LUA_OK)
        st = npu_script_load_file(L, path);
    if (st == LUA_OK) {
        if (!lua_checkstack(L, job.argc + 5)) {
            npu_script_close(L);
            return npu_err_set(err, NPU_EINVAL, "%s: too many arguments", path);
        }
        for (int i = 0; i < job.argc; i++)
            lua_pushstring(L, argv[i]);
        st = npu_script_pcall(L, job.argc, 0);
    }
    int code = NPU_OK;
    if (st != LUA_OK) {
        code = npu_script_error_to(L, st, err);
        if (npu_ctx_cancelled(ctx) && err)
            code = err->code = NPU_EINTR;
    }
    npu_script_close(L);
    return code;
}

int npu_lua_run_file(npu_ctx *ctx, const char *path, int argc, char **argv, npu_err *err)
{
    if (!path)
        return npu_err_set(err, NPU_EINVAL, "no script given");
    return run_file(ctx, path, argc, argv, NULL, 0, err);
}

int npu_lua_run_sandboxed(npu_ctx *ctx, const char *path, int argc, char **argv,
                          const npu_lua_sandbox *sb, npu_err *err)
{
    if (!path)
        return npu_err_set(err, NPU_EINVAL, "no script given");
    if (strcmp(path, "-") == 0)
        return npu_err_set(err, NPU_EINVAL, "--sandbox: the script must be a file (its "
                                            "directory is what it may use), not stdin");
    /* the roots: the script's directory, then the allowed paths */
    int n = 0;
    while (sb && sb->allow && sb->allow[n])
        n++;
    const char **roots = calloc((size_t)n + 2, sizeof *roots);
    char *dir = npu_script_dir_of(path);
    if (!roots || !dir) {
        free(roots);
        free(dir);
        return npu_err_set(err, NPU_ENOMEM, "out of memory");
    }
    roots[0] = dir;
    for (int i = 0; i < n; i++)
        roots[i + 1] = sb->allow[i];
    long long budget = sb && sb->budget > 0 ? sb->budget : NPU_LUA_BUDGET;
    int code = run_file(ctx, path, argc, argv, roots, budget, err);
    free(dir);
    free(roots);
    return code;
}
