/* lplot.c — npusim.plot: charts of results and sweep rows, drawn by sim/report/svg.c
 * (prefix npu_lr_; lint.h). */
#include <lauxlib.h>
#include <lua.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lint.h"
#include "../report/svg.h"

/* ---- npusim.plot --------------------------------------------------------------------------- */
/* npusim.plot{kind=, data=, path=, title=, force=, x=, y=, series=, z=, better=, logx=, logy=,
 * xlabel=, ylabel=, per_row=, label=} → true | nil, message. Charts are drawn by sim/report/svg.c:
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
 *   energy:  data = a result (or its layer list): per-layer stacked energy bars
 *   pareto:  data = rows; x, y = the two fields, lower better on both (default time_us and
 *            energy_uj), series = one colour per value (optional), label = a field naming
 *            each design in its hover title (optional); the Pareto front is marked;
 *            bound = the largest acceptable x (a latency bound): a dashed line, and the design
 *            of least y within it ringed
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
    lr_res *box = npu_lr_new_res(L);
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
    npu_script_sort_list(L, lua_gettop(L), n);
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

#define KINDS "layers, roofline, energy, sweep, heatmap or pareto"

/* A numeric field of row i (at idx) for the axis `what`; raises naming it otherwise. */
static MAY_RAISE double lp_need_num(lua_State *L, int idx, int i, const char *what,
                                    const char *key)
{
    if (lua_getfield(L, idx, key) != LUA_TNUMBER)
        luaL_argerror(L, 1, lua_pushfstring(L, "row %d: %s '%s' is %s, not a number", i, what,
                                            key, luaL_typename(L, -1)));
    double v = lua_tonumber(L, -1);
    lua_pop(L, 1);
    return v;
}

