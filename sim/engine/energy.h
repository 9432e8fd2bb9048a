/* energy.h — the energy.* rows of the engine's shared parameter table and the energy model
 * that turns the engine's action counts into joules, watts and mm² (prefix npu_energy_).
 *
 * The counts are the engine's own (state.h): MACs of each layer that ran on the NPU, bytes
 * through each on-chip buffer a model declared (npu_engine_buffer) and through the ones it did
 * not, bytes per memory port, host register writes, interrupts, host busy time. energy.c
 * prices them with the tables below; the static share (power x time) is added per layer by
 * npu_result_finish from the result's static powers, so the layers sum to the totals by
 * construction. docs/energy.md explains the model, docs/params.md lists
 * the keys; the defaults are the NVDLA Primer fit at 16 nm (docs/validation.md).
 */
#ifndef NPU_ENGINE_ENERGY_H
#define NPU_ENGINE_ENERGY_H

#include <stdbool.h>

#define NPU_ENERGY_DRAMS "lpddr4|lpddr4x|lpddr5|ddr3|ddr4|hbm2"

/* clang-format off */
#define NPU_ENERGY_PARAM_ROWS \
    {"energy.node_nm", NPU_P_FLOAT, 16, NULL, 3, 180, NULL, "nm", \
     "process node; every energy.* table is at 16 nm and scaled by the node rule of docs/energy.md"}, \
    {"energy.pj_mac_int8", NPU_P_FLOAT, 0.04, NULL, 0.001, 10, NULL, "pJ", \
     "energy of one int8 MAC at 16 nm (NVDLA Primer fit, at its lower bound); other dtypes by the " \
     "ratios of docs/energy.md"}, \
    {"energy.pj_byte_64kb", NPU_P_FLOAT, 0.5, NULL, 0.001, 100, NULL, "pJ/B", \
     "on-chip SRAM access energy per byte for a 64 KiB array at 16 nm; x sqrt(KiB/64) for others " \
     "(assumption: Horowitz ISSCC 2014 cache figures scaled to 16 nm)"}, \
    {"energy.buffer_kb", NPU_P_FLOAT, 256, NULL, 1, 1048576, NULL, "KiB", \
     "size of one on-chip buffer for traffic a model does not attribute to a declared buffer"}, \
    {"energy.buffer_count", NPU_P_INT, 1, NULL, 0, 4096, NULL, "", \
     "how many such buffers (area only; models that declare their buffers ignore both keys)"}, \
    {"energy.buffers", NPU_P_STR, 0, "", 0, 0, NULL, "", \
     "on-chip buffers a model does not declare itself: NAME=KIB*COUNT...@UNIT|UNIT, ... " \
     "(factors: numbers or parameter names, * or /; unit names may use *; docs/energy.md)"}, \
    {"energy.dram", NPU_P_ENUM, 0, "lpddr4", 0, 0, NPU_ENERGY_DRAMS, "", \
     "DRAM type for the energy per byte (device + PHY; assumption, docs/energy.md)"}, \
    {"energy.pj_reg_write", NPU_P_FLOAT, 10, NULL, 0, 1e6, NULL, "pJ", \
     "one host register write over the config bus (assumption)"}, \
    {"energy.pj_irq", NPU_P_FLOAT, 50, NULL, 0, 1e6, NULL, "pJ", \
     "NPU side of one interrupt (assumption; the CPU's ISR time is host energy)"}, \
    {"energy.mac_static_uw", NPU_P_FLOAT, 68, NULL, 0, 10000, NULL, "uW", \
     "static power of one int8 MAC of the array at 16 nm: its clocked pipeline and leakage, " \
     "spent whether it computes or not (NVDLA Primer fit)"}, \
    {"energy.static_mw_mm2", NPU_P_FLOAT, 26.5, NULL, 0, 10000, NULL, "mW/mm2", \
     "static power (leakage, clock tree) per mm2 of the NPU's area at 16 nm (NVDLA Primer fit)"}, \
    {"energy.area_mac_um2", NPU_P_FLOAT, 787, NULL, 1, 1e6, NULL, "um2", \
     "area of one int8 MAC with its share of the array's pipeline at 16 nm (NVDLA Primer fit)"}, \
    {"energy.area_sram_mm2_mb", NPU_P_FLOAT, 1.78, NULL, 0.01, 100, NULL, "mm2/MiB", \
     "SRAM area per MiB of on-chip buffer at 16 nm (NVDLA Primer fit)"}, \
    {"energy.area_fixed_mm2", NPU_P_FLOAT, 0.25, NULL, 0, 1000, NULL, "mm2", \
     "area that does not grow with MACs, buffers or bandwidth at 16 nm (NVDLA Primer fit)"}, \
    {"energy.area_dma_mm2_bpc", NPU_P_FLOAT, 0.0247, NULL, 0, 100, NULL, "mm2", \
     "area per byte/cycle of DRAM bandwidth at the core clock (DMA, interface; Primer fit)"}, \
    {"energy.host_w_busy", NPU_P_FLOAT, 0.5, NULL, 0, 1000, NULL, "W", \
     "one host CPU core while busy (assumption; mid-range Arm core)"}, \
    {"energy.host_w_idle", NPU_P_FLOAT, 0, NULL, 0, 1000, NULL, "W", \
     "the whole host CPU cluster while idle during the run (0 = not counted)"}, \
    {"energy.other_mw", NPU_P_FLOAT, 0, NULL, 0, 1e6, NULL, "mW", \
     "the rest of the chip or board, constant while the run lasts (0 = not counted)"},
/* clang-format on */

struct npu_engine;
struct npu_result;
struct npu_params;
struct npu_err;
/* Declares the buffers of energy.buffers in e and gives each its units (those not yet given
 * one), after a model created its units (npu_model_execute; again per workload frame: a
 * buffer already declared is kept). Entries without units are area only (npu_energy_price).
 * Returns 0, or an error naming the entry (bad syntax, unknown parameter, no unit matches). */
int npu_energy_bind(struct npu_engine *e, const struct npu_params *p, struct npu_err *err);
/* Prices the engine's counts for the rows of r (built by npu_engine_result, before
 * npu_result_finish): per layer e_mac/e_buf/e_dram/e_ctrl/e_host, and r's static powers and
 * area. Row l is the engine's layer base + l (base > 0 for a workload's frame, whose layers
 * sit after the other frames'); host_layer[l] != 0 says row l ran on a host processor (its MACs
 * are host energy). */
void npu_energy_price(const struct npu_engine *e, struct npu_result *r,
                      const struct npu_params *p, int base, const int *host_layer);

#endif
