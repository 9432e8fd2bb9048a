/* host_test.c — the host model (sim/engine/host.c): interrupt → ISR → programming → wake-up
 * chains, profiles, the MCU, and CPU fallback operators. Core clock 1000 MHz: 1 cycle = 1 ns. */
#include <stdlib.h>

#include "../../isa/program.h"
#include "engine/engine.h"
#include "test.h"

static npu_params *mkparams(void)
{
    const npu_param_def *t[] = {npu_engine_param_defs};
    return npu_params_new(t, 1, NULL);
}

static void setp(npu_params *p, const char *k, const char *v)
{
    npu_err err;
    if (npu_params_set(p, k, v, NPU_PO_SET, "test", &err) != 0)
        printf("set %s=%s: %s\n", k, v, err.msg);
}

static void rec_end(npu_engine *e, void *ud, const npu_job *j)
{
    (void)j;
    *(npu_time *)ud = npu_engine_now(e);
}

static npu_program *prog_n(int n)
{
    npu_program *p = npu_prog_new("t", "t", "g");
    for (int i = 0; i < n; i++) {
        char nm[16];
        snprintf(nm, sizeof nm, "l%d", i);
        npu_prog_layer pl = {.name = nm, .op = "conv", .dtype = NPU_DT_INT8};
        npu_prog_add_layer(p, &pl);
    }
    return p;
}

TEST(interrupt_blocks_next_op)
{
    /* op1 (10 us) → interrupt line 1 us → ISR 500 cycles at 1 GHz + 4 reads x 100 ns → 20
     * writes x 50 ns → wake-up 2 us → op2 (10 us). op2 ends at
     * 10 + 1 + 0.5 + 0.4 + 1.0 + 2.0 + 10 = 24.9 us. */
    npu_params *p = mkparams();
    setp(p, "host.cpu", "cortex-a9-linux");
    setp(p, "host.freq_mhz", "1000");
    setp(p, "host.irq_latency_ns", "1000");
    setp(p, "host.isr_cycles", "500");
    setp(p, "host.reg_read_ns", "100");
    setp(p, "host.reg_write_ns", "50");
    setp(p, "host.wakeup_ns", "2000");
    npu_err err;
    npu_engine *e = npu_engine_new(p, 2, &err);
    CHECK(e != NULL);
    if (!e)
        return;
    int clk = npu_engine_clock(e, "core", 1000);
    int pe = npu_engine_unit(e, "CMAC", NPU_UK_COMPUTE, clk, 1, 0);
    int done = npu_engine_sync(e, "op1_done", 0), prog = npu_engine_sync(e, "op2_programmed", 0);
    npu_time t = 0;
    npu_job op1 = {.unit = pe, .layer = 0, .cycles = 10000, .nsig = 1, .label = "op1"};
    op1.sig[0] = (npu_syncop){done, 1};
    npu_job op2 = {.unit = pe, .layer = 1, .cycles = 10000, .nwait = 1, .label = "op2",
                   .done = rec_end, .ud = &t};
    op2.wait[0] = (npu_syncop){prog, 1};
    CHECK_EQ_INT(npu_engine_submit(e, &op1, &err), 0);
    CHECK_EQ_INT(npu_engine_submit(e, &op2, &err), 0);
    npu_host_req r;
    npu_host_req_init(&r, 1);
    r.irq = 1;
    r.wait = (npu_syncop){done, 1};
    r.sig = (npu_syncop){prog, 1};
    r.reg_reads = 4;
    r.reg_writes = 20;
    r.wake = true;
    r.label = "isr";
    CHECK_EQ_INT(npu_host_submit(e, &r, &err), 0);
    CHECK_EQ_INT(npu_engine_run(e, &err), 0);
    CHECK_EQ_INT(t, 24900000);
    npu_program *pg = prog_n(2);
    npu_result *res = npu_engine_result(e, pg, p, &err);
    CHECK(res != NULL);
    if (res) {
        const npu_layer_row *L = &res->layers[1];
        CHECK_EQ_INT(L->start, 10000);
        CHECK_EQ_INT(L->end, 24900);
        CHECK_EQ_INT(L->cycles, 14900);
        CHECK_EQ_INT(L->compute_cycles, 10000);
        CHECK_EQ_INT(L->ctrl_stall_cycles, 4900); /* line + ISR + programming + wake */
        CHECK_EQ_INT(L->mem_stall_cycles, 0);
        CHECK_EQ_INT(L->host_cycles, 3900);       /* the CPU's part only */
        CHECK_EQ_INT(L->irq_cycles, 900);         /* ISR: 500 cycles + 4 reads */
        CHECK_EQ_INT(L->irq_count, 1);
        CHECK_STR(L->engine, "CMAC");
        CHECK_STR(L->bound, "compute");
        CHECK_EQ_INT(res->layers[0].cycles, 10000);
        CHECK_EQ_INT(res->total.irq_count, 1);
        CHECK_NEAR(res->total.host_us, 3.9, 1e-9);
        CHECK_NEAR(res->total.irq_us, 0.9, 1e-9);
        CHECK_EQ_INT(res->layers[0].share_cycles + res->layers[1].share_cycles, 24900);
        npu_result_free(res);
    }
    npu_prog_free(pg);
    npu_engine_free(e);
    npu_params_free(p);
}

