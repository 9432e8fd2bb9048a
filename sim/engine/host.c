/* host.c — the host model: CPU cores, the interrupt line, an optional MCU, host profiles,
 * CPU fallback operators (prefix npu_host_). Its rows of the shared parameter table are in
 * host_params.h (the table itself is in mem.c).
 *
 * What is modelled (DESIGN §3, engine.h):
 *   interrupt line (unit "irq", unlimited slots, irq_latency per interrupt)
 *     → ISR on a CPU core or the MCU (isr_cycles per interrupt + the register reads)
 *     → the work (register writes, descriptor reads through the DRAM port, cycles, ns)
 *     → thread wake-up (wakeup_ns; Linux only, never on the MCU)
 *     → signal.
 * The ISR, the work and the wake-up are one job on the core (they are serial on it); the ISR
 * share is remembered and reported as irq_cycles. The line latency is not host work: it
 * shows up as control stall of the NPU unit that waits.
 *
 * Sources of the profile figures (see docs/engine.md for the reasoning):
 *   - cortex-a9-linux at 666 MHz: the nv_small FPGA system (XC7Z045, ARM A9 666 MHz, Ubuntu),
 *     research/nvdla.md §5.
 *   - cortex-a76-linux at 2352 MHz: RK3588 big cores as pinned for vendor benchmarks
 *     (fix_freq_rk3588.sh), research/rknpu.md §3; memcpy 10.14 GB/s single thread
 *     (whisper.cpp#89, research/rknpu.md §5).
 *   - ISR work of the NVDLA KMD: 4 CSB reads + 1 write per IRQ, and one thread wake-up and
 *     context switch per interrupt on Linux (research/nvdla.md §3.4): models pass the reads
 *     and writes; wakeup_ns prices the wake-up.
 *   - research has no figure for interrupt latency, ISR cycles, MMIO access times, wake-up
 *     or submit cost, nor CPU throughput: those values are ASSUMPTIONS from first principles
 *     (core type, clock, Linux vs bare metal), each marked "assumption" in its doc line.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../../isa/program.h"
#include "engine_int.h"
#include "host_params.h"

/* ---- host profiles ------------------------------------------------------------------------------
 * Every figure not quoted from research/ is an assumption reasoned in docs/engine.md. */
typedef struct host_profile {
    const char *name;
    npu_host_os os;
    double freq_mhz, irq_latency_ns, isr_cycles, reg_read_ns, reg_write_ns, wakeup_ns,
        submit_ns, gmacs, gelems, gbps;
} host_profile;

static const host_profile profiles[] = {
    /* name               OS                  MHz   irq ns isr cyc rd ns wr ns wake ns submit GMAC/s Gel/s GB/s */
    {"none", NPU_HOST_OS_NONE, 1000, 0, 0, 0, 0, 0, 0, 15, 3, 10.14},
    {"cortex-a9-linux", NPU_HOST_OS_LINUX, 666, 5000, 1500, 250, 150, 25000, 40000, 0.3, 0.15, 0.6},
    {"cortex-a53-linux", NPU_HOST_OS_LINUX, 1200, 2500, 1500, 200, 80, 10000, 20000, 1.5, 0.6, 2.5},
    {"cortex-a55-linux", NPU_HOST_OS_LINUX, 1800, 1500, 1500, 200, 60, 8000, 15000, 3, 1.0, 4},
    {"cortex-a76-linux", NPU_HOST_OS_LINUX, 2352, 800, 1000, 250, 50, 4000, 8000, 15, 3, 10.14},
    {"riscv-baremetal", NPU_HOST_OS_BAREMETAL, 100, 400, 200, 50, 30, 0, 0, 0.02, 0.01, 0.1},
};
#define NPROFILES ((int)(sizeof profiles / sizeof profiles[0]))

/* host.* keys filled from the profile: key and offset into host_profile. */
typedef struct pkey {
    const char *key;
    size_t off;
} pkey;
static const pkey profile_keys[] = {
    {"host.freq_mhz", offsetof(host_profile, freq_mhz)},
    {"host.irq_latency_ns", offsetof(host_profile, irq_latency_ns)},
    {"host.isr_cycles", offsetof(host_profile, isr_cycles)},
    {"host.reg_read_ns", offsetof(host_profile, reg_read_ns)},
    {"host.reg_write_ns", offsetof(host_profile, reg_write_ns)},
    {"host.wakeup_ns", offsetof(host_profile, wakeup_ns)},
    {"host.submit_ns", offsetof(host_profile, submit_ns)},
    {"host.gmacs", offsetof(host_profile, gmacs)},
    {"host.gelems", offsetof(host_profile, gelems)},
    {"host.gbps", offsetof(host_profile, gbps)},
};
#define NPKEYS ((int)(sizeof profile_keys / sizeof profile_keys[0]))