/* pareto: rows at 2 → npu_svg_pareto into sb. */
static MAY_RAISE int lp_pareto(lua_State *L, int nrows, const char *title, npu_strbuf *sb,
                               npu_err *err)
{
    const char *xk = npu_script_opt_string(L, 1, "x", "time_us");
    const char *yk = npu_script_opt_string(L, 1, "y", "energy_uj");
    const char *sk = npu_script_opt_string(L, 1, "series", NULL);
    const char *lk = npu_script_opt_string(L, 1, "label", NULL);
    const char *xlabel = npu_script_opt_string(L, 1, "xlabel", NULL);
    const char *ylabel = npu_script_opt_string(L, 1, "ylabel", NULL);
    int top = lua_gettop(L);
    int ns = 1;
    if (sk) {
        lp_distinct(L, 2, nrows, sk, "series");
        ns = (int)luaL_len(L, -1);
    } else {
        lua_newtable(L);
    }
    int slist = top + 1;
    lua_newtable(L); /* strings kept alive while drawing */
    int keep = top + 2;
    npu_svg_design *d = lp_alloc(L, sizeof *d * (size_t)nrows);
    const char **sn = lp_alloc(L, sizeof *sn * (size_t)ns);
    for (int k = 0; k < ns; k++) {
        sn[k] = NULL;
        if (sk && lua_rawgeti(L, slist, k + 1) != LUA_TNIL) {
            sn[k] = luaL_tolstring(L, -1, NULL);
            lua_rawseti(L, keep, k + 1);
        }
        if (sk)
            lua_pop(L, 1);
    }
    for (int i = 1; i <= nrows; i++) {
        lua_rawgeti(L, 2, i);
        int row = lua_gettop(L);
        npu_svg_design *p = &d[i - 1];
        p->x = lp_need_num(L, row, i, "x", xk);
        p->y = lp_need_num(L, row, i, "y", yk);
        p->series = 0;
        p->label = NULL;
        if (sk) {
            lua_getfield(L, row, sk);
            p->series = lp_find(L, slist, -1) - 1;
            lua_pop(L, 1);
        }
        if (lk) {
            int t = lua_getfield(L, row, lk);
            if (t != LUA_TNIL) {
                p->label = luaL_tolstring(L, -1, NULL);
                lua_rawseti(L, keep, ns + i);
            }
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    char tb[256], xb[160], yb[160];
    lp_label(xb, sizeof xb, xk);
    lp_label(yb, sizeof yb, yk);
    snprintf(tb, sizeof tb, "%s vs %s: Pareto front", yk, xk);
    npu_svg_axes ax = {0};
    ax.title = title ? title : tb;
    ax.xlabel = xlabel ? xlabel : xb;
    ax.ylabel = ylabel ? ylabel : yb;
    ax.legend = sk;
    lua_getfield(L, 1, "logx");
    ax.logx = lua_isnil(L, -1) ? NPU_SVG_LOG_AUTO : lua_toboolean(L, -1);
    lua_getfield(L, 1, "logy");
    ax.logy = lua_isnil(L, -1) ? NPU_SVG_LOG_AUTO : lua_toboolean(L, -1);
    lua_pop(L, 2);
    if (lua_getfield(L, 1, "bound") != LUA_TNIL) {
        int ok = 0;
        ax.xbound = lua_tonumberx(L, -1, &ok);
        if (!ok || !(ax.xbound > 0) || !isfinite(ax.xbound))
            return luaL_error(L, "plot pareto: bound must be a number > 0 (the largest "
                                 "acceptable x)");
    }
    lua_pop(L, 1);
    return npu_svg_pareto(&ax, d, nrows, sn, ns, sb, err);
}

int npu_lr_plot(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    static const char *const keys[] = {"kind", "data", "path", "title", "force", "x", "y",
                                       "series", "z", "better", "logx", "logy", "xlabel",
                                       "ylabel", "per_row", "label", "bound", NULL};
    npu_script_check_keys(L, 1, 1, keys);
    lua_settop(L, 1);
    const char *kname = npu_script_opt_string(L, 1, "kind", NULL);
    const char *path = npu_script_opt_string(L, 1, "path", NULL);
    const char *title = npu_script_opt_string(L, 1, "title", NULL);
    int force = npu_script_opt_bool(L, 1, "force", 0);
    npu_svg_kind kind;
    if (!kname)
        return luaL_argerror(L, 1, "field 'kind' missing (" KINDS ")");
    if (npu_svg_kind_parse(kname, &kind) != 0) {
        static const char *const kinds[] = {"layers", "roofline", "sweep", "heatmap",
                                            "energy", "pareto", NULL};
        const char *dym = npu_did_you_mean(kname, kinds);
        return luaL_argerror(L, 1, lua_pushfstring(L, "unknown kind '%s'%s%s%s (" KINDS ")",
                                                   kname, dym ? " (did you mean '" : "",
                                                   dym ? dym : "", dym ? "'?)" : ""));
    }
    if (!path)
        return luaL_argerror(L, 1, "field 'path' missing (the .svg file to write)");
    if (lua_getfield(L, 1, "data") != LUA_TTABLE) /* 2 */
        return luaL_argerror(L, 1, lua_pushfstring(L, "field 'data' must be a table, got %s",
                                                   luaL_typename(L, -1)));
    npu_strbuf *sb = npu_lr_new_sb(L); /* 3 */
    npu_err err = {0};
    int rc;
    if (kind == NPU_SVG_LAYERS || kind == NPU_SVG_ROOFLINE || kind == NPU_SVG_ENERGY) {
        npu_result *r = lp_result(L, 2);
        rc = npu_svg_result(r, kind, title, sb, &err);
        if (rc)
            return npu_lr_fail(L, &err);
        return npu_lr_write(L, path, sb, force);
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
    if (kind == NPU_SVG_PARETO) {
        if (lp_pareto(L, nrows, title, sb, &err))
            return npu_lr_fail(L, &err);
        return npu_lr_write(L, path, sb, force);
    }
    const char *xk = npu_script_opt_string(L, 1, "x", NULL);
    const char *xlabel = npu_script_opt_string(L, 1, "xlabel", NULL);
    const char *ylabel = npu_script_opt_string(L, 1, "ylabel", NULL);
    if (!xk)
        return luaL_argerror(L, 1, "field 'x' missing (the parameter on the x axis)");
    char tb[256], yb[160];
    npu_svg_axes ax = {0};
    if (kind == NPU_SVG_SWEEP) {
        const char *yk = npu_script_opt_string(L, 1, "y", "fps");
        const char *sk = npu_script_opt_string(L, 1, "series", NULL);
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
        lua_getfield(L, 1, "logx");
        /* absent: the report's one rule for automatic axes (npu_svg_auto_log, as the CLI) */
        ax.logx = lua_isnil(L, -1) ? NPU_SVG_LOG_AUTO : lua_toboolean(L, -1);
        lua_pop(L, 1);
        ax.logy = npu_script_opt_bool(L, 1, "logy", 0);
        lp_label(yb, sizeof yb, yk);
        snprintf(tb, sizeof tb, "%s vs %s", yk, xk);
        ax.title = title ? title : tb;
        ax.xlabel = xlabel ? xlabel : xk;
        ax.ylabel = ylabel ? ylabel : yb;
        ax.legend = sk;
        rc = npu_svg_sweep(&ax, ser, ns, sb, &err);
    } else {
        const char *yk = npu_script_opt_string(L, 1, "y", NULL);
        const char *zk = npu_script_opt_string(L, 1, "z", "fps");
        const char *better = npu_script_opt_string(L, 1, "better", NULL);
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
                         (npu_script_opt_bool(L, 1, "per_row", 0) ? NPU_SVG_BEST_PER_ROW : 0u);
        rc = npu_svg_heatmap(&ax, yb, flags, nx, xl, ny, yl, z, sb, &err);
    }
    if (rc)
        return npu_lr_fail(L, &err);
    return npu_lr_write(L, path, sb, force);
}
