/* aipp_test.c — ATC's aipp_op config (sim/front/aipp.c): every field parses into its member,
 * ATC's refusals with file:line, the cost figures of each function, and the Hi3519DV500
 * deployment-flow example changing the first layer's bytes and cycles (tests/aipp/). */
#include <stdlib.h>

#include "front/aipp.h"
#include "npusim_int.h"
#include "test.h"
#include "test_graph.h"

static int parse(const char *body, npu_aipp *a, npu_err *err)
{
    char buf[2048];
    snprintf(buf, sizeof buf, "aipp_op {\n  aipp_mode : static\n  input_format : RGB888_U8\n%s}\n",
             body);
    return npu_aipp_parse("t.cfg", buf, strlen(buf), a, err);
}

/* one line per field: the text and the member it sets */
TEST(every_field)
{
    npu_aipp a;
    npu_err err = {0};
    CHECK(parse("related_input_rank : 0\nsrc_image_size_w : 640\nsrc_image_size_h : 480\n"
                "crop : true\nload_start_pos_w : 10\nload_start_pos_h : 20\ncrop_size_w : 300\n"
                "crop_size_h : 200\nresize : true\nresize_output_w : 224\nresize_output_h : 112\n"
                "padding : true\nleft_padding_size : 1\nright_padding_size : 2\n"
                "top_padding_size : 3\nbottom_padding_size : 4\ncsc_switch : true\n"
                "rbuv_swap_switch : true\nax_swap_switch : false\n"
                "matrix_r0c0 : 1\nmatrix_r0c1 : 2\nmatrix_r0c2 : 3\nmatrix_r1c0 : 4\n"
                "matrix_r1c1 : 5\nmatrix_r1c2 : 6\nmatrix_r2c0 : 7\nmatrix_r2c1 : 8\n"
                "matrix_r2c2 : -9\ninput_bias_0 : 16\ninput_bias_1 : 128\ninput_bias_2 : 129\n"
                "output_bias_0 : 1\noutput_bias_1 : 2\noutput_bias_2 : 3\n"
                "mean_chn_0 : 104\nmean_chn_1 : 117\nmean_chn_2 : 123\nmean_chn_3 : 5\n"
                "min_chn_0 : 0.5\nmin_chn_1 : 1.5\nmin_chn_2 : 2.5\nmin_chn_3 : 3.5\n"
                "var_reci_chn_0 : 0.017\nvar_reci_chn_1 : 0.018\nvar_reci_chn_2 : 0.019\n"
                "var_reci_chn_3 : -2\n",
                &a, &err) == 0);
    if (err.code)
        printf("  %s\n", err.msg);
    CHECK_EQ_INT(a.input_format, NPU_AIPP_RGB888_U8);
    CHECK_EQ_INT(a.src_w, 640);
    CHECK_EQ_INT(a.src_h, 480);
    CHECK(a.crop && a.resize && a.padding && a.csc && a.rbuv_swap && !a.ax_swap);
    CHECK_EQ_INT(a.start_w, 10);
    CHECK_EQ_INT(a.start_h, 20);
    CHECK_EQ_INT(a.crop_w, 300);
    CHECK_EQ_INT(a.crop_h, 200);
    CHECK_EQ_INT(a.resize_w, 224);
    CHECK_EQ_INT(a.resize_h, 112);
    CHECK_EQ_INT(a.pad_l + 10 * a.pad_r + 100 * a.pad_t + 1000 * a.pad_b, 4321);
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++)
            CHECK_EQ_INT(a.matrix[r][c], (r * 3 + c + 1) * (r == 2 && c == 2 ? -1 : 1));
    CHECK_EQ_INT(a.in_bias[0] + a.in_bias[1] + a.in_bias[2], 16 + 128 + 129);
    CHECK_EQ_INT(a.out_bias[0] * 100 + a.out_bias[1] * 10 + a.out_bias[2], 123);
    CHECK_NEAR(a.mean[0] + a.mean[1] + a.mean[2] + a.mean[3], 104 + 117 + 123 + 5, 0);
    CHECK_NEAR(a.min[3], 3.5, 0);
    CHECK_NEAR(a.min[0] + a.min[1] + a.min[2], 4.5, 0);
    CHECK_NEAR(a.var_reci[1], 0.018, 1e-12);
    CHECK_NEAR(a.var_reci[3], -2, 0);
    /* XRGB with the alpha swap, YUV400, YUV420SP */
    const char *x = "aipp_op { input_format : XRGB8888_U8 ax_swap_switch : true }";
    CHECK(npu_aipp_parse("t.cfg", x, strlen(x), &a, &err) == 0 && a.ax_swap &&
          a.input_format == NPU_AIPP_XRGB8888_U8);
    x = "aipp_op{input_format:YUV400_U8}# grey";
    CHECK(npu_aipp_parse("t.cfg", x, strlen(x), &a, &err) == 0 &&
          a.input_format == NPU_AIPP_YUV400_U8 && a.var_reci[0] == 1.0);
}

