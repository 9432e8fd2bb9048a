/* result.h — the result of a simulation (prefix npu_result_).
 *
 * One spelling everywhere: the X-macro lists below generate the struct members, the names used
 * in CSV headers, JSON keys and Lua tables, and their units. Append fields, never reorder.
 * Cycles are NPU-core cycles (the model's core clock).
 */
#ifndef NPU_RESULT_H
#define NPU_RESULT_H

#include <stdint.h>

#include "ctx.h"
#include "params.h"

typedef int64_t npu_f_INT;
typedef double npu_f_FLOAT;
typedef const char *npu_f_STR;

/* The version of a result as JSON (CLI -f json, Lua results): /2 added the throughput fields
 * batch, items, unit, items_per_s and first_token_ms to the totals; /3 the layer shapes
 * in_shape, out_shape, kernel and stride to every layer (null when unknown), the action count
 * reg_writes and the energy fields (e_*_uj, energy_uj per layer and in the totals; power_mw,
 * npu_power_mw, items_per_j, tops_per_w, area_mm2 in the totals; docs/energy.md), and the
 * deployment footprint (total_weight_size … fits; sim/core/footprint.h) to the totals and
 * live_bytes to the layers; later, additively (same version: readers of /3 that look fields up
 * by name are unaffected), peak_power_mw and npu_peak_power_mw after area_mm2 (the footprint
 * fields stay the row's tail). */
#define NPU_RESULT_SCHEMA "npusim.result/3"

/* X(name, type INT|FLOAT|STR, unit, doc) */
#define NPU_LAYER_FIELDS(X)                                                                   \
    X(index, INT, "", "layer position in the program (0-based)")                              \
    X(name, STR, "", "layer name from the graph")                                             \
    X(op, STR, "", "operator")                                                                \
    X(engine, STR, "", "unit or processor that ran it (e.g. CMAC, DPU, Cube, cpu)")           \
    X(dtype, STR, "", "compute data type")                                                    \
    X(macs, INT, "MAC", "multiply-accumulates")                                               \
    X(cycles, INT, "cycles", "end - start of the layer")                                      \
    X(start, INT, "cycles", "first activity of the layer")                                    \
    X(end, INT, "cycles", "last activity of the layer")                                       \
    X(share_cycles, INT, "cycles", "share of the total run; sums to the total over layers")   \
    X(ideal_cycles, INT, "cycles", "roofline bound: max(MACs/peak, min DRAM bytes/peak BW)") \
    X(util, FLOAT, "", "MACs / (cycles x peak MACs per cycle)")                               \
    X(compute_cycles, INT, "cycles", "busy time of the layer's main unit")                    \
    X(mem_stall_cycles, INT, "cycles", "main unit idle waiting for data (memory, pipeline)")  \
    X(ctrl_stall_cycles, INT, "cycles", "main unit idle waiting for control (host, MCU, PC)") \
    X(dram_rd_bytes, INT, "B", "bytes read from DRAM")                                        \
    X(dram_wr_bytes, INT, "B", "bytes written to DRAM")                                       \
    X(sram_rd_bytes, INT, "B", "bytes read from on-chip system SRAM / L2")                    \
    X(sram_wr_bytes, INT, "B", "bytes written to on-chip system SRAM / L2")                   \
    X(onchip_bytes, INT, "B", "traffic through the NPU's internal buffers")                   \
    X(irq_count, INT, "", "interrupts taken by the host or MCU for the layer")                \
    X(irq_cycles, INT, "cycles", "time handling those interrupts (NPU-core cycles)")          \
    X(host_cycles, INT, "cycles", "host/MCU busy time for the layer (NPU-core cycles)")       \
    X(bound, STR, "", "compute | memory | control | host | none (0 cycles)")               \
    X(reg_writes, INT, "", "host register writes for the layer")                              \
    X(e_mac_uj, FLOAT, "uJ", "energy of the NPU's MACs")                                      \
    X(e_buf_uj, FLOAT, "uJ", "energy of on-chip buffer and SRAM traffic")                     \
    X(e_dram_uj, FLOAT, "uJ", "energy of DRAM traffic (device + PHY)")                        \
    X(e_ctrl_uj, FLOAT, "uJ", "register writes and interrupts, NPU side")                     \
    X(e_host_uj, FLOAT, "uJ", "host CPU busy energy above idle")                               \
    X(e_static_uj, FLOAT, "uJ", "static power x share_cycles (NPU, idle host, rest of chip)") \
    X(energy_uj, FLOAT, "uJ", "sum of the e_* fields")                        \
    X(live_bytes, INT, "B", "intermediate tensors alive while the layer runs (footprint)")

