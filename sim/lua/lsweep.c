/* lsweep.c — npusim.sweep: design points simulated on a thread pool (prefix npu_lr_; lint.h).
 *
 * Sweeps run on POSIX threads inside one process. Lua itself is single-threaded, so the main
 * thread does all Lua work: it expands the points, clones and configures one npu_arch per
 * point, then the workers (the main thread is one of them) only call npu_run on a shared,
 * read-only graph (npu_run clones it) with their own npu_ctx. Rows are built afterwards in
 * point order, so the output does not depend on the thread count.
 *
 * Ctrl-C: the library installs no signal handler (a process-wide handler belongs to the
 * program, not to a library call). The program sets a cancel flag on the script's context
 * (npu_ctx_set_cancel): `npusim script` does so from its SIGINT handler, which then restores
 * the default action, so a second Ctrl-C ends the process at once. Workers stop taking new
 * points once the flag is set; points in flight finish; sweep returns the finished rows and
 * "interrupted", and tells the sandbox that this cancellation was handled
 * (npu_script_cancel_handled), so the script goes on to write the rows out. The command still
 * exits 1 (docs/cli.md).
 */
#include <lauxlib.h>
#include <lua.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lint.h"

/* ---- sweep ---------------------------------------------------------------------------------------- */
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
        int stop = !ctx || s->failed || npu_ctx_cancelled(s->main_ctx) ||
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
    int nk = npu_lr_sorted_keys(L, idx, what), keys = lua_gettop(L);
    for (int i = 1; i <= nk; i++) {
        char v[256];
        const char *k = npu_lr_key_value(L, idx, keys, i, v, sizeof v, what);
        npu_sb_putn(sb, k, strlen(k) + 1);
        npu_sb_putn(sb, v, strlen(v) + 1);
        lua_pop(L, 2);
    }
    lua_pop(L, 1);
    return nk;
}

/* npusim.sweep{arch=, graph=, vary={k={...}} | points={{...}}, set={}, threads=, progress=,
 *              keep_layers=} → rows [, "interrupted"] | nil, message */
int npu_lr_sweep(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    static const char *const keys[] = {"arch",    "graph",    "vary",        "points", "set",
                                       "threads", "progress", "keep_layers", NULL};
    npu_script_check_keys(L, 1, 1, keys);
    npu_lr_arch_graph_fields(L);
    int vary = npu_lr_opt_table(L, 1, "vary");
    int points = npu_lr_opt_table(L, 1, "points");
    int set = npu_lr_opt_table(L, 1, "set");
    if (!vary == !points)
        return luaL_argerror(L, 1, "give exactly one of 'vary' and 'points'");
    int keep_layers = npu_script_opt_bool(L, 1, "keep_layers", 0);
    /* progress on stderr: by default when stderr is a terminal; progress = true asks for it
     * anyway (a log file; tests/cli/sigint_test.sh waits for it) */
    int progress = -1;
    if (lua_getfield(L, 1, "progress") != LUA_TNIL) {
        if (!lua_isboolean(L, -1))
            return luaL_error(L, "option 'progress' must be a boolean, got %s",
                              luaL_typename(L, -1));
        progress = lua_toboolean(L, -1);
    }
    lua_pop(L, 1);
    if (progress < 0)
        progress = isatty(2);
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
        npu_script_sort_list(L, vkeys, nk);
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
    if (npu_lr_resolve_arch(L, 1, 2, set, &err) != 0)
        return npu_lr_fail(L, &err);
    npu_arch *base = npu_lr_check_arch(L, -1);
    const npu_graph *g = npu_lr_resolve_graph(L, 1, 3, &err);
    if (!g)
        return npu_lr_fail(L, &err);

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
    s->main_ctx = npu_script_ctx(L);
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
    /* a sweep started in a cancelled context returns at once: that cancellation is not its */
    int cancelled_before = npu_ctx_cancelled(s->main_ctx);
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
    int interrupted = npu_ctx_cancelled(s->main_ctx);
    if (interrupted && !cancelled_before)
        npu_script_cancel_handled(L); /* the script goes on with the finished rows */
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
        npu_lr_set_total_fields(L, &s->tot[p]);
        if (keep_layers) {
            npu_lr_push_layers(L, s->res[p]);
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
