/* lwl.c — npusim.run_workloads: several workloads at once on one chip (prefix npu_lr_; the run
 * is sim/workload.c, the meaning docs/workloads.md).
 *
 *   local r = npusim.run_workloads{ arch = "rk3588", set = { ["dram.gbps"] = 20 },
 *       workloads = { { name = "det", graph = "yolov5s", fps = 30, count = 10,
 *                       set = { core_mask = 0 } },
 *                     { name = "cls", graph = g, after = "det", set = { core_mask = 1 } } } }
 *   r.workloads[1].latency_us.p99, r.workloads[1].deadline_misses, r.workloads[2].frame.layers
 *
 * The result is a table with the keys of the CLI's JSON (schema npusim.workloads/1); each
 * workload's `frame` is its median frame as a result table (as npusim.run returns).
 */
#include <lauxlib.h>
#include <lua.h>

#include <stdio.h>
#include <string.h>

#include "../core/wlres.h"
#include "lint.h"

#define WL_BOX "npusim.WlRun*"
#define MAX_WL 64

typedef struct wl_box {
    npu_wl_run *r;
    npu_workload w[MAX_WL];
    const char *sets[MAX_WL][32];
} wl_box;

static int wl_gc(lua_State *L)
{
    wl_box *b = lua_touserdata(L, 1);
    if (b) {
        npu_wl_run_free(b->r);
        b->r = NULL;
    }
    return 0;
}

static void num(lua_State *L, const char *k, double v)
{
    lua_pushnumber(L, v);
    lua_setfield(L, -2, k);
}

static void integer(lua_State *L, const char *k, long long v)
{
    lua_pushinteger(L, (lua_Integer)v);
    lua_setfield(L, -2, k);
}

static void str(lua_State *L, const char *k, const char *v)
{
    lua_pushstring(L, v ? v : "");
    lua_setfield(L, -2, k);
}

/* The keys a workload and a pipeline (end to end) share. */
static void push_common(lua_State *L, const npu_wl_stat *s)
{
    str(L, "name", s->name);
    str(L, "graph", s->graph);
    str(L, "settings", s->sets);
    str(L, "after", s->after);
    num(L, "fps", s->fps);
    integer(L, "frames", s->count);
    lua_createtable(L, 0, 5);
    num(L, "min", s->lat_min_us);
    num(L, "median", s->lat_med_us);
    num(L, "p99", s->lat_p99_us);
    num(L, "max", s->lat_max_us);
    num(L, "mean", s->lat_mean_us);
    lua_setfield(L, -2, "latency_us");
    num(L, "throughput_fps", s->throughput_fps);
    integer(L, "deadline_misses", s->misses);
    num(L, "busy_us", s->busy_us);
}

static void push_stat(lua_State *L, const npu_wl_stat *s)
{
    lua_createtable(L, 0, 16);
    push_common(L, s);
    integer(L, "median_frame", s->median_frame);
    integer(L, "dram_rd_bytes", s->dram_rd_bytes);
    integer(L, "dram_wr_bytes", s->dram_wr_bytes);
    integer(L, "sram_bytes", s->sram_bytes);
    npu_lr_push_result(L, s->frame);
    lua_setfield(L, -2, "frame");
}

/* t[key] as a number (absent → 0); raises on another type or a value outside [0, max]. */
static double opt_num(lua_State *L, int t, const char *key, double max, const char *wl)
{
    lua_getfield(L, t, key);
    double v = 0;
    if (!lua_isnil(L, -1)) {
        int ok = 0;
        v = lua_tonumberx(L, -1, &ok);
        if (!ok || !(v >= 0 && v <= max))
            luaL_error(L, "npusim.run_workloads: workload %s: '%s' must be a number in [0, %f]",
                       wl, key, max);
    }
    lua_pop(L, 1);
    return v;
}

/* Workload i (the table on the stack top) into b->w[i]; its strings stay on the stack. */
static int one(lua_State *L, wl_box *b, int i, npu_err *err)
{
    int t = lua_gettop(L);
    static const char *const keys[] = {"name", "graph", "set", "count", "fps", "after", NULL};
    npu_script_check_keys(L, t, 1, keys);
    npu_workload *w = &b->w[i];
    lua_getfield(L, t, "name");
    w->name = npu_script_check_cstr(L, -1, "workload name");
    lua_getfield(L, t, "graph");
    if (lua_isnil(L, -1))
        return luaL_error(L, "npusim.run_workloads: workload %s: field 'graph' missing", w->name);
    w->graph = npu_lr_resolve_graph(L, 1, lua_gettop(L), err);
    if (!w->graph)
        return 1;
    double c = opt_num(L, t, "count", 100000, w->name);
    if (c != (double)(int)c)
        return luaL_error(L, "npusim.run_workloads: workload %s: 'count' must be whole", w->name);
    w->count = (int)c;
    w->fps = opt_num(L, t, "fps", 1e6, w->name);
    w->after = npu_script_opt_string(L, t, "after", NULL);
    int set = npu_lr_opt_table(L, t, "set");
    if (set) {
        int nk = npu_lr_sorted_keys(L, set, "workload set"), keys_at = lua_gettop(L);
        if (nk > 32)
            return luaL_error(L, "npusim.run_workloads: workload %s: more than 32 settings",
                              w->name);
        for (int k = 1; k <= nk; k++) {
            char v[256];
            const char *key = npu_lr_key_value(L, set, keys_at, k, v, sizeof v, "workload set");
            b->sets[i][k - 1] = lua_pushfstring(L, "%s=%s", key, v); /* kept on the stack */
        }
        w->sets = b->sets[i];
        w->nsets = nk;
    }
    return 0;
}

