/* result_test.c — result field tables, accessors, share_cycles, bound and totals
 * (sim/core/result.c). Rows are built by hand so every expected number is exact. */
#include <stdlib.h>

#include "core/result.h"
#include "test.h"

static npu_result *mk(int n, double mhz, double peak)
{
    npu_result *r = npu_result_new();
    r->nlayers = n;
    r->layers = npu_arena_alloc(&r->arena, sizeof(npu_layer_row) * (size_t)(n ? n : 1));
    r->freq_mhz = mhz;
    r->peak_macs = peak;
    for (int i = 0; i < n; i++) {
        r->layers[i].index = i;
        r->layers[i].name = "l";
        r->layers[i].op = "conv";
        r->layers[i].engine = "pe";
        r->layers[i].dtype = "int8";
    }
    return r;
}

static void span(npu_result *r, int i, int64_t s, int64_t e)
{
    r->layers[i].start = s;
    r->layers[i].end = e;
    r->layers[i].cycles = e - s;
}

TEST(field_tables)
{
    int n = 0;
    for (const npu_field *f = npu_layer_fields; f->name; f++)
        n++;
    CHECK_EQ_INT(n, npu_layer_nfields);
    CHECK_EQ_INT(n, 33);
    n = 0;
    for (const npu_field *f = npu_total_fields; f->name; f++)
        n++;
    CHECK_EQ_INT(n, npu_total_nfields);
    CHECK_EQ_INT(n, 43);
    CHECK_STR(npu_total_fields[15].name, "batch");
    CHECK_STR(npu_total_fields[17].name, "unit");
    CHECK(npu_total_fields[17].type == NPU_FT_STR);
    /* The spelling the CSV header uses, in order. */
    CHECK_STR(npu_layer_fields[0].name, "index");
    CHECK_STR(npu_layer_fields[9].name, "share_cycles");
    CHECK_STR(npu_layer_fields[23].name, "bound");
    CHECK(npu_layer_fields[23].type == NPU_FT_STR);
    CHECK(npu_layer_fields[11].type == NPU_FT_FLOAT);
    CHECK_STR(npu_total_fields[1].name, "time_us");
    npu_layer_row row = {.macs = 77, .util = 0.5, .name = "conv1"};
    const npu_field *fm = &npu_layer_fields[5], *fu = &npu_layer_fields[11], *fn = &npu_layer_fields[1];
    CHECK_STR(fm->name, "macs");
    CHECK_EQ_INT(npu_field_int(&row, fm), 77);
    CHECK_NEAR(npu_field_float(&row, fm), 77, 0);
    CHECK_NEAR(npu_field_float(&row, fu), 0.5, 0);
    CHECK_STR(npu_field_str(&row, fn), "conv1");
    CHECK(npu_field_str(&row, fm) == NULL);
    for (const npu_field *f = npu_layer_fields; f->name; f++)
        CHECK(f->unit != NULL && f->doc != NULL);
}

TEST(share_cycles_partition)
{
    /* A [0,100), B [50,150), C [200,260), D empty. Total 260.
     * [0,50): A alone 50; [50,100): A,B 25 each; [100,150): B 50; gap [150,200) → C (the next
     * to start); [200,260): C 60. A = 75, B = 75, C = 110, D = 0. */
    npu_result *r = mk(4, 1000, 64);
    span(r, 0, 0, 100);
    span(r, 1, 50, 150);
    span(r, 2, 200, 260);
    span(r, 3, 0, 0);
    npu_result_finish(r);
    CHECK_EQ_INT(r->total.cycles, 260);
    CHECK_EQ_INT(r->layers[0].share_cycles, 75);
    CHECK_EQ_INT(r->layers[1].share_cycles, 75);
    CHECK_EQ_INT(r->layers[2].share_cycles, 110);
    CHECK_EQ_INT(r->layers[3].share_cycles, 0);
    npu_result_free(r);

    /* Three layers over the same 10 cycles: 10/3 each → 4, 3, 3 (integer-exact). Leading gap
     * [0,5) goes to them too (5 → 2, 2, 1 by remainder). */
    r = mk(3, 1000, 64);
    for (int i = 0; i < 3; i++)
        span(r, i, 5, 15);
    npu_result_finish(r);
    int64_t s = 0;
    for (int i = 0; i < 3; i++) {
        s += r->layers[i].share_cycles;
        CHECK(r->layers[i].share_cycles == 5 || r->layers[i].share_cycles == 4);
    }
    CHECK_EQ_INT(s, 15);
    npu_result_free(r);

    /* Many random overlapping layers: always sums to the total. */
    unsigned seed = 12345;
    for (int trial = 0; trial < 20; trial++) {
        int n = 1 + trial * 7;
        r = mk(n, 800, 128);
        for (int i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            int64_t a = (seed >> 8) % 100000;
            seed = seed * 1103515245u + 12345u;
            int64_t len = (seed >> 8) % 5000;
            span(r, i, a, a + len);
        }
        npu_result_finish(r);
        s = 0;
        for (int i = 0; i < n; i++) {
            CHECK(r->layers[i].share_cycles >= 0);
            s += r->layers[i].share_cycles;
        }
        CHECK_EQ_INT(s, r->total.cycles);
        npu_result_free(r);
    }
}

