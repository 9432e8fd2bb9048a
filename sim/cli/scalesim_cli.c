/* scalesim_cli.c — the CLI's SCALE-Sim steps (see scalesim_cli.h; docs/scalesim.md). */
#include "scalesim_cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>

#include "../../models/systolic/ssreport.h"
#include "../../models/systolic/sstrace.h"
#include "../front/front.h"
#include "../front/scalesim_cfg.h"
#include "cli.h"

npu_arch *npu_cli_arch_open(npu_ctx *ctx, const char *name, npu_err *err)
{
    if (!npu_sscfg_is_cfg(name))
        return npu_arch_open(ctx, name, err);
    npu_sscfg cfg;
    if (npu_sscfg_read(name, &cfg, err))
        return NULL;
    npu_arch *a = npu_arch_open(ctx, "systolic", err);
    for (int i = 0; a && i < cfg.nsets; i++)
        if (npu_arch_set_kv(a, cfg.sets[i], err)) {
            npu_err_prefix(err, "%s", name);
            npu_arch_free(a);
            a = NULL;
        }
    return a;
}

static bool ss_scalesim_fid(const npu_arch *a)
{
    npu_strbuf sb;
    npu_sb_init(&sb);
    bool yes = npu_arch_get(a, "fidelity", &sb, NULL) == 0 && sb.s &&
               strcmp(sb.s, "scalesim") == 0;
    npu_sb_free(&sb);
    return yes;
}

bool npu_cli_ss_csv(const npu_arch *a, const char *arch, const char *path)
{
    size_t n = strlen(path);
    if (n < 4 || strcmp(path + n - 4, ".csv") != 0 || strcmp(npu_arch_model(a), "systolic") != 0)
        return false;
    return ss_scalesim_fid(a) || npu_sscfg_is_cfg(arch);
}

/* gemm: 1 GEMM (M, N, K), 0 conv, -1 told from the header line; expand: SCALE-Sim's DP rows
 * (fidelity=scalesim); sparse: v3 SparsitySupport. */
static npu_graph *ss_load(const char *path, int64_t batch, int gemm, bool expand, bool sparse,
                          npu_err *err)
{
    char *text = NULL;
    size_t len = 0;
    if (npu_read_file(path, &text, &len, err))
        return NULL;
    bool is_gemm = gemm < 0 ? npu_scalesim_is_gemm(text, len) : gemm == 1;
    if (gemm == 0 && npu_scalesim_is_gemm(text, len)) { /* scale.py would fail on it too */
        free(text);
        npu_err_set(err, NPU_EINVAL, "%s: the header is a GEMM topology's (Layer, M, N, K): "
                    "run with -i gemm", path);
        return NULL;
    }
    unsigned flags = (expand ? NPU_SCALESIM_DP_EXPAND : 0u) | (sparse ? NPU_SCALESIM_SPARSE : 0u);
    npu_graph *g = npu_scalesim_read_ex(path, text, len, is_gemm, flags, err);
    free(text);
    if (g && ((batch > 0 && npu_graph_set_batch(g, batch, err)) || npu_graph_prepare(g, err))) {
        npu_graph_free(g);
        g = NULL;
    }
    return g;
}

npu_graph *npu_cli_ss_load(const npu_arch *a, const char *arch, const char *path, int64_t batch,
                           npu_err *err)
{
    npu_sscfg cfg = {0};
    if (npu_sscfg_is_cfg(arch) && npu_sscfg_read(arch, &cfg, err))
        return NULL;
    return ss_load(path, batch, -1, ss_scalesim_fid(a), cfg.sparse, err);
}

/* The reports into dir and, when offset is not NULL, the traces (addresses + offset[]). */
static int ss_outputs(npu_ctx *ctx, const npu_arch *a, const npu_graph *g, const char *dir,
                      bool force, const int64_t *offset, npu_err *err)
{
    if (strcmp(npu_arch_model(a), "systolic") != 0)
        return npu_err_set(err, NPU_EINVAL, "--scalesim-reports: SCALE-Sim's reports describe "
                           "a systolic array, not the %s model", npu_arch_model(a));
    npu_program *p = npu_compile(ctx, a, g, err);
    int rc = p ? npu_ssrep_write(p, g, dir, force, err) : -1;
    if (!rc && offset)
        rc = npu_sstrace_write(p, g, dir, offset, force, err);
    npu_program_free(p);
    return rc;
}

int npu_cli_ssrep(npu_ctx *ctx, const npu_arch *a, const npu_graph *g, const char *dir,
                  bool force, npu_err *err)
{
    return ss_outputs(ctx, a, g, dir, force, NULL, err);
}

/* ---- npusim scalesim: scale.py's command line ------------------------------------------------ */

static const char ss_usage[] =
    "npusim scalesim -c CONFIG.cfg -t TOPOLOGY.csv -p OUTDIR [-i conv|gemm] [--traces] "
    "[--force]";

static int ss_usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "npusim: scalesim: ");
    fprintf(stderr, what, arg);
    fprintf(stderr, "\nusage: %s\nTry 'npusim scalesim --help'.\n", ss_usage);
    return 2;
}