#define NPU_TOTAL_FIELDS(X)                                                                 \
    X(cycles, INT, "cycles", "end of the last layer")                                       \
    X(time_us, FLOAT, "us", "cycles at the core clock")                                     \
    X(fps, FLOAT, "1/s", "1e6 / time_us")                                                   \
    X(macs, INT, "MAC", "sum over layers")                                                  \
    X(tops, FLOAT, "TOPS", "2 x MACs / time (effective)")                                   \
    X(util, FLOAT, "", "MACs / (cycles x peak)")                                            \
    X(compute_cycles, INT, "cycles", "sum over layers")                                     \
    X(mem_stall_cycles, INT, "cycles", "sum over layers")                                   \
    X(ctrl_stall_cycles, INT, "cycles", "sum over layers")                                  \
    X(dram_rd_bytes, INT, "B", "sum over layers")                                           \
    X(dram_wr_bytes, INT, "B", "sum over layers")                                           \
    X(dram_gbps, FLOAT, "GB/s", "DRAM bytes / time")                                        \
    X(irq_count, INT, "", "sum over layers")                                                \
    X(irq_us, FLOAT, "us", "time handling interrupts")                                      \
    X(host_us, FLOAT, "us", "host/MCU busy time")                                          \
    X(batch, INT, "", "inputs per run: leading dim of the graph's first input")              \
    X(items, INT, "", "items one run produces (images = batch; tokens of a prefill/decode)") \
    X(unit, STR, "", "what an item is: image, token or inference")                          \
    X(items_per_s, FLOAT, "1/s", "items x fps: images/s, tokens/s")                         \
    X(first_token_ms, FLOAT, "ms", "LLM prefill: time to the first token (= time); else 0")  \
    X(reg_writes, INT, "", "sum over layers")                                               \
    X(e_mac_uj, FLOAT, "uJ", "sum over layers")                                             \
    X(e_buf_uj, FLOAT, "uJ", "sum over layers")                                             \
    X(e_dram_uj, FLOAT, "uJ", "sum over layers")                                            \
    X(e_ctrl_uj, FLOAT, "uJ", "sum over layers")                                            \
    X(e_host_uj, FLOAT, "uJ", "sum over layers")                                            \
    X(e_static_uj, FLOAT, "uJ", "sum over layers")                                          \
    X(energy_uj, FLOAT, "uJ", "energy of one run: sum over layers")                         \
    X(power_mw, FLOAT, "mW", "average power: energy / time")                                \
    X(npu_power_mw, FLOAT, "mW", "NPU alone (MAC, buffers, control, its static power)")     \
    X(items_per_j, FLOAT, "1/J", "items per joule of the whole run (images/J, tokens/J)")   \
    X(tops_per_w, FLOAT, "TOPS/W", "2 x MACs per joule of the NPU alone (effective)")        \
    X(area_mm2, FLOAT, "mm2", "NPU silicon estimate: MACs, buffers, DMA (energy.area_*)") \
    X(peak_power_mw, FLOAT, "mW", "busiest stretch of the per-layer power profile (energy.md)") \
    X(npu_peak_power_mw, FLOAT, "mW", "the same for the NPU alone (as npu_power_mw)")        \
    X(total_weight_size, INT, "B", "weights as the arch stores them (RKNN's name; ATC weight size)") \
    X(total_internal_size, INT, "B", "intermediate arena after lifetime reuse (RKNN's name)") \
    X(io_size, INT, "B", "graph inputs and outputs")                                         \
    X(task_size, INT, "B", "command buffers (the lowered program)")                           \
    X(memory_size, INT, "B", "ATC's memory size: internal + io")                              \
    X(footprint_bytes, INT, "B", "peak DRAM held: weights + internal + io + tasks")          \
    X(dram_usable_bytes, INT, "B", "DRAM the OS leaves (dram.capacity_mb - dram.os_mb); 0 unknown") \
    X(fits, INT, "", "1 footprint <= usable DRAM, 0 it does not, -1 capacity unknown")