static double prof_val(const host_profile *hp, int k)
{
    return *(const double *)((const char *)hp + profile_keys[k].off);
}

static int find_profile(const char *name, npu_err *err)
{
    for (int i = 0; i < NPROFILES; i++)
        if (strcmp(profiles[i].name, name) == 0)
            return i;
    return npu_err_set(err, NPU_EINVAL, "host.cpu: unknown profile '%s' (known: " NPU_HOST_CPUS ")",
                       name),
           -1;
}

/* Value of a profile key: the explicit setting, else the profile's. */
static double host_value(const npu_params *p, const host_profile *hp, int k)
{
    const char *key = profile_keys[k].key;
    int i = p ? npu_params_find(p, key) : -1;
    if (i >= 0 && npu_params_is_set(p, key))
        return p->v[i].num;
    return prof_val(hp, k);
}

int npu_host_resolve(const npu_params *p, npu_host_cfg *c, npu_err *err)
{
    int pi = find_profile(npu_engine_pstr(p, "host.cpu"), err);
    if (pi < 0)
        return NPU_EINVAL;
    const host_profile *hp = &profiles[pi];
    memset(c, 0, sizeof *c);
    c->profile = pi;
    double v[NPKEYS];
    for (int k = 0; k < NPKEYS; k++)
        v[k] = host_value(p, hp, k);
    c->freq_mhz = v[0];
    c->irq_latency_ns = v[1];
    c->isr_cycles = v[2];
    c->reg_read_ns = v[3];
    c->reg_write_ns = v[4];
    c->wakeup_ns = v[5];
    c->submit_ns = v[6];
    c->gmacs = v[7];
    c->gelems = v[8];
    c->gbps = v[9];
    c->cores = (int)npu_engine_pnum(p, "host.cores");
    c->mcu = npu_engine_pnum(p, "mcu.present") != 0;
    c->mcu_freq_mhz = npu_engine_pnum(p, "mcu.freq_mhz");
    c->mcu_irq_latency_ns = npu_engine_pnum(p, "mcu.irq_latency_ns");
    c->mcu_isr_cycles = npu_engine_pnum(p, "mcu.isr_cycles");
    c->mcu_reg_read_ns = npu_engine_pnum(p, "mcu.reg_read_ns");
    c->mcu_reg_write_ns = npu_engine_pnum(p, "mcu.reg_write_ns");
    /* The engine may be given hand-built params: check what the table would have checked. */
    if (!(c->freq_mhz >= 1 && c->freq_mhz <= 10000) || c->cores < 1 || c->cores > 64 ||
        !(c->gmacs > 0) || !(c->gelems > 0) || !(c->gbps > 0) ||
        !(c->mcu_freq_mhz >= 1 && c->mcu_freq_mhz <= 10000))
        return npu_err_set(err, NPU_EINVAL,
                           "host: bad host/mcu parameters (freq %g MHz, %d cores, mcu %g MHz)",
                           c->freq_mhz, c->cores, c->mcu_freq_mhz);
    const double t[] = {c->irq_latency_ns, c->isr_cycles, c->reg_read_ns, c->reg_write_ns,
                        c->wakeup_ns, c->submit_ns, c->mcu_irq_latency_ns, c->mcu_isr_cycles,
                        c->mcu_reg_read_ns, c->mcu_reg_write_ns};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!(t[i] >= 0 && t[i] < 1e10))
            return npu_err_set(err, NPU_EINVAL, "host: a host/mcu latency or cost is negative or absurd (%g)",
                               t[i]);
    return 0;
}

npu_host_os npu_host_profile_os(const char *cpu)
{
    npu_err err = {0};
    int pi = cpu ? find_profile(cpu, &err) : -1;
    return pi < 0 ? NPU_HOST_OS_NONE : profiles[pi].os;
}

