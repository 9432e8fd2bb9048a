/* lstudy.c — a sweep's points as a study (prefix npu_lr_study_; lint.h; docs/sweeps.md).
 *
 * A spec (a table, or a Lua file returning one) names one arch or a list, one graph or a list,
 * `vary` axes (or an explicit `points` list), a fixed `set` and the `metrics` to keep. Its
 * points are enumerated in one fixed order: arch (list order), then graph (list order), then
 * the vary points (names sorted, the last name fastest) — point p is
 * (a, g, v) = (p / (ngraph * nvp), p / nvp % ngraph, p % nvp).
 *
 * Every point has an id: FNV-1a/64 over what decides its result — the tag "npusim.point/1",
 * the preset and model names, every parameter of the configured arch in the model's table
 * order (name, then the raw value: the double's 8 bytes least significant first, or the string;
 * names and strings end with a NUL), then the 8 bytes of the FNV-1a/64 of the graph's .npg text —
 * written as 16 lowercase hex digits. Two points with the same id are the same design (a value
 * repeated in `vary`): a sweep that writes a file refuses the spec. The id, not the row's
 * position, is what resume and merge match, so a row computed anywhere (another shard,
 * another machine) is the row of that point, and a row of another study is recognised.
 *
 * Rows are CSV: id, arch, graph, the varied parameters (sorted by name, their values as the
 * spec wrote them), then the metrics (result.h's total fields, or the spec's `metrics`).
 * Integers are written exactly, floats in their shortest round-trip form (as npusim.write_csv
 * does), so a row depends on nothing but its point: a sharded study merges to the bytes of a
 * single-process run. Files are written whole through npu_out (temporary + rename): a killed
 * run leaves the previous complete file, never a torn one.
 */
#include <lauxlib.h>
#include <lua.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lint.h"
#include "lua.h"
#include "../report/report.h"

#define STUDY_MT "npusim.Study*"
#define MAX_POINTS 1000000

/* ---- FNV-1a/64 -------------------------------------------------------------------------------- */
static uint64_t fnv(uint64_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ull;
    }
    return h;
}
#define FNV_INIT 0xcbf29ce484222325ull

/* ---- the study's memory ------------------------------------------------------------------------- */
static int study_gc(lua_State *L)
{
    lr_study *st = lua_touserdata(L, 1);
    if (!st)
        return 0;
    if (st->line)
        for (int p = 0; p < st->n; p++)
            free(st->line[p]);
    free(st->line);
    free(st->line_file);
    free(st->line_no);
    free(st->arch);
    free(st->graph);
    free(st->kvoff);
    free(st->kvcount);
    free(st->metric);
    free(st->id);
    free(st->slot);
    npu_sb_free(&st->kvbuf);
    npu_sb_free(&st->pnames);
    npu_sb_free(&st->header);
    memset(st, 0, sizeof *st);
    return 0;
}

void npu_lr_study_split(const lr_study *st, int p, int *a, int *g, int *v)
{
    *v = p % st->nvp;
    *g = p / st->nvp % st->ngraph;
    *a = p / st->nvp / st->ngraph;
}

static npu_arch *arch_of(const lr_study *st, int a, int v, npu_err *err)
{
    npu_arch *x = npu_arch_clone(st->arch[a]);
    if (!x) {
        npu_err_set(err, NPU_ENOMEM, "out of memory");
        return NULL;
    }
    const char *kv = st->kvcount[v] ? st->kvbuf.s + st->kvoff[v] : "";
    for (int k = 0; k < st->kvcount[v]; k++) {
        const char *key = kv, *val = kv + strlen(kv) + 1;
        if (npu_arch_set(x, key, val, err) != 0) {
            npu_arch_free(x);
            return NULL;
        }
        kv = val + strlen(val) + 1;
    }
    return x;
}

npu_arch *npu_lr_study_arch(const lr_study *st, int p, npu_err *err)
{
    int a, g, v;
    npu_lr_study_split(st, p, &a, &g, &v);
    return arch_of(st, a, v, err);
}

/* ---- rows -------------------------------------------------------------------------------------- */
/* id, arch, graph and the parameters: everything of a row that the spec decides. */
static void row_prefix(const lr_study *st, int p, npu_strbuf *sb)
{
    int a, g, v;
    npu_lr_study_split(st, p, &a, &g, &v);
    npu_sb_printf(sb, "%016llx,", (unsigned long long)st->id[p]);
    npu_rep_csv_str(sb, npu_arch_params(st->arch[a])->arch);
    npu_sb_putc(sb, ',');
    npu_rep_csv_str(sb, st->graph[g]->name ? st->graph[g]->name : "");
    /* both lists are sorted by name: one merge walk */
    const char *kv = st->kvcount[v] ? st->kvbuf.s + st->kvoff[v] : "";
    int k = 0;
    const char *name = st->pnames.s;
    for (int c = 0; c < st->nparam; c++, name += strlen(name) + 1) {
        npu_sb_putc(sb, ',');
        while (k < st->kvcount[v] && strcmp(kv, name) < 0) {
            kv += strlen(kv) + 1;
            kv += strlen(kv) + 1;
            k++;
        }
        if (k < st->kvcount[v] && strcmp(kv, name) == 0)
            npu_rep_csv_str(sb, kv + strlen(kv) + 1);
    }
}

