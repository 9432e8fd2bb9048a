/* lrun.c — running simulations from Lua: npusim.arch / params / run / compare / sweep and the
 * file writers write_csv / write_json / read_csv (prefix npu_lr_).
 *
 * Results are plain tables whose field names are exactly those of sim/core/result.h (marshalled
 * from npu_layer_fields / npu_total_fields: INT fields as Lua integers, FLOAT as floats).
 *
 * Sweeps run on POSIX threads inside one process. Lua itself is single-threaded, so the main
 * thread does all Lua work: it expands the points, clones and configures one npu_arch per
 * point, then the workers (the main thread is one of them) only call npu_run on a shared,
 * read-only graph (npu_run clones it) with their own npu_ctx. Rows are built afterwards in
 * point order, so the output does not depend on the thread count.
 *
 * Ctrl-C: during a sweep a SIGINT handler sets the one global flag npusim has (a
 * sig_atomic_t: the only thing a signal handler may portably write). Workers stop taking new
 * points when it is set (or when the script's context was cancelled by its owner); points in
 * flight finish; sweep returns the finished rows and "interrupted".
 */
#include <lua.h>
#include <lauxlib.h>

#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lint.h"
#include "../report/report.h"
#include "../report/svg.h"

/* ---- npusim.Arch ------------------------------------------------------------------------------- */
typedef struct lr_arch {
    npu_arch *a;
} lr_arch;

static lr_arch *lr_new_arch(lua_State *L)
{
    lr_arch *box = lua_newuserdatauv(L, sizeof *box, 0);
    box->a = NULL;
    luaL_setmetatable(L, NPU_LUA_ARCH);
    return box;
}

static npu_arch *lr_check_arch(lua_State *L, int idx)
{
    lr_arch *box = luaL_checkudata(L, idx, NPU_LUA_ARCH);
    if (!box->a)
        luaL_argerror(L, idx, "closed arch");
    return box->a;
}

static int arch_gc(lua_State *L)
{
    lr_arch *box = luaL_checkudata(L, 1, NPU_LUA_ARCH);
    npu_arch_free(box->a);
    box->a = NULL;
    return 0;
}

static int arch_tostring(lua_State *L)
{
    lr_arch *box = luaL_checkudata(L, 1, NPU_LUA_ARCH);
    if (!box->a)
        lua_pushliteral(L, "arch (closed)");
    else
        lua_pushfstring(L, "arch %s (model %s)", npu_arch_name(box->a), npu_arch_model(box->a));
    return 1;
}

/* Pushes a new array of the string keys of the {name = scalar} table at idx, sorted (so that
 * the first error reported does not depend on table iteration order); returns their number.
 * Raises on a non-string key. */
static MAY_RAISE int lr_sorted_keys(lua_State *L, int idx, const char *what)
{
    lua_newtable(L);
    int keys = lua_gettop(L), nk = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "%s: parameter names must be strings, got %s", what,
                       luaL_typename(L, -1));
        lua_pushvalue(L, -1);
        lua_rawseti(L, keys, ++nk);
    }
    npu_lua_sort_list(L, keys, nk);
    return nk;
}

/* Pushes key i of the sorted keys table and the value of that key in the table at idx, and
 * writes the value's text to v; returns the key. Raises on a non-scalar value. */
static MAY_RAISE const char *lr_key_value(lua_State *L, int idx, int keys, int i, char *v,
                                         size_t vn, const char *what)
{
    lua_rawgeti(L, keys, i);
    const char *k = lua_tostring(L, -1);
    lua_getfield(L, idx, k);
    if (npu_lua_scalar_text(L, -1, v, vn) != 0)
        luaL_error(L, "%s: value of '%s' must be a number, string or boolean, got %s", what,
                   k, luaL_typename(L, -1));
    return k;
}

/* Applies the table at idx {key = value} to a, keys in sorted order. Returns 0 or fills err. */
static MAY_RAISE int lr_apply_set(lua_State *L, int idx, npu_arch *a, const char *what,
                                  npu_err *err)
{
    idx = lua_absindex(L, idx);
    int nk = lr_sorted_keys(L, idx, what), keys = lua_gettop(L);
    int st = 0;
    for (int i = 1; i <= nk && st == 0; i++) {
        char v[256];
        const char *k = lr_key_value(L, idx, keys, i, v, sizeof v, what);
        st = npu_arch_set(a, k, v, err);
        lua_pop(L, 2);
    }
    lua_pop(L, 1);
    return st;
}

/* npusim.arch(name [, set]) → Arch | nil, message */
static int l_arch(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    /* decided before the box is pushed: with one argument the box itself lands at index 2 */
    int has_set = !lua_isnoneornil(L, 2);
    if (has_set)
        luaL_checktype(L, 2, LUA_TTABLE);
    lr_arch *box = lr_new_arch(L);
    npu_err err = {0};
    box->a = npu_arch_open(npu_lua_ctx(L), name, &err);
    if (box->a && has_set)
        lr_apply_set(L, 2, box->a, "arch", &err);
    if (!box->a || err.code) {
        lua_pushnil(L);
        lua_pushstring(L, err.msg);
        return 2;
    }
    return 1;
}

/* a:set(key, value) → a | nil, message */
static int arch_set(lua_State *L)
{
    npu_arch *a = lr_check_arch(L, 1);
    const char *k = luaL_checkstring(L, 2);
    char v[256];
    if (npu_lua_scalar_text(L, 3, v, sizeof v) != 0)
        return luaL_typeerror(L, 3, "number, string or boolean");
    npu_err err = {0};
    if (npu_arch_set(a, k, v, &err) != 0) {
        lua_pushnil(L);
        lua_pushstring(L, err.msg);
        return 2;
    }
    lua_settop(L, 1);
    return 1;
}

static int arch_name(lua_State *L)
{
    lua_pushstring(L, npu_arch_name(lr_check_arch(L, 1)));
    return 1;
}

static int arch_model(lua_State *L)
{
    lua_pushstring(L, npu_arch_model(lr_check_arch(L, 1)));
    return 1;
}

static int arch_clone(lua_State *L)
{
    npu_arch *a = lr_check_arch(L, 1);
    lr_arch *box = lr_new_arch(L);
    box->a = npu_arch_clone(a);
    if (!box->a)
        return luaL_error(L, "out of memory");
    return 1;
}

/* ---- parameters as Lua values ----------------------------------------------------------------- */
static void push_num(lua_State *L, npu_ptype t, double v)
{
    if (t == NPU_P_INT && v >= -9007199254740992.0 && v <= 9007199254740992.0)
        lua_pushinteger(L, (lua_Integer)v);
    else
        lua_pushnumber(L, v);
}

static void push_pvalue(lua_State *L, const npu_param_def *d, double num, const char *str)
{
    switch (d->type) {
    case NPU_P_INT:
    case NPU_P_FLOAT:
        push_num(L, d->type, num);
        break;
    case NPU_P_BOOL:
        lua_pushboolean(L, num != 0);
        break;
    default:
        if (str)
            lua_pushstring(L, str);
        else
            lua_pushnil(L);
        break;
    }
}

/* {name = value, ...} */
static void push_param_values(lua_State *L, const npu_params *p)
{
    lua_createtable(L, 0, p ? p->n : 0);
    for (int i = 0; p && i < p->n; i++) {
        push_pvalue(L, p->def[i], p->v[i].num, p->v[i].str);
        lua_setfield(L, -2, p->def[i]->name);
    }
}

/* list of {name, value, default, min, max, choices, unit, doc, source, origin} */
static void push_param_list(lua_State *L, const npu_params *p)
{
    lua_createtable(L, p ? p->n : 0, 0);
    for (int i = 0; p && i < p->n; i++) {
        const npu_param_def *d = p->def[i];
        const npu_pvalue *v = &p->v[i];
        lua_createtable(L, 0, 10);
        lua_pushstring(L, d->name);
        lua_setfield(L, -2, "name");
        push_pvalue(L, d, v->num, v->str);
        lua_setfield(L, -2, "value");
        push_pvalue(L, d, d->def, d->def_s);
        lua_setfield(L, -2, "default");
        if (d->type == NPU_P_INT || d->type == NPU_P_FLOAT) {
            push_num(L, d->type, d->min);
            lua_setfield(L, -2, "min");
            push_num(L, d->type, d->max);
            lua_setfield(L, -2, "max");
        }
        if (d->type == NPU_P_ENUM && d->choices) {
            lua_newtable(L);
            const char *c = d->choices;
            int k = 0;
            while (*c) {
                const char *bar = strchr(c, '|');
                size_t len = bar ? (size_t)(bar - c) : strlen(c);
                lua_pushlstring(L, c, len);
                lua_rawseti(L, -2, ++k);
                c += len;
                if (*c == '|')
                    c++;
            }
            lua_setfield(L, -2, "choices");
        }
        lua_pushstring(L, d->unit ? d->unit : "");
        lua_setfield(L, -2, "unit");
        lua_pushstring(L, d->doc ? d->doc : "");
        lua_setfield(L, -2, "doc");
        if (v->source) {
            lua_pushstring(L, v->source);
            lua_setfield(L, -2, "source");
        }
        lua_pushstring(L, v->origin == NPU_PO_PRESET ? "preset"
                          : v->origin == NPU_PO_SET  ? "set"
                                                     : "default");
        lua_setfield(L, -2, "origin");
        lua_rawseti(L, -2, i + 1);
    }
}

