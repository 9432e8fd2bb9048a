/* scalesim_test.c — the SCALE-Sim topology reader (sim/front/scalesim.c): every quirk of
 * research/peers.md §2.1 and malformed files (clear errors naming file:line[:column]). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "front/front.h"
#include "test.h"

static npu_graph *rd(const char *text, bool gemm, npu_err *err)
{
    npu_err_clear(err);
    return npu_scalesim_read("t.csv", text, strlen(text), gemm, err);
}

/* Reads, infers, and returns the graph (NULL on failure with the message printed). */
static npu_graph *rd_ok(const char *text, bool gemm)
{
    npu_err err = {0};
    npu_graph *g = rd(text, gemm, &err);
    if (!g) {
        printf("  unexpected error: %s\n", err.msg);
        return NULL;
    }
    if (npu_graph_infer(g, &err)) {
        printf("  infer error: %s\n", err.msg);
        npu_graph_free(g);
        return NULL;
    }
    return g;
}

static void expect_err(const char *text, bool gemm, const char *needle)
{
    npu_err err = {0};
    npu_graph *g = rd(text, gemm, &err);
    if (g) {
        FAILF("accepted bad input, expected error containing '%s'", needle);
        npu_graph_free(g);
        return;
    }
    CHECK_EQ_INT(err.code, NPU_EFORMAT);
    CHECK_CONTAINS(err.msg, needle);
}

static const char *alexnet =
    "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, "
    "Strides,\n"
    "Conv1     ,224         ,224        ,11           ,11          ,3       ,96        ,4      ,\n"
    "Conv2     ,27         ,27        ,5            ,5           ,96      ,256       ,1      ,\n"
    "Conv3     ,13          ,13         ,3            ,3           ,256     ,384       ,1      ,\n"
    "Conv4     ,13          ,13         ,3            ,3           ,384     ,384       ,1      ,\n"
    "Conv5     ,13          ,13         ,3            ,3           ,384     ,256       ,1      ,\n";

TEST(detects_gemm_header)
{
    CHECK(!npu_scalesim_is_gemm(alexnet, strlen(alexnet)));
    const char *g = "Layer Name, M, N, K,\nTest 1, 128, 64, 256,\n";
    CHECK(npu_scalesim_is_gemm(g, strlen(g)));
    const char *g2 = "\n  layer, m ,n,k\n";
    CHECK(npu_scalesim_is_gemm(g2, strlen(g2)));
    CHECK(!npu_scalesim_is_gemm("", 0));
    CHECK(!npu_scalesim_is_gemm("Layer, M, N\n", 12));
}

TEST(alexnet_layers_and_shapes)
{
    npu_graph *g = rd_ok(alexnet, false);
    CHECK(g != NULL);
    if (!g)
        return;
    CHECK_EQ_INT(g->nl, 5);
    CHECK_EQ_INT(g->ninputs, 5);
    CHECK_EQ_INT(g->noutputs, 5);
    CHECK_STR(g->name, "t");
    CHECK_STR(g->l[0].name, "Conv1");
    CHECK_EQ_INT(g->l[0].line, 2);
    CHECK_EQ_INT(g->l[4].line, 6);
    /* Conv1: Ho = ceil((224 - 11 + 4)/4) = 55; MACs = 55·55·11·11·3·96 */
    npu_conv_geom cg;
    CHECK_EQ_INT(npu_layer_conv_geom(g, 0, &cg), 0);
    CHECK_EQ_INT(cg.ho, 55);
    CHECK_EQ_INT(cg.wo, 55);
    CHECK_EQ_INT(cg.k, 96);
    CHECK_EQ_INT(cg.sh, 4);
    CHECK_EQ_INT(cg.sw, 4);
    /* SCALE-Sim rounds the output size up: 213/4 → 55 = bottom/right padding of 3 */
    CHECK_EQ_INT(cg.pt, 0);
    CHECK_EQ_INT(cg.pl, 0);
    CHECK_EQ_INT(cg.pb, 3);
    CHECK_EQ_INT(cg.pr, 3);
    CHECK_EQ_INT(cg.h, 224);
    CHECK_EQ_INT(g->l[0].macs, 55LL * 55 * 11 * 11 * 3 * 96);
    /* Conv2: 27-5+1 = 23 */
    CHECK_EQ_INT(npu_layer_conv_geom(g, 1, &cg), 0);
    CHECK_EQ_INT(cg.ho, 23);
    CHECK_EQ_INT(g->l[1].macs, 23LL * 23 * 5 * 5 * 96 * 256);
    /* every layer reads its own input: nothing is shared */
    for (int i = 0; i < g->nl; i++) {
        CHECK_EQ_INT(g->t[g->l[i].in[0]].kind, NPU_T_INPUT);
        CHECK_EQ_INT(g->l[i].dtype, NPU_DT_INT8);
    }
    CHECK(npu_graph_find_tensor(g, "Conv3.ifmap") >= 0);
    npu_graph_free(g);
}