typedef struct npu_layer_row {
#define NPU_X(n, t, u, d) npu_f_##t n;
    NPU_LAYER_FIELDS(NPU_X)
#undef NPU_X
} npu_layer_row;

typedef struct npu_total_row {
#define NPU_X(n, t, u, d) npu_f_##t n;
    NPU_TOTAL_FIELDS(NPU_X)
#undef NPU_X
} npu_total_row;

/* Field descriptors for generic marshalling (CSV, JSON, Lua, tables). */
typedef enum npu_ftype { NPU_FT_INT, NPU_FT_FLOAT, NPU_FT_STR } npu_ftype;
typedef struct npu_field {
    const char *name;
    npu_ftype type;
    size_t offset;
    const char *unit;
    const char *doc;
} npu_field;
extern const npu_field npu_layer_fields[];  /* terminated by name == NULL */
extern const npu_field npu_total_fields[];
extern const int npu_layer_nfields, npu_total_nfields;

typedef struct npu_result {
    const char *arch;        /* preset or model name        */
    const char *model;       /* model name                  */
    const char *graph;       /* graph name                  */
    double freq_mhz;         /* the core clock of cycles    */
    double peak_macs;        /* peak MACs/cycle for the run's dtype */
    double dram_bytes_per_cycle;
    int prefill;             /* the run is an LLM prefill: first_token_ms = its time */
    /* Energy (sim/engine/energy.c): static powers charged per layer by share_cycles in
     * npu_result_finish (NPU; idle host and rest of chip), and the NPU's area. */
    double npu_static_mw, other_static_mw, area_mm2;
    /* Each unit of the engine over the whole run (JSON "units"; NULL for a result not made by
     * a run): name, kind (compute, dma, ctrl, host) and busy time in µs (occupancy summed over
     * its jobs, so a unit running several jobs at once can exceed the run's time). */
    int nunits;
    const char **unit_names, **unit_kinds;
    double *unit_busy_us;
    npu_params *params;      /* owned copy of the parameters used (may be NULL) */
    npu_total_row total;
    int nlayers;
    npu_layer_row *layers;
    /* Model-specific extra per-layer columns (e.g. DaVinci pipe ratios): nextra names, and
     * layers × nextra values (row-major). Reported after the common fields. */
    int nextra;
    const char **extra_names;
    double *extra;
    /* The engine names the model gives host-processor layers (npu_model_ops.host_engines,
     * static strings, not owned); NULL for a result not made by a model run (built from Lua
     * tables): npu_result_on_host then knows the usual host names. */
    const char *const *host_engines;
    /* Layer shapes, filled from the graph by npu_rep_fill_shapes (sim/report) for a run of a
     * graph; NULL for a result without one (`exec` of a saved program): nlayers x 4 strings
     * (in_shape, out_shape, kernel, stride; arena; NULL where unknown), reported after the
     * common fields, as null / empty cells when unknown. */
    const char **shapes;
    npu_arena arena;         /* strings */
} npu_result;

npu_result *npu_result_new(void);
void npu_result_free(npu_result *r);
/* Fills derived fields: per-layer share_cycles, util, bound; every total. Requires per-layer
 * raw fields, freq_mhz, peak_macs, dram_bytes_per_cycle and, for the throughput in items,
 * total.batch/items/unit and prefill (npu_result_new: 1 inference per run). */
void npu_result_finish(npu_result *r);

/* True when layer row `l` of r ran on a host processor (CPU, MCU, AI CPU): its engine name is
 * one of r->host_engines, case-insensitively, alone or followed by '-', '_' or a digit. */
bool npu_result_on_host(const npu_result *r, const npu_layer_row *l);

/* Generic accessors for marshalling. */
int64_t npu_field_int(const void *row, const npu_field *f);
double npu_field_float(const void *row, const npu_field *f);
const char *npu_field_str(const void *row, const npu_field *f);

#endif