/* npusim.params(name | Arch) → list | nil, message */
static int l_params(lua_State *L)
{
    if (luaL_testudata(L, 1, NPU_LUA_ARCH)) {
        push_param_list(L, npu_arch_params(lr_check_arch(L, 1)));
        return 1;
    }
    const char *name = luaL_checkstring(L, 1);
    lr_arch *box = lr_new_arch(L); /* owns the arch: safe if a push raises */
    npu_err err = {0};
    box->a = npu_arch_open(npu_lua_ctx(L), name, &err);
    if (!box->a) {
        lua_pushnil(L);
        lua_pushstring(L, err.msg);
        return 2;
    }
    push_param_list(L, npu_arch_params(box->a));
    return 1;
}

static int arch_params(lua_State *L)
{
    push_param_list(L, npu_arch_params(lr_check_arch(L, 1)));
    return 1;
}

/* ---- results as tables ------------------------------------------------------------------------- */
static void push_field(lua_State *L, const void *row, const npu_field *f)
{
    switch (f->type) {
    case NPU_FT_INT:
        lua_pushinteger(L, (lua_Integer)npu_field_int(row, f));
        break;
    case NPU_FT_FLOAT:
        lua_pushnumber(L, npu_field_float(row, f));
        break;
    default: {
        const char *s = npu_field_str(row, f);
        if (s)
            lua_pushstring(L, s);
        else
            lua_pushnil(L);
    }
    }
}

static void set_total_fields(lua_State *L, const npu_total_row *t)
{
    for (const npu_field *f = npu_total_fields; f->name; f++) {
        push_field(L, t, f);
        lua_setfield(L, -2, f->name);
    }
}

static void push_layers(lua_State *L, const npu_result *r)
{
    lua_createtable(L, r->nlayers, 0);
    for (int i = 0; i < r->nlayers; i++) {
        lua_createtable(L, 0, npu_layer_nfields + r->nextra);
        for (const npu_field *f = npu_layer_fields; f->name; f++) {
            push_field(L, &r->layers[i], f);
            lua_setfield(L, -2, f->name);
        }
        for (int e = 0; e < r->nextra && r->extra; e++) {
            lua_pushnumber(L, r->extra[(size_t)i * (size_t)r->nextra + (size_t)e]);
            lua_setfield(L, -2, r->extra_names[e]);
        }
        lua_rawseti(L, -2, i + 1);
    }
}

/* {schema=, arch=, model=, graph=, params={...}, total={...}, layers={...}}; schema is the
 * CLI's JSON version, so write_json of a result carries it too. */
static void push_result(lua_State *L, const npu_result *r)
{
    lua_createtable(L, 0, 7);
    lua_pushstring(L, NPU_RESULT_SCHEMA);
    lua_setfield(L, -2, "schema");
    lua_pushstring(L, r->arch ? r->arch : "");
    lua_setfield(L, -2, "arch");
    lua_pushstring(L, r->model ? r->model : "");
    lua_setfield(L, -2, "model");
    lua_pushstring(L, r->graph ? r->graph : "");
    lua_setfield(L, -2, "graph");
    push_param_values(L, r->params);
    lua_setfield(L, -2, "params");
    lua_createtable(L, 0, npu_total_nfields);
    set_total_fields(L, &r->total);
    lua_setfield(L, -2, "total");
    push_layers(L, r);
    lua_setfield(L, -2, "layers");
    /* The roofline of the run (npusim.plot{kind = "roofline"} draws it): r.freq_mhz,
     * r.peak_macs and r.dram_bytes_per_cycle are readable through a metatable's __index, so
     * the table's own keys (pairs, write_json) stay exactly those documented in docs/lua.md. */
    lua_createtable(L, 0, 1);
    lua_createtable(L, 0, 3);
    lua_pushnumber(L, r->freq_mhz);
    lua_setfield(L, -2, "freq_mhz");
    lua_pushnumber(L, r->peak_macs);
    lua_setfield(L, -2, "peak_macs");
    lua_pushnumber(L, r->dram_bytes_per_cycle);
    lua_setfield(L, -2, "dram_bytes_per_cycle");
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
}

/* A result owned by a userdata while it is being marshalled (pushes may raise). */
typedef struct lr_res {
    npu_result *r;
} lr_res;

static int res_gc(lua_State *L)
{
    lr_res *box = lua_touserdata(L, 1);
    if (box) {
        npu_result_free(box->r);
        box->r = NULL;
    }
    return 0;
}

static lr_res *lr_new_res(lua_State *L)
{
    lr_res *box = lua_newuserdatauv(L, sizeof *box, 0);
    box->r = NULL;
    luaL_setmetatable(L, "npusim.Result*");
    return box;
}

/* ---- resolving run{} arguments ------------------------------------------------------------------ */
/* The arch field at t[key]: a name or an Arch. Pushes an owned clone (Arch userdata) with `set`
 * applied. Returns 0, or pushes nothing and fills err (recoverable). */
static MAY_RAISE int lr_resolve_arch(lua_State *L, int argn, int val, int set, npu_err *err)
{
    lr_arch *box;
    if (lua_type(L, val) == LUA_TSTRING) {
        box = lr_new_arch(L);
        box->a = npu_arch_open(npu_lua_ctx(L), lua_tostring(L, val), err);
    } else if (luaL_testudata(L, val, NPU_LUA_ARCH)) {
        npu_arch *src = lr_check_arch(L, val);
        box = lr_new_arch(L);
        box->a = npu_arch_clone(src);
        if (!box->a)
            npu_err_set(err, NPU_ENOMEM, "out of memory");
    } else {
        return luaL_argerror(L, argn, lua_pushfstring(L, "field 'arch' must be a preset name "
                                                         "or an npusim.Arch, got %s",
                                                      luaL_typename(L, val)));
    }
    if (!box->a) {
        lua_pop(L, 1);
        return err->code ? err->code : NPU_EINVAL;
    }
    if (set && lr_apply_set(L, set, box->a, "set", err) != 0) {
        lua_pop(L, 1);
        return err->code;
    }
    return 0;
}

/* The graph field: a Graph, or a string (path or zoo name) loaded now. Pushes the Graph. */
static MAY_RAISE const npu_graph *lr_resolve_graph(lua_State *L, int argn, int val, npu_err *err)
{
    if (lua_type(L, val) == LUA_TSTRING) {
        npu_lua_graph *box = npu_lua_new_graph(L);
        box->g = npu_load_graph(npu_lua_ctx(L), lua_tostring(L, val), NULL, err);
        if (!box->g) {
            lua_pop(L, 1);
            return NULL;
        }
        return box->g;
    }
    if (npu_lua_test_graph(L, val)) {
        const npu_graph *g = npu_lua_check_graph(L, val);
        lua_pushvalue(L, val);
        return g;
    }
    luaL_argerror(L, argn, lua_pushfstring(L, "field 'graph' must be an npusim.Graph or a "
                                              "path/network name, got %s",
                                           luaL_typename(L, val)));
    return NULL;
}

static MAY_RAISE int lr_opt_table(lua_State *L, int t, const char *key)
{
    int ty = lua_getfield(L, t, key);
    if (ty == LUA_TNIL) {
        lua_pop(L, 1);
        return 0;
    }
    if (ty != LUA_TTABLE)
        luaL_error(L, "field '%s' must be a table, got %s", key, luaL_typename(L, -1));
    return lua_gettop(L);
}

static int fail(lua_State *L, const npu_err *err)
{
    lua_pushnil(L);
    lua_pushstring(L, err->msg[0] ? err->msg : "failed");
    return 2;
}

/* Leaves the options table at 1, its 'arch' at 2 and its 'graph' at 3; raises if either is
 * missing. Shared by run and sweep. */
static MAY_RAISE void lr_arch_graph_fields(lua_State *L)
{
    lua_settop(L, 1);
    lua_getfield(L, 1, "arch");  /* 2 */
    lua_getfield(L, 1, "graph"); /* 3 */
    if (lua_isnil(L, 2))
        luaL_argerror(L, 1, "field 'arch' missing");
    if (lua_isnil(L, 3))
        luaL_argerror(L, 1, "field 'graph' missing");
}

/* npusim.run{arch=, graph=, set={}, trace=, force=} → result table | nil, message */
static int l_run(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    static const char *const keys[] = {"arch", "graph", "set", "trace", "force", NULL};
    npu_lua_check_keys(L, 1, 1, keys);
    lr_arch_graph_fields(L);
    int set = lr_opt_table(L, 1, "set");
    npu_run_opts ro = {0};
    ro.trace_path = npu_lua_opt_string(L, 1, "trace", NULL);
    ro.force = npu_lua_opt_bool(L, 1, "force", 0);
    npu_err err = {0};
    if (lr_resolve_arch(L, 1, 2, set, &err) != 0)
        return fail(L, &err);
    npu_arch *a = lr_check_arch(L, -1);
    const npu_graph *g = lr_resolve_graph(L, 1, 3, &err);
    if (!g)
        return fail(L, &err);
    lr_res *res = lr_new_res(L);
    res->r = npu_run(npu_lua_ctx(L), a, g, ro.trace_path ? &ro : NULL, &err);
    if (!res->r)
        return fail(L, &err);
    push_result(L, res->r);
    npu_result_free(res->r); /* now, not at the next collection */
    res->r = NULL;
    return 1;
}