TEST(quirks_trailing_comma_blank_lines_trim)
{
    /* no trailing comma, CRLF, blank lines, tabs, header skipped even though numeric */
    const char *t = "1,2,3,4,5,6,7,8,\r\n"
                    "\r\n"
                    "  a  ,\t10 , 10, 3, 3, 4, 8, 1\r\n"
                    "   \n"
                    "b,10,12,3,5,4,8,1,\n";
    npu_graph *g = rd_ok(t, false);
    CHECK(g != NULL);
    if (!g)
        return;
    CHECK_EQ_INT(g->nl, 2);
    CHECK_STR(g->l[0].name, "a");
    CHECK_EQ_INT(g->l[0].line, 3);
    CHECK_EQ_INT(g->l[1].line, 5);
    npu_conv_geom cg;
    CHECK_EQ_INT(npu_layer_conv_geom(g, 1, &cg), 0);
    CHECK_EQ_INT(cg.ho, 8);
    CHECK_EQ_INT(cg.wo, 8);
    npu_graph_free(g);
}

TEST(stride_width_v2_and_sparsity_v3)
{
    const char *t = "h\n"
                    "sw,  20, 21, 3, 3, 2, 4, 1, 2,\n"
                    "sp,  20, 21, 3, 3, 2, 4, 2, 2:4,\n";
    npu_graph *g = rd_ok(t, false);
    CHECK(g != NULL);
    if (!g)
        return;
    npu_conv_geom cg;
    CHECK_EQ_INT(npu_layer_conv_geom(g, 0, &cg), 0);
    CHECK_EQ_INT(cg.sh, 1);
    CHECK_EQ_INT(cg.sw, 2);
    CHECK_EQ_INT(cg.ho, 18);
    CHECK_EQ_INT(cg.wo, 10); /* ceil((21-3+2)/2) = 10 */
    CHECK_EQ_INT(cg.pr, 0);
    CHECK_EQ_INT(npu_layer_conv_geom(g, 1, &cg), 0);
    CHECK_EQ_INT(cg.sh, 2);
    CHECK_EQ_INT(cg.sw, 2);
    CHECK_EQ_INT(cg.ho, 10); /* ceil((20-3+2)/2) = 10 (floor(17/2)+1 would be 9) */
    CHECK_EQ_INT(cg.wo, 10);
    CHECK_EQ_INT(cg.pb, 1);
    npu_graph_free(g);
}

/* NPU_SCALESIM_SPARSE keeps N < M as nm=N,M (the systolic model's compressed K); 4:4 and a
 * read without the flag stay dense; shape inference checks nm= on any graph. */