/* Two engines finish at different times; their interrupt requests were submitted in the
 * "wrong" order. Interrupts are taken as they arrive; ISRs serialize on the one core. */
static npu_time two_engines(double a_cycles, double b_cycles)
{
    npu_params *p = mkparams();
    setp(p, "host.freq_mhz", "1000");
    setp(p, "host.irq_latency_ns", "1000");
    setp(p, "host.isr_cycles", "500");
    npu_engine *e = npu_engine_new(p, 2, NULL);
    int clk = npu_engine_clock(e, "core", 1000);
    int ua = npu_engine_unit(e, "A", NPU_UK_COMPUTE, clk, 1, 0);
    int ub = npu_engine_unit(e, "B", NPU_UK_COMPUTE, clk, 1, 0);
    int da = npu_engine_sync(e, "a_done", 0), db = npu_engine_sync(e, "b_done", 0);
    int ga = npu_engine_sync(e, "a_go", 0), gb = npu_engine_sync(e, "b_go", 0);
    npu_job a1 = {.unit = ua, .layer = 0, .cycles = a_cycles, .nsig = 1};
    a1.sig[0] = (npu_syncop){da, 1};
    npu_job b1 = {.unit = ub, .layer = 1, .cycles = b_cycles, .nsig = 1};
    b1.sig[0] = (npu_syncop){db, 1};
    npu_job a2 = {.unit = ua, .layer = 0, .cycles = 1000, .nwait = 1};
    a2.wait[0] = (npu_syncop){ga, 1};
    npu_time tb = 0;
    npu_job b2 = {.unit = ub, .layer = 1, .cycles = 1000, .nwait = 1, .done = rec_end, .ud = &tb};
    b2.wait[0] = (npu_syncop){gb, 1};
    npu_engine_submit(e, &a1, NULL);
    npu_engine_submit(e, &b1, NULL);
    npu_engine_submit(e, &a2, NULL);
    npu_engine_submit(e, &b2, NULL);
    npu_host_req r;
    npu_host_req_init(&r, 0);
    r.irq = 1;
    r.wait = (npu_syncop){da, 1};
    r.sig = (npu_syncop){ga, 1};
    CHECK_EQ_INT(npu_host_submit(e, &r, NULL), 0);
    npu_host_req_init(&r, 1);
    r.irq = 1;
    r.wait = (npu_syncop){db, 1};
    r.sig = (npu_syncop){gb, 1};
    CHECK_EQ_INT(npu_host_submit(e, &r, NULL), 0);
    CHECK_EQ_INT(npu_engine_run(e, NULL), 0);
    npu_engine_free(e);
    npu_params_free(p);
    return tb;
}

TEST(interrupts_in_arrival_order)
{
    /* B done at 3 us: line 1 us, ISR 0.5 us, B2 1 us → 5.5 us, although A's request (done at
     * 10 us) was submitted first. */
    CHECK_EQ_INT(two_engines(10000, 3000), 5500000);
    /* Both done at 3 us: the lines overlap, the ISRs do not: A's 4.0-4.5, B's 4.5-5.0 → B2
     * ends at 6 us. */
    CHECK_EQ_INT(two_engines(3000, 3000), 6000000);
}