void npu_lr_study_row(const lr_study *st, int p, const npu_total_row *t, npu_strbuf *sb)
{
    row_prefix(st, p, sb);
    for (int m = 0; m < st->nmetric; m++) {
        const npu_field *f = &npu_total_fields[st->metric[m]];
        char buf[64];
        npu_sb_putc(sb, ',');
        switch (f->type) {
        case NPU_FT_INT:
            npu_sb_printf(sb, "%lld", (long long)npu_field_int(t, f));
            break;
        case NPU_FT_FLOAT:
            /* the round-trip form; a float keeps a '.' (npusim.write_csv's rule) */
            npu_script_fmt_double(npu_field_float(t, f), buf, sizeof buf);
            if (!strpbrk(buf, ".eEna"))
                strcat(buf, ".0");
            npu_sb_puts(sb, buf);
            break;
        case NPU_FT_STR:
            npu_rep_csv_str(sb, npu_field_str(t, f));
            break;
        }
    }
    npu_sb_putc(sb, '\n');
}

/* ---- ids ------------------------------------------------------------------------------------------ */
static int find_slot(const lr_study *st, uint64_t id)
{
    size_t mask = st->nslot - 1, i = (size_t)(id ^ (id >> 29)) & mask;
    while (st->slot[i] >= 0 && st->id[st->slot[i]] != id)
        i = (i + 1) & mask;
    return (int)i;
}

static int point_of(const lr_study *st, uint64_t id)
{
    return st->slot[find_slot(st, id)];
}

/* The configuration part of an id: every parameter in table order, as its name, a NUL, and its
 * value — the 8 bytes of the double, least significant first, or the string and a NUL. Raw
 * values, not text: formatting ~60 parameters per point cost 25 µs, hashing them costs 1. */
static uint64_t params_hash(const npu_params *pp)
{
    uint64_t h = FNV_INIT;
    h = fnv(h, "npusim.point/1", 15);
    h = fnv(h, pp->arch, strlen(pp->arch) + 1);
    h = fnv(h, pp->model, strlen(pp->model) + 1);
    for (int i = 0; i < pp->n; i++) {
        h = fnv(h, pp->def[i]->name, strlen(pp->def[i]->name) + 1);
        if (pp->def[i]->type == NPU_P_ENUM || pp->def[i]->type == NPU_P_STR) {
            const char *t = pp->v[i].str ? pp->v[i].str : "";
            h = fnv(h, t, strlen(t) + 1);
        } else {
            uint64_t bits;
            unsigned char b[8];
            memcpy(&bits, &pp->v[i].num, 8);
            for (int k = 0; k < 8; k++)
                b[k] = (unsigned char)(bits >> (8 * k));
            h = fnv(h, (const char *)b, 8);
        }
    }
    return h;
}

/* Ids of the points of shard k/n (n = 1: every point; a shard needs no other, and computing
 * them all cost each shard of a 10 000-point study 0.3 s); a repeated one is an error naming
 * both points. */
static int make_ids(lr_study *st, int unique, int k, int n, npu_err *err)
{
    uint64_t *gd = calloc((size_t)st->ngraph, sizeof *gd);
    npu_strbuf sb;
    npu_sb_init(&sb);
    int rc = gd ? 0 : npu_err_set(err, NPU_ENOMEM, "out of memory");
    for (int g = 0; g < st->ngraph && !rc; g++) {
        sb.len = 0;
        if (npu_graph_write_npg(st->graph[g], &sb) != 0 || sb.oom)
            rc = npu_err_set(err, NPU_ENOMEM, "out of memory");
        else
            gd[g] = fnv(FNV_INIT, sb.s, sb.len);
    }
    for (int a = 0; a < st->narch && !rc; a++)
        for (int v = 0; v < st->nvp && !rc; v++) {
            int p0 = a * st->ngraph * st->nvp + v, any = 0;
            for (int g = 0; g < st->ngraph && !any; g++)
                any = (p0 + g * st->nvp) % n == k;
            if (!any)
                continue;
            npu_arch *x = arch_of(st, a, v, err);
            if (!x) {
                char msg[sizeof err->msg];
                snprintf(msg, sizeof msg, "%s", err->msg);
                rc = npu_err_set(err, err->code ? err->code : NPU_EINVAL, "sweep point %d: %s",
                                 p0 + 1, msg);
                break;
            }
            uint64_t h = params_hash(npu_arch_params(x));
            npu_arch_free(x);
            for (int g = 0; g < st->ngraph; g++) {
                int p = p0 + g * st->nvp;
                if (p % n != k)
                    continue;
                unsigned char b[8];
                for (int i = 0; i < 8; i++)
                    b[i] = (unsigned char)(gd[g] >> (8 * i));
                st->id[p] = fnv(h, (const char *)b, 8);
                int s = find_slot(st, st->id[p]);
                if (st->slot[s] >= 0 && !unique)
                    continue; /* Lua rows may repeat a point; files may not */
                if (st->slot[s] >= 0) {
                    rc = npu_err_set(err, NPU_EINVAL,
                                     "sweep points %d and %d are the same design point (id "
                                     "%016llx): a value repeated in vary or points, or a "
                                     "setting equal to the preset's",
                                     st->slot[s] + 1, p + 1, (unsigned long long)st->id[p]);
                    break;
                }
                st->slot[s] = p;
            }
        }
    npu_sb_free(&sb);
    free(gd);
    return rc;
}