TEST(sparsity_attribute)
{
    const char *t = "h\n"
                    "a, 8, 8, 3, 3, 4, 4, 1, 2:4,\n"
                    "b, 8, 8, 3, 3, 4, 4, 1, 4:4,\n";
    npu_err err = {0};
    for (int fl = 0; fl < 2; fl++) {
        npu_graph *g = npu_scalesim_read_ex("t.csv", t, strlen(t), false,
                                            fl ? NPU_SCALESIM_SPARSE : 0u, &err);
        CHECK(g != NULL);
        if (!g)
            return;
        CHECK_EQ_INT(npu_graph_infer(g, &err), 0);
        const npu_attr *nm = npu_layer_attr_k(&g->l[0], NPU_K_NM);
        CHECK(fl ? nm != NULL : nm == NULL);
        /* 6x6x4 outputs of K = 3*3*4 = 36 terms; 2:4 keeps K' = 18 */
        CHECK_EQ_INT(g->l[0].macs, fl ? 144 * 18 : 144 * 36);
        CHECK_EQ_INT(g->l[1].macs, 144 * 36);
        if (nm) {
            CHECK_EQ_INT(nm->n, 2);
            CHECK_EQ_INT(nm->i[0], 2);
            CHECK_EQ_INT(nm->i[1], 4);
        }
        CHECK(npu_layer_attr_k(&g->l[1], NPU_K_NM) == NULL);
        if (fl) {
            int64_t bad[2] = {3, 2};
            CHECK_EQ_INT(npu_layer_set_ints(g, 0, "nm", 2, bad), 0);
            CHECK(npu_graph_infer(g, &err) != 0);
            CHECK(strstr(err.msg, "1 <= N <= M") != NULL);
        }
        npu_graph_free(g);
    }
    const char *gm = "Layer, M, N, K,\ng, 4, 8, 16, 1:2,\n";
    npu_graph *g = npu_scalesim_read_ex("t.csv", gm, strlen(gm), true, NPU_SCALESIM_SPARSE, &err);
    CHECK(g != NULL);
    if (g) {
        const npu_attr *nm = npu_layer_attr_k(&g->l[0], NPU_K_NM);
        CHECK(nm != NULL && nm->i[0] == 1 && nm->i[1] == 2);
        npu_graph_free(g);
    }
}

TEST(depthwise_by_name)
{
    const char *t = "h\n"
                    "Conv_DP_1, 10, 10, 3, 3, 32, 1, 1,\n"
                    "Conv_dp_2, 10, 10, 3, 3, 32, 16, 1,\n";
    npu_graph *g = rd_ok(t, false);
    CHECK(g != NULL);
    if (!g)
        return;
    npu_conv_geom cg;
    CHECK_EQ_INT(npu_layer_conv_geom(g, 0, &cg), 0);
    CHECK_EQ_INT(cg.groups, 32);
    CHECK_EQ_INT(cg.k, 32);
    CHECK(cg.depthwise);
    CHECK_EQ_INT(g->l[0].macs, 8LL * 8 * 3 * 3 * 32);
    /* "DP" is case-sensitive, as in SCALE-Sim */
    CHECK_EQ_INT(npu_layer_conv_geom(g, 1, &cg), 0);
    CHECK_EQ_INT(cg.groups, 1);
    CHECK_EQ_INT(cg.k, 16);
    npu_graph_free(g);
}

TEST(gemm_rows)
{
    const char *t = "Layer Name, M, N, K,\nTest 1, 128, 64, 256,\nfc, 1, 10, 4096, 1:2\n";
    npu_graph *g = rd_ok(t, true);
    CHECK(g != NULL);
    if (!g)
        return;
    CHECK_EQ_INT(g->nl, 2);
    CHECK_STR(g->l[0].name, "Test 1");
    CHECK_EQ_INT(g->l[0].op, NPU_OP_GEMM);
    npu_gemm_geom gg;
    CHECK_EQ_INT(npu_layer_gemm_geom(g, 0, &gg), 0);
    CHECK_EQ_INT(gg.m, 128);
    CHECK_EQ_INT(gg.n, 64);
    CHECK_EQ_INT(gg.k, 256);
    CHECK_EQ_INT(gg.batch, 1);
    CHECK_EQ_INT(g->l[0].macs, 128LL * 64 * 256);
    CHECK_EQ_INT(g->l[1].macs, 10LL * 4096);
    npu_graph_free(g);
}