TEST(profiles)
{
    npu_params *p = mkparams();
    npu_err err;
    setp(p, "host.cpu", "cortex-a9-linux");
    setp(p, "host.wakeup_ns", "1234");
    /* Without apply_profile the engine still uses the profile for unset keys. */
    npu_engine *e = npu_engine_new(p, 0, &err);
    CHECK(e != NULL);
    int cpu = npu_host_cpu_unit(e, 0);
    CHECK_STR(npu_engine_unit_name(e, cpu), "cpu0");
    CHECK_EQ_INT(npu_host_cpu_unit(e, 1), -1);
    CHECK_EQ_INT(npu_host_mcu_unit(e), -1);
    CHECK(npu_engine_find_unit(e, "irq") >= 0);
    npu_engine_free(e);
    CHECK_EQ_INT(npu_host_apply_profile(p, &err), 0);
    CHECK_NEAR(npu_params_float(p, "host.freq_mhz"), 666, 0); /* ZYNQ-NVDLA A9 */
    CHECK_NEAR(npu_params_float(p, "host.wakeup_ns"), 1234, 0); /* explicit value kept */
    CHECK(npu_params_float(p, "host.irq_latency_ns") > 0);
    CHECK(!npu_params_is_set(p, "host.freq_mhz"));
    /* Switching profile re-resolves the unset keys. */
    setp(p, "host.cpu", "cortex-a76-linux");
    CHECK_EQ_INT(npu_host_apply_profile(p, &err), 0);
    CHECK_NEAR(npu_params_float(p, "host.freq_mhz"), 2352, 0);
    CHECK_NEAR(npu_params_float(p, "host.gbps"), 10.14, 1e-12);
    setp(p, "host.cpu", "riscv-baremetal");
    CHECK_EQ_INT(npu_host_apply_profile(p, &err), 0);
    CHECK_NEAR(npu_params_float(p, "host.wakeup_ns"), 1234, 0);
    setp(p, "host.cpu", "none");
    CHECK_EQ_INT(npu_host_apply_profile(p, &err), 0);
    CHECK_NEAR(npu_params_float(p, "host.irq_latency_ns"), 0, 0);
    /* Unknown profile is rejected by the table. */
    CHECK(npu_params_set(p, "host.cpu", "cortex-a99", NPU_PO_SET, "test", &err) != 0);
    /* Every engine parameter has a unit string and a doc line. */
    for (const npu_param_def *d = npu_engine_param_defs; d->name; d++) {
        CHECK(d->unit != NULL);
        CHECK(d->doc != NULL && strlen(d->doc) > 10);
    }
    npu_params_free(p);
}

TEST(mcu_takes_interrupts)
{
    /* MCU at 100 MHz: line 200 ns, ISR 100 cycles = 1 us, 2 reads x 30 ns, 10 writes x 20 ns;
     * no wake-up on bare metal even if asked: 0.2 + 1 + 0.06 + 0.2 = 1.46 us after op1. */
    npu_params *p = mkparams();
    setp(p, "mcu.present", "true");
    setp(p, "mcu.freq_mhz", "100");
    setp(p, "mcu.irq_latency_ns", "200");
    setp(p, "mcu.isr_cycles", "100");
    setp(p, "mcu.reg_read_ns", "30");
    setp(p, "mcu.reg_write_ns", "20");
    setp(p, "host.wakeup_ns", "50000");
    npu_err err;
    npu_engine *e = npu_engine_new(p, 1, &err);
    int clk = npu_engine_clock(e, "core", 1000);
    CHECK(npu_host_mcu_unit(e) >= 0);
    int pe = npu_engine_unit(e, "pe", NPU_UK_COMPUTE, clk, 1, 0);
    int d = npu_engine_sync(e, "d", 0), g = npu_engine_sync(e, "g", 0);
    npu_job op1 = {.unit = pe, .layer = 0, .cycles = 1000, .nsig = 1};
    op1.sig[0] = (npu_syncop){d, 1};
    npu_engine_submit(e, &op1, NULL);
    npu_time t = 0;
    npu_job op2 = {.unit = pe, .layer = 0, .cycles = 0, .nwait = 1, .done = rec_end, .ud = &t};
    op2.wait[0] = (npu_syncop){g, 1};
    npu_engine_submit(e, &op2, NULL);
    npu_host_req r;
    npu_host_req_init(&r, 0);
    r.on_mcu = true;
    r.irq = 1;
    r.reg_reads = 2;
    r.reg_writes = 10;
    r.wake = true;
    r.wait = (npu_syncop){d, 1};
    r.sig = (npu_syncop){g, 1};
    CHECK_EQ_INT(npu_host_submit(e, &r, &err), 0);
    CHECK_EQ_INT(npu_engine_run(e, &err), 0);
    CHECK_EQ_INT(t, 2460000);
    npu_engine_free(e);
    npu_params_free(p);
}