/* npusim.run_workloads{arch=, set={}, workloads={{name=, graph=, set=, count=, fps=, after=},
 * ...}} → result table | nil, message */
/* A box on the stack that frees its run when collected (an error leaves nothing behind). */
static wl_box *new_box(lua_State *L)
{
    wl_box *b = lua_newuserdatauv(L, sizeof *b, 0);
    memset(b, 0, sizeof *b);
    if (luaL_newmetatable(L, WL_BOX)) {
        lua_pushcfunction(L, wl_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    return b;
}

static int push_run(lua_State *L, wl_box *b);

int npu_lr_run_workloads(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    static const char *const keys[] = {"arch", "set", "workloads", "trace", "force", NULL};
    npu_script_check_keys(L, 1, 1, keys);
    lua_settop(L, 1);
    lua_getfield(L, 1, "arch"); /* 2 */
    if (lua_isnil(L, 2))
        return luaL_argerror(L, 1, "field 'arch' missing");
    int set = npu_lr_opt_table(L, 1, "set");
    int wls = npu_lr_opt_table(L, 1, "workloads");
    int n = wls ? (int)luaL_len(L, wls) : 0;
    if (n < 1 || n > MAX_WL)
        return luaL_argerror(L, 1, "field 'workloads' must list 1 to 64 workloads");
    npu_err err = {0};
    if (npu_lr_resolve_arch(L, 1, 2, set, &err) != 0)
        return npu_lr_fail(L, &err);
    npu_arch *a = npu_lr_check_arch(L, -1);
    wl_box *b = new_box(L);
    for (int i = 0; i < n; i++) {
        lua_rawgeti(L, wls, i + 1);
        if (!lua_istable(L, -1))
            return luaL_error(L, "npusim.run_workloads: workloads[%d] is not a table", i + 1);
        if (one(L, b, i, &err))
            return npu_lr_fail(L, &err);
    }
    npu_run_opts ro = {.trace_path = npu_script_opt_string(L, 1, "trace", NULL),
                       .force = npu_script_opt_bool(L, 1, "force", 0)};
    if (ro.trace_path && npu_script_path_ok(L, ro.trace_path, 0, &err) != 0)
        return npu_lr_fail(L, &err); /* the file sandbox (--sandbox) */
    int frames = 1; /* the most frames of one workload (0: its after's, so at most this) */
    for (int i = 0; i < n; i++)
        frames = b->w[i].count > frames ? b->w[i].count : frames;
    if (npu_lr_charge_runs(L, (long long)n * frames, &err))
        return npu_lr_fail(L, &err);
    b->r = npu_run_workloads(npu_script_ctx(L), a, b->w, n, &ro, &err);
    if (!b->r)
        return npu_lr_fail(L, &err);
    return push_run(L, b);
}

/* The result table of a workloads run (the CLI's JSON keys); frees the run. */
static int push_run(lua_State *L, wl_box *b)
{
    const npu_wl_run *r = b->r;
    lua_createtable(L, 0, 6);
    str(L, "schema", NPU_WL_SCHEMA);
    str(L, "arch", r->arch);
    num(L, "time_us", r->time_us);
    integer(L, "dram_rd_bytes", r->dram_rd_bytes);
    integer(L, "dram_wr_bytes", r->dram_wr_bytes);
    if (r->chips > 1 || r->link_bytes > 0) { /* a card, as in the JSON */
        integer(L, "chips", r->chips);
        integer(L, "link_bytes", r->link_bytes);
    }
    if (r->spread) { /* a plain run on a card (npusim.run_card) */
        str(L, "spread", r->spread);
        str(L, "unit", r->unit);
        num(L, "card_items_per_s", r->card_items_s);
    }
    lua_createtable(L, r->n, 0);
    for (int i = 0; i < r->n; i++) {
        push_stat(L, &r->w[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "workloads");
    if (r->npipes > 0) { /* pipeline=N (docs/workloads.md "Layer pipelining") */
        lua_createtable(L, r->npipes, 0);
        for (int p = 0; p < r->npipes; p++) {
            const npu_wl_pipe *q = &r->pipes[p];
            lua_createtable(L, 0, 14);
            push_common(L, &q->s);
            str(L, "cuts", q->cuts);
            num(L, "alone_us", q->alone_us);
            lua_createtable(L, q->stages, 0); /* the stages' names: keys of workloads[] */
            for (int s = 0; s < q->stages; s++) {
                lua_pushstring(L, r->w[q->first + s].name);
                lua_rawseti(L, -2, s + 1);
            }
            lua_setfield(L, -2, "stages");
            lua_rawseti(L, -2, p + 1);
        }
        lua_setfield(L, -2, "pipelines");
    }
    npu_wl_run_free(b->r); /* now, not at the next collection */
    b->r = NULL;
    return 1;
}

/* npusim.run_card{arch=, graph=, set=, trace=, force=}: a plain run on a card preset, its
 * frames spread over the chips (npu_run_card; `npusim run -a atlas300i GRAPH`) → the table of
 * npusim.run_workloads with spread, unit and card_items_per_s | nil, message. */
int npu_lr_run_card(lua_State *L)
{
    npu_run_opts ro;
    npu_arch *a;
    const npu_graph *g;
    npu_err err = {0};
    if (npu_lr_run_args(L, &ro, &a, &g, &err))
        return npu_lr_fail(L, &err);
    if (npu_lr_charge_runs(L, 1, &err))
        return npu_lr_fail(L, &err);
    wl_box *b = new_box(L);
    b->r = npu_run_card(npu_script_ctx(L), a, g, &ro, &err);
    if (!b->r)
        return npu_lr_fail(L, &err);
    return push_run(L, b);
}
