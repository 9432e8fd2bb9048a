/* nvdla.h — internals of the `nvdla` model (prefix npu_nvdla_). Not a public header. */
#ifndef NPU_MODEL_NVDLA_H
#define NPU_MODEL_NVDLA_H

#include <stdbool.h>
#include <stdint.h>

#include "../../isa/nvdla.h"
#include "../model.h"

enum { NPU_NVDLA_FID_DETAILED = 0, NPU_NVDLA_FID_SPREADSHEET = 1 };
enum { NPU_NVDLA_DRV_LINUX = 0, NPU_NVDLA_DRV_BAREMETAL = 1, NPU_NVDLA_DRV_NONE = 2 };

struct npu_nvdla_exec; /* timing.c: lives from execute() until the engine has run */

typedef struct npu_nvdla_state {
    int fidelity;
    double freq_mhz;
    int64_t ac, ak;            /* atomic-C, atomic-K (int8)                        */
    int64_t banks, bank_bytes; /* CBUF                                             */
    int64_t stripe_max, wt_load_cycles, pipe_cycles;
    int64_t sdp_thr, sdp_ew_thr, pdp_thr, cdp_thr, cacc_thr, rubik_bytes;
    bool sdp_lut, winograd, compress, bdma, rubik, fp16, headed, sramif;
    int64_t max_batch;
    double compress_ratio;
    double dbb_bytes, dbb_latency, sramif_bytes;
    int driver;
    int64_t regs_conv, regs_sdp, regs_pdp, regs_cdp, regs_bdma, regs_rubik;
    double kmd_read_cycles, kmd_addr_cycles, event_cycles;
    /* spreadsheet */
    int64_t fc_batch;
    bool ss_winograd, runtime_convert, fuse_pdp;
    double dram_gbps, sram_kb;
    struct npu_nvdla_exec *x;  /* execution context (freed by fini / the next execute) */
} npu_nvdla_state;

int npu_nvdla_lower(npu_model *m, const npu_graph *g, npu_program *out, npu_err *err);
int npu_nvdla_execute(npu_model *m, const npu_program *p, npu_engine *e, npu_err *err);
int npu_nvdla_explain(const npu_model *m, const npu_program *p, int layer, npu_strbuf *out);
void npu_nvdla_exec_free(npu_nvdla_state *s);

#endif
