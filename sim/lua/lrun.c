/* lrun.c — npusim.run and npusim.compare, results as tables, and the registration of every
 * function of this folder's files (prefix npu_lr_; lint.h).
 *
 * Results are plain tables whose field names are exactly those of sim/core/result.h (marshalled
 * from npu_layer_fields / npu_total_fields: INT fields as Lua integers, FLOAT as floats).
 */
#include <lauxlib.h>
#include <lua.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lint.h"
#include "../report/report.h"

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

void npu_lr_set_total_fields(lua_State *L, const npu_total_row *t)
{
    for (const npu_field *f = npu_total_fields; f->name; f++) {
        push_field(L, t, f);
        lua_setfield(L, -2, f->name);
    }
}

void npu_lr_push_layers(lua_State *L, const npu_result *r)
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
    npu_lr_push_param_values(L, r->params);
    lua_setfield(L, -2, "params");
    lua_createtable(L, 0, npu_total_nfields);
    npu_lr_set_total_fields(L, &r->total);
    lua_setfield(L, -2, "total");
    npu_lr_push_layers(L, r);
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

void npu_lr_push_result(lua_State *L, const npu_result *r) { push_result(L, r); }

/* A result owned by a userdata while it is being marshalled (pushes may raise). */
int npu_lr_res_gc(lua_State *L)
{
    lr_res *box = lua_touserdata(L, 1);
    if (box) {
        npu_result_free(box->r);
        box->r = NULL;
    }
    return 0;
}

lr_res *npu_lr_new_res(lua_State *L)
{
    lr_res *box = lua_newuserdatauv(L, sizeof *box, 0);
    box->r = NULL;
    luaL_setmetatable(L, "npusim.Result*");
    return box;
}

/* ---- resolving run{} arguments ------------------------------------------------------------------ */
/* The arch field at t[key]: a name or an Arch. Pushes an owned clone (Arch userdata) with `set`
 * applied. Returns 0, or pushes nothing and fills err (recoverable). */