/* npusim.compare{archs={...}, graph=, set={}} →
 *   {results = {r1, r2, ...}, layers = {{name=, cycles={[label]=n, ...}, best=label}, ...}}
 * Rows, labels and best come from sim/report's comparison (npu_rep_cmp_build), the one
 * `npusim compare` prints: best by time (cycles / clock), none on a tie or where a layer was
 * fused away; an arch name that appears twice is labelled "name#2", "name#3" … */
static int l_compare(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    static const char *const keys[] = {"archs", "graph", "set", NULL};
    npu_lua_check_keys(L, 1, 1, keys);
    lua_settop(L, 1);
    int archs = lr_opt_table(L, 1, "archs");
    if (!archs)
        return luaL_argerror(L, 1, "field 'archs' missing");
    lua_getfield(L, 1, "graph");
    int gval = lua_gettop(L);
    if (lua_isnil(L, gval))
        return luaL_argerror(L, 1, "field 'graph' missing");
    int set = lr_opt_table(L, 1, "set");
    int n = (int)luaL_len(L, archs);
    if (n < 1)
        return luaL_argerror(L, 1, "field 'archs' is empty");
    npu_err err = {0};
    const npu_graph *g = lr_resolve_graph(L, 1, gval, &err);
    if (!g)
        return fail(L, &err);
    lua_createtable(L, n, 0);
    int results = lua_gettop(L);
    lua_createtable(L, n, 0); /* the result boxes, owned until the end */
    int boxes = lua_gettop(L);
    const npu_result **rs = lua_newuserdatauv(L, sizeof *rs * (size_t)n, 0);
    int top = lua_gettop(L);
    for (int i = 1; i <= n; i++) {
        lua_rawgeti(L, archs, i);
        int av = lua_gettop(L);
        if (lr_resolve_arch(L, 1, av, set, &err) != 0)
            return fail(L, &err);
        npu_arch *a = lr_check_arch(L, -1);
        lr_res *res = lr_new_res(L);
        res->r = npu_run(npu_lua_ctx(L), a, g, NULL, &err);
        if (!res->r)
            return fail(L, &err);
        rs[i - 1] = res->r;
        lua_pushvalue(L, -1);
        lua_rawseti(L, boxes, i);
        push_result(L, res->r);
        lua_rawseti(L, results, i);
        lua_settop(L, top);
    }
    npu_rep_cmp c;
    if (npu_rep_cmp_build(rs, n, &c) != NPU_OK) {
        npu_rep_cmp_free(&c);
        return luaL_error(L, "npusim.compare: out of memory");
    }
    /* (the pushes below raise only when Lua is out of memory) */
    lua_createtable(L, n, 0);
    int labs = lua_gettop(L);
    lua_createtable(L, (int)c.nrows, 0);
    int rows = lua_gettop(L);
    for (int k = 0; k < n; k++) {
        lua_pushstring(L, c.lab[k]);
        lua_rawseti(L, labs, k + 1);
    }
    for (size_t r = 0; r < c.nrows; r++) {
        lua_createtable(L, 0, 3);
        lua_pushstring(L, c.rows[r].name ? c.rows[r].name : "");
        lua_setfield(L, -2, "name");
        lua_createtable(L, 0, n);
        for (int k = 0; k < n; k++) {
            int li = c.rows[r].idx[k];
            if (li < 0)
                continue;
            lua_pushinteger(L, (lua_Integer)rs[k]->layers[li].cycles);
            lua_setfield(L, -2, c.lab[k]);
        }
        lua_setfield(L, -2, "cycles");
        if (c.best[r] >= 0) {
            lua_pushstring(L, c.lab[c.best[r]]);
            lua_setfield(L, -2, "best");
        }
        lua_rawseti(L, rows, (lua_Integer)r + 1);
    }
    npu_rep_cmp_free(&c);
    lua_createtable(L, 0, 2);
    lua_pushvalue(L, results);
    lua_setfield(L, -2, "results");
    lua_pushvalue(L, rows);
    lua_setfield(L, -2, "layers");
    return 1;
}

/* ---- sweep ---------------------------------------------------------------------------------------- */
static volatile sig_atomic_t lr_sigint; /* the one global flag (Ctrl-C during a sweep) */
static void lr_on_sigint(int sig)
{
    (void)sig;
    lr_sigint = 1;
}

typedef struct lr_sweep {
    const npu_graph *g;
    const npu_arch *base; /* the configured arch (read-only; each point clones it) */
    /* point p's settings: kvcount[p] pairs "key\0value\0" starting at kvbuf.s + kvoff[p] */
    npu_strbuf kvbuf;
    size_t *kvoff;
    int *kvcount;
    int n;
    int keep_layers;
    npu_result **res;    /* per point when keep_layers */
    npu_total_row *tot;  /* per point */
    unsigned char *done;
    int next, ndone, failed, fail_point;
    npu_err err;
    npu_ctx *main_ctx; /* only its cancel flag is read */
    int progress;
    double t0;
    pthread_mutex_t mu;
} lr_sweep;

static double lr_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A fresh copy of the base arch with point p's settings (thread-safe: base is only read). */
static npu_arch *lr_point_arch(const lr_sweep *s, int p, npu_err *err)
{
    npu_arch *a = npu_arch_clone(s->base);
    if (!a) {
        npu_err_set(err, NPU_ENOMEM, "out of memory");
        return NULL;
    }
    const char *kv = s->kvcount[p] ? s->kvbuf.s + s->kvoff[p] : "";
    for (int k = 0; k < s->kvcount[p]; k++) {
        const char *key = kv, *val = kv + strlen(kv) + 1;
        if (npu_arch_set(a, key, val, err) != 0) {
            npu_arch_free(a);
            return NULL;
        }
        kv = val + strlen(val) + 1;
    }
    return a;
}

static void *lr_worker(void *arg)
{
    lr_sweep *s = arg;
    npu_ctx *ctx = npu_ctx_new(); /* per thread: npu_run records its errors in it */
    for (;;) {
        pthread_mutex_lock(&s->mu);
        int stop = !ctx || s->failed || lr_sigint || npu_ctx_cancelled(s->main_ctx) ||
                   s->next >= s->n;
        int i = stop ? -1 : s->next++;
        if (!ctx && !s->failed) {
            s->failed = 1;
            s->fail_point = 0;
            npu_err_set(&s->err, NPU_ENOMEM, "out of memory");
        }
        pthread_mutex_unlock(&s->mu);
        if (stop)
            break;
        npu_err err = {0};
        npu_result *r = NULL;
        npu_arch *a = lr_point_arch(s, i, &err);
        if (a)
            r = npu_run(ctx, a, s->g, NULL, &err);
        npu_arch_free(a);
        pthread_mutex_lock(&s->mu);
        if (!r) {
            if (!s->failed || i < s->fail_point) {
                s->fail_point = i;
                s->err = err;
            }
            s->failed = 1;
        } else {
            s->tot[i] = r->total;
            /* total.unit lives in r's arena: the row outlives r, the graph outlives the sweep */
            npu_graph_work w;
            npu_graph_work_of(s->g, &w);
            s->tot[i].unit = w.unit;
            if (s->keep_layers)
                s->res[i] = r;
            else
                npu_result_free(r);
            s->done[i] = 1;
            s->ndone++;
            if (s->progress)
                fprintf(stderr, "\rsweep: %d/%d points, %.1f s", s->ndone, s->n,
                        lr_now() - s->t0);
        }
        pthread_mutex_unlock(&s->mu);
    }
    npu_ctx_free(ctx);
    return NULL;
}

/* The sweep's C state lives in a userdata so that an error raised while building rows frees
 * it (__gc). */
static int sweep_gc(lua_State *L)
{
    lr_sweep *s = lua_touserdata(L, 1);
    if (!s)
        return 0;
    for (int i = 0; i < s->n; i++)
        if (s->res)
            npu_result_free(s->res[i]);
    npu_sb_free(&s->kvbuf);
    free(s->kvoff);
    free(s->kvcount);
    free(s->res);
    free(s->tot);
    free(s->done);
    s->kvoff = NULL;
    s->kvcount = NULL;
    s->res = NULL;
    s->tot = NULL;
    s->done = NULL;
    s->n = 0;
    return 0;
}

/* Pushes point p's parameters as a table {key = value} (Lua values from vary/points).
 * vary mode: keys = sorted names (table at keys, nk entries), vary table at vary. */
static void lr_push_point(lua_State *L, int p, int vary, int keys, int nk, int points)
{
    if (points) {
        lua_rawgeti(L, points, p + 1);
        return; /* the user's own table */
    }
    lua_createtable(L, 0, nk);
    int rest = p;
    /* last key fastest: decompose from the last key */
    for (int k = nk; k >= 1; k--) {
        lua_rawgeti(L, keys, k);
        lua_pushvalue(L, -1);
        lua_rawget(L, vary); /* values list (the sweep's private copy, at least one entry) */
        int nv = (int)lua_rawlen(L, -1);
        lua_rawgeti(L, -1, rest % nv + 1);
        rest /= nv;
        lua_remove(L, -2);          /* values list */
        lua_settable(L, -3);        /* point[key] = value */
    }
}