/* ---- the spec -------------------------------------------------------------------------------- */
/* Pushes vary point v as a table {key = value} (the spec's Lua values). */
static void push_vpoint(lua_State *L, int hold, int nk, int v)
{
    if (!nk) { /* points mode, or vary = {} (one point: the arch as configured) */
        if (lua_getfield(L, hold, "points") == LUA_TNIL) {
            lua_pop(L, 1);
            lua_newtable(L);
            return;
        }
        lua_rawgeti(L, -1, v + 1);
        lua_remove(L, -2);
        return;
    }
    lua_getfield(L, hold, "vary");
    lua_getfield(L, hold, "vkeys");
    lua_createtable(L, 0, nk);
    int rest = v;
    for (int k = nk; k >= 1; k--) { /* the last name fastest */
        lua_rawgeti(L, -2, k);
        lua_pushvalue(L, -1);
        lua_rawget(L, -5); /* its values (the private copy, at least one) */
        int nv = (int)lua_rawlen(L, -1);
        lua_rawgeti(L, -1, rest % nv + 1);
        rest /= nv;
        lua_remove(L, -2);
        lua_settable(L, -3);
    }
    lua_remove(L, -2);
    lua_remove(L, -2);
}

void npu_lr_study_push_params(lua_State *L, int study, int p)
{
    lr_study *st = lua_touserdata(L, study);
    lua_getiuservalue(L, study, 1);
    push_vpoint(L, lua_gettop(L), st->nk, p % st->nvp);
    lua_remove(L, -2);
}

/* The value at idx: one item or a list of them (a table that is not a list is an error). The
 * list is left at `list` (a fresh table); returns its length. */
static MAY_RAISE int one_or_list(lua_State *L, int idx, const char *key, int list)
{
    if (lua_type(L, idx) == LUA_TTABLE) {
        lua_Unsigned n = lua_rawlen(L, idx);
        if (n < 1 || n > 4096)
            return luaL_error(L, "sweep spec: field '%s' must be one %s or a list of 1 to 4096",
                              key, key);
        for (lua_Unsigned i = 1; i <= n; i++) {
            lua_rawgeti(L, idx, (lua_Integer)i);
            lua_rawseti(L, list, (lua_Integer)i);
        }
        return (int)n;
    }
    if (lua_isnil(L, idx))
        return luaL_error(L, "sweep spec: field '%s' missing", key);
    lua_pushvalue(L, idx);
    lua_rawseti(L, list, 1);
    return 1;
}

/* vary (private copy, sorted names) or points: fills hold.vary/vkeys/points, returns nvp. */
static MAY_RAISE int read_points(lua_State *L, int idx, int hold, int *nk_out)
{
    int vary = npu_lr_opt_table(L, idx, "vary");
    int points = npu_lr_opt_table(L, idx, "points");
    if (!vary == !points)
        return luaL_error(L, "sweep spec: give exactly one of 'vary' and 'points'");
    long long npoints = 1;
    int nk = 0;
    if (vary) {
        /* read once, raw, into a private copy: points are decomposed against these lengths
         * later, and a script's __len that changed its mind would divide by zero */
        lua_newtable(L);
        int vkeys = lua_gettop(L);
        lua_newtable(L);
        int vcopy = lua_gettop(L);
        lua_pushnil(L);
        while (lua_next(L, vary)) {
            if (lua_type(L, -2) != LUA_TSTRING)
                return luaL_error(L, "sweep spec: vary: parameter names must be strings, got %s",
                                  luaL_typename(L, -2));
            lua_Unsigned nv = lua_istable(L, -1) ? lua_rawlen(L, -1) : 0;
            if (nv < 1)
                return luaL_error(L, "sweep spec: vary.%s must be a non-empty list of values, "
                                     "got %s",
                                  lua_tostring(L, -2), luaL_typename(L, -1));
            if (nv > MAX_POINTS || (npoints *= (long long)nv) > MAX_POINTS)
                return luaL_error(L, "sweep spec: vary: more than a million points");
            lua_createtable(L, (int)nv, 0);
            for (lua_Unsigned i = 1; i <= nv; i++) {
                lua_rawgeti(L, -2, (lua_Integer)i);
                lua_rawseti(L, -2, (lua_Integer)i);
            }
            lua_pushvalue(L, -3);
            lua_insert(L, -2);
            lua_rawset(L, vcopy);
            lua_pop(L, 1);
            lua_pushvalue(L, -1);
            lua_rawseti(L, vkeys, ++nk);
        }
        npu_script_sort_list(L, vkeys, nk);
        lua_setfield(L, hold, "vary");
        lua_setfield(L, hold, "vkeys");
    } else {
        npoints = (long long)lua_rawlen(L, points);
        if (npoints > MAX_POINTS)
            return luaL_error(L, "sweep spec: points: more than a million points");
        for (int i = 1; i <= npoints; i++)
            if (lua_rawgeti(L, points, i) != LUA_TTABLE)
                return luaL_error(L, "sweep spec: points[%d] is a %s, not a table", i,
                                  luaL_typename(L, -1));
            else
                lua_pop(L, 1);
        lua_pushvalue(L, points);
        lua_setfield(L, hold, "points");
    }
    if (points)
        lua_remove(L, points);
    if (vary)
        lua_remove(L, vary);
    *nk_out = nk;
    return (int)npoints;
}

