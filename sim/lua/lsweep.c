/* lsweep.c — npusim.sweep: design points simulated on a thread pool (prefix npu_lr_; lint.h).
 *
 * The points, their ids and their CSV rows are a study (lstudy.c). Sweeps run on POSIX
 * threads inside one process. Lua itself is single-threaded, so the main thread does all Lua
 * work: it builds the study (every point configured and checked before anything runs), then
 * the workers (the main thread is one of them) clone and configure a point's arch and call
 * npu_run on a shared, read-only graph (npu_run clones it) with their own npu_ctx. Rows are
 * built afterwards in point order, so the output does not depend on the thread count.
 *
 * With `output`, rows are not Lua tables but CSV lines formatted by the workers; points run
 * in batches, and after a batch the whole file (the rows so far, in point order) is written
 * through npu_out (temporary + rename) once the last write is both `write_every` seconds
 * (default 2) and 8 times its own duration old, so rewriting stays a small share of the time
 * however big the file grows. A killed run loses the points since the last write, never the
 * file. `shard = "K/N"` runs the points p with p % N == K; `resume` first reads the rows
 * already in `output` and skips them.
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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lint.h"

#define MAX_SHARDS 1000000

/* ---- sweep ---------------------------------------------------------------------------------------- */
typedef struct lr_sweep {
    lr_study *st;
    int *all;        /* the points to run (owned) */
    const int *todo; /* the points of this batch (in all) */
    int ntodo, next;
    int keep_layers, rows; /* rows: Lua rows (tot, res) instead of CSV lines */
    npu_result **res;      /* per point when keep_layers */
    npu_total_row *tot;    /* per point when rows */
    unsigned char *done;   /* per point */
    int ndone, failed, fail_point;
    npu_err err;
    npu_ctx *main_ctx; /* only its cancel flag is read */
    int progress, total, skipped;
    double t0, shown;
    pthread_mutex_t mu;
} lr_sweep;

static double lr_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* "sweep: 120/1000 points (12%), 45.1 points/s, ETA 0:00:19" — at most 5 times a second. */
static void lr_progress(lr_sweep *s, int last)
{
    double now = lr_now();
    if (!s->progress || (!last && now - s->shown < 0.2))
        return;
    s->shown = now;
    int done = s->skipped + s->ndone, left = s->total - done;
    double rate = now > s->t0 ? s->ndone / (now - s->t0) : 0;
    long eta = rate > 0 ? (long)(left / rate + 0.5) : 0;
    fprintf(stderr, "\rsweep: %d/%d points (%d%%), %.1f points/s, ETA %ld:%02ld:%02ld  ", done,
            s->total, s->total ? (int)(100.0 * done / s->total) : 100, rate, eta / 3600,
            eta / 60 % 60, eta % 60);
    if (last)
        fputc('\n', stderr);
}

static void *lr_worker(void *arg)
{
    lr_sweep *s = arg;
    npu_ctx *ctx = npu_ctx_new(); /* per thread: npu_run records its errors in it */
    /* the script's bounds on one run hold for every point */
    if (ctx) {
        npu_ctx_set_job_budget(ctx, npu_ctx_job_budget(s->main_ctx));
        npu_ctx_set_job_limit(ctx, npu_ctx_job_limit(s->main_ctx));
    }
    npu_strbuf sb;
    npu_sb_init(&sb);
    for (;;) {
        pthread_mutex_lock(&s->mu);
        int stop = !ctx || s->failed || npu_ctx_cancelled(s->main_ctx) ||
                   s->next >= s->ntodo;
        int p = stop ? -1 : s->todo[s->next++];
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
        npu_arch *a = npu_lr_study_arch(s->st, p, &err);
        if (a)
            r = npu_run(ctx, a, s->st->graph[p / s->st->nvp % s->st->ngraph], NULL, &err);
        npu_arch_free(a);
        char *line = NULL;
        if (r && !s->rows) { /* the CSV row, formatted here, outside the lock */
            sb.len = 0;
            npu_lr_study_row(s->st, p, &r->total, &sb);
            line = sb.oom ? NULL : npu_sb_take(&sb);
            npu_sb_init(&sb);
            if (!line) {
                npu_result_free(r);
                r = NULL;
                npu_err_set(&err, NPU_ENOMEM, "out of memory");
            }
        }
        pthread_mutex_lock(&s->mu);
        if (!r) {
            if (!s->failed || p < s->fail_point) {
                s->fail_point = p;
                s->err = err;
            }
            s->failed = 1;
        } else {
            if (s->rows) {
                s->tot[p] = r->total;
                /* total.unit lives in r's arena: the row outlives r, the graph the sweep */
                npu_graph_work w;
                npu_graph_work_of(s->st->graph[p / s->st->nvp % s->st->ngraph], &w);
                s->tot[p].unit = w.unit;
            } else {
                s->st->line[p] = line;
            }
            if (s->keep_layers)
                s->res[p] = r;
            else
                npu_result_free(r);
            s->done[p] = 1;
            s->ndone++;
            lr_progress(s, 0);
        }
        pthread_mutex_unlock(&s->mu);
    }
    npu_sb_free(&sb);
    npu_ctx_free(ctx);
    return NULL;
}