/* Appends the point table at idx as "key\0value\0" pairs (keys sorted) to sb; returns the
 * number of pairs. Raises on a non-string key or a non-scalar value. */
static MAY_RAISE int lr_point_text(lua_State *L, int idx, npu_strbuf *sb, const char *what)
{
    int nk = lr_sorted_keys(L, idx, what), keys = lua_gettop(L);
    for (int i = 1; i <= nk; i++) {
        char v[256];
        const char *k = lr_key_value(L, idx, keys, i, v, sizeof v, what);
        npu_sb_putn(sb, k, strlen(k) + 1);
        npu_sb_putn(sb, v, strlen(v) + 1);
        lua_pop(L, 2);
    }
    lua_pop(L, 1);
    return nk;
}

/* npusim.sweep{arch=, graph=, vary={k={...}} | points={{...}}, set={}, threads=, progress=,
 *              keep_layers=} → rows [, "interrupted"] | nil, message */
static int l_sweep(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    static const char *const keys[] = {"arch",    "graph",    "vary",        "points", "set",
                                       "threads", "progress", "keep_layers", NULL};
    npu_lua_check_keys(L, 1, 1, keys);
    lr_arch_graph_fields(L);
    int vary = lr_opt_table(L, 1, "vary");
    int points = lr_opt_table(L, 1, "points");
    int set = lr_opt_table(L, 1, "set");
    if (!vary == !points)
        return luaL_argerror(L, 1, "give exactly one of 'vary' and 'points'");
    int keep_layers = npu_lua_opt_bool(L, 1, "keep_layers", 0);
    int progress = npu_lua_opt_bool(L, 1, "progress", 1) && isatty(2);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = ncpu > 0 ? (int)(ncpu > 64 ? 64 : ncpu) : 1;
    if (lua_getfield(L, 1, "threads") != LUA_TNIL) {
        int isnum = 0;
        lua_Integer t = lua_tointegerx(L, -1, &isnum);
        if (!isnum || t < 1 || t > 256)
            return luaL_argerror(L, 1, "field 'threads' must be an integer in [1, 256]");
        threads = (int)t;
    }
    lua_pop(L, 1);

    /* the points. vary is read once, raw, into a private copy (vcopy[name] = list of values):
     * the points are decomposed against these lengths later, and a __len/__index of the
     * script's own table that changed its mind in between divided by zero. */
    lua_newtable(L);
    int vkeys = lua_gettop(L), nk = 0;
    lua_newtable(L);
    int vcopy = lua_gettop(L);
    long long npoints = 1;
    if (vary) {
        lua_pushnil(L);
        while (lua_next(L, vary)) {
            if (lua_type(L, -2) != LUA_TSTRING)
                return luaL_argerror(L, 1, "vary: parameter names must be strings");
            lua_Unsigned nv = lua_istable(L, -1) ? lua_rawlen(L, -1) : 0;
            if (nv < 1)
                return luaL_argerror(L, 1, lua_pushfstring(L, "vary.%s must be a non-empty "
                                                              "list of values",
                                                           lua_tostring(L, -2)));
            if (nv > 1000000 || (npoints *= (long long)nv) > 1000000)
                return luaL_argerror(L, 1, "vary: more than a million points");
            lua_createtable(L, (int)nv, 0);
            for (lua_Unsigned i = 1; i <= nv; i++) {
                lua_rawgeti(L, -2, (lua_Integer)i);
                lua_rawseti(L, -2, (lua_Integer)i);
            }
            lua_pushvalue(L, -3);
            lua_insert(L, -2);
            lua_rawset(L, vcopy); /* vcopy[name] = copy */
            lua_pop(L, 1);
            lua_pushvalue(L, -1);
            lua_rawseti(L, vkeys, ++nk);
        }
        npu_lua_sort_list(L, vkeys, nk);
        vary = vcopy;
    } else {
        npoints = (long long)lua_rawlen(L, points);
        if (npoints > 1000000)
            return luaL_argerror(L, 1, "points: more than a million points");
        for (int i = 1; i <= npoints; i++)
            if (lua_rawgeti(L, points, i) != LUA_TTABLE)
                return luaL_argerror(L, 1, lua_pushfstring(L, "points[%d] is not a table", i));
            else
                lua_pop(L, 1);
    }

    npu_err err = {0};
    if (lr_resolve_arch(L, 1, 2, set, &err) != 0)
        return fail(L, &err);
    npu_arch *base = lr_check_arch(L, -1);
    const npu_graph *g = lr_resolve_graph(L, 1, 3, &err);
    if (!g)
        return fail(L, &err);

    lr_sweep *s = lua_newuserdatauv(L, sizeof *s, 0);
    memset(s, 0, sizeof *s);
    int sidx = lua_gettop(L);
    lua_newtable(L);
    lua_pushcfunction(L, sweep_gc);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, sidx);
    int n = (int)npoints;
    size_t un = n > 0 ? (size_t)n : 1;
    npu_sb_init(&s->kvbuf);
    s->kvoff = calloc(un, sizeof *s->kvoff);
    s->kvcount = calloc(un, sizeof *s->kvcount);
    s->tot = calloc(un, sizeof *s->tot);
    s->done = calloc(un, 1);
    s->res = keep_layers ? calloc(un, sizeof *s->res) : NULL;
    if (!s->kvoff || !s->kvcount || !s->tot || !s->done || (keep_layers && !s->res))
        return luaL_error(L, "sweep: out of memory");
    s->n = n;
    s->g = g;
    s->base = base;
    s->keep_layers = keep_layers;
    s->main_ctx = npu_lua_ctx(L);
    /* every point as text, and checked on a scratch copy before anything runs, so that a bad
     * value is reported at once (points stay small: text, not one arch each) */
    for (int p = 0; p < n; p++) {
        char what[48];
        snprintf(what, sizeof what, "sweep point %d", p + 1);
        lr_push_point(L, p, vary, vkeys, nk, points);
        s->kvoff[p] = s->kvbuf.len;
        s->kvcount[p] = lr_point_text(L, lua_gettop(L), &s->kvbuf, what);
        lua_pop(L, 1);
        if (s->kvbuf.oom)
            return luaL_error(L, "sweep: out of memory");
        npu_arch *a = lr_point_arch(s, p, &err);
        if (!a) {
            lua_pushnil(L);
            lua_pushfstring(L, "%s: %s", what, err.msg);
            return 2;
        }
        npu_arch_free(a);
    }

    /* run */
    if (threads > n)
        threads = n > 0 ? n : 1;
    pthread_mutex_init(&s->mu, NULL);
    s->progress = progress;
    s->t0 = lr_now();
    lr_sigint = 0;
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = lr_on_sigint;
    sigemptyset(&sa.sa_mask);
    int have_old = sigaction(SIGINT, &sa, &old) == 0;
    pthread_t tid[256];
    int started = 0;
    for (int t = 1; t < threads; t++) {
        if (pthread_create(&tid[started], NULL, lr_worker, s) != 0)
            break; /* fewer threads; the result does not depend on it */
        started++;
    }
    lr_worker(s);
    for (int t = 0; t < started; t++)
        pthread_join(tid[t], NULL);
    if (have_old)
        sigaction(SIGINT, &old, NULL);
    int interrupted = lr_sigint || npu_ctx_cancelled(s->main_ctx);
    lr_sigint = 0;
    pthread_mutex_destroy(&s->mu);
    if (s->progress)
        fprintf(stderr, "\n");
    if (s->failed) {
        lua_pushnil(L);
        lua_pushfstring(L, "sweep point %d: %s", s->fail_point + 1, s->err.msg);
        return 2;
    }

    /* rows, in point order */
    lua_createtable(L, s->ndone, 0);
    int rows = lua_gettop(L), nrow = 0;
    for (int p = 0; p < n; p++) {
        if (!s->done[p])
            continue;
        lr_push_point(L, p, vary, vkeys, nk, points);
        int pt = lua_gettop(L);
        lua_createtable(L, 0, npu_total_nfields + nk + 1);
        lua_pushnil(L);
        while (lua_next(L, pt)) {
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_settable(L, -4);
        }
        set_total_fields(L, &s->tot[p]);
        if (keep_layers) {
            push_layers(L, s->res[p]);
            lua_setfield(L, -2, "layers");
        }
        lua_rawseti(L, rows, ++nrow);
        lua_pop(L, 1); /* the point */
    }
    if (interrupted) {
        lua_pushliteral(L, "interrupted");
        return 2;
    }
    return 1;
}

/* ---- CSV ------------------------------------------------------------------------------------------ */
static int field_pos(const npu_field *fs, const char *k)
{
    for (int i = 0; fs[i].name; i++)
        if (strcmp(fs[i].name, k) == 0)
            return i;
    return -1;
}

