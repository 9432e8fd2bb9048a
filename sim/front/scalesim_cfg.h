/* scalesim_cfg.h — reader of SCALE-Sim v1/v2/v3 `.cfg` files (prefix npu_sscfg_).
 *
 * A scale.cfg describes one systolic array; the reader turns it into `key=value` settings of the
 * `systolic` model (the caller opens the model and applies them in order, as --set would). It
 * knows no model internals: the mapping of each key is written out in scalesim_cfg.c and in
 * docs/scalesim.md. Every key SCALE-Sim reads is accepted or refused with file:line: what.
 */
#ifndef NPU_FRONT_SCALESIM_CFG_H
#define NPU_FRONT_SCALESIM_CFG_H

#include <stdbool.h>
#include <stddef.h>

#include "../core/ctx.h"

#define NPU_SSCFG_MAX_SETS 16

typedef struct npu_sscfg {
    char run_name[128];                   /* [general] run_name ("" when absent)           */
    bool user_bw;                         /* InterfaceBandwidth USER (false: CALC)          */
    bool sparse;                          /* [sparsity] SparsitySupport True (v3)           */
    int64_t offset[3];                    /* Ifmap/Filter/OfmapOffset (trace addresses only;
                                             SCALE-Sim's defaults 0, 10^7, 2·10^7)          */
    int nsets;
    char sets[NPU_SSCFG_MAX_SETS][64];    /* "key=value" for the systolic model, in order   */
} npu_sscfg;

/* Whether `name` names a SCALE-Sim config (ends in ".cfg"). */
bool npu_sscfg_is_cfg(const char *name);

/* Parses the text of a scale.cfg. `file` is used in messages. 0 or an NPU_E* code. */
int npu_sscfg_parse(const char *file, const char *text, size_t len, npu_sscfg *out,
                    npu_err *err);

/* npu_read_file + npu_sscfg_parse. */
int npu_sscfg_read(const char *path, npu_sscfg *out, npu_err *err);

#endif
