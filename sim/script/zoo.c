/* zoo.c — the zoo (script.h): networks written as Lua builder scripts (scripts/zoo/ *.lua,
 * compiled into the binary as npu_builtin_zoo[]), built in a builder-only state.
 *
 * A zoo script gets (zoo module, args) and returns a builder or a graph, and optionally the
 * published figures of the network ({macs=, params=, source=, tol=}). The zoo module holds
 * builder, zoo, zoo_info and networks only: a network description has no business running
 * simulations or writing files, and the zoo (used by the public API to load a graph) then
 * needs nothing above sim/script. User scripts see the same functions in the `npusim` module,
 * and a zoo script they call through npusim.zoo gets the same builder-only module.
 */
#include <lauxlib.h>
#include <lua.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script.h"

#define ZOO_MODULE "npusim.zoo_module" /* registry key of the state's zoo module */

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

int npu_script_zoo_batch_twice(const char *what, const char *args, int64_t batch, npu_err *err)
{
    for (const char *a = args; batch > 0 && a && *a;) {
        size_t n = strcspn(a, ",");
        if (n > 6 && strncmp(a, "batch=", 6) == 0)
            return npu_err_set(err, NPU_EINVAL, "%s: --batch %lld and the zoo argument %.*s: give "
                               "the batch once", what, (long long)batch, (int)n, a);
        a += n + (a[n] == ',');
    }
    return 0;
}

/* Parses "k=v,k2=v2" into a table pushed on the stack (numbers converted); a key given twice
 * is an error. */
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
            if (lua_rawget(L, -2) != LUA_TNIL) /* "batch=8,...,batch=1": not the last silently */
                luaL_error(L, "zoo arguments: '%s' given twice",
                           lua_pushlstring(L, p, (size_t)(eq - p)));
            lua_pop(L, 1);
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

/* Loads zoo script `z` and calls it with (zoo module, args table at index argsidx). Leaves its
 * first two results on the stack. */
static MAY_RAISE void zoo_call(lua_State *L, const npu_builtin_text *z, int argsidx)
{
    argsidx = lua_absindex(L, argsidx);
    char chunk[300];
    snprintf(chunk, sizeof chunk, "@scripts/zoo/%s.lua", z->name);
    if (luaL_loadbufferx(L, z->text, strlen(z->text), chunk, "t") != LUA_OK)
        lua_error(L);
    lua_getfield(L, LUA_REGISTRYINDEX, ZOO_MODULE); /* whatever the script's globals hold */
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

/* The network named by argument 1: its text, or NULL with the "unknown network" message
 * pushed. */
static const npu_builtin_text *zoo_arg(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    const npu_builtin_text *z = zoo_find(name);
    if (!z) {
        npu_err err = {0};
        zoo_unknown(name, &err);
        lua_pushstring(L, err.msg);
    }
    return z;
}

/* npusim.zoo(name [, args]) → what the zoo script returns (builder or graph, info). Lets one
 * zoo script build on another (e.g. a preset of a parameterised network). */
static int l_zoo(lua_State *L)
{
    const npu_builtin_text *z = zoo_arg(L);
    if (!z)
        return lua_error(L);
    push_args_value(L, 2);
    zoo_call(L, z, -1);
    return 2;
}

/* npusim.zoo_info(name [, args]) → the published figures table a zoo script returns as its
 * second value ({macs=, params=, source=, tol=}), nil if it has none; nil, message for an
 * unknown network. */
static int l_zoo_info(lua_State *L)
{
    const npu_builtin_text *z = zoo_arg(L);
    if (!z) {
        lua_pushnil(L);
        lua_insert(L, -2);
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

/* npusim.networks() → the zoo's network names, in order */
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

static const luaL_Reg zoo_funcs[] = {
    {"zoo", l_zoo}, {"zoo_info", l_zoo_info}, {"networks", l_networks}, {NULL, NULL}};

void npu_script_zoo_open(lua_State *L)
{
    int t = lua_gettop(L);
    if (lua_getfield(L, LUA_REGISTRYINDEX, ZOO_MODULE) == LUA_TNIL) {
        lua_pop(L, 1);
        lua_newtable(L);
        npu_script_builder_open(L);
        luaL_setfuncs(L, zoo_funcs, 0);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, ZOO_MODULE);
    }
    /* the caller's table gets the same functions */
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_settable(L, t);
    }
    lua_pop(L, 1);
}

/* ---- building a network for the API ---------------------------------------------------------- */
typedef struct zoo_job {
    const npu_builtin_text *z;
    const char *args;
    npu_graph *out;
    npu_err err;
} zoo_job;

static int zoo_main(lua_State *L)
{
    zoo_job *job = lua_touserdata(L, 1);
    lua_newtable(L);
    npu_script_zoo_open(L);
    lua_pop(L, 1);
    push_zoo_args(L, job->args);
    zoo_call(L, job->z, -1);
    lua_pop(L, 1); /* the published figures are not needed here */
    npu_script_graph *gb = npu_script_test_graph(L, -1);
    if (gb && gb->g) {
        job->out = npu_graph_clone(gb->g);
        if (!job->out)
            return luaL_error(L, "out of memory");
        return 0;
    }
    if (npu_script_is_builder(L, -1)) {
        job->out = npu_script_builder_graph(L, -1, &job->err);
        if (!job->out)
            return luaL_error(L, "scripts/zoo/%s.lua: %s", job->z->name, job->err.msg);
        return 0;
    }
    return luaL_error(L, "scripts/zoo/%s.lua: the script must return a builder or a graph, got %s",
                      job->z->name, luaL_typename(L, -1));
}

npu_graph *npu_script_zoo(npu_ctx *ctx, const char *name, const char *args, npu_err *err)
{
    const npu_script_opts so = {.libs = NPU_SCRIPT_LIBS_PURE, .mem_limit = NPU_SCRIPT_ZOO_MEM};
    return npu_script_zoo_opts(ctx, name, args, &so, err);
}

npu_graph *npu_script_zoo_opts(npu_ctx *ctx, const char *name, const char *args,
                               const npu_script_opts *so, npu_err *err)
{
    zoo_job job = {.z = zoo_find(name ? name : ""), .args = args};
    if (!job.z) {
        zoo_unknown(name ? name : "", err);
        return NULL;
    }
    lua_State *L = npu_script_open(ctx, so, err);
    if (!L)
        return NULL;
    lua_pushcfunction(L, zoo_main);
    lua_pushlightuserdata(L, &job);
    /* no traceback: a zoo error is about its arguments ("scripts/zoo/transformer.lua:56:
     * transformer: layers=abc is not ..."), one line; the stack of the zoo script means
     * nothing to the user */
    int st = lua_pcall(L, 1, 0, 0);
    if (st != LUA_OK) {
        npu_script_error_to(L, st, err);
        npu_graph_free(job.out);
        job.out = NULL;
    }
    npu_script_close(L);
    return job.out;
}
