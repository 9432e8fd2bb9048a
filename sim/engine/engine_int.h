/* engine_int.h — what the host model (host.c) needs of the engine beyond engine.h (not a public
 * contract). The engine's own state is in state.h, which host.c does not see.
 *
 * The host model (host.c) builds on the engine's units, clocks and syncs; it needs three
 * things the public header does not offer: the resolved host configuration stored in the
 * engine, anonymous syncs to chain the parts of a host request, and a submit that carries
 * the ISR share of a host job (counted as irq time in the stats).
 */
#ifndef NPU_ENGINE_INT_H
#define NPU_ENGINE_INT_H

#include "engine.h"

/* Host figures after the host.cpu profile was applied (see host.c for sources). */
typedef struct npu_host_cfg {
    int profile;             /* index into the profile table                      */
    double freq_mhz;
    int cores;
    double irq_latency_ns, isr_cycles, reg_read_ns, reg_write_ns, wakeup_ns, submit_ns;
    double gmacs, gelems, gbps;
    bool mcu;
    double mcu_freq_mhz, mcu_irq_latency_ns, mcu_isr_cycles, mcu_reg_read_ns,
        mcu_reg_write_ns;
} npu_host_cfg;

typedef struct npu_host_state {
    npu_host_cfg c;
    int clk_cpu, clk_mcu;    /* clock ids (-1 when absent)                        */
    int cpu_unit0;           /* cpu k is unit cpu_unit0 + k                       */
    int irq_unit;            /* the interrupt line                                */
    int mcu_unit;            /* -1 when there is no MCU                           */
} npu_host_state;

/* Resolves host.* / mcu.* from the params (profile values for unset keys; p may be NULL). */
int npu_host_resolve(const npu_params *p, npu_host_cfg *c, npu_err *err);
/* Creates the host clocks and units in e (called once by npu_engine_new). */
int npu_host_init(npu_engine *e, npu_host_state *h, npu_err *err);

/* A parameter's number / text, or the table default when p is NULL or lacks the key (mem.c,
 * with the table). */
double npu_engine_pnum(const npu_params *p, const char *key);
const char *npu_engine_pstr(const npu_params *p, const char *key);

npu_host_state *npu_engine_host_state(npu_engine *e);
const npu_host_state *npu_engine_host_cstate(const npu_engine *e);
/* A sync without a name (named "#<id>" in messages): links the parts of a host request. */
int npu_engine_sync_anon(npu_engine *e, int64_t initial);
/* Submit with the ISR share (ps) of a host job: counted as irq time of its layer. */
int npu_engine_submit_isr(npu_engine *e, const npu_job *j, npu_time isr_ps, npu_err *err);
/* Deferred submission: npu_engine_defer validates and stores a job and returns a handle
 * (-1 on error); a job with done = npu_engine_submit_deferred and ud = (void *)(intptr_t)
 * handle submits it when it ends (an ISR joins the CPU's queue when its interrupt arrives). */
int npu_engine_defer(npu_engine *e, const npu_job *j, npu_time isr_ps, npu_err *err);
void npu_engine_submit_deferred(npu_engine *e, void *ud, const npu_job *done_job);
/* The interrupt line is a HOST unit whose time is latency, not host work. */
void npu_engine_mark_irq_line(npu_engine *e, int unit); /* also: out-of-order start */

#endif
