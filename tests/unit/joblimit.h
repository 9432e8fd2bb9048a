/* joblimit.h — a check shared by the model tests of issue 16: a model that can count a lower
 * bound on a layer's engine jobs before emitting it (DaVinci cube steps and UB tiles, RKNPU
 * tasks, systolic fold groups) refuses, at lowering, a layer above its context's job limit
 * (npu_ctx_set_job_limit) with a message naming the layer, the estimate and the limit — not the
 * engine's after a program it will not be allowed to run was built. A small layer runs within
 * the same limit. Include after test.h, test_graph.h and npusim_int.h. */
#ifndef NPU_TESTS_UNIT_JOBLIMIT_H
#define NPU_TESTS_UNIT_JOBLIMIT_H

static void refused_at_lowering(const char *arch_name)
{
    npu_ctx *c = npu_ctx_new();
    npu_ctx_set_job_limit(c, 1000);
    npu_err err = {0};
    npu_arch *a = npu_arch_open(c, arch_name, &err);
    /* each layer is under every model's own per-layer limit; tens of thousands of jobs each */
    npu_graph *big = test_npg("npg 1\ngraph t\ninput x 1x16x64000 fp16\ngemm g1 x out=120000\n"
                              "gemm g2 x out=120000\ngemm g3 x out=120000\n");
    npu_graph *small = test_npg("npg 1\ngraph t\ninput x 1x16x64 fp16\ngemm g1 x out=64\n");
    if (!a)
        FAILF("%s: %s", arch_name, err.msg);
    npu_result *r = a && big ? npu_run(c, a, big, NULL, &err) : NULL;
    CHECK(!r);
    CHECK_CONTAINS(err.msg, "'g1'");
    CHECK_CONTAINS(err.msg, "the run submits more than 1000 jobs, the limit its context sets");
    CHECK(!strstr(err.msg, "engine:"));
    printf("  %s: %s\n", arch_name, err.msg);
    npu_result_free(r);
    npu_err e2 = {0};
    r = a && small ? npu_run(c, a, small, NULL, &e2) : NULL;
    if (!r)
        FAILF("%s: small gemm: %s", arch_name, e2.msg);
    npu_result_free(r);
    npu_graph_free(small);
    npu_graph_free(big);
    npu_arch_free(a);
    npu_ctx_free(c);
}

#endif