TEST(descriptor_reads_use_dram)
{
    /* A request without interrupts that reads 640 B of descriptors: DRAM 100 ns latency,
     * 10 GB/s x 1: 64 ns; plus 1000 host cycles at 1 GHz: ends at 1164 ns. */
    npu_params *p = mkparams();
    setp(p, "host.freq_mhz", "1000");
    setp(p, "dram.gbps", "10");
    setp(p, "dram.efficiency", "1");
    setp(p, "dram.latency_ns", "100");
    npu_engine *e = npu_engine_new(p, 1, NULL);
    npu_engine_clock(e, "core", 1000);
    int s = npu_engine_sync(e, "s", 0);
    npu_host_req r;
    npu_host_req_init(&r, 0);
    r.desc_bytes = 640;
    r.cycles = 1000;
    r.sig = (npu_syncop){s, 1};
    CHECK_EQ_INT(npu_host_submit(e, &r, NULL), 0);
    CHECK_EQ_INT(npu_engine_run(e, NULL), 0);
    CHECK_EQ_INT(npu_engine_now(e), 1164000);
    CHECK_EQ_INT(npu_engine_sync_value(e, s), 1);
    npu_program *pg = prog_n(1);
    npu_result *res = npu_engine_result(e, pg, NULL, NULL);
    if (res) {
        CHECK_EQ_INT(res->layers[0].dram_rd_bytes, 640);
        CHECK_EQ_INT(res->layers[0].irq_count, 0);
        CHECK_EQ_INT(res->layers[0].host_cycles, 1164);
        CHECK_STR(res->layers[0].bound, "host");
        npu_result_free(res);
    }
    npu_prog_free(pg);
    npu_engine_free(e);
    npu_params_free(p);
}

TEST(bad_requests)
{
    npu_params *p = mkparams();
    npu_engine *e = npu_engine_new(p, 1, NULL);
    npu_err err;
    npu_host_req r;
    npu_host_req_init(&r, 0);
    r.on_mcu = true;
    CHECK_EQ_INT(npu_host_submit(e, &r, &err), NPU_EINVAL);
    CHECK_CONTAINS(err.msg, "mcu.present");
    npu_host_req_init(&r, 0);
    r.cpu = 3;
    CHECK_EQ_INT(npu_host_submit(e, &r, &err), NPU_EINVAL);
    npu_host_req_init(&r, 0);
    r.irq = -1;
    CHECK_EQ_INT(npu_host_submit(e, &r, &err), NPU_EINVAL);
    npu_host_req_init(&r, 0);
    r.cycles = NAN;
    CHECK_EQ_INT(npu_host_submit(e, &r, &err), NPU_EINVAL);
    npu_host_req_init(&r, 5);
    CHECK_EQ_INT(npu_host_submit(e, &r, &err), NPU_EINVAL); /* layer out of range */
    npu_host_op o = {.layer = 0, .cpu = 0, .cls = NPU_OPC_ELTWISE, .op = NPU_OP_ADD, .elems = -5,
                     .wait = {-1, 0}, .sig = {-1, 0}};
    CHECK_EQ_INT(npu_host_run_op(e, &o, &err), NPU_EINVAL);
    o.elems = 5;
    o.cpu = 9;
    CHECK_EQ_INT(npu_host_run_op(e, &o, &err), NPU_EINVAL);
    o.cpu = 0;
    o.op = (npu_op)999;
    CHECK_EQ_INT(npu_host_run_op(e, &o, &err), NPU_EINVAL);
    /* Zero-initialised syncops mean "none" even when no sync exists. */
    npu_host_op z = {.layer = 0, .cls = NPU_OPC_ELTWISE, .op = NPU_OP_ADD, .elems = 100};
    CHECK_EQ_INT(npu_host_run_op(e, &z, &err), 0);
    npu_engine_free(e);
    /* Hand-built nonsense that bypasses the table's range checks. */
    p->v[npu_params_find(p, "host.cores")].num = 0;
    p->v[npu_params_find(p, "host.cores")].origin = NPU_PO_SET;
    CHECK(npu_engine_new(p, 1, &err) == NULL);
    npu_params_free(p);
}