/* what the reader refuses, with file:line */
TEST(parse_errors)
{
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {"aipp_op {\n input_format : RGB888_U8\n crop_size : 3\n}", "t.cfg:3: unknown AIPP field 'crop_size'"},
        {"aipp_op {\n input_format : RGB888_U8\n crop : yes\n}", "t.cfg:3: crop takes true or false"},
        {"aipp_op {\n input_format : RGB888_U8\n left_padding_size : 33\n}", "t.cfg:3: left_padding_size = 33 is outside ATC's range [0, 32]"},
        {"aipp_op {\n input_format : RGB888_U8\n matrix_r0c0 : 1.5\n}", "t.cfg:3: matrix_r0c0 takes an integer"},
        {"aipp_op {\n input_format : RGB888_U8\n mean_chn_0 : x\n}", "t.cfg:3: mean_chn_0: 'x' is not a number"},
        {"aipp_op {\n input_format : RGB888_U8\n\n input_format : RGB888_U8\n}", "t.cfg:4: input_format set twice (first at line 2)"},
        {"aipp_op {\n aipp_mode : dynamic\n}", "t.cfg:2: aipp_mode 'dynamic': npusim models static"},
        {"aipp_op {\n related_input_rank : 1\n}", "t.cfg:2: related_input_rank 1"},
        {"aipp_op {\n input_format : NV12\n}", "t.cfg:2: input_format 'NV12' unknown"},
        {"aipp_op {\n crop : true\n}", "t.cfg:1: aipp_op has no input_format"},
        {"aipp_op {\n input_format : RGB888_U8\n", "is not closed"},
        {"aipp_op { input_format : RGB888_U8 }\naipp_op { input_format : RGB888_U8 }", "t.cfg:2: a second aipp_op"},
        {"crop : true", "t.cfg:1: expected 'aipp_op {'"},
        {"aipp_op {\n input_format RGB888_U8\n}", "t.cfg:2: expected ':' after input_format"},
        {"", "t.cfg:1: no aipp_op block"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        npu_aipp a;
        npu_err err = {0};
        int rc = npu_aipp_parse("t.cfg", cases[i].text, strlen(cases[i].text), &a, &err);
        if (rc == 0 || !strstr(err.msg, cases[i].msg))
            FAILF("case %zu: rc %d, '%s' does not contain '%s'", i, rc, err.msg, cases[i].msg);
    }
}

static npu_graph *image_net(int c, int h, int w)
{
    char t[256];
    snprintf(t, sizeof t, "npg 1\ngraph t\ninput x 1x%dx%dx%d fp32\nconv c x out=8 k=3 p=1\n", c,
             h, w);
    return test_npg(t);
}