/* Column order (deterministic, docs/lua.md): opts.columns if given; otherwise every string key
 * with a scalar value in any row. Rows without an "op" key (sweep rows, totals): first the
 * keys that are not total-field names, sorted by name (a sweep's varied parameters, in the
 * order the sweep varies them — also a parameter that shares a layer field's name, such as
 * dtype), then the total fields in result.h order. Rows with an "op" key (r.layers): the layer
 * fields in result.h order, then the other keys sorted (model-specific extra columns). Table
 * values (a sweep row's `layers`) are not columns. */
static MAY_RAISE void lr_columns(lua_State *L, int rows, int nrows, int opts)
{
    if (opts && lua_getfield(L, opts, "columns") != LUA_TNIL) {
        if (!lua_istable(L, -1))
            luaL_error(L, "write_csv: option 'columns' must be a list of names");
        return;
    }
    if (opts)
        lua_pop(L, 1);
    lua_newtable(L); /* set of keys */
    int set = lua_gettop(L);
    int layer_rows = 0;
    for (int r = 1; r <= nrows; r++) {
        lua_rawgeti(L, rows, r);
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            int vt = lua_type(L, -1);
            lua_pop(L, 1);
            if (lua_type(L, -1) != LUA_TSTRING)
                luaL_error(L, "write_csv: row %d has a %s key (rows must be flat tables with "
                              "string keys)", r, luaL_typename(L, -1));
            if (vt == LUA_TTABLE || vt == LUA_TFUNCTION || vt == LUA_TUSERDATA ||
                vt == LUA_TTHREAD || vt == LUA_TLIGHTUSERDATA)
                continue;
            if (strcmp(lua_tostring(L, -1), "op") == 0)
                layer_rows = 1;
            lua_pushvalue(L, -1);
            lua_pushboolean(L, 1);
            lua_settable(L, set);
        }
        lua_pop(L, 1);
    }
    const npu_field *first = layer_rows ? npu_layer_fields : npu_total_fields;
    lua_newtable(L); /* columns */
    int cols = lua_gettop(L), nc = 0;
    lua_newtable(L); /* other keys */
    int other = lua_gettop(L), no = 0;
    lua_pushnil(L);
    while (lua_next(L, set)) {
        lua_pop(L, 1);
        if (field_pos(first, lua_tostring(L, -1)) < 0) {
            lua_pushvalue(L, -1);
            lua_rawseti(L, other, ++no);
        }
    }
    npu_lua_sort_list(L, other, no);
    /* sweep/total rows: the other keys (varied parameters) first; layer rows: after the
     * result fields (model-specific extra columns) */
    for (int part = 0; part < 2; part++) {
        if (part == (layer_rows ? 1 : 0)) {
            for (int i = 1; i <= no; i++) {
                lua_rawgeti(L, other, i);
                lua_rawseti(L, cols, ++nc);
            }
            continue;
        }
        for (int i = 0; first[i].name; i++) {
            if (lua_getfield(L, set, first[i].name) != LUA_TNIL) {
                lua_pushstring(L, first[i].name);
                lua_rawseti(L, cols, ++nc);
            }
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1); /* other */
    lua_remove(L, set);
}

/* Owns a strbuf while Lua code may raise. */
typedef struct lr_sbox {
    npu_strbuf sb;
} lr_sbox;

static int sbox_gc(lua_State *L)
{
    lr_sbox *b = lua_touserdata(L, 1);
    if (b)
        npu_sb_free(&b->sb);
    return 0;
}

static npu_strbuf *lr_new_sb(lua_State *L)
{
    lr_sbox *b = lua_newuserdatauv(L, sizeof *b, 0);
    npu_sb_init(&b->sb);
    luaL_setmetatable(L, "npusim.Buffer*");
    return &b->sb;
}

static int lr_write(lua_State *L, const char *path, npu_strbuf *sb, int force)
{
    npu_err err = {0};
    if (sb->oom)
        return luaL_error(L, "out of memory");
    if (npu_write_file(path, sb->s ? sb->s : "", sb->len, force, &err) != 0)
        return fail(L, &err);
    lua_pushboolean(L, 1);
    return 1;
}

/* npusim.write_csv(path, rows [, {force=, columns=}]) → true | nil, message */
static int l_write_csv(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    int opts = 0;
    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TTABLE);
        static const char *const keys[] = {"force", "columns", NULL};
        npu_lua_check_keys(L, 3, 3, keys);
        opts = 3;
    }
    lua_settop(L, 3);
    int force = npu_lua_opt_bool(L, opts, "force", 0);
    int nrows = (int)luaL_len(L, 2);
    for (int r = 1; r <= nrows; r++) {
        if (lua_rawgeti(L, 2, r) != LUA_TTABLE)
            return luaL_argerror(L, 2, lua_pushfstring(L, "row %d is a %s, not a table", r,
                                                       luaL_typename(L, -1)));
        lua_pop(L, 1);
    }
    lr_columns(L, 2, nrows, opts);
    int cols = lua_gettop(L);
    int nc = (int)luaL_len(L, cols);
    npu_strbuf *sb = lr_new_sb(L);
    for (int c = 1; c <= nc; c++) {
        if (lua_rawgeti(L, cols, c) != LUA_TSTRING)
            return luaL_error(L, "write_csv: column names must be strings");
        if (c > 1)
            npu_sb_putc(sb, ',');
        npu_rep_csv_str(sb, lua_tostring(L, -1));
        lua_pop(L, 1);
    }
    npu_sb_putc(sb, '\n');
    for (int r = 1; r <= nrows; r++) {
        lua_rawgeti(L, 2, r);
        for (int c = 1; c <= nc; c++) {
            lua_rawgeti(L, cols, c);
            lua_gettable(L, -2);
            if (c > 1)
                npu_sb_putc(sb, ',');
            char buf[256];
            if (!lua_isnil(L, -1)) {
                if (npu_lua_scalar_text(L, -1, buf, sizeof buf) == 0) {
                    if (lua_type(L, -1) == LUA_TSTRING) {
                        npu_rep_csv_str(sb, lua_tostring(L, -1)); /* not truncated */
                    } else {
                        /* a float keeps a '.' so that it reads back as a float */
                        if (lua_type(L, -1) == LUA_TNUMBER && !lua_isinteger(L, -1) &&
                            !strpbrk(buf, ".eEna"))
                            strcat(buf, ".0");
                        npu_rep_csv_str(sb, buf);
                    }
                } else {
                    lua_rawgeti(L, cols, c);
                    return luaL_error(L, "write_csv: row %d, column '%s': a %s is not a "
                                         "number, string or boolean",
                                      r, lua_tostring(L, -1), luaL_typename(L, -2));
                }
            }
            lua_pop(L, 1);
        }
        npu_sb_putc(sb, '\n');
        lua_pop(L, 1);
    }
    return lr_write(L, path, sb, force);
}

/* npusim.read_csv(path) → rows, header | nil, message. Numbers are converted (integers stay
 * integers); empty cells are absent from the row. */
static int l_read_csv(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    char *data = NULL;
    size_t len = 0;
    npu_err err = {0};
    if (npu_read_file(path, &data, &len, &err) != 0)
        return fail(L, &err);
    /* copy into Lua so that a raise cannot leak `data` */
    lua_pushlstring(L, data, len);
    free(data);
    const char *s = lua_tostring(L, -1);
    size_t pos = 0;
    lua_newtable(L);
    int header = lua_gettop(L), nh = 0;
    lua_newtable(L);
    int rows = lua_gettop(L), nrow = 0;
    int line = 1, row_is_header = 1;
    while (pos < len) {
        int col = 0;
        int row = 0;
        if (!row_is_header) {
            lua_newtable(L);
            row = lua_gettop(L);
        }
        for (;;) { /* one cell */
            luaL_Buffer b;
            luaL_buffinit(L, &b);
            int quoted = 0;
            if (s[pos] == '"') {
                quoted = 1;
                pos++;
                for (;;) {
                    if (pos >= len) {
                        lua_pushnil(L);
                        lua_pushfstring(L, "%s:%d: unterminated quoted cell", path, line);
                        return 2;
                    }
                    if (s[pos] == '"') {
                        if (pos + 1 < len && s[pos + 1] == '"') {
                            luaL_addchar(&b, '"');
                            pos += 2;
                            continue;
                        }
                        pos++;
                        break;
                    }
                    if (s[pos] == '\n')
                        line++;
                    luaL_addchar(&b, s[pos++]);
                }
            } else {
                while (pos < len && s[pos] != ',' && s[pos] != '\n' && s[pos] != '\r')
                    luaL_addchar(&b, s[pos++]);
            }
            luaL_pushresult(&b);
            col++;
            if (row_is_header) {
                lua_rawseti(L, header, ++nh);
            } else {
                size_t cl = 0;
                const char *cell = lua_tolstring(L, -1, &cl);
                if (cl == 0 && !quoted) {
                    lua_pop(L, 1);
                } else {
                    if (!quoted && lua_stringtonumber(L, cell) != 0)
                        lua_remove(L, -2);
                    if (col > nh) {
                        lua_pushnil(L);
                        lua_pushfstring(L, "%s:%d: more cells than header columns", path, line);
                        return 2;
                    }
                    lua_rawgeti(L, header, col);
                    lua_insert(L, -2);
                    lua_settable(L, row);
                }
            }
            if (pos < len && s[pos] == ',') {
                pos++;
                continue;
            }
            break;
        }
        if (pos < len && s[pos] == '\r')
            pos++;
        if (pos < len && s[pos] == '\n')
            pos++;
        else if (pos < len) {
            lua_pushnil(L);
            lua_pushfstring(L, "%s:%d: garbage after a quoted cell", path, line);
            return 2;
        }
        line++;
        if (row_is_header)
            row_is_header = 0;
        else
            lua_rawseti(L, rows, ++nrow);
    }
    lua_pushvalue(L, rows);
    lua_pushvalue(L, header);
    return 2;
}