static npu_time run_op(const npu_host_op *o, double *predicted, bool hog)
{
    npu_params *p = mkparams();
    setp(p, "host.freq_mhz", "1000");
    setp(p, "host.gmacs", "10");
    setp(p, "host.gelems", "1");
    setp(p, "host.gbps", "1");
    setp(p, "dram.gbps", "10");
    setp(p, "dram.efficiency", "1");
    setp(p, "dram.latency_ns", "0");
    setp(p, "dram.burst_bytes", "0");
    npu_engine *e = npu_engine_new(p, 1, NULL);
    npu_engine_clock(e, "core", 1000);
    npu_time t = 0;
    CHECK_EQ_INT(npu_host_run_op(e, o, NULL), 0);
    if (hog) {
        /* An NPU DMA streaming 2e7 B at the same time takes its fair share of DRAM. */
        int u = npu_engine_unit(e, "npu_dma", NPU_UK_DMA, 0, 1, 0);
        npu_job j = {.unit = u, .layer = 0, .nxfer = 1};
        j.xfer[0] = (npu_xfer){.port = NPU_PORT_DRAM, .bytes = 20000000};
        npu_engine_submit(e, &j, NULL);
    }
    *predicted = npu_host_op_ns(e, o);
    int cpu = npu_host_cpu_unit(e, 0);
    npu_engine_record(e, true);
    CHECK_EQ_INT(npu_engine_run(e, NULL), 0);
    size_t n;
    const npu_interval *iv = npu_engine_intervals(e, &n);
    for (size_t i = 0; i < n; i++)
        if (iv[i].unit == cpu)
            t = iv[i].end - iv[i].start;
    npu_engine_free(e);
    npu_params_free(p);
    return t;
}

TEST(fallback_ops)
{
    double pred;
    /* 1e6 MACs at 10 GMAC/s = 100 us (no bytes). */
    npu_host_op o = {.layer = 0, .cpu = 0, .cls = NPU_OPC_CONV, .op = NPU_OP_CONV, .macs = 1000000,
                     .wait = {-1, 0}, .sig = {-1, 0}};
    CHECK_EQ_INT(run_op(&o, &pred, false), 100000000);
    CHECK_NEAR(pred, 100000, 1e-6);
    /* 1e5 sigmoid elements at 1 Gelem/s x 8 = 800 us; add costs 1: 100 us. */
    o = (npu_host_op){.layer = 0, .cpu = 0, .cls = NPU_OPC_ACT, .op = NPU_OP_SIGMOID,
                      .elems = 100000, .wait = {-1, 0}, .sig = {-1, 0}};
    CHECK_EQ_INT(run_op(&o, &pred, false), 800000000);
    o.op = NPU_OP_ADD;
    o.cls = NPU_OPC_ELTWISE;
    CHECK_EQ_INT(run_op(&o, &pred, false), 100000000);
    /* softmax costs more than relu per element */
    npu_host_op sm = o, re = o;
    sm.op = NPU_OP_SOFTMAX, sm.cls = NPU_OPC_NORM;
    re.op = NPU_OP_RELU, re.cls = NPU_OPC_ACT;
    double ps, pr;
    CHECK(run_op(&sm, &ps, false) > run_op(&re, &pr, false));
    /* A copy (concat) of 1e6 B: read and write each capped at host.gbps = 1 GB/s and running
     * together: 1 ms; compute-free. The DRAM (10 GB/s) is not the limit. */
    o = (npu_host_op){.layer = 0, .cpu = 0, .cls = NPU_OPC_DATA, .op = NPU_OP_CONCAT,
                      .elems = 1000000, .rd_bytes = 1000000, .wr_bytes = 1000000,
                      .wait = {-1, 0}, .sig = {-1, 0}};
    CHECK_EQ_INT(run_op(&o, &pred, false), 1000000000);
    CHECK_NEAR(pred, 1e6, 1e-3);
    /* Sharing DRAM with a hungry NPU DMA: three transfers on 10 GB/s; the CPU's two stay at
     * their 1 GB/s caps (water-filling gives the DMA the other 8), so still 1 ms. Make the
     * CPU fast enough to need the bus: with host.gbps 1 it does not; the prediction holds. */
    CHECK_EQ_INT(run_op(&o, &pred, true), 1000000000);
}