TEST(shared_files_parse)
{
    const char *dir = getenv("NPU_SHARED_DIR");
    if (!dir)
        dir = "../shared";
    const char *names[] = {"alexnet.csv", "test_mnk_input.csv"};
    for (int i = 0; i < 2; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/data/scalesim/%s", dir, names[i]);
        char *text = NULL;
        size_t len = 0;
        npu_err err = {0};
        if (npu_read_file(path, &text, &len, &err)) {
            FAILF("%s", err.msg);
            continue;
        }
        bool gemm = npu_scalesim_is_gemm(text, len);
        CHECK_EQ_INT(gemm, i == 1);
        npu_graph *g = npu_scalesim_read(path, text, len, gemm, &err);
        CHECK(g != NULL);
        if (g) {
            CHECK_EQ_INT(npu_graph_infer(g, &err), 0);
            CHECK_EQ_INT(g->nl, i == 0 ? 5 : 1);
            npu_graph_free(g);
        }
        free(text);
    }
}

TEST(duplicate_names_get_suffixes)
{
    const char *t = "h\nx,8,8,3,3,1,1,1,\nx,8,8,3,3,1,1,1,\nx,8,8,3,3,1,1,1,\n";
    npu_graph *g = rd_ok(t, false);
    CHECK(g != NULL);
    if (!g)
        return;
    CHECK_STR(g->l[0].name, "x");
    CHECK_STR(g->l[1].name, "x_2");
    CHECK_STR(g->l[2].name, "x_3");
    npu_graph_free(g);
}

TEST(malformed_files)
{
    expect_err("", false, "empty file");
    expect_err("header only,\n\n", false, "t.csv:2: no layers");
    /* truncated row */
    expect_err("h\nConv1, 224, 224, 11, 11, 3\n", false, "t.csv:2: conv row has 6 fields");
    expect_err("h\nConv1, 224, 224, 11, 11, 3, 96, 4,\nConv2, 27, 27", false,
               "t.csv:3: conv row has 3 fields");
    /* empty field inside (SCALE-Sim crashes with a ValueError) */
    expect_err("h\nConv1, 224, , 11, 11, 3, 96, 4,\n", false, "t.csv:2:12: empty IFMAP width");
    expect_err("h\n,,,,,,,,\n", false, "t.csv:2:1: empty layer name");
    /* text in a number */
    expect_err("h\nConv1, 224, 224, 11x, 11, 3, 96, 4,\n", false,
               "t.csv:2:17: filter height '11x' is not an integer");
    expect_err("h\nConv1, 224, 224, 11, 11, 3, 96, 4.5,\n", false, "stride '4.5'");
    /* negative, zero */
    expect_err("h\nConv1, -224, 224, 11, 11, 3, 96, 4,\n", false,
               "IFMAP height must be positive, got -224");
    expect_err("h\nConv1, 224, 224, 11, 11, 0, 96, 4,\n", false, "channels must be positive");
    /* kernel larger than the (pre-padded) ifmap */
    expect_err("h\nConv1, 5, 224, 11, 11, 3, 96, 4,\n", false,
               "t.csv:2:15: filter height 11 is larger than IFMAP height 5");
    expect_err("h\nConv1, 224, 5, 11, 11, 3, 96, 4,\n", false, "filter width 11 is larger");
    /* absurd and overflowing values */
    expect_err("h\nConv1, 99999999999999999999, 224, 11, 11, 3, 96, 4,\n", false, "too large");
    expect_err("h\nConv1, 100000, 100000, 1, 1, 3, 96, 4,\n", false, "absurdly large");
    /* too many fields, bad sparsity */
    expect_err("h\nc, 8, 8, 3, 3, 1, 1, 1, 1, 7,\n", false, "at most 9");
    expect_err("h\nc, 8, 8, 3, 3, 1, 1, 1, 3:2,\n", false, "N:M");
    expect_err("h\nc, 8, 8, 3, 3, 1, 1, 1, a:b,\n", false, "N:M");
    expect_err("h\nc, 8, 8, 3, 3, 1, 1, 1, 2:0,\n", false, "t.csv:2:24: sparsity '2:0'");
    expect_err("h\nc, 8, 8, 3, 3, 1, 1, 1, 2:,\n", false, "N:M");
    /* GEMM rows */
    expect_err("Layer, M, N, K,\nfc, 12, 10,\n", true, "t.csv:2: GEMM row has 3 fields");
    expect_err("Layer, M, N, K,\nfc, 12, , 4,\n", true, "t.csv:2:8: empty N");
    expect_err("Layer, M, N, K,\nfc, 12, ten, 4,\n", true, "N 'ten' is not an integer");
    expect_err("Layer, M, N, K,\nfc, 12, 10, -4,\n", true, "K must be positive");
    expect_err("Layer, M, N, K,\nfc, 1, 2, 3, 4, 5,\n", true, "at most 5");
    /* binary junk */
    static const char junk[] = "h\nc,8\0,8,3,3,1,1,1,\n";
    npu_err err = {0};
    npu_graph *g = npu_scalesim_read("t.csv", junk, sizeof junk - 1, false, &err);
    CHECK(g == NULL);
    CHECK_CONTAINS(err.msg, "t.csv:2: NUL byte");
    npu_graph_free(g);
}

