/* lrun.c — npusim.run, compare, report and summary, results as tables, and the registration
 * of every function of this folder's files (prefix npu_lr_; lint.h).
 *
 * Results are plain tables whose field names are exactly those of sim/core/result.h (marshalled
 * from npu_layer_fields / npu_total_fields: INT fields as Lua integers, FLOAT as floats). Each
 * keeps the C result it was made of (in its metatable, as its `layers` list does), so that
 * report, summary, write_json and write_csv write it with sim/report's writers — the bytes of
 * `npusim run` — as long as the table still says what the C result says (npu_lr_result_of).
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
        for (int k = 0; k < NPU_REP_SHAPE_COLS; k++) {
            const char *s = npu_rep_shape(r, i, k);
            if (s) {
                lua_pushstring(L, s);
                lua_setfield(L, -2, npu_rep_shape_names[k]);
            }
        }
        for (int e = 0; e < r->nextra && r->extra; e++) {
            lua_pushnumber(L, r->extra[(size_t)i * (size_t)r->nextra + (size_t)e]);
            lua_setfield(L, -2, r->extra_names[e]);
        }
        lua_rawseti(L, -2, i + 1);
    }
}

/* The metatable keys under which a result table and its layers list keep their C result. */
#define LR_KEY_RESULT "npusim.result"
#define LR_KEY_LAYERS "npusim.layers"

/* {schema=, arch=, model=, graph=, params={...}, total={...}, layers={...}}; schema is the
 * CLI's JSON version. With box (a stack index of the lr_res owning r; 0: none) the table and its
 * layers keep r (the box) in their metatables. */
static void push_result(lua_State *L, const npu_result *r, int box)
{
    box = box ? lua_absindex(L, box) : 0;
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
    if (box) {
        lua_createtable(L, 0, 1);
        lua_pushvalue(L, box);
        lua_setfield(L, -2, LR_KEY_LAYERS);
        lua_setmetatable(L, -2);
    }
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
    if (box) {
        lua_pushvalue(L, box);
        lua_setfield(L, -2, LR_KEY_RESULT);
    }
    lua_setmetatable(L, -2);
}

/* Are the values at a and b equal, tables key by key (depth ≤ 4)? Numbers are equal when they
 * are of the same subtype and value, or both NaN. */
static int deep_eq(lua_State *L, int a, int b, int depth)
{
    a = lua_absindex(L, a);
    b = lua_absindex(L, b);
    int t = lua_type(L, a);
    if (t != lua_type(L, b))
        return 0;
    if (t == LUA_TNUMBER) {
        if (lua_isinteger(L, a) != lua_isinteger(L, b))
            return 0;
        double x = lua_tonumber(L, a), y = lua_tonumber(L, b);
        return lua_rawequal(L, a, b) || (x != x && y != y);
    }
    if (t != LUA_TTABLE)
        return lua_rawequal(L, a, b);
    if (depth > 4 || !lua_checkstack(L, 8))
        return 0;
    size_t na = 0, nb = 0;
    lua_pushnil(L);
    while (lua_next(L, a)) {
        na++;
        lua_pushvalue(L, -2);
        lua_rawget(L, b);
        int eq = !lua_isnil(L, -1) && deep_eq(L, -2, -1, depth + 1);
        lua_pop(L, 2);
        if (!eq) {
            lua_pop(L, 1);
            return 0;
        }
    }
    lua_pushnil(L);
    while (lua_next(L, b)) {
        nb++;
        lua_pop(L, 1);
    }
    return na == nb;
}

const npu_result *npu_lr_result_of(lua_State *L, int idx, bool layers)
{
    idx = lua_absindex(L, idx);
    if (!lua_istable(L, idx) || !lua_getmetatable(L, idx))
        return NULL;
    lua_getfield(L, -1, layers ? LR_KEY_LAYERS : LR_KEY_RESULT);
    lr_res *box = luaL_testudata(L, -1, "npusim.Result*");
    const npu_result *r = box ? box->r : NULL;
    lua_pop(L, 2);
    if (!r)
        return NULL;
    /* the table as it was made, compared with the table as it is now */
    if (layers)
        npu_lr_push_layers(L, r);
    else
        push_result(L, r, 0);
    int same = deep_eq(L, idx, -1, 0);
    lua_pop(L, 1);
    return same ? r : NULL;
}