TEST(fallback_contends_for_dram)
{
    /* CPU copy of 4e6 B with host.gbps 8 on a 10 GB/s DRAM: alone, read and write share the
     * port: 5 GB/s each → 0.8 ms. With an NPU stream of 2e7 B joining, the three share 10 GB/s
     * (3.33 each) until the CPU is done: 4e6 / (10/3) = 1.2 ms. */
    npu_params *p = mkparams();
    setp(p, "host.freq_mhz", "1000");
    setp(p, "host.gbps", "8");
    setp(p, "dram.gbps", "10");
    setp(p, "dram.efficiency", "1");
    setp(p, "dram.latency_ns", "0");
    setp(p, "dram.burst_bytes", "0");
    for (int hog = 0; hog < 2; hog++) {
        npu_engine *e = npu_engine_new(p, 1, NULL);
        npu_engine_clock(e, "core", 1000);
        npu_host_op o = {.layer = 0, .cpu = 0, .cls = NPU_OPC_DATA, .op = NPU_OP_TRANSPOSE,
                         .rd_bytes = 4000000, .wr_bytes = 4000000, .wait = {-1, 0}, .sig = {-1, 0}};
        if (hog) {
            int u = npu_engine_unit(e, "npu_dma", NPU_UK_DMA, 0, 1, 0);
            npu_job j = {.unit = u, .layer = 0, .nxfer = 1};
            j.xfer[0] = (npu_xfer){.port = NPU_PORT_DRAM, .bytes = 20000000};
            npu_engine_submit(e, &j, NULL);
        }
        int s = npu_engine_sync(e, "s", 0);
        o.sig = (npu_syncop){s, 1};
        npu_host_run_op(e, &o, NULL);
        int w = npu_engine_unit(e, "watch", NPU_UK_CTRL, 0, 1, 0);
        npu_job j = {.unit = w, .layer = 0, .nwait = 1};
        j.wait[0] = (npu_syncop){s, 1};
        npu_engine_submit(e, &j, NULL);
        CHECK_EQ_INT(npu_engine_run(e, NULL), 0);
        CHECK_EQ_INT(npu_engine_sync_value(e, s), 0); /* taken by the watcher */
        npu_program *pg = prog_n(1);
        npu_result *r = npu_engine_result(e, pg, NULL, NULL);
        if (r) {
            CHECK_EQ_INT(r->layers[0].host_cycles, hog ? 1200000 : 800000);
            npu_result_free(r);
        }
        npu_prog_free(pg);
        npu_engine_free(e);
    }
    npu_params_free(p);
}

int main(void)
{
    RUN(interrupt_blocks_next_op);
    RUN(interrupts_in_arrival_order);
    RUN(profiles);
    RUN(mcu_takes_interrupts);
    RUN(descriptor_reads_use_dram);
    RUN(bad_requests);
    RUN(fallback_ops);
    RUN(fallback_contends_for_dram);
    return TEST_REPORT();
}
