/* main.c — the `npusim` command (DESIGN §6).
 *
 *   npusim run     [-a ARCH] [--set K=V]... [--dtype X] [-f FMT] [-o FILE] [--trace FILE] GRAPH
 *   npusim compare -a A,B,... [--set K=V]... GRAPH
 *   npusim info    GRAPH
 *   npusim list    [models|archs|networks]
 *   npusim params  MODEL|ARCH
 *   npusim compile -a ARCH GRAPH -o P.npuc ; npusim disasm P.npuc ; npusim exec P.npuc
 *   npusim explain -a ARCH GRAPH LAYER
 *   npusim convert GRAPH -o NET.onnx|NET.npg
 *   npusim script  FILE.lua [ARGS]      (also: npusim FILE.lua [ARGS])
 *   npusim sweep   SPEC.lua [-o OUT.csv] [--shard K/N] [--resume] [--threads N]
 *   npusim merge   --spec SPEC.lua PART.csv... -o OUT.csv
 *
 * The listing commands (list, params) are in listing.c; what the files share is in cli.h.
 * Everything goes through the public API (sim/npusim.h) and npu_lua_run_file (sim/lua/lua.h);
 * this file only parses arguments, prints and maps errors to exit codes:
 *   0 ok; 1 bad input or failed simulation ("npusim: file:line: what" on stderr);
 *   2 usage (unknown command/option, missing argument) with a hint to --help.
 * Choices where DESIGN is silent (documented in docs/cli.md):
 *   - without -a the architecture is "systolic" (the systolic model's defaults);
 *   - -o and --trace are checked before a simulation starts, so a refused overwrite costs
 *     nothing; --force applies to both;
 *   - --set is applied in the order given, after the preset; --dtype X is --set dtype=X;
 *   - options may come before or after the positional arguments; "--" ends the options;
 *     for `script` everything after FILE.lua goes to the script untouched.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../lua/lua.h"
#include "../npusim_int.h"
#include "../report/report.h"
#include "../report/svg.h"
#include "../report/tab.h"
#include "cli.h"
#include "scalesim_cli.h"

/* ---- messages --------------------------------------------------------------------------------- */

int cli_usage_error(const char *cmd, const char *fmt, const char *arg, const char *hint)
{
    fprintf(stderr, "npusim: ");
    fprintf(stderr, fmt, arg);
    if (hint)
        fprintf(stderr, " (did you mean '%s'?)", hint);
    if (cmd)
        fprintf(stderr, "\nTry 'npusim %s --help'.\n", cmd);
    else
        fprintf(stderr, "\nTry 'npusim --help'.\n");
    return EXIT_USAGE;
}

void cli_eprint(const char *msg)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", msg);
    npu_tab_sanitize_msg(buf);
    fprintf(stderr, "npusim: %s\n", buf);
}

int cli_fail(const npu_err *err)
{
    cli_eprint(err && err->msg[0] ? err->msg : "failed");
    return EXIT_FAIL;
}

int cli_failf(const char *fmt, const char *a)
{
    char buf[4096];
    snprintf(buf, sizeof buf, fmt, a);
    cli_eprint(buf);
    return EXIT_FAIL;
}

