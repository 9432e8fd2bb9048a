/* scalesim_cli.c — the CLI's SCALE-Sim steps (see scalesim_cli.h; docs/scalesim.md). */
#include "scalesim_cli.h"

#include <stdlib.h>
#include <string.h>

#include "../../models/systolic/ssreport.h"
#include "../front/front.h"
#include "../front/scalesim_cfg.h"

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

bool npu_cli_ss_csv(const npu_arch *a, const char *path)
{
    size_t n = strlen(path);
    if (n < 4 || strcmp(path + n - 4, ".csv") != 0 || strcmp(npu_arch_model(a), "systolic") != 0)
        return false;
    npu_strbuf sb;
    npu_sb_init(&sb);
    bool yes = npu_arch_get(a, "fidelity", &sb, NULL) == 0 && sb.s &&
               strcmp(sb.s, "scalesim") == 0;
    npu_sb_free(&sb);
    return yes;
}

npu_graph *npu_cli_ss_load(const char *path, int64_t batch, npu_err *err)
{
    char *text = NULL;
    size_t len = 0;
    if (npu_read_file(path, &text, &len, err))
        return NULL;
    npu_graph *g = npu_scalesim_read_ex(path, text, len, npu_scalesim_is_gemm(text, len),
                                        NPU_SCALESIM_DP_EXPAND, err);
    free(text);
    if (g && ((batch > 0 && npu_graph_set_batch(g, batch, err)) || npu_graph_prepare(g, err))) {
        npu_graph_free(g);
        g = NULL;
    }
    return g;
}

int npu_cli_ssrep(npu_ctx *ctx, const npu_arch *a, const npu_graph *g, const char *dir,
                  bool force, npu_err *err)
{
    if (strcmp(npu_arch_model(a), "systolic") != 0)
        return npu_err_set(err, NPU_EINVAL, "--scalesim-reports: SCALE-Sim's reports describe "
                           "a systolic array, not the %s model", npu_arch_model(a));
    npu_program *p = npu_compile(ctx, a, g, err);
    int rc = p ? npu_ssrep_write(p, dir, force, err) : -1;
    npu_program_free(p);
    return rc;
}