/* Mutated files never crash the reader (CI runs this under ASan/UBSan): each either reads or
 * fails with a message naming the file. Deterministic LCG. */
TEST(mutations_never_crash)
{
    size_t n = strlen(alexnet);
    char *buf = malloc(n + 1);
    uint32_t st = 12345;
    static const char alphabet[] = ",\n\r -0123456789:DPx\t";
    int ok = 0, bad = 0;
    for (int it = 0; it < 3000 && buf; it++) {
        memcpy(buf, alexnet, n + 1);
        size_t len = n;
        int edits = 1 + it % 6;
        for (int e = 0; e < edits; e++) {
            st = st * 1664525u + 1013904223u;
            size_t pos = (st >> 8) % len;
            st = st * 1664525u + 1013904223u;
            switch ((st >> 4) % 3) {
            case 0: buf[pos] = alphabet[(st >> 12) % (sizeof alphabet - 1)]; break;
            case 1: len = pos; break; /* truncate */
            default: buf[pos] = (char)(st >> 16); break;
            }
            if (len == 0)
                break;
        }
        npu_err err = {0};
        bool gemm = npu_scalesim_is_gemm(buf, len);
        npu_graph *g = npu_scalesim_read("m.csv", buf, len, gemm, &err);
        if (g) {
            ok++;
            if (npu_graph_infer(g, &err))
                CHECK(err.msg[0] != 0);
            npu_graph_free(g);
        } else {
            bad++;
            CHECK_CONTAINS(err.msg, "m.csv");
        }
    }
    CHECK(ok > 0 && bad > 0);
    free(buf);
}

int main(void)
{
    RUN(detects_gemm_header);
    RUN(alexnet_layers_and_shapes);
    RUN(quirks_trailing_comma_blank_lines_trim);
    RUN(stride_width_v2_and_sparsity_v3);
    RUN(sparsity_attribute);
    RUN(depthwise_by_name);
    RUN(gemm_rows);
    RUN(shared_files_parse);
    RUN(duplicate_names_get_suffixes);
    RUN(malformed_files);
    RUN(mutations_never_crash);
    return TEST_REPORT();
}