TEST(bound_and_totals)
{
    npu_result *r = mk(4, 500, 100); /* 500 MHz: 1 cycle = 2 ns */
    span(r, 0, 0, 1000);
    r->layers[0].macs = 50000; /* util = 50000 / (1000 x 100) = 0.5 */
    r->layers[0].compute_cycles = 600;
    r->layers[0].mem_stall_cycles = 400;
    span(r, 1, 1000, 2000);
    r->layers[1].compute_cycles = 100;
    r->layers[1].mem_stall_cycles = 700;
    r->layers[1].ctrl_stall_cycles = 200;
    r->layers[1].dram_rd_bytes = 3000000;
    r->layers[1].dram_wr_bytes = 1000000;
    span(r, 2, 2000, 3000);
    r->layers[2].compute_cycles = 100;
    r->layers[2].ctrl_stall_cycles = 900;
    span(r, 3, 3000, 4000);
    r->layers[3].compute_cycles = 1000;
    r->layers[3].host_cycles = 1000; /* a CPU fallback layer: its compute is host */
    r->layers[3].engine = "cpu";
    r->layers[3].irq_count = 3;
    r->layers[3].irq_cycles = 250;
    npu_result_finish(r);
    CHECK_STR(r->layers[0].bound, "compute");
    CHECK_STR(r->layers[1].bound, "memory");
    CHECK_STR(r->layers[2].bound, "control");
    CHECK_STR(r->layers[3].bound, "host");
    CHECK_NEAR(r->layers[0].util, 0.5, 1e-12);
    /* the bound follows the largest measured share (issue 15): host time that overlaps a
     * memory-stalled window does not make it "host"; control stall that is mostly the host's
     * busy time does; a layer that took no time (fused) is bounded by nothing */
    npu_result *b = mk(3, 1000, 100);
    span(b, 0, 0, 1000);
    b->layers[0].compute_cycles = 100;
    b->layers[0].mem_stall_cycles = 800;
    b->layers[0].ctrl_stall_cycles = 100;
    b->layers[0].host_cycles = 900;
    span(b, 1, 1000, 2000);
    b->layers[1].compute_cycles = 100;
    b->layers[1].ctrl_stall_cycles = 900;
    b->layers[1].host_cycles = 450;
    span(b, 2, 2000, 2000);
    npu_result_finish(b);
    CHECK_STR(b->layers[0].bound, "memory");
    CHECK_STR(b->layers[1].bound, "host");
    CHECK_STR(b->layers[2].bound, "none");
    npu_result_free(b);
    CHECK_NEAR(r->layers[1].util, 0, 0);
    const npu_total_row *T = &r->total;
    CHECK_EQ_INT(T->cycles, 4000);
    CHECK_NEAR(T->time_us, 8.0, 1e-12);
    CHECK_NEAR(T->fps, 125000, 1e-6);
    CHECK_EQ_INT(T->macs, 50000);
    CHECK_NEAR(T->tops, 2.0 * 50000 / 8e-6 / 1e12, 1e-15);
    CHECK_NEAR(T->util, 50000.0 / (4000 * 100), 1e-12);
    CHECK_EQ_INT(T->compute_cycles, 1800);
    CHECK_EQ_INT(T->mem_stall_cycles, 1100);
    CHECK_EQ_INT(T->ctrl_stall_cycles, 1100);
    CHECK_EQ_INT(T->dram_rd_bytes, 3000000);
    CHECK_NEAR(T->dram_gbps, 4000000.0 / 8000.0, 1e-9); /* 4 MB in 8 us = 500 GB/s */
    CHECK_EQ_INT(T->irq_count, 3);
    CHECK_NEAR(T->irq_us, 0.5, 1e-12);
    CHECK_NEAR(T->host_us, 2.0, 1e-12);
    npu_result_free(r);

    /* Empty result: all zero, no division by zero. */
    r = mk(0, 1000, 0);
    npu_result_finish(r);
    CHECK_EQ_INT(r->total.cycles, 0);
    CHECK_NEAR(r->total.fps, 0, 0);
    npu_result_free(r);
    npu_result_free(NULL);
}

/* Which layers ran on a host processor: the model's own names, else the usual ones. */
TEST(on_host)
{
    npu_result r;
    memset(&r, 0, sizeof r);
    npu_layer_row l;
    memset(&l, 0, sizeof l);
    static const char *const mine[] = {"m55", NULL};
    const char *const cases[][2] = {{"cpu", "1"}, {"CPU1", "1"}, {"cpu-big", "1"},
                                    {"aicpu", "1"}, {"mcu", "1"}, {"cpus", "0"},
                                    {"CNA", "0"}, {"M55", "0"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        l.engine = cases[i][0];
        CHECK_EQ_INT(npu_result_on_host(&r, &l), cases[i][1][0] == '1');
    }
    r.host_engines = mine;
    l.engine = "M55_0";
    CHECK(npu_result_on_host(&r, &l));
    l.engine = "cpu"; /* not this model's host name */
    CHECK(!npu_result_on_host(&r, &l));
    l.engine = NULL;
    CHECK(!npu_result_on_host(&r, &l));
}

int main(void)
{
    RUN(on_host);
    RUN(field_tables);
    RUN(share_cycles_partition);
    RUN(bound_and_totals);
    return TEST_REPORT();
}