MAY_RAISE int npu_lr_resolve_arch(lua_State *L, int argn, int val, int set, npu_err *err)
{
    lr_arch *box;
    if (lua_type(L, val) == LUA_TSTRING) {
        box = npu_lr_new_arch(L);
        box->a = npu_arch_open(npu_script_ctx(L), lua_tostring(L, val), err);
    } else if (luaL_testudata(L, val, NPU_LUA_ARCH)) {
        npu_arch *src = npu_lr_check_arch(L, val);
        box = npu_lr_new_arch(L);
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
    if (set && npu_lr_apply_set(L, set, box->a, "set", err) != 0) {
        lua_pop(L, 1);
        return err->code;
    }
    return 0;
}

/* The graph field: a Graph, or a string (path or zoo name) loaded now. Pushes the Graph. */
MAY_RAISE const npu_graph *npu_lr_resolve_graph(lua_State *L, int argn, int val, npu_err *err)
{
    if (lua_type(L, val) == LUA_TSTRING) {
        npu_script_graph *box = npu_script_new_graph(L);
        box->g = npu_load_graph(npu_script_ctx(L), lua_tostring(L, val), NULL, err);
        if (!box->g) {
            lua_pop(L, 1);
            return NULL;
        }
        return box->g;
    }
    if (npu_script_test_graph(L, val)) {
        const npu_graph *g = npu_script_check_graph(L, val);
        lua_pushvalue(L, val);
        return g;
    }
    luaL_argerror(L, argn, lua_pushfstring(L, "field 'graph' must be an npusim.Graph or a "
                                              "path/network name, got %s",
                                           luaL_typename(L, val)));
    return NULL;
}

MAY_RAISE int npu_lr_opt_table(lua_State *L, int t, const char *key)
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

int npu_lr_fail(lua_State *L, const npu_err *err)
{
    lua_pushnil(L);
    lua_pushstring(L, err->msg[0] ? err->msg : "failed");
    return 2;
}

/* Leaves the options table at 1, its 'arch' at 2 and its 'graph' at 3; raises if either is
 * missing. Shared by run and sweep. */
MAY_RAISE void npu_lr_arch_graph_fields(lua_State *L)
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
    npu_script_check_keys(L, 1, 1, keys);
    npu_lr_arch_graph_fields(L);
    int set = npu_lr_opt_table(L, 1, "set");
    npu_run_opts ro = {0};
    ro.trace_path = npu_script_opt_string(L, 1, "trace", NULL);
    ro.force = npu_script_opt_bool(L, 1, "force", 0);
    npu_err err = {0};
    if (npu_lr_resolve_arch(L, 1, 2, set, &err) != 0)
        return npu_lr_fail(L, &err);
    npu_arch *a = npu_lr_check_arch(L, -1);
    const npu_graph *g = npu_lr_resolve_graph(L, 1, 3, &err);
    if (!g)
        return npu_lr_fail(L, &err);
    lr_res *res = npu_lr_new_res(L);
    res->r = npu_run(npu_script_ctx(L), a, g, ro.trace_path ? &ro : NULL, &err);
    if (!res->r)
        return npu_lr_fail(L, &err);
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
    npu_script_check_keys(L, 1, 1, keys);
    lua_settop(L, 1);
    int archs = npu_lr_opt_table(L, 1, "archs");
    if (!archs)
        return luaL_argerror(L, 1, "field 'archs' missing");
    lua_getfield(L, 1, "graph");
    int gval = lua_gettop(L);
    if (lua_isnil(L, gval))
        return luaL_argerror(L, 1, "field 'graph' missing");
    int set = npu_lr_opt_table(L, 1, "set");
    int n = (int)luaL_len(L, archs);
    if (n < 1)
        return luaL_argerror(L, 1, "field 'archs' is empty");
    npu_err err = {0};
    const npu_graph *g = npu_lr_resolve_graph(L, 1, gval, &err);
    if (!g)
        return npu_lr_fail(L, &err);
    lua_createtable(L, n, 0);
    int results = lua_gettop(L);
    lua_createtable(L, n, 0); /* the result boxes, owned until the end */
    int boxes = lua_gettop(L);
    const npu_result **rs = lua_newuserdatauv(L, sizeof *rs * (size_t)n, 0);
    int top = lua_gettop(L);
    for (int i = 1; i <= n; i++) {
        lua_rawgeti(L, archs, i);
        int av = lua_gettop(L);
        if (npu_lr_resolve_arch(L, 1, av, set, &err) != 0)
            return npu_lr_fail(L, &err);
        npu_arch *a = npu_lr_check_arch(L, -1);
        lr_res *res = npu_lr_new_res(L);
        res->r = npu_run(npu_script_ctx(L), a, g, NULL, &err);
        if (!res->r)
            return npu_lr_fail(L, &err);
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

static const luaL_Reg lr_funcs[] = {{"arch", npu_lr_arch},
                                    {"params", npu_lr_params},
                                    {"run", l_run},
                                    {"compare", l_compare},
                                    {"sweep", npu_lr_sweep},
                                    {"write_csv", npu_lr_write_csv},
                                    {"write_json", npu_lr_write_json},
                                    {"read_csv", npu_lr_read_csv},
                                    {"plot", npu_lr_plot},
                                    {"run_workloads", npu_lr_run_workloads},
                                    {NULL, NULL}};

void npu_lr_open(lua_State *L)
{
    npu_lr_arch_open(L);
    /* private boxes that own C memory while Lua code runs */
    luaL_newmetatable(L, "npusim.Result*");
    lua_pushcfunction(L, npu_lr_res_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    luaL_newmetatable(L, "npusim.Buffer*");
    lua_pushcfunction(L, npu_lr_sbox_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    luaL_setfuncs(L, lr_funcs, 0);
}