/* ---- JSON ----------------------------------------------------------------------------------------- */
static void json_indent(npu_strbuf *sb, int indent, int depth)
{
    if (!indent)
        return;
    npu_sb_putc(sb, '\n');
    for (int i = 0; i < depth * indent; i++)
        npu_sb_putc(sb, ' ');
}

/* Writes the value at idx. Tables: an array when their keys are exactly 1..#t (an empty table
 * is []), otherwise an object with keys sorted (numbers written as strings). */
static MAY_RAISE void json_value(lua_State *L, int idx, npu_strbuf *sb, int indent, int depth)
{
    idx = lua_absindex(L, idx);
    char buf[64];
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        npu_sb_puts(sb, "null");
        return;
    case LUA_TBOOLEAN:
        npu_sb_puts(sb, lua_toboolean(L, idx) ? "true" : "false");
        return;
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) {
            npu_sb_printf(sb, "%lld", (long long)lua_tointeger(L, idx));
        } else {
            double v = lua_tonumber(L, idx);
            if (!isfinite(v)) {
                npu_sb_puts(sb, "null");
            } else {
                npu_lua_fmt_double(v, buf, sizeof buf);
                npu_sb_puts(sb, buf);
                if (!strpbrk(buf, ".eE"))
                    npu_sb_puts(sb, ".0"); /* keep it a float when read back */
            }
        }
        return;
    case LUA_TSTRING: {
        size_t n = 0;
        const char *s = lua_tolstring(L, idx, &n);
        npu_rep_json_strn(sb, s, n);
        return;
    }
    case LUA_TTABLE:
        break;
    default:
        luaL_error(L, "write_json: cannot write a %s value", luaL_typename(L, idx));
        return;
    }
    if (depth > 100)
        luaL_error(L, "write_json: tables nested more than 100 deep (a cycle?)");
    luaL_checkstack(L, 8, "write_json: too deep");
    lua_Integer len = (lua_Integer)lua_rawlen(L, idx);
    lua_Integer count = 0;
    int only_ints = 1;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        count++;
        if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 || lua_tointeger(L, -1) > len)
            only_ints = 0;
    }
    if (only_ints && count == len) {
        npu_sb_putc(sb, '[');
        for (lua_Integer i = 1; i <= len; i++) {
            if (i > 1)
                npu_sb_putc(sb, ',');
            json_indent(sb, indent, depth + 1);
            lua_rawgeti(L, idx, i);
            json_value(L, -1, sb, indent, depth + 1);
            lua_pop(L, 1);
        }
        if (len)
            json_indent(sb, indent, depth);
        npu_sb_putc(sb, ']');
        return;
    }
    /* object: collect keys as strings, sort */
    lua_newtable(L);
    int keys = lua_gettop(L), nk = 0;
    lua_newtable(L); /* string key → original key */
    int orig = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        int kt = lua_type(L, -1);
        if (kt == LUA_TSTRING) {
            lua_pushvalue(L, -1);
        } else if (kt == LUA_TNUMBER) {
            lua_pushvalue(L, -1);
            npu_lua_scalar_text(L, -1, buf, sizeof buf);
            lua_pop(L, 1);
            lua_pushstring(L, buf);
        } else {
            luaL_error(L, "write_json: a %s key cannot be written", luaL_typename(L, -1));
        }
        lua_pushvalue(L, -1);
        lua_rawseti(L, keys, ++nk);
        lua_pushvalue(L, -2);
        lua_settable(L, orig);
    }
    npu_lua_sort_list(L, keys, nk);
    npu_sb_putc(sb, '{');
    for (int i = 1; i <= nk; i++) {
        if (i > 1)
            npu_sb_putc(sb, ',');
        json_indent(sb, indent, depth + 1);
        lua_rawgeti(L, keys, i);
        size_t n = 0;
        const char *k = lua_tolstring(L, -1, &n);
        npu_rep_json_strn(sb, k, n);
        npu_sb_puts(sb, indent ? ": " : ":");
        lua_gettable(L, orig);
        lua_gettable(L, idx);
        json_value(L, -1, sb, indent, depth + 1);
        lua_pop(L, 1);
    }
    json_indent(sb, indent, depth);
    npu_sb_putc(sb, '}');
    lua_pop(L, 2);
}

/* npusim.write_json(path, value [, {force=, indent=}]) → true | nil, message */
static int l_write_json(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    luaL_checkany(L, 2);
    int indent = 2, force = 0;
    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TTABLE);
        static const char *const keys[] = {"force", "indent", NULL};
        npu_lua_check_keys(L, 3, 3, keys);
        force = npu_lua_opt_bool(L, 3, "force", 0);
        int t = lua_getfield(L, 3, "indent");
        if (t == LUA_TBOOLEAN)
            indent = lua_toboolean(L, -1) ? 2 : 0;
        else if (t == LUA_TNUMBER) {
            lua_Integer v = lua_tointeger(L, -1);
            if (v < 0 || v > 16)
                return luaL_argerror(L, 3, "indent must be 0..16");
            indent = (int)v;
        } else if (t != LUA_TNIL)
            return luaL_argerror(L, 3, "indent must be a boolean or a number");
        lua_pop(L, 1);
    }
    lua_settop(L, 3);
    npu_strbuf *sb = lr_new_sb(L);
    json_value(L, 2, sb, indent, 0);
    npu_sb_putc(sb, '\n');
    return lr_write(L, path, sb, force);
}

/* ---- npusim.plot --------------------------------------------------------------------------- */
/* npusim.plot{kind=, data=, path=, title=, force=, x=, y=, series=, z=, better=, logx=, logy=,
 * xlabel=, ylabel=} → true | nil, message. Charts are drawn by sim/report/svg.c:
 *   layers, roofline: data = a result table of npusim.run (for layers, a list of layer rows
 *                     is also accepted); the roofs need the result's peak_macs and
 *                     dram_bytes_per_cycle
 *   sweep:   data = rows (sweep rows or any flat tables); x = the varied parameter (numbers),
 *            y = the field plotted (default "fps"), series = a parameter with one curve per
 *            value (optional; numbers sorted, strings in order of first appearance)
 *   heatmap: data = rows; x, y = two parameters (their values become columns and rows: numbers
 *            sorted, strings in order of first appearance),
 *            z = the field shown (default "fps"); better = "higher" | "lower" (default: higher
 *            for fps, tops, util, dram_gbps; lower otherwise); per_row = true outlines the
 *            best cell of each row (e.g. the best design for each layer)
 * All C memory is owned by userdata while Lua calls may raise. */

/* Field value of the table at idx as a double; NAN if absent or not a number. */
static double lp_num(lua_State *L, int idx, const char *key)
{
    double v = NAN;
    if (lua_getfield(L, idx, key) == LUA_TNUMBER)
        v = lua_tonumber(L, -1);
    lua_pop(L, 1);
    return v;
}