/* Runs the points todo[0..n) on `threads` threads (the caller's is one of them). */
static void lr_run_batch(lr_sweep *s, const int *todo, int n, int threads)
{
    s->todo = todo;
    s->ntodo = n;
    s->next = 0;
    if (threads > n)
        threads = n > 0 ? n : 1;
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
}

/* The C state of a sweep lives in a userdata so that an error raised while building rows
 * frees it (__gc). */
static int sweep_gc(lua_State *L)
{
    lr_sweep *s = lua_touserdata(L, 1);
    if (!s)
        return 0;
    if (s->res)
        for (int i = 0; s->st && i < s->st->n; i++)
            npu_result_free(s->res[i]);
    free(s->res);
    free(s->tot);
    free(s->done);
    free(s->all);
    s->res = NULL;
    s->tot = NULL;
    s->done = NULL;
    s->all = NULL;
    s->todo = NULL;
    return 0;
}

/* "K/N" → 0 <= K < N; raises with a clear message otherwise. */
static MAY_RAISE void lr_parse_shard(lua_State *L, const char *t, int *k, int *n)
{
    char *e1, *e2;
    long kk = strtol(t, &e1, 10), nn = *e1 == '/' ? strtol(e1 + 1, &e2, 10) : 0;
    if (*t < '0' || *t > '9' || *e1 != '/' || e1[1] < '0' || e1[1] > '9' || *e2)
        luaL_error(L, "shard '%s': expected K/N, two integers (e.g. 0/8: the first of 8 shards)",
                   t);
    if (nn < 1 || nn > MAX_SHARDS)
        luaL_error(L, "shard '%s': N must be in [1, %d]", t, MAX_SHARDS);
    if (kk >= nn)
        luaL_error(L, "shard '%s': K must be below N (shards are numbered 0 to %d)", t,
                   (int)nn - 1);
    *k = (int)kk;
    *n = (int)nn;
}

/* Copies the fields of the table at from into the table at to (raw). */
static void lr_copy_fields(lua_State *L, int to, int from)
{
    lua_pushnil(L);
    while (lua_next(L, from)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, to);
    }
}

/* npusim.sweep(spec [, opts]) — spec: a table or the path of a spec file {arch=, graph=,
 * vary={k={...}} | points={{...}}, set={}, metrics={}, threads=, progress=, keep_layers=,
 * output=, shard=, resume=, force=, write_every=}; opts adds to / overrides it.
 *   → rows [, "interrupted"] | (with output) number of rows in the file [, "interrupted"]
 *   | nil, message */