static int ss_fail(const npu_err *err)
{
    cli_eprint(err->msg[0] ? err->msg : "error");
    return 1;
}

int npu_cli_scalesim(int argc, char **argv)
{
    const char *cfg = NULL, *topo = NULL, *outdir = NULL, *type = "conv";
    bool force = false, traces = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            printf("usage: %s\n\n"
                   "SCALE-Sim v2's scale.py, same flags: simulates TOPOLOGY on the systolic array of\n"
                   "CONFIG (InterfaceBandwidth CALC) and writes COMPUTE_REPORT.csv,\n"
                   "BANDWIDTH_REPORT.csv and DETAILED_ACCESS_REPORT.csv into OUTDIR/<run_name>/\n"
                   "([general] run_name of CONFIG).\n"
                   "-i gemm reads TOPOLOGY as 'Layer, M, N, K,' rows, -i conv (default) as conv rows.\n"
                   "--traces also writes SCALE-Sim's per-layer SRAM and DRAM address traces,\n"
                   "gzip-compressed: OUTDIR/<run_name>/layer<N>/<OPERAND>_<SRAM|DRAM>_TRACE.csv.gz\n"
                   "(refused when the SRAM traces would exceed 2^27 numbers).\n"
                   "Existing report files are kept unless --force. See docs/scalesim.md.\n",
                   ss_usage);
            return 0;
        }
        if (strcmp(a, "--force") == 0 || strcmp(a, "--traces") == 0) {
            *(strcmp(a, "--force") == 0 ? &force : &traces) = true;
            continue;
        }
        const char **dst = strcmp(a, "-c") == 0 ? &cfg : strcmp(a, "-t") == 0 ? &topo
                         : strcmp(a, "-p") == 0 ? &outdir : strcmp(a, "-i") == 0 ? &type : NULL;
        if (strcmp(a, "-l") == 0)
            return ss_usage_error("%s: SCALE-Sim v3's custom layouts are not supported", a);
        if (!dst)
            return ss_usage_error("unknown argument '%s' (scale.py's flags: -c -t -p -i; "
                                  "npusim's: --traces --force)", a);
        if (i + 1 >= argc)
            return ss_usage_error("%s needs a value", a);
        *dst = argv[++i];
    }
    if (!cfg || !topo || !outdir)
        return ss_usage_error("%s", !cfg ? "-c CONFIG.cfg is required"
                                   : !topo ? "-t TOPOLOGY.csv is required"
                                           : "-p OUTDIR is required");
    if (strcmp(type, "conv") != 0 && strcmp(type, "gemm") != 0)
        return ss_usage_error("-i '%s': expected conv or gemm", type);
    if (!npu_sscfg_is_cfg(cfg))
        return ss_usage_error("-c '%s': a SCALE-Sim config ends in .cfg", cfg);

    npu_err err = {0};
    npu_sscfg sc;
    if (npu_sscfg_read(cfg, &sc, &err))
        return ss_fail(&err);
    if (!sc.run_name[0] || strchr(sc.run_name, '/') || strcmp(sc.run_name, ".") == 0 ||
        strcmp(sc.run_name, "..") == 0) {
        char m[1024];
        snprintf(m, sizeof m, "%s: [general] run_name '%s' is %s (SCALE-Sim writes the "
                 "reports into OUTDIR/run_name/)", cfg, sc.run_name,
                 sc.run_name[0] ? "not a plain directory name" : "missing");
        cli_eprint(m);
        return 1;
    }
    if (sc.user_bw) {
        fprintf(stderr, "npusim: %s: InterfaceBandwidth USER: SCALE-Sim's stall model is not "
                "reproduced, so its USER reports cannot be; use CALC, or 'npusim run -a %s' for "
                "npusim's own memory timing\n", cfg, cfg);
        return 1;
    }
    int rc = 1;
    npu_ctx *ctx = npu_ctx_new();
    npu_arch *a = ctx ? npu_cli_arch_open(ctx, cfg, &err) : NULL;
    npu_graph *g = a ? ss_load(topo, 0, strcmp(type, "gemm") == 0, true, sc.sparse, &err) : NULL;
    size_t n = strlen(outdir) + strlen(sc.run_name) + 2;
    char *dir = g ? malloc(n) : NULL;
    if (!ctx || (g && !dir))
        fprintf(stderr, "npusim: out of memory\n");
    else if (!g)
        ss_fail(&err);
    else if (mkdir(outdir, 0777) != 0 && errno != EEXIST)
        fprintf(stderr, "npusim: %s: cannot create the directory: %s\n", outdir,
                strerror(errno));
    else {
        snprintf(dir, n, "%s/%s", outdir, sc.run_name);
        if (ss_outputs(ctx, a, g, dir, force, traces ? sc.offset : NULL, &err))
            ss_fail(&err);
        else {
            printf("npusim scalesim: %s on %s: reports%s in %s/\n", topo, cfg,
                   traces ? " and traces" : "", dir);
            rc = 0;
        }
    }
    free(dir);
    npu_graph_free(g);
    npu_arch_free(a);
    npu_ctx_free(ctx);
    return rc;
}