static double now_s(void)
{
    struct timespec ts;
    if (timespec_get(&ts, TIME_UTC) != TIME_UTC)
        return 0;
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* -v: one line on stderr, "npusim: [12.3 ms] what"; the time since the command started. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void note(const cli *o, const char *fmt, ...)
{
    if (o->verbosity < 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "npusim: [%.1f ms] ", 1e3 * (now_s() - o->t0));
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* Writes the text to -o FILE (temp + rename, no overwrite without --force) or stdout. */
int cli_emit_text(const cli *o, npu_strbuf *sb)
{
    if (sb->oom) {
        fprintf(stderr, "npusim: out of memory\n");
        return EXIT_FAIL;
    }
    const char *s = sb->s ? sb->s : "";
    npu_err err = {0};
    if (o->out) {
        if (npu_write_file(o->out, s, sb->len, o->force, &err))
            return cli_fail(&err);
        note(o, "wrote %s (%zu bytes)", o->out, sb->len);
        return EXIT_OK;
    }
    if (fwrite(s, 1, sb->len, stdout) != sb->len || fflush(stdout) != 0) {
        fprintf(stderr, "npusim: <stdout>: write error\n");
        return EXIT_FAIL;
    }
    return EXIT_OK;
}

/* Refuses early when an output file exists and --force was not given. */
int cli_check_new_file(const cli *o, const char *path)
{
    struct stat st;
    if (!path || strcmp(path, "-") == 0 || stat(path, &st) != 0)
        return EXIT_OK;
    if (S_ISDIR(st.st_mode)) /* --force or not: not a file to replace */
        return cli_failf("%s: is a directory", path);
    if (cli_check_not_input(o, path))
        return EXIT_FAIL;
    if (!o->force)
        return cli_failf("%s: file exists (use --force to overwrite)", path);
    return EXIT_OK;
}

/* ---- shared steps ---------------------------------------------------------------------------- */

static npu_graph *load_graph(const cli *o, npu_ctx *ctx, const char *what, npu_err *err)
{
    npu_load_opts lo = {0};
    lo.allow_unsupported = o->allow_unsupported;
    lo.zoo_args = o->zoo_args;
    lo.batch = o->batch;
    npu_graph *g = npu_load_graph(ctx, what, &lo, err);
    if (g)
        note(o, "graph %s loaded", what);
    return g;
}

npu_arch *cli_open_arch(const cli *o, npu_ctx *ctx, const char *name, npu_err *err)
{
    npu_arch *a = npu_cli_arch_open(ctx, name, err); /* a preset, a model or a scale.cfg */
    if (!a)
        return NULL;
    for (int i = 0; i < o->nsets; i++) {
        if (npu_arch_set_kv(a, o->sets[i], err)) {
            npu_arch_free(a);
            return NULL;
        }
    }
    note(o, "architecture %s (model %s), %d --set", npu_arch_name(a), npu_arch_model(a),
         o->nsets);
    return a;
}

/* GRAPH (o->pos[0]) and the -a architecture (default DEFAULT_ARCH) with the --set values, for
 * the commands that need both. NULL (nothing left open) on failure, reported from err. */
static npu_graph *load_graph_arch(const cli *o, npu_ctx *ctx, npu_arch **a, npu_err *err)
{
    *a = cli_open_arch(o, ctx, o->arch ? o->arch : DEFAULT_ARCH, err);
    if (!*a)
        return NULL;
    const char *an = o->arch ? o->arch : DEFAULT_ARCH;
    npu_graph *g = npu_cli_ss_csv(*a, an, o->pos[0])
                       ? npu_cli_ss_load(*a, an, o->pos[0], o->batch, err)
                       : load_graph(o, ctx, o->pos[0], err);
    if (g && o->aipp && npu_arch_aipp(*a, g, o->aipp, err)) {
        npu_graph_free(g);
        g = NULL;
    }
    if (!g) {
        npu_arch_free(*a);
        *a = NULL;
        return NULL;
    }
    return g;
}

/* ---- --plot ---------------------------------------------------------------------------------- */

/* Writes the --plot charts of a result (svg.h: per-layer time or energy bars, roofline). */
static int write_plots(const cli *o, const npu_result *r)
{
    for (int i = 0; i < o->nplots; i++) {
        npu_svg_kind k;
        const char *path;
        npu_err err = {0};
        npu_strbuf sb;
        npu_sb_init(&sb);
        int st = npu_svg_plot_arg(o->plots[i], &k, &path, &err);
        if (!st)
            st = npu_svg_result(r, k, NULL, &sb, &err);
        if (!st)
            st = npu_write_file(path, sb.s ? sb.s : "", sb.len, o->force, &err);
        npu_sb_free(&sb);
        if (st)
            return cli_fail(&err);
        note(o, "wrote chart %s", path);
    }
    return EXIT_OK;
}

/* ---- commands ---------------------------------------------------------------------------------- */

/* The end of run and exec: the result in the chosen format, then its plots; frees r. A NULL r
 * is the simulation's failure, reported from err. */
static int report_result(const cli *o, npu_result *r, const npu_err *err)
{
    if (!r)
        return cli_fail(err);
    npu_strbuf sb;
    npu_sb_init(&sb);
    int rc = NPU_OK;
    note(o, "simulated: %d layers, %lld cycles", r->nlayers, (long long)r->total.cycles);
    if (r->total.fits == 0) { /* the footprint does not fit the preset's board: say so */
        char w[1024];
        snprintf(w, sizeof w,
                "warning: %s needs %.1f MiB (weights %.1f, internal %.1f, io %.1f, "
                "tasks %.1f) but %s leaves %.1f MiB of DRAM to it (docs/deployment.md)",
                r->graph, (double)r->total.footprint_bytes / 1048576.0,
                (double)r->total.total_weight_size / 1048576.0,
                (double)r->total.total_internal_size / 1048576.0,
                (double)r->total.io_size / 1048576.0, (double)r->total.task_size / 1048576.0,
                r->arch, (double)r->total.dram_usable_bytes / 1048576.0);
        cli_eprint(w);
    }
    rc = npu_rep_result_out(r, o->fmt, o->summary, o->verbosity < 0, &sb);
    if (rc)
        rc = cli_failf("%s: cannot format the result", o->pos[0]);
    else
        rc = cli_emit_text(o, &sb);
    if (rc == EXIT_OK)
        rc = write_plots(o, r);
    npu_sb_free(&sb);
    npu_result_free(r);
    return rc;
}

static int cmd_run(const command *c, cli *o, npu_ctx *ctx)
{
    (void)c;
    npu_err err = {0};
    if (o->nwls > 0 && o->npos > 0)
        return cli_usage_error(c->name, "%s: give GRAPH or --workload, not both", c->name, NULL);
    if (o->nwls == 0 && o->npos == 0)
        return cli_usage_error(c->name, "%s: missing GRAPH (or --workload)", c->name, NULL);
    if (cli_check_new_file(o, o->out) || cli_check_new_file(o, o->trace) || cli_check_plots(o))
        return EXIT_FAIL;
    if (o->nwls > 0)
        return cli_run_workloads(o, ctx);
    npu_arch *a;
    npu_graph *g = load_graph_arch(o, ctx, &a, &err);
    if (!g)
        return cli_fail(&err);
    if (npu_arch_card_spread(a)) /* a card: its frames over its chips (frees a and g) */
        return cli_run_card(o, ctx, a, g);
    npu_run_opts ro = {.trace_path = o->trace, .force = o->force};
    npu_result *r = o->ssrep && npu_cli_ssrep(ctx, a, g, o->ssrep, o->force, &err)
                        ? NULL : npu_run(ctx, a, g, &ro, &err); /* NULL: reported from err */
    if (r && npu_rep_fill_shapes(r, g)) { /* the shape columns of the CSV/JSON */
        npu_result_free(r);
        return cli_failf("%s", "out of memory");
    }
    int rc = report_result(o, r, &err);
    npu_arch_free(a);
    npu_graph_free(g);
    return rc;
}

static int cmd_compare(const command *c, cli *o, npu_ctx *ctx)
{
    if (!o->arch || !*o->arch)
        return cli_usage_error(c->name, "%s: -a A,B,... is required", c->name, NULL);
    if (cli_check_new_file(o, o->out))
        return EXIT_FAIL;
    /* split the comma list */
    char *list = npu_strdup(o->arch);
    if (!list)
        return cli_failf("%s", "out of memory");
    int n = 1;
    for (char *p = list; *p; p++)
        n += *p == ',';
    char **names = calloc((size_t)n, sizeof *names);
    npu_result **rs = calloc((size_t)n, sizeof *rs);
    int rc = EXIT_OK;
    npu_graph *g = NULL;
    if (!names || !rs) {
        rc = cli_failf("%s", "out of memory");
        goto done;
    }
    n = 0;
    for (char *p = list, *q; p; p = q) {
        q = strchr(p, ',');
        if (q)
            *q++ = 0;
        if (!*p) {
            rc = cli_usage_error(c->name, "%s: empty architecture name in -a", c->name, NULL);
            goto done;
        }
        names[n++] = p;
    }
    npu_err err = {0};
    g = load_graph(o, ctx, o->pos[0], &err);
    if (!g) {
        rc = cli_fail(&err);
        goto done;
    }
    for (int k = 0; k < n; k++) {
        npu_arch *a = cli_open_arch(o, ctx, names[k], &err);
        if (!a) {
            rc = cli_fail(&err);
            goto done;
        }
        rs[k] = npu_run(ctx, a, g, NULL, &err);
        npu_arch_free(a);
        if (!rs[k]) {
            npu_err_prefix(&err, "%s", names[k]);
            rc = cli_fail(&err);
            goto done;
        }
    }
    npu_strbuf sb;
    npu_sb_init(&sb);
    if (npu_report_compare((const npu_result *const *)rs, n, o->fmt, &sb))
        rc = cli_failf("%s: cannot format the comparison", o->pos[0]);
    else
        rc = cli_emit_text(o, &sb);
    npu_sb_free(&sb);
done:
    if (rs)
        for (int k = 0; k < n; k++)
            npu_result_free(rs[k]);
    free(rs);
    free(names);
    free(list);
    npu_graph_free(g);
    return rc;
}

static int cmd_info(const command *c, cli *o, npu_ctx *ctx)
{
    npu_err err = {0};
    if (cli_check_new_file(o, o->out))
        return EXIT_FAIL;
    if (o->aipp && !o->arch)
        return cli_usage_error(c->name, "%s: --aipp needs -a ARCH (the footprint view)", c->name,
                               NULL);
    npu_arch *a = NULL;
    npu_graph *g =
        o->arch ? load_graph_arch(o, ctx, &a, &err) : load_graph(o, ctx, o->pos[0], &err);
    if (!g)
        return cli_fail(&err);
    npu_strbuf sb;
    npu_sb_init(&sb);
    int rc;
    if (a) { /* -a: the deployment footprint on that arch, without simulating */
        rc = npu_footprint_report(ctx, a, g, o->fmt, &sb, &err) ? cli_fail(&err)
                                                                : cli_emit_text(o, &sb);
        npu_arch_free(a);
    } else if (npu_report_graph(g, o->fmt, &sb))
        rc = cli_failf("%s: cannot format the graph", o->pos[0]);
    else
        rc = cli_emit_text(o, &sb);
    npu_sb_free(&sb);
    npu_graph_free(g);
    return rc;
}

static int cmd_compile(const command *c, cli *o, npu_ctx *ctx)
{
    if (!o->out)
        return cli_usage_error(c->name, "%s: -o P.npuc is required", c->name, NULL);
    if (cli_check_new_file(o, o->out))
        return EXIT_FAIL;
    npu_err err = {0};
    npu_arch *a;
    npu_graph *g = load_graph_arch(o, ctx, &a, &err);
    if (!g)
        return cli_fail(&err);
    int rc = EXIT_OK;
    npu_program *p = npu_compile(ctx, a, g, &err);
    if (!p || npu_program_save(p, o->out, o->force, &err))
        rc = cli_fail(&err);
    npu_program_free(p);
    npu_arch_free(a);
    npu_graph_free(g);
    return rc;
}

static int cmd_disasm(const command *c, cli *o, npu_ctx *ctx)
{
    (void)c;
    npu_err err = {0};
    if (cli_check_new_file(o, o->out))
        return EXIT_FAIL;
    npu_program *p = npu_program_load(ctx, o->pos[0], &err);
    if (!p)
        return cli_fail(&err);
    npu_strbuf sb;
    npu_sb_init(&sb);
    int rc = npu_disasm(ctx, p, &sb, &err) ? cli_fail(&err) : cli_emit_text(o, &sb);
    npu_sb_free(&sb);
    npu_program_free(p);
    return rc;
}

static int cmd_exec(const command *c, cli *o, npu_ctx *ctx)
{
    (void)c;
    npu_err err = {0};
    if (cli_check_new_file(o, o->out) || cli_check_new_file(o, o->trace))
        return EXIT_FAIL;
    if (cli_check_plots(o))
        return EXIT_FAIL;
    npu_program *p = npu_program_load(ctx, o->pos[0], &err);
    if (!p)
        return cli_fail(&err);
    npu_run_opts ro = {.trace_path = o->trace, .force = o->force};
    npu_result *r = npu_exec(ctx, p, &ro, &err);
    int rc = report_result(o, r, &err);
    npu_program_free(p);
    return rc;
}

static int cmd_explain(const command *c, cli *o, npu_ctx *ctx)
{
    (void)c;
    npu_err err = {0};
    if (cli_check_new_file(o, o->out))
        return EXIT_FAIL;
    npu_arch *a;
    npu_graph *g = load_graph_arch(o, ctx, &a, &err);
    if (!g)
        return cli_fail(&err);
    npu_strbuf sb;
    npu_sb_init(&sb);
    int rc = npu_explain(ctx, a, g, o->pos[1], &sb, &err) ? cli_fail(&err) : cli_emit_text(o, &sb);
    npu_sb_free(&sb);
    npu_arch_free(a);
    npu_graph_free(g);
    return rc;
}

static bool ends_with(const char *s, const char *suf);

/* GRAPH as an ONNX model (+ its sparse weight file) or as .npg text, after the standard passes
 * (what `info` shows). The output rules are run's: checked before loading, never overwritten
 * without --force, written through a temporary name. */
static int cmd_convert(const command *c, cli *o, npu_ctx *ctx)
{
    if (!o->out)
        return cli_usage_error(c->name, "%s: -o NET.onnx or -o NET.npg is required", c->name, NULL);
    bool onnx = ends_with(o->out, ".onnx");
    if (!onnx && !ends_with(o->out, ".npg") && strcmp(o->out, "-") != 0)
        return cli_usage_error(c->name, "%s: the output name must end in .onnx or .npg ('-': .npg "
                           "text on stdout)", o->out, NULL);
    if (cli_check_new_file(o, o->out))
        return EXIT_FAIL;
    if (onnx) { /* its weight file beside it, OUT.data, must not be an input either */
        char data[4096];
        snprintf(data, sizeof data, "%s.data", o->out);
        if (cli_check_not_input(o, data))
            return EXIT_FAIL;
    }
    npu_err err = {0};
    npu_graph *g = load_graph(o, ctx, o->pos[0], &err);
    if (!g)
        return cli_fail(&err);
    int rc = EXIT_OK;
    if (onnx) {
        if (npu_graph_write_onnx(g, o->out, o->force, &err))
            rc = cli_fail(&err);
    } else {
        npu_strbuf sb;
        npu_sb_init(&sb);
        if (npu_graph_write_npg(g, &sb))
            rc = cli_failf("%s: this graph cannot be written as .npg", o->pos[0]);
        else
            rc = cli_emit_text(o, &sb);
        npu_sb_free(&sb);
    }
    npu_graph_free(g);
    return rc;
}

/* Ctrl-C during a script (sweeps): the one flag the library polls through the context. The
 * first SIGINT asks for a clean stop; a second one kills the process as usual. */
static volatile int g_cancel;

static void on_sigint(int sig)
{
    g_cancel = 1;
    signal(sig, SIG_DFL);
}

static int cmd_script(const command *c, cli *o, npu_ctx *ctx)
{
    npu_err err = {0};
    if (!o->sandbox && (o->nallow || o->budget))
        return cli_usage_error(c->name, "%s: --allow-path and --budget go with --sandbox", c->name,
                               NULL);
    npu_ctx_set_cancel(ctx, &g_cancel);
    void (*old)(int) = signal(SIGINT, on_sigint);
    const npu_lua_sandbox sb = {.allow = o->allow, .budget = o->budget};
    int st = o->sandbox ? npu_lua_run_sandboxed(ctx, o->pos[0], o->sargc, o->sargv, &sb, &err)
                        : npu_lua_run_file(ctx, o->pos[0], o->sargc, o->sargv, &err);
    signal(SIGINT, old == SIG_ERR ? SIG_DFL : old);
    fflush(stdout);
    if (st)
        return cli_fail(&err);
    return g_cancel ? EXIT_FAIL : EXIT_OK;
}

/* sweep SPEC / merge --spec SPEC PARTS: a sweep spec run or its parts merged (sim/lua/lstudy.c,
 * docs/sweeps.md). Ctrl-C as in a script: the finished rows are written, exit 1. */
static int cmd_sweep(const command *c, cli *o, npu_ctx *ctx)
{
    npu_lua_sweep_args a = {0};
    a.output = o->out;
    a.shard = o->shard;
    a.resume = o->resume;
    a.force = o->force;
    a.threads = o->threads;
    if (strcmp(c->name, "merge") == 0) {
        if (!o->spec)
            return cli_usage_error(c->name, "%s: give the study's spec with --spec FILE (merge "
                                            "checks every point of it is there)", c->name, NULL);
        if (!o->out)
            return cli_usage_error(c->name, "%s: give the merged file with -o FILE", c->name,
                                   NULL);
        a.spec = o->spec;
        a.parts = (const char *const *)o->pos;
        a.nparts = o->npos;
    } else {
        a.spec = o->pos[0];
    }
    if (o->resume && !o->out)
        return cli_usage_error(c->name, "%s: --resume continues the file given with -o", c->name,
                               NULL);
    if (cli_check_not_input(o, o->out))
        return EXIT_FAIL;
    npu_err err = {0};
    npu_ctx_set_cancel(ctx, &g_cancel);
    void (*old)(int) = signal(SIGINT, on_sigint);
    int st = npu_lua_sweep(ctx, &a, &err);
    signal(SIGINT, old == SIG_ERR ? SIG_DFL : old);
    if (st == NPU_EINTR)
        return cli_failf("%s: interrupted (the finished points are written; --resume goes on)",
                         a.spec);
    if (st)
        return cli_fail(&err);
    return EXIT_OK;
}

/* diff A.json B.json: two results written by `run -f json`, side by side (sim/report/diff.c). */
static int cmd_diff(const command *c, cli *o, npu_ctx *ctx)
{
    (void)c;
    (void)ctx;
    if (cli_check_new_file(o, o->out))
        return EXIT_FAIL;
    npu_result *r[2] = {NULL, NULL};
    npu_err err = {0};
    int rc = EXIT_OK;
    for (int k = 0; k < 2 && rc == EXIT_OK; k++) {
        char *text = NULL;
        size_t len = 0;
        if (npu_read_file(o->pos[k], &text, &len, &err) ||
            npu_rep_result_read(text, len, o->pos[k], &r[k], &err))
            rc = cli_fail(&err);
        free(text);
    }
    npu_strbuf sb;
    npu_sb_init(&sb);
    if (rc == EXIT_OK) {
        if (npu_rep_diff(r[0], r[1], o->pos[0], o->pos[1], o->fmt, &sb))
            rc = cli_failf("%s: cannot format the difference", o->pos[0]);
        else
            rc = cli_emit_text(o, &sb);
    }
    npu_sb_free(&sb);
    npu_result_free(r[0]);
    npu_result_free(r[1]);
    return rc;
}

static int cmd_help(const command *c, cli *o, npu_ctx *ctx);

/* ---- the command table ------------------------------------------------------------------------ */

#define GRAPH_HELP                                                                               \
    "GRAPH is a file (.npg text, .onnx, SCALE-Sim .csv), a built-in network name (see\n"        \
    "'npusim list networks') or '-' for .npg text on stdin.\n"
#define ARCH_HELP                                                                                \
    "ARCH is a preset name (see 'npusim list archs'), a path to a preset .lua file, or a bare\n" \
    "model name for the model's defaults. Without -a: " DEFAULT_ARCH ".\n"

static const command commands[] = {
    {"run", cmd_run,
     O_ARCH | O_SET | O_FMT | O_OUT | O_TRACE | O_ALLOW | O_FORCE | O_ZOO | O_PLOT | O_SUM | O_SHP |
         O_SSREP | O_WL | O_AIPP,
     0, 1,
     "npusim run [-a ARCH] [--set K=V]... [--dtype X] [-f table|csv|json] [-o FILE]\n"
     "           [--trace FILE[.gz]] [--plot [layers:|roofline:|energy:]FILE.svg]... [--force]\n"
     "           [--scalesim-reports DIR] [--aipp FILE] GRAPH\n"
     "       npusim run [-a ARCH] [--set K=V]... [-f FMT] [-o FILE] --workload NAME=GRAPH[:K=V]...",
     "Simulates GRAPH on ARCH and prints one row per layer and the totals.\n" GRAPH_HELP ARCH_HELP
     "--set K=V changes a parameter (see 'npusim params ARCH'); --dtype X is --set dtype=X.\n"
     "--trace writes a Chrome/Perfetto trace-event file (gzip-compressed when it ends in .gz);\n"
     "open it in https://ui.perfetto.dev. -o and --trace never overwrite without --force.\n"
     "--scalesim-reports DIR also writes SCALE-Sim's report files (docs/scalesim.md).\n"
     "--plot FILE.svg draws per-layer stacked bars (compute, memory stall, control stall,\n"
     "host); --plot roofline:FILE.svg the roofline of the layers; --plot energy:FILE.svg\n"
     "per-layer stacked energy bars (MAC, buffers, DRAM, control, host, static; repeatable;\n"
     "docs/plots.md).\n"
     "--summary op|engine|op,engine prints per-op-type / per-engine totals instead of layers.\n"
     "Each layer of the CSV/JSON has in_shape, out_shape, kernel and stride (--shapes, which\n"
     "asked for them before they were always there, is still accepted and changes nothing).\n"
     "--workload NAME=GRAPH[:K=V]... (repeatable) runs several graphs at once on one chip:\n"
     "K is count=N (frames), fps=N (periodic arrivals, deadline misses), after=NAME (frame k\n"
     "follows NAME's frame k) or a model setting (core_mask=1, dtype=fp16); per workload\n"
     "latency min/median/p99, throughput and each median frame's layers (docs/workloads.md).\n"
     "Example: npusim run -a systolic --set rows=64 -f csv resnet50\n"},
    {"compare", cmd_compare, O_ARCH | O_SET | O_FMT | O_OUT | O_ALLOW | O_FORCE | O_ZOO, 1, 1,
     "npusim compare -a ARCH1,ARCH2,... [--set K=V]... [-f table|csv|json] [-o FILE] GRAPH",
     "Runs GRAPH on each architecture and prints, per layer (matched by name), the cycles of\n"
     "each and the fastest ('best', by time: cycles / clock), then total cycles, µs and\n"
     "inferences per second. --set applies to every architecture.\n" GRAPH_HELP},
    {"diff", cmd_diff, O_FMT | O_OUT | O_FORCE, 2, 2,
     "npusim diff [-f table|csv|json] [-o FILE] A.json B.json",
     "Two results written by 'npusim run -f json' side by side: per layer (matched by name)\n"
     "and in total, B - A and the relative change, then the layers that moved most. A layer's\n"
     "time is its share of the run, so the layers' changes add up to the total's.\n"
     "Example: npusim run -a rk3588 -f json -o a.json resnet18\n"
     "         npusim run -a rk3588 --set dram.gbps=17 -f json -o b.json resnet18\n"
     "         npusim diff a.json b.json\n"},
    {"info", cmd_info, O_ARCH | O_SET | O_AIPP | O_FMT | O_OUT | O_ALLOW | O_FORCE | O_ZOO, 1, 1,
     "npusim info [-a ARCH [--set K=V] [--aipp FILE]] [-f table|csv|json] GRAPH",
     "Prints every layer of GRAPH after the standard passes (shape inference, BN folding,\n"
     "activation fusion, views): output shape, dtype, MACs, parameters, and the totals and an\n"
     "op histogram. With -a ARCH: the deployment footprint on ARCH instead, without\n"
     "simulating: weights as stored, the internal arena after lifetime reuse, io, command\n"
     "buffers, the peak, whether it fits the preset's DRAM, and the live set per layer\n"
     "(docs/deployment.md).\n" GRAPH_HELP},
    {"list", cli_cmd_list, O_FMT | O_OUT | O_FORCE, 0, 1,
     "npusim list [-f table|csv|json] [models|archs|networks]",
     "Without an argument: the built-in models, architectures (presets) and networks, one line\n"
     "of description each. With one: just those names, one per line (for scripts). -f csv and\n"
     "-f json give the details in either case.\n"},
    {"params", cli_cmd_params, O_SET | O_FMT | O_OUT | O_FORCE, 1, 1,
     "npusim params [--set K=V]... [-f table|csv|json] MODEL|ARCH",
     "Prints every parameter of an architecture: value, default, range or choices, unit, where\n"
     "the value came from (default, preset, --set), its source and what it means.\n" ARCH_HELP},
    {"compile", cmd_compile, O_ARCH | O_SET | O_AIPP | O_OUT | O_ALLOW | O_FORCE | O_ZOO, 1, 1,
     "npusim compile [-a ARCH] [--set K=V]... GRAPH -o PROGRAM.npuc [--force]",
     "Lowers GRAPH for ARCH into the model's own command format and saves the program\n"
     "(zlib-compressed). See 'npusim disasm' and 'npusim exec'.\n" GRAPH_HELP ARCH_HELP},
    {"disasm", cmd_disasm, O_OUT | O_FORCE, 1, 1, "npusim disasm [-o FILE] PROGRAM.npuc",
     "Prints a saved program, one instruction (descriptor, task, fold) per line.\n"},
    {"exec", cmd_exec, O_FMT | O_OUT | O_TRACE | O_FORCE | O_PLOT | O_SUM, 1, 1,
     "npusim exec [-f table|csv|json] [-o FILE] [--trace FILE] PROGRAM.npuc",
     "Simulates a saved program with the parameters it was compiled with.\n"},
    {"explain", cmd_explain, O_ARCH | O_SET | O_AIPP | O_OUT | O_ALLOW | O_FORCE | O_ZOO, 2, 2,
     "npusim explain [-a ARCH] [--set K=V]... GRAPH LAYER",
     "Shows how ARCH runs one layer (by name or index): tiling chosen, instructions, and where\n"
     "the cycles went.\n" GRAPH_HELP ARCH_HELP},
    {"convert", cmd_convert, O_OUT | O_ALLOW | O_FORCE | O_ZOO, 1, 1,
     "npusim convert GRAPH -o NET.onnx|NET.npg [--force]",
     "Writes GRAPH after the standard passes as an ONNX model (opset 13, the form exporters\n"
     "write: folded batchnorms as BatchNormalization, SiLU as x*Sigmoid(x) ...; weights as\n"
     "external data in NET.onnx.data, a zero-filled sparse file) or as .npg text. Open the\n"
     "ONNX file in Netron to see a built-in network. See docs/onnx.md.\n" GRAPH_HELP},
    {"script", cmd_script, O_SANDBOX, 1, -1,
     "npusim script [--sandbox [--allow-path PATH]... [--budget N]] FILE.lua [ARGS...]\n"
     "       (or: npusim FILE.lua [ARGS...])",
     "Runs a Lua script with the npusim module (see docs/lua.md); ARGS are in the global\n"
     "table 'arg'. Ctrl-C stops a sweep after the points in flight.\n"
     "With --sandbox the script may open files only in its own directory and the paths given\n"
     "with --allow-path (a directory allows what is under it), reads no environment variable,\n"
     "and runs at most N Lua instructions (--budget, default 10^9; simulations in C are not\n"
     "counted). Options go before FILE.lua: what follows it belongs to the script.\n"},
    {"sweep", cmd_sweep, O_OUT | O_FORCE | O_SWEEP, 1, 1,
     "npusim sweep SPEC.lua [-o OUT.csv] [--shard K/N] [--resume] [--threads N] [--force]",
     "Runs the design points of a sweep spec (a Lua file returning {arch=, graph=, vary=,\n"
     "set=, metrics=}; docs/sweeps.md) and writes one CSV row per point, in a fixed order,\n"
     "each with a stable id. --shard K/N runs every N-th point (0 <= K < N), for clusters;\n"
     "--resume skips the points already in OUT.csv. The file is rewritten whole (temporary +\n"
     "rename) every few seconds, so a killed run loses only its last batch. Progress on a\n"
     "terminal. Example: npusim sweep study.lua --shard 3/8 --threads 1 -o part-3.csv\n"},
    {"merge", cmd_sweep, O_OUT | O_FORCE | O_SPEC, 1, -1,
     "npusim merge --spec SPEC.lua PART.csv... -o OUT.csv [--force]",
     "Merges the parts of a sharded sweep into the file one process would have written:\n"
     "checks that every point of SPEC is there exactly once (naming the missing or repeated\n"
     "ids) and that every row belongs to SPEC, then writes the rows in point order.\n"
     "Example: npusim merge --spec study.lua part-*.csv -o study.csv\n"},
    {"help", cmd_help, 0, 0, 1, "npusim help [COMMAND]", "Prints help on a command.\n"},
};
#define NCOMMANDS ((int)(sizeof commands / sizeof commands[0]))

static const command *find_command(const char *name)
{
    for (int i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static const char *const command_names[] = {"run",    "compare", "diff", "info",    "list",
                                            "params", "compile", "disasm",  "exec",
                                            "explain", "convert", "script", "sweep",
                                            "merge", "help", "scalesim", NULL};

static void print_main_help(FILE *f)
{
    fprintf(f,
            "npusim %s — cycle-approximate NPU architecture simulator\n\n"
            "usage: npusim COMMAND [OPTIONS] ARGS    (npusim COMMAND --help for details)\n\n"
            "commands:\n"
            "  run      simulate a network on an architecture; per-layer table, CSV or JSON\n"
            "  compare  the same network on several architectures side by side\n"
            "  diff     two run results (JSON) side by side, per layer and in total\n"
            "  info     layers, shapes, MACs and parameters of a network\n"
            "  list     built-in models, architectures (presets) and networks\n"
            "  params   every parameter of a model or preset\n"
            "  compile  lower a network to a saved program (.npuc)\n"
            "  disasm   print a saved program\n"
            "  exec     simulate a saved program\n"
            "  explain  how one layer is tiled and where its cycles go\n"
            "  convert  write a network as ONNX (weights as a sparse side file) or .npg\n"
            "  script   run a Lua script (also: npusim FILE.lua)\n"
            "  sweep    run a sweep spec (design points) to CSV; shards, resume\n"
            "  merge    merge the CSV parts of a sharded sweep\n"
            "  scalesim SCALE-Sim's scale.py: -c CFG -t TOPO -p OUTDIR [-i conv|gemm] [--traces]\n\n"
            "options:\n"
            "  -a, --arch ARCH       preset or model name (default " DEFAULT_ARCH
            "); compare: A,B,...\n"
            "  --set K=V             set a parameter (repeatable)\n"
            "  --dtype X             same as --set dtype=X (int8, int16, fp16, bf16, int4, fp32)\n"
            "  -f, --format FMT      table (default), csv or json\n"
            "  -o, --output FILE     write to FILE instead of stdout\n"
            "  --trace FILE          write a Perfetto trace (.json or .json.gz)\n"
            "  --force               overwrite existing output files\n"
            "  --preset-path DIR     also look for presets (NAME.lua) in DIR (repeatable)\n"
            "  -q, --quiet           a run's table shrinks to its result line\n"
            "  -v, --verbose         the stages (load, simulate, write) with times on stderr\n"
            "  --allow-unsupported   run unknown ONNX operators on the host CPU\n"
            "  --zoo-args K=V,...    arguments of a parameterised built-in network\n"
            "  --batch N             run N inputs at once (leading dim of every graph input)\n"
            "  -h, --help            help;  --version  version\n\n"
            "exit status: 0 ok, 1 bad input or failed simulation, 2 usage error.\n"
            "example: npusim run -a systolic resnet50\n",
            NPUSIM_VERSION);
}

static void print_command_help(const command *c, FILE *f)
{
    fprintf(f, "usage: %s\n\n%s", c->usage, c->help);
    if (c->opts & (O_ARCH | O_SET | O_FMT | O_OUT | O_TRACE | O_ALLOW | O_FORCE | O_ZOO | O_PLOT |
                   O_SUM | O_SHP | O_SANDBOX | O_SWEEP | O_SPEC)) {
        fprintf(f, "\noptions:\n");
        if (c->opts & O_ARCH)
            fprintf(f, "  -a, --arch ARCH       preset or model name%s\n",
                    strcmp(c->name, "compare") == 0 ? "s, comma-separated" : "");
        if (c->opts & O_SET)
            fprintf(f, "  --set K=V             set a parameter (repeatable)\n"
                       "  --dtype X             same as --set dtype=X\n");
        if (c->opts & O_FMT)
            fprintf(f, "  -f, --format FMT      table (default), csv or json\n");
        if (c->opts & O_OUT)
            fprintf(f, "  -o, --output FILE     write to FILE ('-' = stdout)\n");
        if (c->opts & O_TRACE)
            fprintf(f, "  --trace FILE          Perfetto/Chrome trace (.json or .json.gz)\n");
        if (c->opts & O_PLOT)
            fprintf(f, "  --plot [KIND:]FILE    SVG chart: layers (default), roofline or energy\n");
        if (c->opts & O_SUM)
            fprintf(f, "  --summary BY          per op type and/or engine: op, engine, op,engine\n");
        if (c->opts & O_AIPP)
            fprintf(f, "  --aipp FILE           ATC's static AIPP config (aipp_op {...}; DaVinci)\n");
        if (c->opts & O_SHP)
            fprintf(f, "  --shapes              (the default now) layer shapes in CSV/JSON\n");
        if (c->opts & O_SWEEP)
            fprintf(f, "  --shard K/N           only the points p with p %% N == K\n"
                       "  --resume              skip the points already in -o FILE\n"
                       "  --threads N           simulation threads (default: one per CPU)\n");
        if (c->opts & O_SPEC)
            fprintf(f, "  --spec FILE           the spec of the sweep the parts come from\n");
        if (c->opts & O_FORCE)
            fprintf(f, "  --force               overwrite existing output files\n");
        if (c->opts & O_SANDBOX)
            fprintf(f, "  --sandbox             files only in the script's directory, no environment\n"
                       "  --allow-path PATH     with --sandbox: PATH may be used too (repeatable)\n"
                       "  --budget N            with --sandbox: at most N Lua instructions\n");
        if (c->opts & O_ALLOW)
            fprintf(f, "  --allow-unsupported   unknown ONNX ops run on the host CPU\n");
        if (c->opts & O_ZOO)
            fprintf(f, "  --zoo-args K=V,...    arguments of a parameterised built-in network\n"
                       "  --batch N             N inputs per run (leading dim of the inputs)\n");
        fprintf(f, "  --preset-path DIR     also look for presets in DIR\n"
                   "  -q, --quiet           run/exec: the result line alone (tables)\n"
                   "  -v, --verbose         stages and times on stderr\n");
    }
}

static int cmd_help(const command *c, cli *o, npu_ctx *ctx)
{
    (void)ctx;
    if (o->npos == 0) {
        print_main_help(stdout);
        return EXIT_OK;
    }
    if (strcmp(o->pos[0], "scalesim") == 0) {
        char *h[] = {"--help"};
        return npu_cli_scalesim(1, h);
    }
    const command *t = find_command(o->pos[0]);
    if (!t)
        return cli_usage_error(NULL, "help: unknown command '%s'", o->pos[0],
                           npu_did_you_mean(o->pos[0], command_names));
    (void)c;
    print_command_help(t, stdout);
    return EXIT_OK;
}

/* ---- argument parsing -------------------------------------------------------------------------- */

typedef struct optdef {
    const char *lng; /* "--arch" */
    char shrt;       /* 'a' or 0 */
    unsigned mask;
    bool arg;
} optdef;

static const optdef optdefs[] = {
    {"--arch", 'a', O_ARCH, true},         {"--set", 0, O_SET, true},
    {"--dtype", 0, O_SET, true},           {"--format", 'f', O_FMT, true},
    {"--output", 'o', O_OUT, true},        {"--trace", 0, O_TRACE, true},
    {"--force", 0, O_FORCE, false},        {"--allow-unsupported", 0, O_ALLOW, false},
    {"--zoo-args", 0, O_ZOO, true},        {"--preset-path", 0, O_PP, true},
    {"--plot", 0, O_PLOT, true},           {"--batch", 0, O_ZOO, true},
    {"--summary", 0, O_SUM, true},         {"--quiet", 'q', O_VERB, false},
    {"--verbose", 'v', O_VERB, false},     {"--shapes", 0, O_SHP, false},
    {"--scalesim-reports", 0, O_SSREP, true}, {"--sandbox", 0, O_SANDBOX, false},
    {"--allow-path", 0, O_SANDBOX, true},    {"--budget", 0, O_SANDBOX, true},
    {"--shard", 0, O_SWEEP, true},         {"--resume", 0, O_SWEEP, false},
    {"--threads", 0, O_SWEEP, true},       {"--spec", 0, O_SPEC, true},
    {"--workload", 0, O_WL, true},
    {"--aipp", 0, O_AIPP, true},
};
#define NOPTS ((int)(sizeof optdefs / sizeof optdefs[0]))

static const char *const opt_names[] = {"--arch",  "--set",   "--dtype",
                                        "--format", "--output", "--trace",
                                        "--force", "--allow-unsupported", "--zoo-args",
                                        "--preset-path", "--help", "--plot", "--batch",
                                        "--summary", "--quiet", "--verbose", "--shapes",
                                        "--scalesim-reports", "--sandbox", "--allow-path",
                                        "--budget", "--shard", "--resume", "--threads",
                                        "--spec", "--workload", "--aipp", NULL};

/* A whole number in [1, max] written with digits only (--batch, --threads, --budget): true and
 * *out, or false. */
static bool parse_count(const char *val, long long max, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(val, &end, 10);
    if (*val < '0' || *val > '9' || *end || errno || v < 1 || v > max)
        return false;
    *out = v;
    return true;
}

/* Parses argv[i0..argc) for command c into o. Returns -1 on success, else an exit code. */
static int parse_args(const command *c, int argc, char **argv, int i0, cli *o, bool *help)
{
    bool opts_done = false;
    for (int i = i0; i < argc; i++) {
        char *a = argv[i];
        if (opts_done || a[0] != '-' || strcmp(a, "-") == 0) {
            o->pos[o->npos++] = a;
            /* script: the rest belongs to the script */
            if (c->run == cmd_script && o->npos == 1) {
                o->sargc = argc - i - 1;
                o->sargv = argv + i + 1;
                return -1;
            }
            continue;
        }
        if (strcmp(a, "--") == 0) {
            opts_done = true;
            continue;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            *help = true;
            continue;
        }
        if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
            printf("npusim %s\n", NPUSIM_VERSION);
            return EXIT_OK;
        }
        /* find the option: --long, --long=value, -x value, -xvalue */
        const optdef *d = NULL;
        const char *val = NULL;
        for (int k = 0; k < NOPTS && !d; k++) {
            size_t n = strlen(optdefs[k].lng);
            if (strncmp(a, optdefs[k].lng, n) == 0 && (a[n] == 0 || (a[n] == '=' && optdefs[k].arg))) {
                d = &optdefs[k];
                if (a[n] == '=')
                    val = a + n + 1;
            } else if (optdefs[k].shrt && a[1] == optdefs[k].shrt && a[0] == '-' && a[1] != '-' &&
                       (optdefs[k].arg || !a[2])) { /* -q, -v: no value glued on */
                d = &optdefs[k];
                if (a[2])
                    val = a + 2;
            }
        }
        if (!d) {
            char key[64];
            snprintf(key, sizeof key, "%.*s", (int)strcspn(a, "="), a);
            return cli_usage_error(c->name, "unknown option '%s'", a, npu_did_you_mean(key, opt_names));
        }
        if (!(c->opts & d->mask) && d->mask != O_PP && d->mask != O_VERB) {
            char msg[128];
            snprintf(msg, sizeof msg, "option '%%s' does not apply to '%s'", c->name);
            return cli_usage_error(c->name, msg, d->lng, NULL);
        }
        if (d->arg && !val) {
            if (i + 1 >= argc)
                return cli_usage_error(c->name, "option '%s' needs an argument", a, NULL);
            val = argv[++i];
        }
        switch (d->mask) {
        case O_ARCH:
            o->arch = val;
            break;
        case O_SET:
            if (strcmp(d->lng, "--dtype") == 0) {
                size_t n = strlen(val) + 7;
                char *kv = malloc(n);
                if (!kv)
                    return cli_failf("%s", "out of memory");
                snprintf(kv, n, "dtype=%s", val);
                o->sets[o->nsets++] = kv;
                o->alloc[o->nalloc++] = kv;
            } else {
                if (!strchr(val, '='))
                    return cli_usage_error(c->name, "--set '%s': expected KEY=VALUE", val, NULL);
                o->sets[o->nsets++] = val;
            }
            break;
        case O_FMT:
            if (npu_format_parse(val, &o->fmt)) {
                static const char *const fmts[] = {"table", "csv", "json", NULL};
                return cli_usage_error(c->name, "unknown format '%s' (table, csv, json)", val,
                                   npu_did_you_mean(val, fmts));
            }
            o->fmt_given = true;
            break;
        case O_OUT:
        case O_TRACE: /* "" was no trace at all, and "npusim: : cannot write" for -o */
            if (!*val)
                return cli_usage_error(c->name, "%s: an empty file name", d->lng, NULL);
            *(d->mask == O_OUT ? &o->out : &o->trace) = val;
            break;
        case O_SSREP:
            o->ssrep = val;
            break;
        case O_SPEC:
            o->spec = val;
            break;
        case O_SWEEP:
            if (strcmp(d->lng, "--resume") == 0) {
                o->resume = true;
            } else if (strcmp(d->lng, "--shard") == 0) {
                int k = -1, n = -1, end = 0;
                if (sscanf(val, "%d/%d%n", &k, &n, &end) != 2 || val[end] || k < 0 || n < 1 ||
                    *val < '0' || *val > '9')
                    return cli_usage_error(c->name, "--shard '%s': expected K/N, two integers "
                                                    "(e.g. 0/8: the first of 8 shards)", val,
                                           NULL);
                if (k >= n)
                    return cli_usage_error(c->name, "--shard '%s': K must be below N (shards "
                                                    "are numbered 0 to N-1)", val, NULL);
                o->shard = val; /* the sweep checks it again (npusim.sweep's shard=) */
            } else {
                long long t;
                if (!parse_count(val, 256, &t))
                    return cli_usage_error(c->name, "--threads '%s': expected an integer in "
                                                    "[1, 256]", val, NULL);
                o->threads = (int)t;
            }
            break;
        case O_AIPP:
            o->aipp = val;
            break;
        case O_FORCE:
            o->force = true;
            break;
        case O_ALLOW:
            o->allow_unsupported = true;
            break;
        case O_ZOO:
            if (strcmp(d->lng, "--batch") == 0) {
                if (!parse_count(val, INT32_MAX, &o->batch))
                    return cli_usage_error(c->name, "--batch '%s': expected a positive integer", val,
                                       NULL);
            } else
                o->zoo_args = val;
            break;
        case O_PP:
            o->pp[o->npp++] = val;
            break;
        case O_PLOT:
            o->plots[o->nplots++] = val;
            break;
        case O_SHP:
            o->shapes = true;
            break;
        case O_SANDBOX:
            if (strcmp(d->lng, "--sandbox") == 0) {
                o->sandbox = true;
            } else if (strcmp(d->lng, "--allow-path") == 0) {
                o->allow[o->nallow++] = val;
            } else if (!parse_count(val, LLONG_MAX, &o->budget)) {
                return cli_usage_error(c->name, "--budget '%s': expected a positive integer", val,
                                       NULL);
            }
            break;
        case O_WL:
            o->wls[o->nwls++] = val;
            break;
        case O_VERB: {
            int v = d->shrt == 'q' ? -1 : 1;
            if (o->verbosity && o->verbosity != v)
                return cli_usage_error(c->name, "%s: -q and -v together", c->name, NULL);
            o->verbosity = v;
            break;
        }
        case O_SUM:
            if (npu_rep_summary_parse(val, &o->summary))
                return cli_usage_error(c->name, "--summary '%s': expected op, engine or op,engine",
                                   val, NULL);
            break;
        }
    }
    if (*help)
        return -1;
    if (o->npos < c->minpos) {
        fprintf(stderr, "npusim: %s: missing argument\nusage: %s\nTry 'npusim %s --help'.\n",
                c->name, c->usage, c->name);
        return EXIT_USAGE;
    }
    if (c->maxpos >= 0 && o->npos > c->maxpos)
        return cli_usage_error(c->name, "unexpected argument '%s'", o->pos[c->maxpos], NULL);
    return -1;
}

static bool ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && strcmp(s + n - m, suf) == 0;
}

/* Whatever reached stdout (tables, help, a script's print) must have been written: a full disk
 * or a closed pipe turns a success into exit 1 with a message. */
static int stdout_status(int rc)
{
    if ((fflush(stdout) != 0 || ferror(stdout)) && rc == EXIT_OK) {
        fprintf(stderr, "npusim: <stdout>: write error: %s\n", strerror(errno));
        rc = EXIT_FAIL;
    }
    return rc;
}

int main(int argc, char **argv)
{
    npu_keep_freed_memory(); /* points of a sweep reuse the pages of the one before */
    if (argc < 2) {
        print_main_help(stderr);
        return EXIT_USAGE;
    }
    const char *cmdname = argv[1];
    if (strcmp(cmdname, "--help") == 0 || strcmp(cmdname, "-h") == 0) {
        print_main_help(stdout);
        return stdout_status(EXIT_OK);
    }
    if (strcmp(cmdname, "--version") == 0 || strcmp(cmdname, "-V") == 0) {
        printf("npusim %s\n", NPUSIM_VERSION);
        return stdout_status(EXIT_OK);
    }
    if (strcmp(cmdname, "scalesim") == 0) /* scale.py's own flags (scalesim_cli.c) */
        return stdout_status(npu_cli_scalesim(argc - 2, argv + 2));
    const command *c = find_command(cmdname);
    int i0 = 2;
    if (!c && ends_with(cmdname, ".lua")) { /* npusim FILE.lua ARGS */
        c = find_command("script");
        i0 = 1;
    }
    if (!c) {
        if (cmdname[0] == '-')
            return cli_usage_error(NULL, "expected a command before '%s'", cmdname, NULL);
        return cli_usage_error(NULL, "unknown command '%s'", cmdname,
                           npu_did_you_mean(cmdname, command_names));
    }

    cli o;
    memset(&o, 0, sizeof o);
    o.t0 = now_s();
    o.fmt = NPU_FMT_TABLE;
    o.sets = calloc((size_t)argc + 1, sizeof *o.sets);
    o.pp = calloc((size_t)argc + 1, sizeof *o.pp);
    o.plots = calloc((size_t)argc + 1, sizeof *o.plots);
    o.pos = calloc((size_t)argc + 1, sizeof *o.pos);
    o.alloc = calloc((size_t)argc + 1, sizeof *o.alloc);
    o.allow = calloc((size_t)argc + 1, sizeof *o.allow);
    o.wls = calloc((size_t)argc + 1, sizeof *o.wls);
    if (!o.sets || !o.pp || !o.pos || !o.alloc || !o.plots || !o.allow || !o.wls) {
        fprintf(stderr, "npusim: out of memory\n");
        return EXIT_FAIL;
    }
    bool help = false;
    int rc = parse_args(c, argc, argv, i0, &o, &help);
    npu_ctx *ctx = NULL;
    if (rc < 0) {
        if (help) {
            print_command_help(c, stdout);
            rc = EXIT_OK;
        } else {
            ctx = npu_ctx_new();
            if (!ctx) {
                fprintf(stderr, "npusim: out of memory\n");
                rc = EXIT_FAIL;
            }
            for (int i = 0; ctx && i < o.npp && rc < 0; i++) {
                struct stat pst; /* a misspelt directory would be skipped without a word */
                if (stat(o.pp[i], &pst) != 0 || !S_ISDIR(pst.st_mode))
                    rc = cli_failf("--preset-path %s: not a directory", o.pp[i]);
                else if (npu_ctx_add_preset_path(ctx, o.pp[i]))
                    rc = cli_failf("%s", "out of memory");
            }
            if (rc < 0)
                rc = c->run(c, &o, ctx);
        }
    }
    for (int i = 0; i < o.nalloc; i++)
        free(o.alloc[i]);
    free(o.alloc);
    npu_ctx_free(ctx);
    free(o.sets);
    free(o.pp);
    free(o.plots);
    free(o.pos);
    free(o.allow);
    free(o.wls);
    return stdout_status(rc);
}
