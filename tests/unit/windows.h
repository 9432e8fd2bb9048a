/* windows.h — a check shared by the model tests of jobs in windows (models/rknpu/timing.c,
 * models/systolic/timing.c): a run queues a window of jobs, not the whole program, so a Qwen2
 * prefill of 128 tokens runs within a small job budget (npu_ctx_set_job_budget; the whole
 * program queued at once takes ~20 MiB) and gives the same result, layer by layer, as with
 * the default budget. Include after test.h and npusim_int.h. */
#ifndef NPU_TESTS_UNIT_WINDOWS_H
#define NPU_TESTS_UNIT_WINDOWS_H

static void same_in_budget(const char *arch_name, size_t budget)
{
    npu_ctx *big = npu_ctx_new(), *small = npu_ctx_new();
    npu_ctx_set_job_budget(small, budget);
    npu_err err = {0};
    npu_load_opts o = {.zoo_args = "tokens=128"};
    npu_graph *g = npu_load_graph(big, "qwen2_0_5b_prefill", &o, &err);
    npu_arch *a = g ? npu_arch_open(big, arch_name, &err) : NULL;
    npu_result *r1 = a ? npu_run(big, a, g, NULL, &err) : NULL;
    npu_result *r2 = r1 ? npu_run(small, a, g, NULL, &err) : NULL;
    if (!r1 || !r2)
        FAILF("%s: %s", arch_name, err.msg);
    if (r1 && r2) {
        CHECK_EQ_INT(r2->total.cycles, r1->total.cycles);
        CHECK_EQ_INT(r2->nlayers, r1->nlayers);
        for (int l = 0; l < r1->nlayers && l < r2->nlayers; l++) {
            CHECK_EQ_INT(r2->layers[l].end, r1->layers[l].end);
            CHECK_EQ_INT(r2->layers[l].ctrl_stall_cycles, r1->layers[l].ctrl_stall_cycles);
            CHECK_EQ_INT(r2->layers[l].mem_stall_cycles, r1->layers[l].mem_stall_cycles);
        }
        printf("  %s: %lld cycles within a %zu KiB job budget\n", arch_name,
               (long long)r2->total.cycles, budget >> 10);
    }
    /* the budget bounds memory, not work: a job limit does (npu_ctx_set_job_limit) */
    npu_ctx_set_job_limit(small, 1000);
    npu_err lim = {0};
    npu_result *r3 = a ? npu_run(small, a, g, NULL, &lim) : NULL;
    CHECK(!r3);
    CHECK_CONTAINS(lim.msg, "more than 1000 jobs");
    npu_result_free(r3);
    npu_result_free(r1);
    npu_result_free(r2);
    npu_arch_free(a);
    npu_graph_free(g);
    npu_ctx_free(small);
    npu_ctx_free(big);
}

#endif