/* Pushes a result table / layer list converted to an npu_result (in a Result* box). */
static MAY_RAISE npu_result *lp_result(lua_State *L, int data)
{
    int layers;
    if (lua_getfield(L, data, "layers") == LUA_TTABLE) {
        layers = lua_gettop(L);
    } else {
        lua_pop(L, 1);
        lua_pushvalue(L, data); /* a list of layer rows */
        layers = lua_gettop(L);
    }
    lr_res *box = lr_new_res(L);
    npu_result *r = box->r = npu_result_new();
    if (!r)
        luaL_error(L, "out of memory");
    lua_Integer n = luaL_len(L, layers);
    if (n <= 0 || n > 1000000)
        luaL_error(L, "bad argument #1 to 'plot' (field 'data' has no layers: pass the result "
                      "of npusim.run or its 'layers' list)");
    r->nlayers = (int)n;
    r->layers = npu_arena_alloc(&r->arena, sizeof *r->layers * (size_t)n);
    if (!r->layers)
        luaL_error(L, "out of memory");
    for (int i = 0; i < r->nlayers; i++) {
        if (lua_rawgeti(L, layers, i + 1) != LUA_TTABLE)
            luaL_error(L, "bad argument #1 to 'plot' (layer %d is a %s, not a table)", i + 1,
                       luaL_typename(L, -1));
        int row = lua_gettop(L);
        char *base = (char *)&r->layers[i];
        for (const npu_field *f = npu_layer_fields; f->name; f++) {
            int t = lua_getfield(L, row, f->name);
            if (f->type == NPU_FT_STR) {
                const char *s = t == LUA_TSTRING || t == LUA_TNUMBER ? lua_tostring(L, -1) : "";
                char *c = npu_arena_strdup(&r->arena, s);
                if (!c)
                    luaL_error(L, "out of memory");
                memcpy(base + f->offset, &c, sizeof c);
            } else if (t == LUA_TNUMBER) {
                if (f->type == NPU_FT_INT) {
                    lua_Integer v;
                    if (lua_isinteger(L, -1))
                        v = lua_tointeger(L, -1);
                    else {
                        double d = lua_tonumber(L, -1);
                        v = d >= -9.2e18 && d <= 9.2e18 ? (lua_Integer)d : 0;
                    }
                    npu_f_INT x = (npu_f_INT)v;
                    memcpy(base + f->offset, &x, sizeof x);
                } else {
                    npu_f_FLOAT x = lua_tonumber(L, -1);
                    memcpy(base + f->offset, &x, sizeof x);
                }
            }
            lua_pop(L, 1);
        }
        if (r->layers[i].end > r->total.cycles)
            r->total.cycles = r->layers[i].end;
        lua_pop(L, 1);
    }
    /* metadata of a whole result */
    if (lua_getfield(L, data, "arch") == LUA_TSTRING)
        r->arch = npu_arena_strdup(&r->arena, lua_tostring(L, -1));
    lua_pop(L, 1);
    if (lua_getfield(L, data, "graph") == LUA_TSTRING)
        r->graph = npu_arena_strdup(&r->arena, lua_tostring(L, -1));
    lua_pop(L, 1);
    double v = lp_num(L, data, "freq_mhz");
    r->freq_mhz = isfinite(v) && v > 0 ? v : 1000;
    v = lp_num(L, data, "peak_macs");
    r->peak_macs = isfinite(v) ? v : 0;
    v = lp_num(L, data, "dram_bytes_per_cycle");
    r->dram_bytes_per_cycle = isfinite(v) ? v : 0;
    if (lua_getfield(L, data, "total") == LUA_TTABLE) {
        v = lp_num(L, -1, "cycles");
        if (isfinite(v))
            r->total.cycles = (int64_t)v;
        r->total.time_us = lp_num(L, -1, "time_us");
        r->total.fps = lp_num(L, -1, "fps");
    }
    lua_pop(L, 1);
    if (!isfinite(r->total.time_us)) {
        r->total.time_us = (double)r->total.cycles / r->freq_mhz;
        r->total.fps = r->total.time_us > 0 ? 1e6 / r->total.time_us : 0;
    }
    lua_remove(L, layers); /* keep the box on top */
    return r;
}

/* Distinct values of rows[i][key] into a new table, pushed: ascending when they are all numbers,
 * else in order of first appearance (layer names stay in network order). Raises if a row lacks
 * the key or it is not a number, string or boolean. */
static MAY_RAISE void lp_distinct(lua_State *L, int rows, int nrows, const char *key,
                                  const char *what)
{
    lua_newtable(L); /* set */
    lua_newtable(L); /* list */
    int set = lua_gettop(L) - 1, list = set + 1, n = 0;
    for (int i = 1; i <= nrows; i++) {
        lua_rawgeti(L, rows, i);
        int t = lua_getfield(L, -1, key);
        if (t != LUA_TNUMBER && t != LUA_TSTRING && t != LUA_TBOOLEAN)
            luaL_error(L, "bad argument #1 to 'plot' (%s: row %d has no value for '%s')", what,
                       i, key);
        if (t == LUA_TBOOLEAN) {
            lua_pushstring(L, lua_toboolean(L, -1) ? "true" : "false");
            lua_replace(L, -2);
        }
        lua_pushvalue(L, -1);
        if (lua_rawget(L, set) == LUA_TNIL) {
            lua_pop(L, 1);
            lua_pushvalue(L, -1);
            lua_pushboolean(L, 1);
            lua_rawset(L, set);
            lua_pushvalue(L, -1);
            lua_rawseti(L, list, ++n);
        } else {
            lua_pop(L, 1);
        }
        lua_pop(L, 2);
    }
    lua_remove(L, set);
    int allnum = 1;
    for (int i = 1; i <= n && allnum; i++) {
        allnum = lua_rawgeti(L, -1, i) == LUA_TNUMBER;
        lua_pop(L, 1);
    }
    if (!allnum)
        return;
    npu_lua_sort_list(L, lua_gettop(L), n);
}

/* Position (1-based) of value v (at idx) in the list at `list`; 0 if absent. */
static int lp_find(lua_State *L, int list, int idx)
{
    idx = lua_absindex(L, idx);
    int n = (int)luaL_len(L, list);
    for (int i = 1; i <= n; i++) {
        lua_rawgeti(L, list, i);
        int eq = lua_rawequal(L, -1, idx);
        if (!eq && lua_type(L, idx) == LUA_TBOOLEAN && lua_type(L, -1) == LUA_TSTRING)
            eq = !strcmp(lua_tostring(L, -1), lua_toboolean(L, idx) ? "true" : "false");
        lua_pop(L, 1);
        if (eq)
            return i;
    }
    return 0;
}

/* "name (unit)" for a result field name, into buf. */
static void lp_label(char *buf, size_t n, const char *name)
{
    for (const npu_field *f = npu_total_fields; f->name; f++)
        if (!strcmp(f->name, name) && f->unit && *f->unit) {
            snprintf(buf, n, "%s (%s)", name, f->unit);
            return;
        }
    snprintf(buf, n, "%s", name);
}

static void *lp_alloc(lua_State *L, size_t n)
{
    return lua_newuserdatauv(L, n ? n : 1, 0);
}

