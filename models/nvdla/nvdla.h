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

/* Integer helpers of the planners: ceil(a/b) (0 for b <= 0), a rounded up to a multiple of m. */
static inline int64_t npu_nvdla_cdiv(int64_t a, int64_t b) { return b > 0 ? (a + b - 1) / b : 0; }
static inline int64_t npu_nvdla_rup(int64_t a, int64_t m) { return npu_nvdla_cdiv(a, m) * m; }
static inline int64_t npu_nvdla_max64(int64_t a, int64_t b) { return a > b ? a : b; }
static inline int64_t npu_nvdla_min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* A conv (or a gemm seen as a 1x1 conv) as the planners see it (plan.c). */
typedef struct npu_nvdla_conv_in {
    int64_t n, c, h, w, k, r, s, sh, sw, p, q, groups;
    bool fc, image_ok, dil;
    int bytes;
} npu_nvdla_conv_in;
/* Fills the MAC side (atomics, stripes, MAC cycles) and the CBUF side (bank split, DRAM
 * bytes, refetches) of conv hardware layer h. */
void npu_nvdla_plan_mac(const npu_nvdla_state *s, const npu_nvdla_conv_in *ci, npu_nv_hwl *h);
void npu_nvdla_plan_cbuf(const npu_nvdla_state *s, const npu_nvdla_conv_in *ci, npu_nv_hwl *h);
/* The performance spreadsheet's row of a conv/FC layer (fidelity spreadsheet; research §1.3). */
void npu_nvdla_sheet_row(const npu_nvdla_state *s, int64_t C, int64_t H, int64_t W, int64_t K,
                         int64_t R, int64_t S, int64_t sh, int64_t sw, bool padded, int64_t A,
                         int64_t B, bool elwise, bool fc, int bytes, npu_nv_sheet *o);
/* Whether the CDP runs LRN layer l (local size 3/5/7/9 on a rank-3/4 input), and the Rubik
 * mode that performs transpose l (-1: none; plan.c says which permutations are which mode). */
bool npu_nvdla_cdp_legal(const npu_graph *g, const npu_layer *l);
int npu_nvdla_rubik_mode(const npu_graph *g, const npu_layer *l);

int npu_nvdla_lower(npu_model *m, const npu_graph *g, npu_program *out, npu_err *err);
int npu_nvdla_execute(npu_model *m, const npu_program *p, npu_engine *e, npu_err *err);
int npu_nvdla_explain(const npu_model *m, const npu_program *p, int layer, npu_strbuf *out);
void npu_nvdla_exec_free(npu_nvdla_state *s);

#endif
