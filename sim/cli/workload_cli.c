/* workload_cli.c — `npusim run --workload NAME=GRAPH[:K=V]...` (several workloads at once on
 * one chip; the run is sim/workload.c, the meaning docs/workloads.md).
 *
 * A spec is NAME=GRAPH followed by ':'-separated settings: count=N, fps=N, after=NAME, batch=N
 * (the graph's batch), and any
 * other K=V is the workload's own model setting (core_mask=1, dtype=fp16). GRAPH is a zoo name
 * or a file (a path with ':' cannot be given here). --set applies to the chip (every workload).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_WL 64
#define MAX_SETS 32

typedef struct wspec {
    char *text; /* the spec's copy, cut at '=' and ':' */
    npu_workload w;
    int batch; /* batch=N: how the graph is loaded */
    const char *sets[MAX_SETS];
} wspec;

/* One K=V setting of a spec. -1 ok, else an exit code. */
static int setting(wspec *s, char *kv, const char *spec)
{
    char *v = strchr(kv, '=');
    if (!v || v == kv || !v[1])
        return cli_usage_error("run", "--workload setting '%s': expected K=V", kv, NULL);
    *v = 0;
    const char *val = v + 1;
    /* a setting given twice took the last without a word (--zoo-args refuses the same) */
    bool twice = (strcmp(kv, "count") == 0 && s->w.count) || (strcmp(kv, "fps") == 0 && s->w.fps) ||
                 (strcmp(kv, "batch") == 0 && s->batch) || (strcmp(kv, "after") == 0 && s->w.after);
    for (int k = 0; k < s->w.nsets && !twice; k++)
        twice = strncmp(s->sets[k], kv, (size_t)(v - kv)) == 0 && s->sets[k][v - kv] == '=';
    if (twice)
        return cli_usage_error("run", "--workload: '%s' given twice in one spec", kv, NULL);
    if (strcmp(kv, "count") == 0 || strcmp(kv, "fps") == 0 || strcmp(kv, "batch") == 0) {
        char *end;
        errno = 0;
        double d = strtod(val, &end);
        bool whole = kv[0] != 'f';
        if (*end || errno || !(d > 0) || (whole && (d != (double)(int)d || d > 100000)))
            return cli_usage_error("run", "--workload: '%s' needs a positive number", kv, NULL);
        if (kv[0] == 'c')
            s->w.count = (int)d;
        else if (kv[0] == 'b')
            s->batch = (int)d;
        else
            s->w.fps = d;
    } else if (strcmp(kv, "after") == 0) {
        s->w.after = val;
    } else {
        if (s->w.nsets >= MAX_SETS)
            return cli_usage_error("run", "--workload '%s': too many settings", spec, NULL);
        *v = '='; /* a model setting, K=V as given */
        s->sets[s->w.nsets++] = kv;
    }
    return -1;
}

/* NAME=GRAPH[:K=V]... into s (strings in s->text). -1 ok, else an exit code. */
static int parse_spec(const char *spec, wspec *s, const char **graph)
{
    s->text = npu_strdup(spec);
    if (!s->text)
        return cli_failf("%s", "out of memory");
    s->w.sets = s->sets;
    char *eq = strchr(s->text, '=');
    if (!eq || eq == s->text || !eq[1] || eq[1] == ':')
        return cli_usage_error("run", "--workload '%s': expected NAME=GRAPH[:K=V]...", spec, NULL);
    *eq = 0;
    s->w.name = s->text;
    *graph = eq + 1;
    char *p = strchr(eq + 1, ':');
    while (p) {
        *p++ = 0;
        char *next = strchr(p, ':');
        if (next)
            *next = 0;
        int rc = setting(s, p, spec);
        if (rc >= 0)
            return rc;
        if (next)
            *next = ':';
        p = next;
    }
    return -1;
}

/* The report of r (or the error), then r freed. */
static int emit(cli *o, npu_wl_run *r, npu_err *err)
{
    int rc = -1;
    if (!r)
        return cli_fail(err);
    npu_strbuf sb;
    npu_sb_init(&sb);
    rc = npu_report_workloads(r, o->fmt, o->verbosity >= 0, &sb) ? cli_failf("%s", "out of memory")
                                                                  : cli_emit_text(o, &sb);
    npu_sb_free(&sb);
    npu_wl_run_free(r);
    return rc;
}

/* Table only: --plot, --summary, ... are for one graph's one run. */
static int one_run_only(const cli *o, const char *what, const char *hint)
{
    if (o->nplots || o->summary || o->shapes || o->ssrep)
        return cli_usage_error("run",
                               "%s: --plot, --summary, --shapes and --scalesim-reports are for "
                               "one graph's one run",
                               what, hint);
    return -1;
}

int cli_run_card(cli *o, npu_ctx *ctx, npu_arch *a, npu_graph *g)
{
    int rc = one_run_only(o, "a card's run (frames spread over its chips)",
                          "--set card.spread=one runs one chip");
    npu_err err = {0};
    npu_run_opts ro = {.trace_path = o->trace, .force = o->force};
    if (rc < 0)
        rc = emit(o, npu_run_card(ctx, a, g, &ro, &err), &err);
    npu_arch_free(a);
    npu_graph_free(g);
    return rc;
}

int cli_run_workloads(cli *o, npu_ctx *ctx)
{
    if (o->nwls > MAX_WL)
        return cli_usage_error("run", "%s: at most 64 workloads", "--workload", NULL);
    int rc = one_run_only(o, "--workload", NULL);
    if (rc >= 0)
        return rc;
    wspec *ws = calloc((size_t)o->nwls, sizeof *ws);
    npu_workload *w = calloc((size_t)o->nwls, sizeof *w);
    npu_graph **gs = calloc((size_t)o->nwls, sizeof *gs);
    npu_err err = {0};
    npu_arch *a = NULL;
    if (!ws || !w || !gs)
        rc = cli_failf("%s", "out of memory");
    for (int i = 0; rc < 0 && i < o->nwls; i++) {
        const char *graph = NULL;
        rc = parse_spec(o->wls[i], &ws[i], &graph);
        npu_load_opts lo = {.batch = ws[i].batch};
        if (rc < 0 && !(gs[i] = npu_load_graph(ctx, graph, &lo, &err)))
            rc = cli_fail(&err);
        if (rc < 0) {
            w[i] = ws[i].w;
            w[i].graph = gs[i];
        }
    }
    if (rc < 0 && !(a = cli_open_arch(o, ctx, o->arch ? o->arch : DEFAULT_ARCH, &err)))
        rc = cli_fail(&err);
    npu_run_opts ro = {.trace_path = o->trace, .force = o->force};
    if (rc < 0)
        rc = emit(o, npu_run_workloads(ctx, a, w, o->nwls, &ro, &err), &err);
    npu_arch_free(a);
    for (int i = 0; i < o->nwls && ws && gs; i++) {
        free(ws[i].text);
        npu_graph_free(gs[i]);
    }
    free(ws);
    free(w);
    free(gs);
    return rc;
}