static int l_plot(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    static const char *const keys[] = {"kind", "data", "path", "title", "force", "x", "y",
                                       "series", "z", "better", "logx", "logy", "xlabel",
                                       "ylabel", "per_row", NULL};
    npu_lua_check_keys(L, 1, 1, keys);
    lua_settop(L, 1);
    const char *kname = npu_lua_opt_string(L, 1, "kind", NULL);
    const char *path = npu_lua_opt_string(L, 1, "path", NULL);
    const char *title = npu_lua_opt_string(L, 1, "title", NULL);
    int force = npu_lua_opt_bool(L, 1, "force", 0);
    npu_svg_kind kind;
    if (!kname)
        return luaL_argerror(L, 1, "field 'kind' missing (layers, roofline, sweep or heatmap)");
    if (npu_svg_kind_parse(kname, &kind) != 0) {
        static const char *const kinds[] = {"layers", "roofline", "sweep", "heatmap", NULL};
        const char *dym = npu_did_you_mean(kname, kinds);
        return luaL_argerror(L, 1, lua_pushfstring(L, "unknown kind '%s'%s%s%s (layers, "
                                                      "roofline, sweep or heatmap)",
                                                   kname, dym ? " (did you mean '" : "",
                                                   dym ? dym : "", dym ? "'?)" : ""));
    }
    if (!path)
        return luaL_argerror(L, 1, "field 'path' missing (the .svg file to write)");
    if (lua_getfield(L, 1, "data") != LUA_TTABLE) /* 2 */
        return luaL_argerror(L, 1, lua_pushfstring(L, "field 'data' must be a table, got %s",
                                                   luaL_typename(L, -1)));
    npu_strbuf *sb = lr_new_sb(L); /* 3 */
    npu_err err = {0};
    int rc;
    if (kind == NPU_SVG_LAYERS || kind == NPU_SVG_ROOFLINE) {
        npu_result *r = lp_result(L, 2);
        rc = npu_svg_result(r, kind, title, sb, &err);
        if (rc)
            return fail(L, &err);
        return lr_write(L, path, sb, force);
    }
    /* sweep and heatmap: rows */
    int nrows = (int)luaL_len(L, 2);
    if (nrows <= 0)
        return luaL_argerror(L, 1, "field 'data' has no rows");
    for (int i = 1; i <= nrows; i++) {
        if (lua_rawgeti(L, 2, i) != LUA_TTABLE)
            return luaL_argerror(L, 1, lua_pushfstring(L, "data row %d is a %s, not a table", i,
                                                       luaL_typename(L, -1)));
        lua_pop(L, 1);
    }
    const char *xk = npu_lua_opt_string(L, 1, "x", NULL);
    const char *xlabel = npu_lua_opt_string(L, 1, "xlabel", NULL);
    const char *ylabel = npu_lua_opt_string(L, 1, "ylabel", NULL);
    if (!xk)
        return luaL_argerror(L, 1, "field 'x' missing (the parameter on the x axis)");
    char tb[256], yb[160];
    npu_svg_axes ax = {0};
    if (kind == NPU_SVG_SWEEP) {
        const char *yk = npu_lua_opt_string(L, 1, "y", "fps");
        const char *sk = npu_lua_opt_string(L, 1, "series", NULL);
        int ns = 1;
        if (sk) {
            lp_distinct(L, 2, nrows, sk, "series"); /* 4 */
            ns = (int)luaL_len(L, 4);
        } else {
            lua_newtable(L);
        }
        int slist = 4;
        double *xs = lp_alloc(L, sizeof(double) * (size_t)nrows * 2);
        double *ys = xs + nrows;
        int *cnt = lp_alloc(L, sizeof(int) * (size_t)ns);
        npu_svg_series *ser = lp_alloc(L, sizeof *ser * (size_t)ns);
        lua_newtable(L); /* names (keeps the strings alive) */
        int names = lua_gettop(L);
        memset(cnt, 0, sizeof(int) * (size_t)ns);
        int *which = lp_alloc(L, sizeof(int) * (size_t)nrows);
        int autolog = 1;
        for (int i = 1; i <= nrows; i++) {
            lua_rawgeti(L, 2, i);
            int row = lua_gettop(L);
            if (lua_getfield(L, row, xk) != LUA_TNUMBER)
                return luaL_argerror(L, 1, lua_pushfstring(
                                               L, "row %d: x '%s' is %s, not a number (use a "
                                                  "heatmap or 'series' for a non-numeric "
                                                  "parameter)",
                                               i, xk, luaL_typename(L, -1)));
            double x = lua_tonumber(L, -1);
            lua_pop(L, 1);
            int ty = lua_getfield(L, row, yk);
            if (ty != LUA_TNUMBER)
                return luaL_argerror(L, 1, lua_pushfstring(L, "row %d: y '%s' is %s, not a "
                                                              "number",
                                                           i, yk, luaL_typename(L, -1)));
            double y = lua_tonumber(L, -1);
            lua_pop(L, 1);
            int k = 0;
            if (sk) {
                lua_getfield(L, row, sk);
                k = lp_find(L, slist, -1) - 1;
                lua_pop(L, 1);
            }
            which[i - 1] = k < 0 ? 0 : k;
            cnt[which[i - 1]]++;
            xs[i - 1] = x;
            ys[i - 1] = y;
            if (!(x > 0))
                autolog = 0;
            lua_pop(L, 1);
        }
        /* group by series (stable), then sort each group by x */
        double *gx = lp_alloc(L, sizeof(double) * (size_t)nrows * 2), *gy = gx + nrows;
        int off = 0;
        for (int k = 0; k < ns; k++) {
            int m = 0;
            for (int i = 0; i < nrows; i++)
                if (which[i] == k) {
                    int j = m++;
                    while (j > 0 && gx[off + j - 1] > xs[i]) { /* insertion sort by x */
                        gx[off + j] = gx[off + j - 1];
                        gy[off + j] = gy[off + j - 1];
                        j--;
                    }
                    gx[off + j] = xs[i];
                    gy[off + j] = ys[i];
                }
            ser[k].n = m;
            ser[k].x = gx + off;
            ser[k].y = gy + off;
            ser[k].name = "";
            if (sk) {
                lua_rawgeti(L, slist, k + 1);
                ser[k].name = luaL_tolstring(L, -1, NULL); /* the value; sk titles the legend */
                lua_rawseti(L, names, k + 1);
                lua_pop(L, 1);
            }
            off += m;
        }
        /* automatic log x: positive values spanning 100x, or 8x in geometric steps (each
         * distinct value at least 1.5x the previous: 16, 32, 64 or 0.5 ... 64 GB/s) */
        double lo = INFINITY, hi = 0;
        for (int i = 0; i < nrows; i++) {
            lo = fmin(lo, xs[i]);
            hi = fmax(hi, xs[i]);
        }
        int geometric = autolog;
        for (int i = 0; i < nrows && geometric; i++) {
            double next = INFINITY; /* the next distinct value above xs[i] */
            for (int j = 0; j < nrows; j++)
                if (xs[j] > xs[i] && xs[j] < next)
                    next = xs[j];
            if (isfinite(next) && next < 1.5 * xs[i])
                geometric = 0;
        }
        lua_getfield(L, 1, "logx");
        ax.logx = lua_isnil(L, -1) ? (autolog && (hi >= 100 * lo || (geometric && hi >= 8 * lo)))
                                   : lua_toboolean(L, -1);
        lua_pop(L, 1);
        ax.logy = npu_lua_opt_bool(L, 1, "logy", 0);
        lp_label(yb, sizeof yb, yk);
        snprintf(tb, sizeof tb, "%s vs %s", yk, xk);
        ax.title = title ? title : tb;
        ax.xlabel = xlabel ? xlabel : xk;
        ax.ylabel = ylabel ? ylabel : yb;
        ax.legend = sk;
        rc = npu_svg_sweep(&ax, ser, ns, sb, &err);
    } else {
        const char *yk = npu_lua_opt_string(L, 1, "y", NULL);
        const char *zk = npu_lua_opt_string(L, 1, "z", "fps");
        const char *better = npu_lua_opt_string(L, 1, "better", NULL);
        if (!yk)
            return luaL_argerror(L, 1, "field 'y' missing (the parameter of the heatmap rows)");
        int hb;
        if (better && !strcmp(better, "higher"))
            hb = 1;
        else if (better && !strcmp(better, "lower"))
            hb = 0;
        else if (better)
            return luaL_argerror(L, 1, "field 'better' must be \"higher\" or \"lower\"");
        else
            hb = !strcmp(zk, "fps") || !strcmp(zk, "tops") || !strcmp(zk, "util") ||
                 !strcmp(zk, "dram_gbps");
        lp_distinct(L, 2, nrows, xk, "x"); /* 4 */
        lp_distinct(L, 2, nrows, yk, "y"); /* 5 */
        int nx = (int)luaL_len(L, 4), ny = (int)luaL_len(L, 5);
        if (nx > 400 || ny > 400)
            return luaL_argerror(L, 1, "a heatmap axis has more than 400 values");
        double *z = lp_alloc(L, sizeof(double) * (size_t)nx * (size_t)ny);
        for (int i = 0; i < nx * ny; i++)
            z[i] = NAN;
        const char **xl = lp_alloc(L, sizeof(char *) * (size_t)nx);
        const char **yl = lp_alloc(L, sizeof(char *) * (size_t)ny);
        lua_newtable(L);
        int names = lua_gettop(L);
        for (int i = 0; i < nx; i++) {
            lua_rawgeti(L, 4, i + 1);
            xl[i] = luaL_tolstring(L, -1, NULL);
            lua_rawseti(L, names, i + 1);
            lua_pop(L, 1);
        }
        for (int j = 0; j < ny; j++) {
            lua_rawgeti(L, 5, j + 1);
            yl[j] = luaL_tolstring(L, -1, NULL);
            lua_rawseti(L, names, nx + j + 1);
            lua_pop(L, 1);
        }
        for (int i = 1; i <= nrows; i++) {
            lua_rawgeti(L, 2, i);
            int row = lua_gettop(L);
            lua_getfield(L, row, xk);
            int cx = lp_find(L, 4, -1) - 1;
            lua_getfield(L, row, yk);
            int cy = lp_find(L, 5, -1) - 1;
            int t = lua_getfield(L, row, zk);
            if (t != LUA_TNUMBER)
                return luaL_argerror(L, 1, lua_pushfstring(L, "row %d: z '%s' is %s, not a "
                                                              "number",
                                                           i, zk, luaL_typename(L, -1)));
            double v = lua_tonumber(L, -1);
            if (cx < 0 || cy < 0)
                return luaL_error(L, "plot: internal error (heatmap cell)");
            if (!isnan(z[cy * nx + cx])) {
                lua_pushnil(L);
                lua_pushfstring(L, "heatmap: rows %s = %s, %s = %s appear more than once (vary "
                                   "only '%s' and '%s', or filter the rows)",
                                xk, xl[cx], yk, yl[cy], xk, yk);
                return 2;
            }
            z[cy * nx + cx] = v;
            lua_settop(L, row - 1);
        }
        lp_label(yb, sizeof yb, zk);
        snprintf(tb, sizeof tb, "%s over %s and %s", zk, xk, yk);
        ax.title = title ? title : tb;
        ax.xlabel = xlabel ? xlabel : xk;
        ax.ylabel = ylabel ? ylabel : yk;
        unsigned flags = (hb ? NPU_SVG_HIGHER_BETTER : 0u) |
                         (npu_lua_opt_bool(L, 1, "per_row", 0) ? NPU_SVG_BEST_PER_ROW : 0u);
        rc = npu_svg_heatmap(&ax, yb, flags, nx, xl, ny, yl, z, sb, &err);
    }
    if (rc)
        return fail(L, &err);
    return lr_write(L, path, sb, force);
}

static const luaL_Reg arch_methods[] = {{"set", arch_set},     {"name", arch_name},
                                        {"model", arch_model}, {"params", arch_params},
                                        {"clone", arch_clone}, {NULL, NULL}};

static const luaL_Reg lr_funcs[] = {{"arch", l_arch},
                                    {"params", l_params},
                                    {"run", l_run},
                                    {"compare", l_compare},
                                    {"sweep", l_sweep},
                                    {"write_csv", l_write_csv},
                                    {"write_json", l_write_json},
                                    {"read_csv", l_read_csv},
                                    {"plot", l_plot},
                                    {NULL, NULL}};

void npu_lr_open(lua_State *L)
{
    luaL_newmetatable(L, NPU_LUA_ARCH);
    lua_pushcfunction(L, arch_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, arch_tostring);
    lua_setfield(L, -2, "__tostring");
    luaL_newlib(L, arch_methods);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    /* private boxes that own C memory while Lua code runs */
    luaL_newmetatable(L, "npusim.Result*");
    lua_pushcfunction(L, res_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    luaL_newmetatable(L, "npusim.Buffer*");
    lua_pushcfunction(L, sbox_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    luaL_setfuncs(L, lr_funcs, 0);
}