int npu_lr_sweep(lua_State *L)
{
    if (lua_isnoneornil(L, 1))
        luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 2);
    npu_lr_spec_arg(L, 1);
    if (!lua_isnil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        lua_newtable(L);
        lr_copy_fields(L, 3, 1);
        lr_copy_fields(L, 3, 2);
        lua_replace(L, 1);
    }
    lua_settop(L, 1);
    static const char *const keys[] = {"arch",   "graph",  "vary",    "points",      "set",
                                       "metrics", "threads", "progress", "keep_layers",
                                       "output", "shard",  "resume",  "force",       "write_every",
                                       NULL};
    npu_script_check_keys(L, 1, 1, keys);
    int keep_layers = npu_script_opt_bool(L, 1, "keep_layers", 0);
    const char *output = npu_script_opt_string(L, 1, "output", NULL);
    int resume = npu_script_opt_bool(L, 1, "resume", 0);
    int force = npu_script_opt_bool(L, 1, "force", 0);
    const char *shard = npu_script_opt_string(L, 1, "shard", NULL);
    int shard_k = 0, shard_n = 1;
    if (shard)
        lr_parse_shard(L, shard, &shard_k, &shard_n);
    if (output && keep_layers)
        return luaL_error(L, "sweep: 'keep_layers' gives Lua rows, not a file: drop one of "
                             "'keep_layers' and 'output'");
    if (resume && (!output || strcmp(output, "-") == 0))
        return luaL_error(L, "sweep: 'resume' continues an output file: give 'output'");
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
    double every = 2; /* seconds between two writes of the output file (at least) */
    if (lua_getfield(L, 1, "write_every") != LUA_TNIL) {
        int isnum = 0;
        every = lua_tonumberx(L, -1, &isnum);
        if (!isnum || !(every >= 0 && every <= 86400))
            return luaL_argerror(L, 1, "field 'write_every' must be a number of seconds in "
                                       "[0, 86400]");
    }
    lua_pop(L, 1);
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
    const npu_lua_limits *lim = npu_lr_limits(L);
    if (lim && lim->max_threads > 0 && threads > lim->max_threads)
        threads = lim->max_threads; /* the rows do not depend on it */

    npu_err err = {0};
    if (output && strcmp(output, "-") != 0 && npu_script_path_ok(L, output, 0, &err) != 0)
        return npu_lr_fail(L, &err); /* the file sandbox (--sandbox) */
    lr_study *st = npu_lr_study_new(L, 1, output || shard, shard_k, shard_n, &err);
    if (!st)
        return npu_lr_fail(L, &err);
    int study = lua_gettop(L);
    int to_file = output && strcmp(output, "-") != 0;
    if (to_file) {
        struct stat sbuf;
        int exists = stat(output, &sbuf) == 0;
        if (exists && S_ISDIR(sbuf.st_mode)) {
            lua_pushnil(L);
            lua_pushfstring(L, "%s: is a directory", output);
            return 2;
        }
        if (exists && resume) {
            if (npu_lr_study_read(st, output, 0, shard_k, shard_n, &err) != 0)
                return npu_lr_fail(L, &err);
        } else if (exists && !force) {
            lua_pushnil(L);
            lua_pushfstring(L, "%s: file exists (use --force to overwrite, or --resume to "
                               "continue it)", output);
            return 2;
        }
    }

    lr_sweep *s = lua_newuserdatauv(L, sizeof *s, 0);
    memset(s, 0, sizeof *s);
    int sidx = lua_gettop(L);
    lua_newtable(L);
    lua_pushcfunction(L, sweep_gc);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, sidx);
    size_t un = st->n > 0 ? (size_t)st->n : 1;
    s->st = st;
    s->rows = !output;
    s->keep_layers = keep_layers;
    int *todo = s->all = calloc(un, sizeof *todo);
    s->done = calloc(un, 1);
    s->tot = s->rows ? calloc(un, sizeof *s->tot) : NULL;
    s->res = keep_layers ? calloc(un, sizeof *s->res) : NULL;
    if (!todo || !s->done || (s->rows && !s->tot) || (keep_layers && !s->res))
        return luaL_error(L, "sweep: out of memory");
    int ntodo = 0;
    for (int p = shard_k; p < st->n; p += shard_n) {
        s->total++;
        if (st->line[p])
            s->skipped++;
        else
            todo[ntodo++] = p;
    }
    if (npu_lr_charge_runs(L, ntodo, &err))
        return npu_lr_fail(L, &err);
    s->main_ctx = npu_script_ctx(L);
    s->progress = progress;
    s->t0 = s->shown = lr_now();
    pthread_mutex_init(&s->mu, NULL);
    /* a sweep started in a cancelled context returns at once: that cancellation is not its */
    int cancelled_before = npu_ctx_cancelled(s->main_ctx);
    int batch = to_file ? 32 * threads : ntodo;
    double written = lr_now(), cost = 0;
    int werr = 0;
    for (int off = 0; off < ntodo && !s->failed && !npu_ctx_cancelled(s->main_ctx);
         off += batch) {
        lr_run_batch(s, todo + off, off + batch < ntodo ? batch : ntodo - off, threads);
        double now = lr_now();
        double wait = cost * 8 > every ? cost * 8 : every;
        if (to_file && off + batch < ntodo && now - written >= wait) {
            if ((werr = npu_lr_study_write(st, output, 1, &err)) != 0)
                break;
            written = lr_now();
            cost = written - now;
        }
    }
    int interrupted = npu_ctx_cancelled(s->main_ctx);
    if (interrupted && !cancelled_before)
        npu_script_cancel_handled(L); /* the script goes on with the finished rows */
    pthread_mutex_destroy(&s->mu);
    lr_progress(s, 1);
    /* what is done is written, also after a failure or Ctrl-C (resume starts from it) */
    if (output && !werr && (to_file || !s->failed))
        werr = npu_lr_study_write(st, output, to_file ? 1 : force, &err);
    if (s->failed) {
        char id[17]; /* lua_pushfstring has no %llx: it raised "invalid option" instead */
        snprintf(id, sizeof id, "%016llx", (unsigned long long)st->id[s->fail_point]);
        lua_pushnil(L);
        lua_pushfstring(L, "sweep point %d (id %s): %s", s->fail_point + 1, id, s->err.msg);
        return 2;
    }
    if (werr)
        return npu_lr_fail(L, &err);
    if (output) {
        lua_pushinteger(L, s->skipped + s->ndone);
    } else {
        /* rows, in point order */
        lua_createtable(L, s->ndone, 0);
        int rows = lua_gettop(L), nrow = 0;
        for (int p = 0; p < st->n; p++) {
            if (!s->done[p])
                continue;
            npu_lr_study_push_params(L, study, p);
            int pt = lua_gettop(L);
            lua_createtable(L, 0, npu_total_nfields + st->nparam + 4);
            lua_pushnil(L);
            while (lua_next(L, pt)) {
                lua_pushvalue(L, -2);
                lua_insert(L, -2);
                lua_settable(L, -4);
            }
            npu_lr_set_total_fields(L, &s->tot[p]);
            if (st->nmetric < npu_total_nfields) /* only the spec's metrics */
                for (int f = 0; npu_total_fields[f].name; f++) {
                    int keep = 0;
                    for (int m = 0; m < st->nmetric; m++)
                        keep |= st->metric[m] == f;
                    if (!keep) {
                        lua_pushnil(L);
                        lua_setfield(L, -2, npu_total_fields[f].name);
                    }
                }
            char id[20];
            snprintf(id, sizeof id, "%016llx", (unsigned long long)st->id[p]);
            lua_pushstring(L, id);
            lua_setfield(L, -2, "id");
            int a, g, v;
            npu_lr_study_split(st, p, &a, &g, &v);
            if (st->arch_list) {
                lua_pushstring(L, npu_arch_params(st->arch[a])->arch);
                lua_setfield(L, -2, "arch");
            }
            if (st->graph_list) {
                lua_pushstring(L, st->graph[g]->name ? st->graph[g]->name : "");
                lua_setfield(L, -2, "graph");
            }
            if (keep_layers) {
                npu_lr_push_layers(L, s->res[p]);
                lua_setfield(L, -2, "layers");
            }
            lua_rawseti(L, rows, ++nrow);
            lua_pop(L, 1); /* the point */
        }
    }
    if (interrupted) {
        lua_pushliteral(L, "interrupted");
        return 2;
    }
    return 1;
}