/* Appends the point table on the stack top as sorted "key\0value\0" pairs; returns their
 * number. Collects the names in the set table `names`. */
static MAY_RAISE int point_text(lua_State *L, npu_strbuf *sb, int names, const char *what)
{
    int idx = lua_gettop(L);
    int nk = npu_lr_sorted_keys(L, idx, what), keys = lua_gettop(L);
    for (int i = 1; i <= nk; i++) {
        char v[256];
        const char *k = npu_lr_key_value(L, idx, keys, i, v, sizeof v, what);
        npu_sb_putn(sb, k, strlen(k) + 1);
        npu_sb_putn(sb, v, strlen(v) + 1);
        lua_pop(L, 1);
        lua_pushboolean(L, 1);
        lua_rawset(L, names); /* names[k] = true */
    }
    lua_pop(L, 1);
    return nk;
}

static int field_index(const char *name)
{
    for (int i = 0; npu_total_fields[i].name; i++)
        if (strcmp(npu_total_fields[i].name, name) == 0)
            return i;
    return -1;
}

/* metrics: a list of total field names; absent: all of them. */
static MAY_RAISE void read_metrics(lua_State *L, int idx, lr_study *st)
{
    int mt = npu_lr_opt_table(L, idx, "metrics");
    int n = mt ? (int)lua_rawlen(L, mt) : npu_total_nfields;
    if (mt && (n < 1 || n > npu_total_nfields))
        luaL_error(L, "sweep spec: metrics must list 1 to %d names of total fields",
                   npu_total_nfields);
    if (!(st->metric = calloc((size_t)n, sizeof *st->metric)))
        luaL_error(L, "sweep: out of memory");
    st->nmetric = n;
    for (int m = 0; m < n; m++) {
        if (!mt) {
            st->metric[m] = m;
            continue;
        }
        if (lua_rawgeti(L, mt, m + 1) != LUA_TSTRING)
            luaL_error(L, "sweep spec: metrics[%d] is a %s, not a field name", m + 1,
                       luaL_typename(L, -1));
        const char *name = lua_tostring(L, -1);
        int f = field_index(name);
        if (f < 0) {
            const char *cands[64];
            int nc = 0;
            for (int i = 0; npu_total_fields[i].name && nc < 63; i++)
                cands[nc++] = npu_total_fields[i].name;
            cands[nc] = NULL;
            const char *dym = npu_did_you_mean(name, cands);
            luaL_error(L, "sweep spec: metrics[%d] '%s' is not a total field%s%s%s", m + 1, name,
                       dym ? " (did you mean '" : "", dym ? dym : "", dym ? "'?)" : "");
        }
        for (int k = 0; k < m; k++)
            if (st->metric[k] == f)
                luaL_error(L, "sweep spec: metrics lists '%s' twice", name);
        st->metric[m] = f;
        lua_pop(L, 1);
    }
    if (mt)
        lua_remove(L, mt);
}

