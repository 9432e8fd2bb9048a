/* onnxw_test.c — the ONNX writer (sim/front/onnxw.c) and the zoo round trip.
 *
 *   onnxw_test                 writer unit tests (sparse side file, overwrite rules, errors)
 *   onnxw_test NET [ARCH...]   round trip of zoo network NET: zoo → ONNX → import gives the
 *                              same layer list after the passes (name, op, fused activation,
 *                              output shapes and dtypes, MACs, parameters) and the same total
 *                              cycles within 0.5 % on every ARCH (default: every shipped preset)
 * tests/unit/onnxw.cmake registers one round-trip test per zoo network on every preset in the
 * normal build, and a few networks on a few presets under the sanitizers (same checks, less
 * time). Where the passes do not yet fuse a pattern a network needs, the network is skipped
 * with a message naming the pattern (skips[] below); the tolerance is never widened.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "npusim_int.h"
#include "test.h"

#define TOL 0.005 /* relative, total cycles */

static char dir[64];

static const char *tmp_path(const char *name)
{
    static char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

static void cleanup(const char *name)
{
    char p[300];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    remove(p);
    snprintf(p, sizeof p, "%s/%s.data", dir, name);
    remove(p);
}

/* Networks whose decomposed form needs a fusion pattern the passes do not have yet. */
static const struct {
    const char *net, *pattern;
} skips[] = {{NULL, NULL}};

/* ---- writer unit tests ------------------------------------------------------------------------ */
TEST(sparse_side_file)
{
    npu_ctx *ctx = npu_ctx_new();
    npu_err err = {0};
    npu_graph *g = npu_load_graph(ctx, "resnet50", NULL, &err);
    CHECK(g != NULL);
    if (!g) {
        npu_ctx_free(ctx);
        return;
    }
    const char *p = tmp_path("r50.onnx");
    CHECK_EQ_INT(npu_graph_write_onnx(g, p, false, &err), 0);
    struct stat m, d;
    char side[300];
    snprintf(side, sizeof side, "%s.data", p);
    CHECK(stat(p, &m) == 0 && stat(side, &d) == 0);
    /* int8 weights: at least one byte per parameter in the side file, which is a hole */
    CHECK(d.st_size >= npu_graph_params(g));
    CHECK((int64_t)d.st_blocks * 512 < 64 * 1024);
    CHECK(m.st_size < 512 * 1024);
    /* no overwrite without force; the message names the file */
    CHECK(npu_graph_write_onnx(g, p, false, &err) == NPU_EEXIST);
    CHECK(strstr(err.msg, "r50.onnx") != NULL);
    CHECK_EQ_INT(npu_graph_write_onnx(g, p, true, &err), 0);
    /* stdout cannot hold a model and its side file */
    CHECK(npu_graph_write_onnx(g, "-", true, &err) != 0);
    cleanup("r50.onnx");
    npu_graph_free(g);
    npu_ctx_free(ctx);
}

/* An .npg graph with the activations and norms written decomposed reads back fused; a matmul
 * by a transposed constant (a tied embedding) reads the same constant back (same params). */
TEST(decomposed_forms)
{
    static const char text[] =
        "npg 1\ngraph forms\ninput x 1x8x16x16 fp32\n"
        "conv c1 x out=8 k=3 p=1 act=hardswish\n"
        "conv c2 c1 out=8 k=1 act=gelu\n"
        "leaky l1 c2 alpha=0.2\n"
        "conv c3 l1 out=8 k=1 act=mish\n"
        "conv c4 c3 out=8 k=1 act=silu\n"
        "add s c4 c3 act=relu6\n"
        "erf e s\n"
        "reshape r e shape=1,8,256\n"
        "layernorm ln r axis=-1 eps=0.001\n"
        "rmsnorm rms ln axis=-1\n"
        "quantize q rms to=int8\n"
        "dequantize dq q to=fp32\n"
        "const emb 32x256 fp32\n"
        "matmul head dq emb transb=1\n"
        "output head\n";
    const char *src = tmp_path("forms.npg");
    FILE *f = fopen(src, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    fputs(text, f);
    fclose(f);
    npu_ctx *ctx = npu_ctx_new();
    npu_err err = {0};
    npu_graph *a = npu_load_graph(ctx, src, NULL, &err);
    CHECK(a != NULL);
    const char *p = tmp_path("forms.onnx");
    CHECK(a && npu_graph_write_onnx(a, p, true, &err) == 0);
    npu_graph *b = a ? npu_load_graph(ctx, p, NULL, &err) : NULL;
    if (!b)
        printf("  %s\n", err.msg);
    CHECK(b != NULL);
    if (a && b) {
        CHECK_EQ_INT(b->nl, a->nl);
        for (int i = 0; i < a->nl && i < b->nl; i++) {
            CHECK_STR(b->l[i].name, a->l[i].name);
            CHECK_STR(npu_op_name(b->l[i].op), npu_op_name(a->l[i].op));
            CHECK_STR(npu_act_name(b->l[i].act), npu_act_name(a->l[i].act));
            CHECK_EQ_INT(b->l[i].params, a->l[i].params);
            CHECK_EQ_INT(b->l[i].macs, a->l[i].macs);
        }
        CHECK_EQ_INT(npu_graph_params(b), npu_graph_params(a));
    }
    npu_graph_free(a);
    npu_graph_free(b);
    cleanup("forms.onnx");
    remove(src);
    npu_ctx_free(ctx);
}

/* ---- the zoo round trip ---------------------------------------------------------------------- */
static bool same_layers(const npu_graph *a, const npu_graph *b)
{
    int bad = 0;
    if (a->nl != b->nl)
        FAILF("%s: %d layers, its ONNX round trip %d", a->name, a->nl, b->nl);
    for (int i = 0; i < a->nl && i < b->nl && bad < 5; i++) {
        const npu_layer *x = &a->l[i], *y = &b->l[i];
        bool ok = !strcmp(x->name, y->name) && x->op == y->op && x->act == y->act &&
                  x->nout == y->nout && x->macs == y->macs && x->params == y->params;
        for (int k = 0; ok && k < x->nout; k++) {
            const npu_tensor *s = &a->t[x->out[k]], *t = &b->t[y->out[k]];
            ok = s->ndim == t->ndim && s->dtype == t->dtype &&
                 !memcmp(s->dim, t->dim, sizeof(int64_t) * (size_t)s->ndim);
        }
        if (!ok) {
            FAILF("%s layer %d: '%s' %s+%s macs %lld params %lld vs '%s' %s+%s macs %lld "
                  "params %lld (or output shapes differ)", a->name, i, x->name,
                  npu_op_name(x->op), npu_act_name(x->act), (long long)x->macs,
                  (long long)x->params, y->name, npu_op_name(y->op), npu_act_name(y->act),
                  (long long)y->macs, (long long)y->params);
            bad++;
        }
    }
    return a->nl == b->nl && !bad;
}

static int round_trip(const char *net, int narch, char **archs)
{
    for (int i = 0; skips[i].net; i++)
        if (!strcmp(skips[i].net, net)) {
            printf("SKIP %s: the passes do not fuse %s yet\n", net, skips[i].pattern);
            return 0;
        }
    npu_ctx *ctx = npu_ctx_new();
    npu_err err = {0};
    npu_graph *a = npu_load_graph(ctx, net, NULL, &err), *b = NULL;
    char file[128];
    snprintf(file, sizeof file, "%s.onnx", net);
    if (!a)
        FAILF("%s: %s", net, err.msg);
    else if (npu_graph_write_onnx(a, tmp_path(file), true, &err))
        FAILF("%s: write: %s", net, err.msg);
    else if (!(b = npu_load_graph(ctx, tmp_path(file), NULL, &err)))
        FAILF("%s: import: %s", net, err.msg);
    if (a && b && same_layers(a, b)) {
        const char *const *all = npu_preset_names();
        int n = narch ? narch : 0;
        while (!narch && all[n])
            n++;
        for (int i = 0; i < n; i++) {
            const char *an = narch ? archs[i] : all[i];
            npu_arch *arch = npu_arch_open(ctx, an, &err);
            if (arch && npu_arch_card_spread(arch)) /* a card: one chip (npu_run's rule) */
                npu_arch_set_kv(arch, "card.spread=one", &err);
            npu_result *ra = arch ? npu_run(ctx, arch, a, NULL, &err) : NULL;
            npu_result *rb = ra ? npu_run(ctx, arch, b, NULL, &err) : NULL;
            if (!rb) {
                FAILF("%s on %s: %s", net, an, err.msg);
            } else {
                double ca = (double)ra->total.cycles, cb = (double)rb->total.cycles;
                double rel = ca > 0 ? fabs(cb - ca) / ca : 0;
                printf("%-4s %-20s %-16s zoo %12.0f  onnx %12.0f cycles  %+.3f%%\n",
                       rel <= TOL ? "ok" : "FAIL", net, an, ca, cb, 100 * (cb - ca) / ca);
                if (rel > TOL)
                    FAILF("%s on %s: total cycles differ by %.3f%% (tolerance %.1f%%)", net, an,
                          100 * rel, 100 * TOL);
            }
            npu_result_free(ra);
            npu_result_free(rb);
            npu_arch_free(arch);
        }
    }
    npu_graph_free(a);
    npu_graph_free(b);
    cleanup(file);
    npu_ctx_free(ctx);
    return 0;
}

static char **g_argv;
static int g_argc;

TEST(zoo_round_trip)
{
    round_trip(g_argv[1], g_argc - 2, g_argv + 2);
}

int main(int argc, char **argv)
{
    snprintf(dir, sizeof dir, "/tmp/npusim_onnxw_XXXXXX");
    if (!mkdtemp(dir)) {
        printf("cannot make a temporary directory\n");
        return 1;
    }
    g_argc = argc;
    g_argv = argv;
    if (argc > 1) {
        RUN(zoo_round_trip);
    } else {
        RUN(sparse_side_file);
        RUN(decomposed_forms);
    }
    rmdir(dir);
    return TEST_REPORT();
}