int npu_host_apply_profile(npu_params *p, npu_err *err)
{
    if (!p)
        return 0;
    int pi = find_profile(npu_engine_pstr(p, "host.cpu"), err);
    if (pi < 0)
        return NPU_EINVAL;
    for (int k = 0; k < NPKEYS; k++) {
        const char *key = profile_keys[k].key;
        if (npu_params_find(p, key) < 0 || npu_params_is_set(p, key))
            continue;
        int rc = npu_params_set_num(p, key, prof_val(&profiles[pi], k), NPU_PO_DEFAULT,
                                    "host.cpu", err);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- units -------------------------------------------------------------------------------------- */

int npu_host_init(npu_engine *e, npu_host_state *h, npu_err *err)
{
    h->clk_cpu = npu_engine_clock(e, "cpu", h->c.freq_mhz);
    h->clk_mcu = -1;
    h->mcu_unit = -1;
    if (h->clk_cpu < 0)
        return npu_err_set(err, NPU_ENOMEM, "host: cannot create the CPU clock");
    /* Each CPU transfer is capped at the core's copy bandwidth (bytes per CPU cycle). */
    double bpc = h->c.gbps * 1e3 / h->c.freq_mhz;
    for (int k = 0; k < h->c.cores; k++) {
        char nm[16];
        snprintf(nm, sizeof nm, "cpu%d", k);
        int u = npu_engine_unit(e, nm, NPU_UK_HOST, h->clk_cpu, 1, bpc);
        if (u < 0)
            return npu_err_set(err, NPU_ENOMEM, "host: cannot create unit %s", nm);
        if (k == 0)
            h->cpu_unit0 = u;
    }
    h->irq_unit = npu_engine_unit(e, "irq", NPU_UK_HOST, h->clk_cpu, 0, 0);
    if (h->irq_unit < 0)
        return npu_err_set(err, NPU_ENOMEM, "host: cannot create the interrupt line");
    npu_engine_mark_irq_line(e, h->irq_unit);
    if (h->c.mcu) {
        h->clk_mcu = npu_engine_clock(e, "mcu", h->c.mcu_freq_mhz);
        h->mcu_unit = h->clk_mcu >= 0 ? npu_engine_unit(e, "mcu", NPU_UK_HOST, h->clk_mcu, 1, 0) : -1;
        if (h->mcu_unit < 0)
            return npu_err_set(err, NPU_ENOMEM, "host: cannot create the MCU");
    }
    return 0;
}

int npu_host_cpu_unit(const npu_engine *e, int cpu)
{
    const npu_host_state *h = npu_engine_host_cstate(e);
    return (cpu >= 0 && cpu < h->c.cores) ? h->cpu_unit0 + cpu : -1;
}

int npu_host_mcu_unit(const npu_engine *e) { return npu_engine_host_cstate(e)->mcu_unit; }

void npu_host_req_init(npu_host_req *r, int layer)
{
    memset(r, 0, sizeof *r);
    r->layer = layer;
    r->wait.sync = -1;
    r->sig.sync = -1;
}

static npu_time ns_ps(double ns) { return ns > 0 ? (npu_time)llround(ns * 1e3) : 0; }

int npu_host_submit(npu_engine *e, const npu_host_req *r, npu_err *err)
{
    if (!r)
        return npu_err_set(err, NPU_EINVAL, "host: NULL request");
    const npu_host_state *hs = npu_engine_host_cstate(e);
    const char *lb = r->label ? r->label : "host";
    if (r->on_mcu && hs->mcu_unit < 0)
        return npu_err_set(err, NPU_EINVAL, "host: request '%s' asks for the MCU but mcu.present is false",
                           lb);
    if (!r->on_mcu && (r->cpu < 0 || r->cpu >= hs->c.cores))
        return npu_err_set(err, NPU_EINVAL, "host: request '%s': CPU core %d out of range [0, %d)", lb,
                           r->cpu, hs->c.cores);
    if (r->irq < 0 || r->irq > 1000000 || r->reg_reads < 0 || r->reg_writes < 0 ||
        !(r->cycles >= 0 && r->cycles < 1e15) || !(r->ns >= 0 && r->ns < 1e15))
        return npu_err_set(err, NPU_EINVAL,
                           "host: request '%s': negative or absurd count/cost (irq %d, reads %d, "
                           "writes %d, cycles %g, ns %g)",
                           lb, r->irq, r->reg_reads, r->reg_writes, r->cycles, r->ns);
    bool mcu = r->on_mcu;
    int unit = mcu ? hs->mcu_unit : hs->cpu_unit0 + r->cpu;
    int clk = mcu ? hs->clk_mcu : hs->clk_cpu;
    double irq_lat = mcu ? hs->c.mcu_irq_latency_ns : hs->c.irq_latency_ns;
    double isr_cyc = mcu ? hs->c.mcu_isr_cycles : hs->c.isr_cycles;
    double rd_ns = mcu ? hs->c.mcu_reg_read_ns : hs->c.reg_read_ns;
    double wr_ns = mcu ? hs->c.mcu_reg_write_ns : hs->c.reg_write_ns;
    double wake_ns = (!mcu && r->wake) ? hs->c.wakeup_ns : 0; /* bare-metal MCU: no threads */

    npu_job j = {.unit = unit, .layer = r->layer, .label = lb, .mode = NPU_JOB_SEQ,
                 .irq = r->irq};
    j.cycles = isr_cyc * r->irq + r->cycles;
    j.extra_ps = ns_ps(rd_ns * r->reg_reads) + ns_ps(wr_ns * r->reg_writes) + ns_ps(r->ns) +
                 ns_ps(wake_ns);
    if (r->sig.sync >= 0 && r->sig.n > 0)
        j.sig[j.nsig++] = r->sig;
    if (r->desc_bytes > 0)
        j.xfer[j.nxfer++] = (npu_xfer){.port = NPU_PORT_DRAM, .write = false,
                                       .bytes = r->desc_bytes, .run = 0};
    npu_time isr_ps = npu_engine_cycles_ps(e, clk, isr_cyc * r->irq) + ns_ps(rd_ns * r->reg_reads);
    npu_engine_count_regs(e, r->layer, r->reg_writes);
    if (r->irq == 0) {
        /* No interrupt: driver work in program order on its core (e.g. a submit). */
        if (r->wait.sync >= 0 && r->wait.n > 0)
            j.wait[j.nwait++] = r->wait;
        return npu_engine_submit_isr(e, &j, isr_ps, err);
    }
    /* With interrupts: the line job starts when the request's condition holds (the line is
     * out of order: interrupts arrive in whatever order the hardware raises them); when its
     * latency has passed, the ISR job joins the core's queue — in arrival order. */
    int h = npu_engine_defer(e, &j, isr_ps, err);
    if (h < 0)
        return err ? err->code : NPU_EINVAL;
    npu_job line = {.unit = hs->irq_unit, .layer = r->layer, .label = lb, .mode = NPU_JOB_SEQ,
                    .extra_ps = ns_ps(irq_lat * r->irq), .done = npu_engine_submit_deferred,
                    .ud = (void *)(intptr_t)h};
    if (r->wait.sync >= 0 && r->wait.n > 0)
        line.wait[line.nwait++] = r->wait;
    return npu_engine_submit(e, &line, err);
}

/* ---- fallback operators --------------------------------------------------------------------------
 * Element-wise cost per element relative to a simple add or relu (= 1). ASSUMPTIONS from the
 * instruction mix of typical NEON kernels: a transcendental (exp, tanh, sigmoid) takes a range
 * reduction and a polynomial, ~8 simple ops; softmax = max pass + exp + sum + scale (~12);
 * layernorm = mean + variance + scale (~6). Data movement (concat, transpose …) costs bytes
 * only, at host.gbps. */
static double elem_factor(npu_op op, npu_opclass cls)
{
    switch (op) {
    case NPU_OP_DIV: return 4;
    case NPU_OP_POW: return 20;
    case NPU_OP_HARDSWISH: return 2;
    case NPU_OP_SIGMOID:
    case NPU_OP_TANH:
    case NPU_OP_EXP: return 8;
    case NPU_OP_SILU: return 9;
    case NPU_OP_GELU: return 10;
    /* mish = x·tanh(softplus(x)) = x·n/(n+2) with n = e^x(e^x+2): one exp and a division */
    case NPU_OP_MISH: return 15;
    case NPU_OP_SQRT: return 4;
    case NPU_OP_RECIPROCAL: return 4; /* a division */
    case NPU_OP_ERF: return 8;        /* a rational approximation, like exp */
    case NPU_OP_SOFTPLUS: return 16;  /* log(1 + exp(x)): two transcendentals */
    case NPU_OP_BATCHNORM: return 2;
    case NPU_OP_SOFTMAX: return 12;
    case NPU_OP_LAYERNORM: return 6;
    case NPU_OP_RMSNORM: return 5;
    case NPU_OP_RESIZE: return 2;
    case NPU_OP_GATHER: return 1;
    case NPU_OP_QUANTIZE:
    case NPU_OP_DEQUANTIZE:
    case NPU_OP_CAST: return 2;
    default: break;
    }
    switch (cls) {
    case NPU_OPC_DATA:
    case NPU_OPC_VIEW: return 0;
    default: return 1;
    }
}

static const char *const op_names[] = {
#define NPU_X(e, s, c) s,
    NPU_OP_LIST(NPU_X)
#undef NPU_X
};

static double op_compute_ns(const npu_host_cfg *c, const npu_host_op *o)
{
    double ns = 0;
    if (o->macs > 0)
        ns += (double)o->macs / c->gmacs;
    if (o->elems > 0)
        ns += (double)o->elems * elem_factor(o->op, o->cls) / c->gelems;
    return ns;
}

static int check_op(const npu_engine *e, const npu_host_op *o, npu_err *err)
{
    const npu_host_state *h = npu_engine_host_cstate(e);
    if (!o)
        return npu_err_set(err, NPU_EINVAL, "host: NULL operator");
    if (o->cpu < 0 || o->cpu >= h->c.cores)
        return npu_err_set(err, NPU_EINVAL, "host: fallback op on CPU core %d out of range [0, %d)",
                           o->cpu, h->c.cores);
    if ((int)o->op < 0 || o->op >= NPU_OP_COUNT || (int)o->cls < 0 || o->cls >= NPU_OPC_COUNT)
        return npu_err_set(err, NPU_EINVAL, "host: fallback op with unknown op %d / class %d",
                           (int)o->op, (int)o->cls);
    if (o->macs < 0 || o->elems < 0 || o->macs > ((int64_t)1 << 52) || o->elems > ((int64_t)1 << 52))
        return npu_err_set(err, NPU_EINVAL, "host: fallback op '%s': negative or absurd MACs/elements",
                           op_names[o->op]);
    return 0;
}

void npu_host_op_from(npu_host_op *o, const struct npu_prog_host *h, int layer)
{
    memset(o, 0, sizeof *o);
    o->layer = layer;
    o->cls = (npu_opclass)h->opclass;
    o->op = (npu_op)h->op;
    o->macs = h->macs;
    o->elems = h->elems;
    o->rd_bytes = (uint64_t)h->rd_bytes;
    o->wr_bytes = (uint64_t)h->wr_bytes;
    o->wait.sync = -1;
    o->sig.sync = -1;
}

double npu_host_op_ns(const npu_engine *e, const npu_host_op *o)
{
    if (check_op(e, o, NULL) != 0)
        return 0;
    const npu_host_cfg *c = &npu_engine_host_cstate(e)->c;
    double comp = op_compute_ns(c, o);
    const npu_port_cfg *d = npu_engine_port_cfg(e, NPU_PORT_DRAM);
    double dram = d->gbps * d->efficiency;
    /* Bytes on the bus: each stream rounded up to whole bursts, as the engine does. */
    uint64_t bu = d->burst_bytes > 1 ? d->burst_bytes : 1;
    double rd = (double)((o->rd_bytes + bu - 1) / bu * bu);
    double wr = (double)((o->wr_bytes + bu - 1) / bu * bu);
    double mem = (rd > wr ? rd : wr) / c->gbps;
    double both = (rd + wr) / dram;
    if (both > mem)
        mem = both;
    if (o->rd_bytes + o->wr_bytes > 0)
        mem += d->latency_ns;
    return comp > mem ? comp : mem;
}

/* A wait/sig with sync < 0 or n == 0 means "none", so a zero-initialised npu_host_op works. */
int npu_host_run_op(npu_engine *e, const npu_host_op *o, npu_err *err)
{
    int rc = check_op(e, o, err);
    if (rc)
        return rc;
    const npu_host_state *h = npu_engine_host_cstate(e);
    /* STREAM: the CPU computes while its loads and stores are in flight; the op ends when the
     * slower of the two does. Its bytes share the DRAM port with the NPU. */
    npu_job j = {.unit = h->cpu_unit0 + o->cpu, .layer = o->layer, .label = op_names[o->op],
                 .mode = NPU_JOB_STREAM};
    j.extra_ps = ns_ps(op_compute_ns(&h->c, o));
    if (o->wait.sync >= 0 && o->wait.n > 0)
        j.wait[j.nwait++] = o->wait;
    if (o->sig.sync >= 0 && o->sig.n > 0)
        j.sig[j.nsig++] = o->sig;
    if (o->rd_bytes > 0)
        j.xfer[j.nxfer++] = (npu_xfer){.port = NPU_PORT_DRAM, .write = false, .bytes = o->rd_bytes};
    if (o->wr_bytes > 0)
        j.xfer[j.nxfer++] = (npu_xfer){.port = NPU_PORT_DRAM, .write = true, .bytes = o->wr_bytes};
    return npu_engine_submit(e, &j, err);
}