lr_study *npu_lr_study_new(lua_State *L, int idx, int unique, int shard_k, int shard_n,
                           npu_err *err)
{
    idx = lua_absindex(L, idx);
    int top0 = lua_gettop(L);
    lr_study *st = lua_newuserdatauv(L, sizeof *st, 1);
    memset(st, 0, sizeof *st);
    npu_sb_init(&st->kvbuf);
    npu_sb_init(&st->pnames);
    npu_sb_init(&st->header);
    if (luaL_newmetatable(L, STUDY_MT)) {
        lua_pushcfunction(L, study_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    int sidx = lua_gettop(L);
    lua_newtable(L);
    int hold = lua_gettop(L);
    lua_pushvalue(L, hold);
    lua_setiuservalue(L, sidx, 1);

    int nk = 0;
    st->nvp = read_points(L, idx, hold, &nk);
    st->nk = nk;
    read_metrics(L, idx, st);
    int set = npu_lr_opt_table(L, idx, "set");

    /* the archs (each with `set` applied) and the graphs, anchored in hold */
    lua_newtable(L);
    int archs = lua_gettop(L);
    lua_getfield(L, idx, "arch");
    st->arch_list = lua_type(L, -1) == LUA_TTABLE;
    st->narch = one_or_list(L, lua_gettop(L), "arch", archs);
    lua_pop(L, 1);
    lua_newtable(L);
    int graphs = lua_gettop(L);
    lua_getfield(L, idx, "graph");
    st->graph_list = lua_type(L, -1) == LUA_TTABLE;
    st->ngraph = one_or_list(L, lua_gettop(L), "graph", graphs);
    lua_pop(L, 1);
    long long n = (long long)st->narch * st->ngraph * st->nvp;
    if (n > MAX_POINTS)
        luaL_error(L, "sweep spec: %I points (archs x graphs x vary points), more than a "
                      "million", (lua_Integer)n);
    const npu_lua_limits *lim = npu_lr_limits(L);
    if (lim && lim->max_points > 0 && n > lim->max_points)
        luaL_error(L,
                   "sweep spec: %I points (archs x graphs x vary points), more than this "
                   "script's limit of %d",
                   (lua_Integer)n, lim->max_points);
    st->n = (int)n;
    st->arch = calloc((size_t)st->narch, sizeof *st->arch);
    st->graph = calloc((size_t)st->ngraph, sizeof *st->graph);
    if (!st->arch || !st->graph)
        luaL_error(L, "sweep: out of memory");
    for (int a = 0; a < st->narch; a++) {
        lua_rawgeti(L, archs, a + 1);
        if (npu_lr_resolve_arch(L, 1, lua_gettop(L), set, err) != 0) {
            lua_settop(L, top0);
            return NULL;
        }
        st->arch[a] = npu_lr_check_arch(L, -1);
        lua_rawseti(L, archs, a + 1); /* the configured box replaces the name */
        lua_pop(L, 1);
    }
    for (int g = 0; g < st->ngraph; g++) {
        lua_rawgeti(L, graphs, g + 1);
        if (!(st->graph[g] = npu_lr_resolve_graph(L, 1, lua_gettop(L), err))) {
            lua_settop(L, top0);
            return NULL;
        }
        lua_rawseti(L, graphs, g + 1);
        lua_pop(L, 1);
    }
    lua_setfield(L, hold, "graphs");
    lua_setfield(L, hold, "archs");
    if (set)
        lua_remove(L, set);

    /* vary points as text, and the parameter columns (every name some point sets) */
    size_t un = st->n > 0 ? (size_t)st->n : 1, unv = st->nvp > 0 ? (size_t)st->nvp : 1;
    st->kvoff = calloc(unv, sizeof *st->kvoff);
    st->kvcount = calloc(unv, sizeof *st->kvcount);
    st->id = calloc(un, sizeof *st->id);
    st->line = calloc(un, sizeof *st->line);
    st->line_file = calloc(un, sizeof *st->line_file);
    st->line_no = calloc(un, sizeof *st->line_no);
    for (st->nslot = 16; st->nslot < 2 * un; st->nslot *= 2)
        ;
    st->slot = malloc(st->nslot * sizeof *st->slot);
    if (!st->kvoff || !st->kvcount || !st->id || !st->line || !st->line_file || !st->line_no ||
        !st->slot)
        luaL_error(L, "sweep: out of memory");
    memset(st->slot, 0xff, st->nslot * sizeof *st->slot);
    lua_newtable(L);
    int names = lua_gettop(L);
    for (int v = 0; v < st->nvp; v++) {
        char what[48];
        snprintf(what, sizeof what, "sweep point %d", v + 1);
        push_vpoint(L, hold, nk, v);
        st->kvoff[v] = st->kvbuf.len;
        st->kvcount[v] = point_text(L, &st->kvbuf, names, what);
        lua_pop(L, 1);
    }
    st->nparam = npu_lr_sorted_keys(L, names, "sweep spec");
    int pk = lua_gettop(L);
    npu_sb_puts(&st->header, "id,arch,graph");
    for (int i = 1; i <= st->nparam; i++) {
        lua_rawgeti(L, pk, i);
        const char *name = lua_tostring(L, -1);
        if (strcmp(name, "id") == 0 || strcmp(name, "arch") == 0 || strcmp(name, "graph") == 0)
            luaL_error(L, "sweep spec: '%s' cannot be a parameter name (it is a column)", name);
        for (int m = 0; m < st->nmetric; m++)
            if (strcmp(npu_total_fields[st->metric[m]].name, name) == 0)
                luaL_error(L, "sweep spec: parameter '%s' has the name of a metric: leave it "
                              "out of 'metrics'", name);
        npu_sb_putn(&st->pnames, name, strlen(name) + 1);
        npu_sb_putc(&st->header, ',');
        npu_rep_csv_str(&st->header, name);
        lua_pop(L, 1);
    }
    lua_pop(L, 2);
    for (int m = 0; m < st->nmetric; m++) {
        npu_sb_putc(&st->header, ',');
        npu_sb_puts(&st->header, npu_total_fields[st->metric[m]].name);
    }
    npu_sb_putc(&st->header, '\n');
    if (st->kvbuf.oom || st->pnames.oom || st->header.oom)
        luaL_error(L, "sweep: out of memory");
    lua_pop(L, 1); /* hold (anchored in the userdata) */
    if (make_ids(st, unique, shard_k, shard_n, err) != 0) {
        lua_settop(L, top0);
        return NULL;
    }
    return st;
}

/* ---- reading rows back -------------------------------------------------------------------------- */
/* Cells of one CSV line [s, e) (quotes respected); the line has no newline inside a quote. */
static int count_cells(const char *s, const char *e)
{
    int n = 1, q = 0;
    for (; s < e; s++) {
        if (*s == '"')
            q = !q;
        else if (*s == ',' && !q)
            n++;
    }
    return n;
}

/* The end of the cell that starts at s (quotes respected), at most e. */
static const char *cell_end(const char *s, const char *e)
{
    int q = 0;
    for (; s < e && (q || *s != ','); s++)
        if (*s == '"')
            q = !q;
    return s;
}

/* Whether [s, e) is a value the writer (npu_lr_study_row) can give a metric of type t: an
 * integer; a finite number, or "nan", "inf", "-inf" (npu_script_fmt_double's spellings of a
 * non-finite result); any cell for a text field. Writes what is wrong into why. */
static int metric_ok(npu_ftype t, const char *s, const char *e, const char **why)
{
    size_t n = (size_t)(e - s);
    char buf[64];
    if (t == NPU_FT_STR)
        return 1;
    if (n == 0 || n >= sizeof buf || strspn(s, "0123456789+-.eE") < n) {
        if (t == NPU_FT_FLOAT && ((n == 3 && (!memcmp(s, "nan", 3) || !memcmp(s, "inf", 3))) ||
                                  (n == 4 && !memcmp(s, "-inf", 4))))
            return 1;
        *why = n == 0 ? "empty" : t == NPU_FT_INT ? "not an integer" : "not a number";
        return 0;
    }
    memcpy(buf, s, n);
    buf[n] = 0;
    char *end;
    errno = 0;
    if (t == NPU_FT_INT) {
        (void)strtoll(buf, &end, 10);
        *why = errno ? "an integer out of range" : "not an integer";
        return !errno && *end == 0 && end != buf;
    }
    double v = strtod(buf, &end);
    *why = "not a number";
    if (*end || end == buf)
        return 0;
    *why = "not a finite number (out of the range of a double)";
    return isfinite(v) != 0;
}

/* The first differing column of two header lines, for the message. */
static void header_diff(const char *got, size_t gl, const char *want, char *out, size_t on)
{
    int col = 1;
    size_t i = 0;
    while (i < gl && got[i] == want[i] && want[i] != '\n') {
        if (got[i] == ',')
            col++;
        i++;
    }
    /* one header is a prefix of the other: the count differs, not a name */
    int got_end = i == gl || got[i] == '\n', want_end = !want[i] || want[i] == '\n';
    if (got_end && want[i] == ',') {
        size_t ne = i + 1;
        while (want[ne] && want[ne] != ',' && want[ne] != '\n')
            ne++;
        snprintf(out, on, "it ends after column %d, this study's goes on with '%.*s'", col,
                 (int)(ne - i - 1), want + i + 1);
        return;
    }
    if (want_end && i < gl && got[i] == ',') {
        snprintf(out, on, "it has more columns than this study's %d", col);
        return;
    }
    size_t gs = i, ws = i;
    while (gs > 0 && got[gs - 1] != ',')
        gs--;
    ws = gs;
    size_t ge = gs, we = ws;
    while (ge < gl && got[ge] != ',' && got[ge] != '\n')
        ge++;
    while (want[we] && want[we] != ',' && want[we] != '\n')
        we++;
    snprintf(out, on, "column %d is '%.*s', this study's is '%.*s'", col, (int)(ge - gs),
             got + gs, (int)(we - ws), want + ws);
}

/* shard_k/shard_n are only for the messages: the study has the ids of its shard only */
int npu_lr_study_read(lr_study *st, const char *path, int fno, int shard_k, int shard_n,
                      npu_err *err)
{
    char *data = NULL;
    size_t len = 0;
    if (npu_read_file_max(path, (size_t)1 << 40, &data, &len, err) != 0)
        return err->code;
    int rc = 0;
    npu_strbuf pre;
    npu_sb_init(&pre);
    /* what a spreadsheet adds is accepted (every cell is checked against the spec anyway): a
     * UTF-8 byte-order mark, CRLF line ends; the rows are kept with LF */
    size_t hl = st->header.len, pos = 0;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    const char *h = data + pos, *nl = len > pos ? memchr(h, '\n', len - pos) : NULL;
    size_t got = nl ? (size_t)(nl - h) : len - pos; /* the header line without its end */
    if (nl && got > 0 && h[got - 1] == '\r')
        got--;
    if (len == pos) {
        rc = npu_err_set(err, NPU_EINVAL, "%s: empty file (no header line)", path);
    } else if (!nl && memchr(h, '\r', got)) {
        rc = npu_err_set(err, NPU_EINVAL, "%s:1: lines end in CR alone (a format of old Macs): "
                                          "save it with LF or CRLF line ends", path);
    } else if (!nl || got + 1 != hl || memcmp(h, st->header.s, got) != 0) {
        char d[256];
        header_diff(h, got, st->header.s, d, sizeof d);
        rc = npu_err_set(err, NPU_EINVAL, "%s:1: not this study's header (%s): a file of "
                                          "another spec?", path, d);
    }
    pos = rc ? len : (size_t)(nl - data) + 1;
    int lineno = 1;
    while (pos < len && !rc) {
        lineno++;
        const char *s = data + pos, *e = memchr(s, '\n', len - pos);
        if (!e) {
            rc = npu_err_set(err, NPU_EINVAL, "%s:%d: truncated line (no end of line): an "
                                              "interrupted copy? Rerun that shard with --resume "
                                              "after removing the line", path, lineno);
            break;
        }
        pos = (size_t)(e - data) + 1;
        size_t ll = (size_t)(e - s); /* the line without its end (LF or CRLF) */
        if (ll > 0 && s[ll - 1] == '\r')
            e = s + --ll;
        const char *nul = memchr(s, 0, ll);
        if (nul) {
            rc = npu_err_set(err, NPU_EINVAL, "%s:%d:%d: a NUL byte in the row (a corrupted "
                                              "file?)", path, lineno, count_cells(s, nul));
            break;
        }
        uint64_t id = 0;
        int hex = 0;
        while (hex < 16 && s + hex < e &&
               ((s[hex] >= '0' && s[hex] <= '9') || (s[hex] >= 'a' && s[hex] <= 'f'))) {
            id = id << 4 | (uint64_t)(s[hex] <= '9' ? s[hex] - '0' : s[hex] - 'a' + 10);
            hex++;
        }
        if (hex != 16 || s + 16 >= e || s[16] != ',') {
            rc = npu_err_set(err, NPU_EINVAL, "%s:%d: the row does not start with a point id "
                                              "(16 hex digits)", path, lineno);
            break;
        }
        int p = point_of(st, id);
        if (p < 0 && shard_n > 1) {
            rc = npu_err_set(err, NPU_EINVAL, "%s:%d: id %.16s is not a point of shard %d/%d of "
                                              "this study (a file of another shard, of "
                                              "another study, or of an older spec?)",
                             path, lineno, s, shard_k, shard_n);
            break;
        }
        if (p < 0) {
            rc = npu_err_set(err, NPU_EINVAL, "%s:%d: id %.16s is not a point of this study (a "
                                              "file of another study, or of an older spec?)",
                             path, lineno, s);
            break;
        }
        pre.len = 0;
        row_prefix(st, p, &pre);
        if (pre.oom) {
            rc = npu_err_set(err, NPU_ENOMEM, "out of memory");
            break;
        }
        int cells = count_cells(s, e);
        int want = 3 + st->nparam + st->nmetric;
        if ((size_t)(e - s) < pre.len || memcmp(s, pre.s, pre.len) != 0 ||
            s[pre.len] != ',') {
            rc = npu_err_set(err, NPU_EINVAL, "%s:%d: the row of point %d (id %.16s) does not "
                                              "match the spec's arch, graph or parameters",
                             path, lineno, p + 1, s);
            break;
        }
        if (cells != want) {
            rc = npu_err_set(err, NPU_EINVAL, "%s:%d: %d cells, expected %d (a truncated or "
                                              "edited row?)", path, lineno, cells, want);
            break;
        }
        const char *c = s + pre.len + 1, *why = NULL;
        for (int m = 0; m < st->nmetric && !rc; m++) {
            const npu_field *f = &npu_total_fields[st->metric[m]];
            const char *ce = cell_end(c, e);
            if (!metric_ok(f->type, c, ce, &why))
                rc = npu_err_set(err, NPU_EINVAL, "%s:%d:%d: metric '%s' is '%.*s', %s", path,
                                 lineno, want - st->nmetric + m + 1, f->name,
                                 (int)(ce - c < 40 ? ce - c : 40), c, why);
            c = ce + 1;
        }
        if (rc)
            break;
        if (st->line[p]) {
            rc = npu_err_set(err, NPU_EINVAL, "%s:%d: point %d (id %.16s) appears twice (also "
                                              "%s:%d)", path, lineno, p + 1, s,
                             st->files ? st->files[st->line_file[p]] : path, st->line_no[p]);
            break;
        }
        if (!(st->line[p] = malloc((size_t)(e - s) + 2))) {
            rc = npu_err_set(err, NPU_ENOMEM, "out of memory");
            break;
        }
        memcpy(st->line[p], s, (size_t)(e - s));
        st->line[p][e - s] = '\n';
        st->line[p][e - s + 1] = 0;
        st->line_file[p] = fno;
        st->line_no[p] = lineno;
    }
    npu_sb_free(&pre);
    free(data);
    return rc;
}

int npu_lr_study_write(const lr_study *st, const char *path, int force, npu_err *err)
{
    npu_out o;
    int rc = npu_out_open(&o, path, force, err);
    if (rc)
        return rc;
    npu_out_write(&o, st->header.s, st->header.len);
    for (int p = 0; p < st->n; p++)
        if (st->line[p])
            npu_out_write(&o, st->line[p], strlen(st->line[p]));
    return npu_out_close(&o, 1, err);
}

/* ---- specs as files, npusim.merge --------------------------------------------------------------- */
void npu_lr_spec_arg(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    if (lua_type(L, idx) == LUA_TTABLE)
        return;
    if (lua_type(L, idx) != LUA_TSTRING)
        luaL_error(L, "sweep spec: expected a table or the path of a spec file, got %s",
                   luaL_typename(L, idx));
    const char *path = npu_script_cstr(L, idx, "sweep spec");
    npu_err e = {0};
    if (npu_script_path_ok(L, path, 0, &e) != 0) /* the file sandbox (--sandbox) */
        luaL_error(L, "%s", e.msg);
    if (npu_script_load_file(L, path) != LUA_OK)
        lua_error(L); /* the message names the file and line */
    lua_call(L, 0, 1);
    if (!lua_istable(L, -1))
        luaL_error(L, "%s: a sweep spec returns a table, this one returned %s", path,
                   luaL_typename(L, -1));
    lua_replace(L, idx);
}

/* npusim.merge(spec, parts, output [, {force=}]) → number of rows | nil, message */
int npu_lr_merge(lua_State *L)
{
    luaL_checktype(L, 2, LUA_TTABLE);
    const char *out = npu_script_check_cstr(L, 3, "output");
    int force = 0;
    if (!lua_isnoneornil(L, 4)) {
        luaL_checktype(L, 4, LUA_TTABLE);
        static const char *const keys[] = {"force", NULL};
        npu_script_check_keys(L, 4, 4, keys);
        force = npu_script_opt_bool(L, 4, "force", 0);
    }
    lua_settop(L, 3);
    npu_lr_spec_arg(L, 1);
    int nparts = (int)lua_rawlen(L, 2);
    if (nparts < 1)
        return luaL_argerror(L, 2, "no part files to merge");
    const char **files = lua_newuserdatauv(L, (size_t)nparts * sizeof *files, 0);
    for (int i = 0; i < nparts; i++) {
        if (lua_rawgeti(L, 2, i + 1) != LUA_TSTRING)
            return luaL_argerror(L, 2, "part files must be paths");
        files[i] = npu_script_cstr(L, -1, "part file");
        lua_pop(L, 1); /* still referenced by the table */
    }
    npu_err err = {0};
    for (int i = 0; i <= nparts; i++) /* the file sandbox: the parts and the output */
        if (npu_script_path_ok(L, i < nparts ? files[i] : out, 0, &err) != 0)
            return npu_lr_fail(L, &err);
    lr_study *st = npu_lr_study_new(L, 1, 1, 0, 1, &err);
    if (!st)
        return npu_lr_fail(L, &err);
    st->files = files;
    for (int i = 0; i < nparts; i++)
        if (npu_lr_study_read(st, files[i], i, 0, 0, &err) != 0)
            return npu_lr_fail(L, &err);
    /* every point exactly once: name what is missing (the first few ids) */
    int missing = 0;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int p = 0; p < st->n; p++)
        if (!st->line[p] && ++missing <= 8) {
            char m[64];
            snprintf(m, sizeof m, "%s%016llx (point %d)", missing > 1 ? ", " : "",
                     (unsigned long long)st->id[p], p + 1);
            luaL_addstring(&b, m);
        }
    luaL_pushresult(&b);
    if (missing) {
        lua_pushnil(L);
        lua_pushfstring(L, "merge: %d of %d points missing: %s%s (a shard that did not "
                           "finish? run it again with --resume)",
                        missing, st->n, lua_tostring(L, -2), missing > 8 ? ", ..." : "");
        return 2;
    }
    if (npu_lr_study_write(st, out, force, &err) != 0)
        return npu_lr_fail(L, &err);
    lua_pushinteger(L, st->n);
    return 1;
}

/* ---- the commands `npusim sweep` and `npusim merge` ------------------------------------------ */
typedef struct cli_job {
    const npu_lua_sweep_args *a;
    int interrupted;
} cli_job;

static int l_cli(lua_State *L)
{
    cli_job *job = lua_touserdata(L, 1);
    const npu_lua_sweep_args *a = job->a;
    lua_settop(L, 0);
    const char *out = a->output ? a->output : "-";
    if (a->parts) {
        lua_pushcfunction(L, npu_lr_merge);
        lua_pushstring(L, a->spec);
        lua_createtable(L, a->nparts, 0);
        for (int i = 0; i < a->nparts; i++) {
            lua_pushstring(L, a->parts[i]);
            lua_rawseti(L, -2, i + 1);
        }
        lua_pushstring(L, out);
        lua_createtable(L, 0, 1);
        lua_pushboolean(L, a->force);
        lua_setfield(L, -2, "force");
        lua_call(L, 4, 2);
    } else {
        lua_pushcfunction(L, npu_lr_sweep);
        lua_pushstring(L, a->spec);
        lua_createtable(L, 0, 5);
        lua_pushstring(L, out);
        lua_setfield(L, -2, "output");
        if (a->shard) {
            lua_pushstring(L, a->shard);
            lua_setfield(L, -2, "shard");
        }
        lua_pushboolean(L, a->resume);
        lua_setfield(L, -2, "resume");
        lua_pushboolean(L, a->force);
        lua_setfield(L, -2, "force");
        if (a->threads > 0) {
            lua_pushinteger(L, a->threads);
            lua_setfield(L, -2, "threads");
        }
        lua_call(L, 2, 2);
    }
    if (lua_isnil(L, 1))
        return lua_error(L); /* the message, at 2 */
    job->interrupted = lua_type(L, 2) == LUA_TSTRING;
    return 0;
}

int npu_lua_sweep(npu_ctx *ctx, const npu_lua_sweep_args *a, npu_err *err)
{
    /* a spec is a Lua program: `while true do end` in one is an error, not a hang */
    lua_State *L = npu_lua_open(ctx, NPU_LUA_BUDGET, "sweep spec", err);
    if (!L)
        return err && err->code ? err->code : NPU_ENOMEM;
    cli_job job = {a, 0};
    lua_pushcfunction(L, l_cli);
    lua_pushlightuserdata(L, &job);
    int st = npu_script_pcall(L, 1, 0);
    int code = NPU_OK;
    if (st != LUA_OK) {
        /* no traceback (the spec is data, not a script to debug); a message about the spec
         * says which file */
        const char *m = lua_tostring(L, -1);
        if (m) {
            const char *tb = strstr(m, "\nstack traceback:");
            int about_spec = strncmp(m, "sweep spec", 10) == 0 || /* ": ...", " runs too long" */
                             strncmp(m, "sweep point", 11) == 0 ||
                             strncmp(m, "bad argument", 12) == 0 ||
                             strncmp(m, "shard '", 7) == 0;
            lua_pushfstring(L, "%s%s%s", about_spec ? a->spec : "", about_spec ? ": " : "", m);
            if (tb) {
                const char *full = lua_tostring(L, -1);
                size_t pre = about_spec ? strlen(a->spec) + 2 : 0;
                lua_pushlstring(L, full, pre + (size_t)(tb - m));
                lua_remove(L, -2);
            }
            lua_remove(L, -2);
        }
        code = npu_script_error_to(L, st, err);
    } else if (job.interrupted) {
        code = NPU_EINTR;
    }
    npu_script_close(L);
    return code;
}