void npu_lr_push_result(lua_State *L, const npu_result *r) { push_result(L, r, 0); }

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
        const char *name = npu_script_cstr(L, val, "arch");
        if (npu_script_path_ok(L, name, 1, err) == 0)
            box->a = npu_arch_open(npu_script_ctx(L), name, err);
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
        const char *name = npu_script_cstr(L, val, "graph");
        if (npu_script_path_ok(L, name, 1, err) == 0)
            box->g = npu_lr_load_graph(L, name, NULL, err);
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

MAY_RAISE int npu_lr_run_args(lua_State *L, npu_run_opts *ro, npu_arch **a, const npu_graph **g,
                               npu_err *err)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    static const char *const keys[] = {"arch", "graph", "set", "trace", "force", NULL};
    npu_script_check_keys(L, 1, 1, keys);
    lua_settop(L, 1);
    npu_lr_arch_graph_fields(L);
    int set = npu_lr_opt_table(L, 1, "set");
    *ro = (npu_run_opts){.trace_path = npu_script_opt_string(L, 1, "trace", NULL),
                         .force = npu_script_opt_bool(L, 1, "force", 0)};
    if (ro->trace_path && npu_script_path_ok(L, ro->trace_path, 0, err) != 0)
        return err->code;
    if (npu_lr_resolve_arch(L, 1, 2, set, err) != 0)
        return err->code;
    *a = npu_lr_check_arch(L, -1);
    *g = npu_lr_resolve_graph(L, 1, 3, err);
    return *g ? 0 : err->code;
}

/* npusim.run{arch=, graph=, set={}, trace=, force=} → result table | nil, message */
static int l_run(lua_State *L)
{
    npu_run_opts ro;
    npu_arch *a;
    const npu_graph *g;
    npu_err err = {0};
    if (npu_lr_run_args(L, &ro, &a, &g, &err))
        return npu_lr_fail(L, &err);
    if (npu_lr_charge_runs(L, 1, &err))
        return npu_lr_fail(L, &err);
    lr_res *res = npu_lr_new_res(L);
    res->r = npu_run(npu_script_ctx(L), a, g, ro.trace_path ? &ro : NULL, &err);
    if (!res->r)
        return npu_lr_fail(L, &err);
    if (npu_rep_fill_shapes(res->r, g))
        return luaL_error(L, "npusim.run: out of memory");
    push_result(L, res->r, -1); /* keeps res->r for npusim.report */
    return 1;
}

/* The result at argument 1 as sim/report sees it; raises when it is not an unchanged result. */
static const npu_result *check_result(lua_State *L)
{
    const npu_result *r = npu_lr_result_of(L, 1, false);
    if (!r)
        luaL_argerror(L, 1, lua_istable(L, 1) && lua_getmetatable(L, 1)
                                ? "a result of npusim.run expected as the run returned it "
                                  "(this one was changed since: its report would not be a run)"
                                : "a result of npusim.run or npusim.compare expected");
    return r;
}

/* npusim.report(result, fmt [, {summary = "op"|"engine"|"op,engine", quiet = true}]) → the text
 * `npusim run -f fmt [--summary ...] [-q]` writes for the same run (npu_rep_result_out). */