/* cost = f(config) and ATC's checks against the model */
TEST(costs_and_checks)
{
    npu_graph *g = image_net(3, 224, 224), *g1 = image_net(1, 224, 224);
    if (!g || !g1)
        return;
    static const struct {
        const char *body;
        bool resize_ok;
        int64_t src_bytes;
        double ops;
        const char *msg; /* error expected */
    } cases[] = {
        /* a whole 224x224 RGB frame, nothing else: 3 B/pixel, one store per element */
        {"", false, 224 * 224 * 3, 1, NULL},
        /* crop 224x224 out of a 640x480 frame: only the window is read */
        {"src_image_size_w : 640\nsrc_image_size_h : 480\ncrop : true\nload_start_pos_w : 100\n"
         "load_start_pos_h : 50\ncrop_size_w : 224\ncrop_size_h : 224\n", false, 224 * 224 * 3, 1, NULL},
        /* padding 8 on each side: the load reads 208x208, the model sees 224x224 */
        {"src_image_size_w : 208\nsrc_image_size_h : 208\npadding : true\nleft_padding_size : 8\n"
         "right_padding_size : 8\ntop_padding_size : 8\nbottom_padding_size : 8\n", false, 208 * 208 * 3, 1, NULL},
        /* resize 448 -> 224 reads the big frame: 4x the bytes, + 8 ops */
        {"src_image_size_w : 448\nsrc_image_size_h : 448\nresize : true\nresize_output_w : 224\n"
         "resize_output_h : 224\n", true, 448 * 448 * 3, 9, NULL},
        {"csc_switch : true\n", false, 224 * 224 * 3, 6, NULL},
        {"mean_chn_0 : 104\n", false, 224 * 224 * 3, 4, NULL},
        {"min_chn_2 : 1\n", false, 224 * 224 * 3, 4, NULL},
        {"var_reci_chn_1 : 0.5\n", false, 224 * 224 * 3, 4, NULL},
        {"rbuv_swap_switch : true\n", false, 224 * 224 * 3, 1, NULL},
        /* ATC's refusals */
        {"src_image_size_w : 640\nsrc_image_size_h : 480\ncrop : true\nload_start_pos_w : 500\n"
         "crop_size_w : 224\ncrop_size_h : 224\n", false, 0, 0, "t.cfg:8: crop window 224x224 at (500, 0) lies outside the 640x480 source"},
        {"resize : true\nresize_output_w : 224\nresize_output_h : 224\n", false, 0, 0, "t.cfg:4: this SoC's AIPP has no resize"},
        {"src_image_size_w : 4000\nsrc_image_size_h : 224\nresize : true\nresize_output_w : 224\n"
         "resize_output_h : 224\n", true, 0, 0, "the scale must stay within [1/16, 16]"},
        {"load_start_pos_w : 2\n", false, 0, 0, "crop window fields given but crop is not true"},
        {"resize_output_w : 224\n", false, 0, 0, "resize_output fields given but resize is not true"},
        {"src_image_size_w : 200\n", false, 0, 0, "t.cfg:1: AIPP produces 200x224 (W x H: source) but the model input x is 224x224"},
        {"ax_swap_switch : true\n", false, 0, 0, "t.cfg:4: ax_swap_switch moves the alpha byte of XRGB8888_U8"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        npu_aipp a;
        npu_aipp_cost c;
        npu_err err = {0};
        int rc = parse(cases[i].body, &a, &err) ||
                 npu_aipp_cost_of(&a, g, cases[i].resize_ok, &c, &err);
        if (cases[i].msg) {
            if (!rc || !strstr(err.msg, cases[i].msg))
                FAILF("case %zu: '%s' does not contain '%s'", i, err.msg, cases[i].msg);
            continue;
        }
        if (rc) {
            FAILF("case %zu: %s", i, err.msg);
            continue;
        }
        CHECK_EQ_INT(c.src_bytes, cases[i].src_bytes);
        CHECK_NEAR(c.src_bpp, (double)cases[i].src_bytes / (224.0 * 224.0), 1e-12);
        CHECK_NEAR(c.cpu_ops, cases[i].ops, 0);
    }
    /* formats: channels and source bytes per pixel */
    npu_aipp a;
    npu_aipp_cost c;
    npu_err err = {0};
    const char *t = "aipp_op { input_format : YUV420SP_U8 }";
    CHECK(npu_aipp_parse("t.cfg", t, strlen(t), &a, &err) == 0 &&
          npu_aipp_cost_of(&a, g, false, &c, &err) == 0 && c.src_bytes == 224 * 224 * 3 / 2);
    t = "aipp_op { input_format : XRGB8888_U8 }";
    CHECK(npu_aipp_parse("t.cfg", t, strlen(t), &a, &err) == 0 &&
          npu_aipp_cost_of(&a, g, false, &c, &err) == 0 && c.src_bytes == 224 * 224 * 4);
    t = "aipp_op { input_format : YUV400_U8 }";
    CHECK(npu_aipp_parse("t.cfg", t, strlen(t), &a, &err) == 0 &&
          npu_aipp_cost_of(&a, g1, false, &c, &err) == 0 && c.src_bytes == 224 * 224);
    CHECK(npu_aipp_cost_of(&a, g, false, &c, &err) != 0 && strstr(err.msg, "gives 1 channel"));
    t = "aipp_op { input_format : YUV400_U8\n csc_switch : true }";
    CHECK(npu_aipp_parse("t.cfg", t, strlen(t), &a, &err) == 0 &&
          npu_aipp_cost_of(&a, g1, false, &c, &err) != 0 && strstr(err.msg, "t.cfg:2: csc_switch"));
    t = "aipp_op { input_format : YUV400_U8\n rbuv_swap_switch : true }";
    CHECK(npu_aipp_parse("t.cfg", t, strlen(t), &a, &err) == 0 &&
          npu_aipp_cost_of(&a, g1, false, &c, &err) != 0 && strstr(err.msg, "nothing to swap"));
    t = "aipp_op { input_format : YUV420SP_U8\n src_image_size_w : 225 }";
    CHECK(npu_aipp_parse("t.cfg", t, strlen(t), &a, &err) == 0 &&
          npu_aipp_cost_of(&a, g, false, &c, &err) != 0 && strstr(err.msg, "even"));
    t = "aipp_op { input_format : YUV420SP_U8\n src_image_size_w : 640 src_image_size_h : 480 "
        "crop : true load_start_pos_w : 3 crop_size_w : 224 crop_size_h : 224 }";
    CHECK(npu_aipp_parse("t.cfg", t, strlen(t), &a, &err) == 0 &&
          npu_aipp_cost_of(&a, g, false, &c, &err) != 0 && strstr(err.msg, "even positions"));
    npu_graph_free(g);
    npu_graph_free(g1);
}

static npu_result *run(npu_ctx *ctx, const char *aipp, const char *set)
{
    npu_err err = {0};
    npu_arch *a = npu_arch_open(ctx, "hi3519dv500", &err);
    npu_graph *g = a ? npu_load_graph(ctx, "resnet50", NULL, &err) : NULL;
    npu_result *r = NULL;
    if (g && (!set || npu_arch_set_kv(a, set, &err) == 0) &&
        (!aipp || npu_arch_aipp(a, g, aipp, &err) == 0))
        r = npu_run(ctx, a, g, NULL, &err);
    if (!r)
        FAILF("%s", err.msg);
    npu_graph_free(g);
    npu_arch_free(a);
    return r;
}

/* The Hi3519DV500 deployment flow (YUV420SP in, CSC on, mean/var): AIPP on the core reads the
 * 1.5 B/pixel frame in conv1's load instead of the CPU's fp16 image; on the CPU it costs the
 * CSC and the normalisation (9 ops per element, the preset's default is 8). */
TEST(hi3519dv500_example)
{
    npu_ctx *ctx = npu_ctx_new();
    const char *cfg = "tests/aipp/hi3519dv500_yuv.cfg";
    npu_result *none = run(ctx, NULL, NULL);             /* preset: aipp=cpu, default ops */
    npu_result *core = run(ctx, cfg, NULL);              /* ATC's AIPP fused into conv1   */
    npu_result *cpu = run(ctx, cfg, "aipp=cpu");         /* the config on the host        */
    npu_result *crop = run(ctx, "tests/aipp/crop_pad.cfg", NULL);
    if (none && core && cpu && crop) {
        CHECK_STR(core->layers[0].name, "conv1");
        CHECK(core->layers[0].dram_rd_bytes < none->layers[0].dram_rd_bytes);
        CHECK(core->layers[0].cycles < none->layers[0].cycles);
        CHECK(cpu->total.cycles > none->total.cycles); /* 9 ops per element against 8 */
        /* crop_pad reads a 208x208 window: fewer source bytes than the full frame */
        CHECK(crop->layers[0].dram_rd_bytes < core->layers[0].dram_rd_bytes);
        /* the load's source bytes per model pixel (conv1's tiles re-read their halo rows,
         * so its DRAM bytes scale with it rather than equal the window) */
        CHECK_NEAR(npu_params_float(crop->params, "aipp_src_bpp"),
                   208.0 * 208.0 * 1.5 / (224.0 * 224.0), 1e-6);
        CHECK_NEAR(npu_params_float(core->params, "aipp_src_bpp"), 1.5, 0);
        CHECK_NEAR(npu_params_float(cpu->params, "aipp_cpu_ops"), 9, 0);
        CHECK_STR(npu_params_str(core->params, "aipp"), "core");
    }
    npu_result_free(none);
    npu_result_free(core);
    npu_result_free(cpu);
    npu_result_free(crop);
    /* not a DaVinci arch: the error points at RKNN's counterpart */
    npu_err err = {0};
    npu_arch *a = npu_arch_open(ctx, "rk3588", &err);
    npu_graph *g = npu_load_graph(ctx, "resnet50", NULL, &err);
    CHECK(a && g && npu_arch_aipp(a, g, cfg, &err) != 0 && strstr(err.msg, "RKNN folds"));
    npu_graph_free(g);
    npu_arch_free(a);
    npu_ctx_free(ctx);
}

int main(void)
{
    RUN(every_field);
    RUN(parse_errors);
    RUN(costs_and_checks);
    RUN(hi3519dv500_example);
    return TEST_REPORT();
}