static int l_report(lua_State *L)
{
    const npu_result *r = check_result(L);
    npu_format f;
    if (npu_format_parse(luaL_optstring(L, 2, "table"), &f))
        return luaL_argerror(L, 2, lua_pushfstring(L, "format '%s' unknown (table, csv or json)",
                                                   lua_tostring(L, 2)));
    unsigned by = 0;
    bool quiet = false;
    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TTABLE);
        static const char *const keys[] = {"summary", "quiet", NULL};
        npu_script_check_keys(L, 3, 3, keys);
        const char *s = npu_script_opt_string(L, 3, "summary", NULL);
        if (s && npu_rep_summary_parse(s, &by))
            return luaL_argerror(L, 3, lua_pushfstring(L, "summary '%s': expected op, engine "
                                                          "or op,engine", s));
        quiet = npu_script_opt_bool(L, 3, "quiet", 0);
    }
    npu_strbuf *sb = npu_lr_new_sb(L);
    if (npu_rep_result_out(r, f, by, quiet, sb) || sb->oom)
        return luaL_error(L, "npusim.report: out of memory");
    lua_pushlstring(L, sb->s ? sb->s : "", sb->len);
    return 1;
}

/* Pushes the summary rows of r by `by` (0: the total row alone, as a table, not a list). */
static void push_summary_rows(lua_State *L, const npu_result *r, unsigned by)
{
    /* the rows move into a Lua-owned buffer before anything that may raise */
    npu_strbuf *sb = npu_lr_new_sb(L);
    npu_rep_sum_row *m;
    int n;
    if (npu_rep_summary_rows(r, by, &m, &n) == NPU_OK) {
        npu_sb_putn(sb, (const char *)m, (size_t)n * sizeof *m);
        free(m);
    }
    if (!sb->s || sb->oom)
        luaL_error(L, "npusim.summary: out of memory");
    const npu_rep_sum_row *rows = (const npu_rep_sum_row *)(const void *)sb->s;
    if (by)
        lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        lua_createtable(L, 0, NPU_REP_SUM_NCOLS + 1);
        lua_pushstring(L, rows[i].name);
        lua_setfield(L, -2, "name");
        for (int k = 0; k < NPU_REP_SUM_NCOLS; k++) {
            if (rows[i].isint[k])
                lua_pushinteger(L, (lua_Integer)rows[i].iv[k]);
            else
                lua_pushnumber(L, rows[i].dv[k]);
            lua_setfield(L, -2, npu_rep_sum_cols[k]);
        }
        if (by)
            lua_rawseti(L, -2, i + 1);
    }
    lua_remove(L, -2); /* the buffer */
}

/* npusim.summary(result [, "op"|"engine"|"op,engine"]) → {total = {...}, ops = {...},
 * engines = {...}}: the groups of `npusim run --summary` as tables (the JSON's keys). */
static int l_summary(lua_State *L)
{
    const npu_result *r = check_result(L);
    const char *s = luaL_optstring(L, 2, "op");
    unsigned by;
    if (npu_rep_summary_parse(s, &by))
        return luaL_argerror(L, 2, lua_pushfstring(L, "'%s': expected op, engine or op,engine",
                                                   s));
    lua_createtable(L, 0, 3);
    push_summary_rows(L, r, 0);
    lua_setfield(L, -2, "total");
    if (by & NPU_REP_BY_OP) {
        push_summary_rows(L, r, NPU_REP_BY_OP);
        lua_setfield(L, -2, "ops");
    }
    if (by & NPU_REP_BY_ENGINE) {
        push_summary_rows(L, r, NPU_REP_BY_ENGINE);
        lua_setfield(L, -2, "engines");
    }
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
    if (npu_lr_charge_runs(L, n, &err))
        return npu_lr_fail(L, &err);
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
        if (npu_rep_fill_shapes(res->r, g))
            return luaL_error(L, "npusim.compare: out of memory");
        rs[i - 1] = res->r;
        lua_pushvalue(L, -1);
        lua_rawseti(L, boxes, i);
        push_result(L, res->r, -1);
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
                                    {"report", l_report},
                                    {"summary", l_summary},
                                    {"sweep", npu_lr_sweep},
                                    {"merge", npu_lr_merge},
                                    {"write_csv", npu_lr_write_csv},
                                    {"write_json", npu_lr_write_json},
                                    {"read_csv", npu_lr_read_csv},
                                    {"plot", npu_lr_plot},
                                    {"run_workloads", npu_lr_run_workloads},
                                    {"run_card", npu_lr_run_card},
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
