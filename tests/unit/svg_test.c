/* svg_test.c — sim/report/svg.c: every chart kind on hand-made data. Checks that documents are
 * complete and well formed at the level we can check without an XML parser (balanced
 * elements we open, no raw '<' '&' from data), that hostile names are escaped, that output is
 * deterministic, that the geometry is where the numbers say (bar widths, roofline ridge), and
 * that bad input is one clear error.
 * With SVG_TEST_OUT=dir set, the charts are also written there to be looked at. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "report/svg.h"

static npu_result *make_result(int n)
{
    npu_result *r = npu_result_new();
    r->arch = "test_arch";
    r->model = "systolic";
    r->graph = "net<&\">";
    r->freq_mhz = 1000;
    r->peak_macs = 256;
    r->dram_bytes_per_cycle = 16; /* ridge at 16 MAC/B */
    r->nlayers = n;
    r->layers = npu_arena_alloc(&r->arena, sizeof *r->layers * (size_t)n);
    int64_t t = 0;
    for (int i = 0; i < n; i++) {
        npu_layer_row *L = &r->layers[i];
        char nm[64];
        if (i == 0)
            snprintf(nm, sizeof nm, "a<b&c\"d'e");
        else if (i == 1)
            snprintf(nm, sizeof nm, "a_very_long_layer_name_that_goes_on_and_on_and_on_%d", i);
        else
            snprintf(nm, sizeof nm, "layer%d", i);
        L->index = i;
        L->name = npu_arena_strdup(&r->arena, nm);
        L->op = i % 5 == 4 ? "softmax" : "conv";
        L->engine = i % 5 == 4 ? "cpu" : "CMAC";
        L->dtype = "int8";
        L->macs = i % 5 == 4 ? 0 : (int64_t)(1000 + 997 * (i % 13)) * 16;
        L->compute_cycles = 1000 + 37 * (i % 11);
        L->mem_stall_cycles = (i % 3) * 400;
        L->ctrl_stall_cycles = (i % 4) * 150;
        L->host_cycles = (i % 4) * 100;
        L->cycles = L->compute_cycles + L->mem_stall_cycles + L->ctrl_stall_cycles;
        L->start = t;
        L->end = t + L->cycles;
        L->share_cycles = L->cycles; /* back to back: each layer's share is its window */
        t = L->end;
        L->dram_rd_bytes = 4000 + 3000 * (i % 7);
        L->dram_wr_bytes = 1000;
        L->util = (double)L->macs / ((double)L->cycles * r->peak_macs);
        L->bound = i % 3 == 2 ? "memory" : i % 5 == 4 ? "host" : "compute";
    }
    r->total.cycles = t;
    r->total.time_us = (double)t / 1000;
    r->total.fps = 1e6 / r->total.time_us;
    return r;
}

static int count(const char *h, const char *n)
{
    int c = 0;
    for (const char *p = strstr(h, n); p; p = strstr(p + 1, n))
        c++;
    return c;
}

/* Well-formedness checks that need no parser: one root, our elements balanced, every '<' starts
 * a tag we know and every '&' an entity. */
static void check_doc(const char *s)
{
    CHECK(!strncmp(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg ", 44));
    size_t n = strlen(s);
    CHECK(n > 7 && !strcmp(s + n - 7, "</svg>\n"));
    CHECK_EQ_INT(count(s, "<svg"), 1);
    CHECK_EQ_INT(count(s, "<text"), count(s, "</text>"));
    CHECK_EQ_INT(count(s, "<title>"), count(s, "</title>"));
    CHECK_EQ_INT(count(s, "<g"), count(s, "</g>"));
    CHECK(!strstr(s, "<script"));
    CHECK(!strstr(s, "href"));
    CHECK(!strstr(s, "nan"));
    for (const char *p = strstr(s, "inf"); p; p = strstr(p + 1, "inf"))
        CHECK(p[3] == 'e'); /* "inferences/s" is a word, "inf" a number that went wrong */
    for (const char *p = strchr(s, '&'); p; p = strchr(p + 1, '&'))
        CHECK(!strncmp(p, "&amp;", 5) || !strncmp(p, "&lt;", 4) || !strncmp(p, "&gt;", 4) ||
              !strncmp(p, "&quot;", 6) || !strncmp(p, "&#39;", 5));
    for (const char *p = strchr(s, '<'); p; p = strchr(p + 1, '<')) {
        static const char *const ok[] = {"<?xml", "<svg", "</svg", "<title", "</title", "<rect",
                                         "</rect", "<text", "</text", "<tspan", "</tspan",
                                         "<line", "<polyline", "<circle", "</circle", "<g",
                                         "</g", "<clipPath", "</clipPath", NULL};
        int good = 0;
        for (int i = 0; ok[i] && !good; i++)
            good = !strncmp(p, ok[i], strlen(ok[i]));
        if (!good)
            FAILF("unexpected tag at: %.30s", p);
    }
}

static void save(const char *name, const npu_strbuf *sb)
{
    const char *dir = getenv("SVG_TEST_OUT");
    if (!dir)
        return;
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    npu_err err = {0};
    if (npu_write_file(path, sb->s, sb->len, 1, &err))
        printf("  (could not write %s: %s)\n", path, err.msg);
}

TEST(layers_chart)
{
    npu_result *r = make_result(120);
    npu_strbuf a, b;
    npu_sb_init(&a);
    npu_sb_init(&b);
    npu_err err = {0};
    CHECK_EQ_INT(npu_svg_layers(r, NULL, &a, &err), 0);
    CHECK_EQ_INT(npu_svg_layers(r, NULL, &b, &err), 0);
    CHECK(a.len == b.len && !memcmp(a.s, b.s, a.len)); /* deterministic */
    check_doc(a.s);
    /* the hostile name and graph name escaped; the long one (51 characters) drawn whole */
    CHECK_CONTAINS(a.s, "a&lt;b&amp;c&quot;d&#39;e");
    CHECK(!strstr(a.s, "a<b"));
    CHECK_CONTAINS(a.s, "net&lt;&amp;&quot;&gt;");
    CHECK_CONTAINS(a.s, "</title>a_very_long_layer_name_that_goes_on_and_on_and_on_1</text>");
    /* µs at the result's clock: the axis, the subtitle, the bar labels */
    CHECK_CONTAINS(a.s, "time of the run charged to the layer, \xC2\xB5s (share_cycles at 1000 MHz)");
    CHECK_CONTAINS(a.s, " \xC2\xB5s at 1000 MHz");
    CHECK_CONTAINS(a.s, ">1.56 \xC2\xB5s compute<"); /* layer3: 1561 cycles */
    /* one label per layer, legend of the four parts */
    CHECK_EQ_INT(count(a.s, "text-anchor=\"end\"><title>"), 120);
    CHECK_CONTAINS(a.s, ">compute<");
    CHECK_CONTAINS(a.s, ">memory stall<");
    CHECK_CONTAINS(a.s, ">control stall<");
    CHECK_CONTAINS(a.s, ">host (CPU/MCU)<");
    /* layer 3: compute 1111, mem 0, ctrl 450 of which host 300 → host 300 + control 150 */
    CHECK_CONTAINS(a.s, "layer3: compute 1111 cycles (71.2%)");
    CHECK_CONTAINS(a.s, "layer3: host 300 cycles (19.2%)");
    CHECK_CONTAINS(a.s, "layer3: control stall 150 cycles (9.6%)");
    /* a CPU fallback layer's busy time is drawn as host compute */
    CHECK_CONTAINS(a.s, "layer4: host compute 1148 cycles");
    /* widths: longest bar 2620 cycles → x scale 0..3000 over 640 px; layer3's compute bar
     * 1111 cycles = 237.01 px */
    CHECK_CONTAINS(a.s, "width=\"237.01\" height=\"11.0\" fill=\"#0072B2\"><title>layer3: compute");
    save("layers.svg", &a);
    npu_sb_free(&a);
    npu_sb_free(&b);
    npu_result_free(r);
}

/* Long charts are capped, long names cut in the middle and kept distinct (issue 15). */
TEST(layers_long)
{
    npu_result *r = make_result(400);
    /* two 90-character names that differ only at the end */
    char n1[128], n2[128];
    snprintf(n1, sizeof n1, "model.decoder.layers.%s.self_attn.q_proj.A", "0123456789012345678901234567890123456789");
    snprintf(n2, sizeof n2, "model.decoder.layers.%s.self_attn.q_proj.B", "0123456789012345678901234567890123456789");
    r->layers[7].name = n1;
    r->layers[8].name = n2;
    r->layers[7].share_cycles = r->layers[8].share_cycles = 100000; /* among the largest */
    npu_strbuf a;
    npu_sb_init(&a);
    npu_err err = {0};
    CHECK_EQ_INT(npu_svg_layers(r, NULL, &a, &err), 0);
    check_doc(a.s);
    /* 150 bars of 400, in layer order, and a row saying what was left out */
    CHECK_EQ_INT(count(a.s, "text-anchor=\"end\"><title>"), 150);
    CHECK_CONTAINS(a.s, "250 more layers with smaller shares");
    CHECK_CONTAINS(a.s, "the 150 largest are; CSV/JSON have every layer");
    /* cut in the middle with an ellipsis, the distinguishing tails kept */
    CHECK_CONTAINS(a.s, "\xE2\x80\xA6");
    CHECK(strstr(a.s, "q_proj.A</text>") != NULL);
    CHECK(strstr(a.s, "q_proj.B</text>") != NULL);
    CHECK(!strstr(a.s, "</title>model.decoder.layers.0123456789012345678901234567890123456789"));
    save("layers_long.svg", &a);
    npu_sb_free(&a);
    npu_result_free(r);
}

TEST(roofline_chart)
{
    npu_result *r = make_result(30);
    npu_strbuf a;
    npu_sb_init(&a);
    npu_err err = {0};
    CHECK_EQ_INT(npu_svg_roofline(r, "Roofline <test>", &a, &err), 0);
    check_doc(a.s);
    CHECK_CONTAINS(a.s, "Roofline &lt;test&gt;");
    CHECK_CONTAINS(a.s, "ridge 16 MAC/B");
    CHECK_CONTAINS(a.s, "compute roof 256 MAC/cycle");
    /* 24 layers have MACs (every 5th has none) */
    CHECK_EQ_INT(count(a.s, "<circle cx") - 1 /* ridge marker */ - 4 /* legend */, 24);
    CHECK_CONTAINS(a.s, "24 of 30 layers drawn");
    /* layer2: 2994*16 MACs, 11000 B, 1074+800+300 cycles */
    CHECK_CONTAINS(a.s, "layer2 (conv): 4.35 MAC/B, 22.03 MAC/cycle, util 8.6%");
    save("roofline.svg", &a);
    /* no clock (a hand-made result): no GOPS factor, no NaN anywhere */
    r->freq_mhz = 0;
    r->total.time_us = NAN;
    r->layers[3].util = NAN;
    npu_sb_free(&a);
    npu_sb_init(&a);
    CHECK_EQ_INT(npu_svg_roofline(r, NULL, &a, &err), 0);
    check_doc(a.s);
    CHECK_CONTAINS(a.s, ">achieved MAC/cycle<");
    npu_sb_free(&a);
    npu_sb_init(&a);
    CHECK_EQ_INT(npu_svg_layers(r, NULL, &a, &err), 0);
    check_doc(a.s);
    /* without peak or bandwidth: points only, and said so */
    r->peak_macs = 0;
    npu_sb_free(&a);
    npu_sb_init(&a);
    CHECK_EQ_INT(npu_svg_roofline(r, NULL, &a, &err), 0);
    check_doc(a.s);
    CHECK_CONTAINS(a.s, "roofs not drawn");
    npu_sb_free(&a);
    npu_result_free(r);
}

TEST(sweep_chart)
{
    double x[] = {32, 64, 128, 256, 512};
    double y1[] = {100, 190, 350, 600, 700}, y2[] = {90, 170, NAN, 500, 520};
    npu_svg_series s[] = {{"cbuf_kb = 128", 5, x, y1}, {"cbuf_kb = <256>", 5, x, y2}};
    npu_svg_axes ax = {"fps vs MACs", "MACs", "fps", 1, 0, NULL, 0};
    npu_strbuf a;
    npu_sb_init(&a);
    npu_err err = {0};
    CHECK_EQ_INT(npu_svg_sweep(&ax, s, 2, &a, &err), 0);
    check_doc(a.s);
    CHECK_CONTAINS(a.s, "cbuf_kb = &lt;256&gt;");
    CHECK_EQ_INT(count(a.s, "<polyline"), 3); /* the NaN splits series 2 */
    CHECK_EQ_INT(count(a.s, "<circle"), 9);
    CHECK_CONTAINS(a.s, "cbuf_kb = 128: MACs = 256, fps = 600</title>");
    save("sweep.svg", &a);
    npu_sb_free(&a);
    /* a legend title: bold above the entries, and in each tooltip */
    npu_svg_series s2[] = {{"128", 5, x, y1}, {"256", 5, x, y2}};
    ax.legend = "cbuf_kib";
    npu_sb_init(&a);
    CHECK_EQ_INT(npu_svg_sweep(&ax, s2, 2, &a, &err), 0);
    CHECK_CONTAINS(a.s, "font-weight=\"bold\">cbuf_kib</text>");
    CHECK_CONTAINS(a.s, "cbuf_kib = 256: MACs = 512, fps = 520</title>");
    check_doc(a.s);
    npu_sb_free(&a);
    /* the automatic axis: a decade or more, not evenly spaced → logarithmic */
    double lin10[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, dec[] = {1, 10}, nar[] = {16, 32, 64, 128};
    double gbps[] = {0.5, 1, 2, 4, 8, 16, 32, 64}, neg[] = {-1, 10, 100}, wnan[] = {1, NAN, 100};
    CHECK_EQ_INT(npu_svg_auto_log(x, 5), 1);      /* 32 .. 512 */
    CHECK_EQ_INT(npu_svg_auto_log(gbps, 8), 1);
    CHECK_EQ_INT(npu_svg_auto_log(dec, 2), 1);
    CHECK_EQ_INT(npu_svg_auto_log(wnan, 3), 1);
    CHECK_EQ_INT(npu_svg_auto_log(lin10, 10), 0); /* evenly spaced */
    CHECK_EQ_INT(npu_svg_auto_log(nar, 4), 0);    /* 8x: less than a decade */
    CHECK_EQ_INT(npu_svg_auto_log(neg, 3), 0);
    CHECK_EQ_INT(npu_svg_auto_log(NULL, 0), 0);
    npu_svg_axes au = {"auto", "MACs", "fps", NPU_SVG_LOG_AUTO, NPU_SVG_LOG_AUTO, NULL, 0};
    npu_sb_init(&a);
    CHECK_EQ_INT(npu_svg_sweep(&au, s, 2, &a, &err), 0);
    check_doc(a.s);
    CHECK_CONTAINS(a.s, ">32</text>"); /* log x: a tick at each swept value */
    CHECK(!strstr(a.s, ">300</text>"));
    npu_sb_free(&a);
    double xl[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, yl[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    npu_svg_series sl = {"", 10, xl, yl};
    npu_sb_init(&a);
    CHECK_EQ_INT(npu_svg_sweep(&au, &sl, 1, &a, &err), 0);
    CHECK(!strstr(a.s, ">3</text>")); /* linear: nice ticks 0, 2, 4 … */
    CHECK_CONTAINS(a.s, ">4</text>");
    npu_sb_free(&a);
    /* errors */
    npu_sb_init(&a);
    double bad[] = {0, 1};
    npu_svg_series sb1 = {"x", 2, bad, bad};
    CHECK_EQ_INT(npu_svg_sweep(&ax, &sb1, 1, &a, &err), NPU_EINVAL);
    CHECK_CONTAINS(err.msg, "logarithmic axis needs values > 0");
    CHECK_EQ_INT(npu_svg_sweep(&ax, s, 0, &a, &err), NPU_EINVAL);
    double nn[] = {NAN};
    npu_svg_series sb2 = {"x", 1, nn, nn};
    CHECK_EQ_INT(npu_svg_sweep(NULL, &sb2, 1, &a, &err), NPU_EINVAL);
    CHECK_CONTAINS(err.msg, "no finite point");
    npu_sb_free(&a);
}

TEST(heatmap_chart)
{
    const char *xl[] = {"64", "256", "1024"}, *yl[] = {"128 KiB", "256 KiB"};
    double z[] = {10, 30, 50, 12, 35, NAN};
    npu_svg_axes ax = {"fps", "MACs", "CBUF", 0, 0, NULL, 0};
    npu_strbuf a;
    npu_sb_init(&a);
    npu_err err = {0};
    CHECK_EQ_INT(npu_svg_heatmap(&ax, "fps", NPU_SVG_HIGHER_BETTER, 3, xl, 2, yl, z, &a, &err), 0);
    check_doc(a.s);
    CHECK_CONTAINS(a.s, "MACs = 1024, CBUF = 128 KiB: fps = 50</title>");
    CHECK_CONTAINS(a.s, "fill=\"#440154\""); /* the best (50) is the darkest */
    CHECK_CONTAINS(a.s, "fill=\"#fde725\""); /* the worst (10) the palest */
    CHECK_CONTAINS(a.s, "stroke=\"#D55E00\" stroke-width=\"3\""); /* best outlined */
    save("heatmap.svg", &a);
    npu_sb_free(&a);
    npu_sb_init(&a);
    CHECK_EQ_INT(npu_svg_heatmap(&ax, "cycles", 0, 3, xl, 2, yl, z, &a, &err), 0);
    CHECK_CONTAINS(a.s, "fill=\"#fde725\""); /* now 50 is the worst */
    npu_sb_free(&a);
    /* best per row: 10 and 12 outlined; values over 100x: log colours (10, 1000, 100000 → the
     * middle value 1000 at t = 0.5 of a log scale; pale-to-dark stop 2 is #21918c) */
    double z2[] = {10, 1000, 100000, 12, 35, NAN};
    npu_sb_init(&a);
    CHECK_EQ_INT(npu_svg_heatmap(&ax, "cycles", NPU_SVG_BEST_PER_ROW, 3, xl, 2, yl, z2, &a, &err), 0);
    CHECK_EQ_INT(count(a.s, "stroke=\"#D55E00\" stroke-width=\"3\""), 2);
    CHECK_CONTAINS(a.s, "logarithmic colour scale");
    CHECK_CONTAINS(a.s, "fill=\"#21918c\" stroke=\"#ffffff\"><title>MACs = 256, CBUF = 128 KiB");
    check_doc(a.s);
    npu_sb_free(&a);
    npu_sb_init(&a);
    CHECK_EQ_INT(npu_svg_heatmap(&ax, "fps", NPU_SVG_HIGHER_BETTER, 0, xl, 2, yl, z, &a, &err), NPU_EINVAL);
    npu_sb_free(&a);
}

/* Gives every layer of make_result an energy split (µJ): layer i has MAC 1 + i%3, buffers 0.5,
 * DRAM i%4, control 0.1, host 2 on every 5th layer, static 1. */
static void add_energy(npu_result *r)
{
    for (int i = 0; i < r->nlayers; i++) {
        npu_layer_row *L = &r->layers[i];
        L->e_mac_uj = 1 + i % 3;
        L->e_buf_uj = 0.5;
        L->e_dram_uj = i % 4;
        L->e_ctrl_uj = 0.1;
        L->e_host_uj = i % 5 == 4 ? 2 : 0;
        L->e_static_uj = 1;
        L->energy_uj = L->e_mac_uj + L->e_buf_uj + L->e_dram_uj + L->e_ctrl_uj + L->e_host_uj +
                       L->e_static_uj;
    }
}

/* Sum of the widths of the bar segments whose hover title starts with "<name>: " */
static double bar_width(const char *s, const char *name)
{
    char key[96];
    snprintf(key, sizeof key, "\"><title>%s: ", name);
    double w = 0;
    for (const char *p = strstr(s, key); p; p = strstr(p + 1, key)) {
        const char *q = p;
        while (q > s && strncmp(q, "width=\"", 7))
            q--;
        if (q - p < -80 || strncmp(q, "width=\"", 7) || !strstr(q, "height=\"11.0\" fill=") ||
            strstr(q, "height=\"11.0\" fill=") > p)
            continue; /* the value text, not a segment */
        w += atof(q + 7);
    }
    return w;
}

TEST(energy_chart)
{
    npu_result *r = make_result(120);
    add_energy(r);
    npu_strbuf a, b;
    npu_sb_init(&a);
    npu_sb_init(&b);
    npu_err err = {0};
    CHECK_EQ_INT(npu_svg_energy(r, NULL, &a, &err), 0);
    CHECK_EQ_INT(npu_svg_result(r, NPU_SVG_ENERGY, NULL, &b, &err), 0);
    CHECK(a.len == b.len && !memcmp(a.s, b.s, a.len));
    check_doc(a.s);
    CHECK_CONTAINS(a.s, "Per-layer energy: net&lt;&amp;&quot;&gt; on test_arch");
    CHECK_CONTAINS(a.s, "a&lt;b&amp;c&quot;d&#39;e");
    CHECK_CONTAINS(a.s, "</title>a_very_long_layer_name_that_goes_on_and_on_and_on_1</text>");
    /* one bar group (a label and a total) per layer; legend with the six classes */
    CHECK_EQ_INT(count(a.s, "text-anchor=\"end\"><title>"), 120);
    CHECK_EQ_INT(count(a.s, "% of the run</title>"), 120);
    static const char *const cls[] = {">MAC ", ">buffers ", ">DRAM ", ">control ", ">host ",
                                      ">static "};
    for (int c = 0; c < 6; c++)
        CHECK_CONTAINS(a.s, cls[c]);
    /* layer3: MAC 1, buffers 0.5, DRAM 3, control 0.1, static 1 = 5.6 µJ; no host part */
    CHECK_CONTAINS(a.s, "layer3: DRAM 3 \xC2\xB5J (53.6%)");
    CHECK_CONTAINS(a.s, "layer3: 5.6 \xC2\xB5J, ");
    CHECK_CONTAINS(a.s, ">5.60 \xC2\xB5J</text>");
    CHECK(!strstr(a.s, "layer3: host"));
    CHECK_CONTAINS(a.s, "layer4: host 2 \xC2\xB5J");
    /* the segments of a bar sum to the layer's energy: every bar has the same pixels per µJ
     * (scale 0..10 µJ over 640 px → 64 px/µJ; the largest, layer59: 3+0.5+3+0.1+2+1 = 9.6) */
    const char *nm[] = {"layer3", "layer4", "layer5", "layer6", "layer7", "layer19"};
    double tot[] = {5.6, 5.6, 5.6, 4.6, 6.6, 8.6};
    for (int i = 0; i < 6; i++)
        CHECK_NEAR(bar_width(a.s, nm[i]), 64 * tot[i], 0.02);
    save("energy.svg", &a);
    npu_sb_free(&a);
    npu_sb_free(&b);
    npu_result_free(r);

    /* long charts: the 150 layers with the most energy, a last row for the rest */
    r = make_result(400);
    add_energy(r);
    npu_sb_init(&a);
    CHECK_EQ_INT(npu_svg_energy(r, NULL, &a, &err), 0);
    check_doc(a.s);
    CHECK_EQ_INT(count(a.s, "text-anchor=\"end\"><title>"), 150);
    CHECK_CONTAINS(a.s, "250 more layers with less energy");
    npu_sb_free(&a);
    npu_result_free(r);

    /* a result without energy is one clear error */
    r = make_result(3);
    npu_sb_init(&a);
    CHECK_EQ_INT(npu_svg_energy(r, NULL, &a, &err), NPU_EINVAL);
    CHECK_CONTAINS(err.msg, "no energy");
    npu_sb_free(&a);
    npu_result_free(r);
}

TEST(pareto_front)
{
    /* lower is better on both: (0.5,9) (1,5) (2,3) twice and (4,1) are on the front; (1,6) has
     * the x of (1,5) and more y, (3,3) the y of (2,3) and more x, (5,1) the y of (4,1), (6,8)
     * is beaten on both; NaN is never on it */
    double x[] = {3, 1, 2, 0.5, 5, 2, 4, 1, NAN, 6};
    double y[] = {3, 5, 3, 9, 1, 3, 1, 6, 0, 8};
    const char want[] = {0, 1, 1, 1, 0, 1, 1, 0, 0, 0};
    char f[10];
    CHECK_EQ_INT(npu_svg_pareto_front(x, y, 10, f), 5);
    for (int i = 0; i < 10; i++)
        if (f[i] != want[i])
            FAILF("point %d (%g, %g): front %d, want %d", i, x[i], y[i], f[i], want[i]);
    /* one point is its own front; no finite point, no front */
    CHECK_EQ_INT(npu_svg_pareto_front(x + 1, y + 1, 1, f), 1);
    CHECK_EQ_INT(f[0], 1);
    CHECK_EQ_INT(npu_svg_pareto_front(x + 8, y + 8, 1, f), 0);
    CHECK_EQ_INT(f[0], 0);
    /* equal x, the lower y wins alone; equal y, the lower x wins alone */
    double ex[] = {2, 2, 1, 3}, ey[] = {4, 2, 7, 2};
    CHECK_EQ_INT(npu_svg_pareto_front(ex, ey, 4, f), 2);
    CHECK(f[1] && f[2] && !f[0] && !f[3]);

    /* the chart: front outlined and joined, series coloured, hover labels */
    npu_svg_design d[10];
    for (int i = 0; i < 10; i++)
        d[i] = (npu_svg_design){x[i], y[i], i % 2, i == 3 ? "tiny <design>" : NULL};
    const char *sn[] = {"even", "odd"};
    npu_svg_axes ax = {"Energy vs latency", "time_us (us)", "energy_uj (uJ)", 0, 0, "parity", 0};
    npu_strbuf a, b;
    npu_sb_init(&a);
    npu_sb_init(&b);
    npu_err err = {0};
    CHECK_EQ_INT(npu_svg_pareto(&ax, d, 10, sn, 2, &a, &err), 0);
    CHECK_EQ_INT(npu_svg_pareto(&ax, d, 10, sn, 2, &b, &err), 0);
    CHECK(a.len == b.len && !memcmp(a.s, b.s, a.len));
    check_doc(a.s);
    CHECK_EQ_INT(count(a.s, ", on the Pareto front</title>"), 5);
    CHECK_EQ_INT(count(a.s, ", dominated</title>"), 4); /* the NaN design is not drawn */
    CHECK_CONTAINS(a.s, "9 designs, 5 on the Pareto front");
    CHECK_CONTAINS(a.s, ">Pareto front (5)<");
    CHECK_CONTAINS(a.s, "tiny &lt;design&gt; (parity = odd): time_us (us) = 0.5, energy_uj (uJ) = 9");
    CHECK_CONTAINS(a.s, "design 2 (parity = odd): time_us (us) = 1, energy_uj (uJ) = 5, on the");
    CHECK_CONTAINS(a.s, ">parity<");
    CHECK_CONTAINS(a.s, ">even<");
    /* the step line: 5 front points → 5 + 4 corners */
    const char *pl = strstr(a.s, "<polyline fill=\"none\" stroke=\"#000000\"");
    CHECK(pl != NULL);
    if (pl) {
        int np = 0;
        for (const char *p = strstr(pl, "points=\"") + 8; *p != '"'; p++)
            np += *p == ',';
        CHECK_EQ_INT(np, 9);
    }
    save("pareto.svg", &a);
    npu_sb_free(&a);
    npu_sb_free(&b);
    /* a latency bound: x <= 2.5 leaves (1,5) (2,3) (0.5,9) (2,3) (1,6); the least y is 3, the
     * first of the tie (design 3) is ringed; a bound below every x names none */
    npu_sb_init(&a);
    ax.xbound = 2.5;
    CHECK_EQ_INT(npu_svg_pareto(&ax, d, 10, sn, 2, &a, &err), 0);
    check_doc(a.s);
    CHECK_CONTAINS(a.s, ">bound 2.5<");
    CHECK_CONTAINS(a.s, "best within the bound: design 3<");
    CHECK_EQ_INT(count(a.s, "r=\"10\" fill=\"none\" stroke=\"#c0392b\""), 1);
    save("pareto_bound.svg", &a);
    npu_sb_free(&a);
    npu_sb_init(&a);
    ax.xbound = 0.1;
    CHECK_EQ_INT(npu_svg_pareto(&ax, d, 10, sn, 2, &a, &err), 0);
    CHECK_CONTAINS(a.s, "; none within the bound");
    CHECK(strstr(a.s, "within the bound: design") == NULL);
    npu_sb_free(&a);
    ax.xbound = 0;
    /* one design; a log axis with a value <= 0; nothing finite */
    npu_sb_init(&a);
    CHECK_EQ_INT(npu_svg_pareto(NULL, d + 1, 1, NULL, 0, &a, &err), 0);
    CHECK_CONTAINS(a.s, "1 designs, 1 on the Pareto front");
    npu_sb_free(&a);
    npu_sb_init(&a);
    d[0].y = 0;
    ax.logy = 1;
    CHECK_EQ_INT(npu_svg_pareto(&ax, d, 10, sn, 2, &a, &err), NPU_EINVAL);
    CHECK_CONTAINS(err.msg, "logarithmic");
    CHECK_EQ_INT(npu_svg_pareto(NULL, d + 8, 1, NULL, 0, &a, &err), NPU_EINVAL);
    npu_sb_free(&a);
}

TEST(plot_arg_and_bad_input)
{
    npu_svg_kind k;
    const char *p;
    npu_err err = {0};
    CHECK_EQ_INT(npu_svg_plot_arg("out.svg", &k, &p, &err), 0);
    CHECK(k == NPU_SVG_LAYERS && !strcmp(p, "out.svg"));
    CHECK_EQ_INT(npu_svg_plot_arg("roofline:r.svg", &k, &p, &err), 0);
    CHECK(k == NPU_SVG_ROOFLINE && !strcmp(p, "r.svg"));
    CHECK_EQ_INT(npu_svg_plot_arg("layers:dir/x:y.svg", &k, &p, &err), 0);
    CHECK(k == NPU_SVG_LAYERS && !strcmp(p, "dir/x:y.svg"));
    CHECK_EQ_INT(npu_svg_plot_arg("c:/x.svg", &k, &p, &err), 0); /* not a kind: a path */
    CHECK(k == NPU_SVG_LAYERS && !strcmp(p, "c:/x.svg"));
    CHECK_EQ_INT(npu_svg_plot_arg("roofline:", &k, &p, &err), NPU_EINVAL);
    CHECK_EQ_INT(npu_svg_plot_arg("heatmap:h.svg", &k, &p, &err), NPU_EINVAL);
    CHECK_CONTAINS(err.msg, "needs sweep data");
    CHECK_EQ_INT(npu_svg_plot_arg("energy:e.svg", &k, &p, &err), 0);
    CHECK(k == NPU_SVG_ENERGY && !strcmp(p, "e.svg"));
    CHECK_EQ_INT(npu_svg_plot_arg("pareto:p.svg", &k, &p, &err), NPU_EINVAL);
    CHECK_EQ_INT(npu_svg_kind_parse("pareto", &k), 0);
    CHECK(k == NPU_SVG_PARETO && !strcmp(npu_svg_kind_name(k), "pareto"));
    npu_strbuf a;
    npu_sb_init(&a);
    npu_result *r = npu_result_new();
    CHECK_EQ_INT(npu_svg_layers(r, NULL, &a, &err), NPU_EINVAL);
    CHECK_EQ_INT(npu_svg_roofline(r, NULL, &a, &err), NPU_EINVAL);
    CHECK_EQ_INT(npu_svg_result(r, NPU_SVG_SWEEP, NULL, &a, &err), NPU_EINVAL);
    /* host time beyond the control stall comes out of the memory stall of a host-bound layer:
     * layer 1 of a fresh result has compute 1037, memory 400, control 150; with 300 host
     * cycles: host 300 (150 + 150), memory 250, control 0 */
    npu_result_free(r);
    r = make_result(3);
    r->layers[1].name = "h";
    r->layers[1].host_cycles = 300;
    r->layers[1].bound = "host";
    CHECK_EQ_INT(npu_svg_layers(r, NULL, &a, &err), 0);
    CHECK_CONTAINS(a.s, "h: host 300 cycles");
    CHECK_CONTAINS(a.s, "h: memory stall 250 cycles");
    CHECK(!strstr(a.s, "h: control stall"));
    npu_sb_free(&a);
    npu_sb_init(&a);
    /* host time is drawn in full whatever the bound (issue 15: lab 2's chart showed host time
     * for conv1 only): control stall first, then memory stall, then compute */
    r->layers[1].bound = "memory";
    CHECK_EQ_INT(npu_svg_layers(r, NULL, &a, &err), 0);
    CHECK_CONTAINS(a.s, "h: host 300 cycles");
    CHECK_CONTAINS(a.s, "h: memory stall 250 cycles");
    npu_sb_free(&a);
    npu_sb_init(&a);
    r->layers[1].host_cycles = 1400; /* 150 control + 400 memory + 850 of the 1037 compute */
    CHECK_EQ_INT(npu_svg_layers(r, NULL, &a, &err), 0);
    CHECK_CONTAINS(a.s, "h: host 1400 cycles");
    CHECK_CONTAINS(a.s, "h: compute 187 cycles");
    npu_sb_free(&a);
    npu_sb_init(&a);
    /* bars are the additive share, not start→end (issue 15: a tiny rope add of a pipelined
     * decode was drawn at 86 M of a 90 M-cycle run): layer 2 spans the whole run of 10000
     * cycles but its share is 1000; the longest share (layer 0, 9000) sets the scale */
    npu_result_free(r);
    r = make_result(3);
    r->layers[0].start = 0, r->layers[0].end = r->layers[0].cycles = 9000;
    r->layers[0].compute_cycles = 9000, r->layers[0].mem_stall_cycles = 0;
    r->layers[0].ctrl_stall_cycles = 0, r->layers[0].share_cycles = 9000;
    r->layers[1].share_cycles = 0, r->layers[1].cycles = 0, r->layers[1].end = 0;
    r->layers[2].name = "wide";
    r->layers[2].start = 0, r->layers[2].end = r->layers[2].cycles = 10000;
    r->layers[2].compute_cycles = 10000, r->layers[2].mem_stall_cycles = 0;
    r->layers[2].ctrl_stall_cycles = 0, r->layers[2].host_cycles = 0;
    r->layers[2].share_cycles = 1000;
    CHECK_EQ_INT(npu_svg_layers(r, NULL, &a, &err), 0);
    /* scale 0..10000 over 640 px: share 1000 → 64 px (start→end would be 640) */
    CHECK_CONTAINS(a.s, "width=\"64.00\" height=\"11.0\" fill=\"#0072B2\"><title>wide: compute");
    CHECK(strstr(a.s, "wide: compute 10000 cycles (100.0%)"));
    npu_sb_free(&a);
    npu_sb_init(&a);
    /* invalid UTF-8 and control bytes become '?' */
    npu_result_free(r);
    r = make_result(3);
    r->layers[2].name = "bad\xff\x01name\xc3\xa9";
    CHECK_EQ_INT(npu_svg_layers(r, NULL, &a, &err), 0);
    CHECK_CONTAINS(a.s, "bad??name\xc3\xa9");
    npu_sb_free(&a);
    npu_result_free(r);
}

int main(void)
{
    RUN(layers_chart);
    RUN(layers_long);
    RUN(roofline_chart);
    RUN(sweep_chart);
    RUN(heatmap_chart);
    RUN(energy_chart);
    RUN(pareto_front);
    RUN(plot_arg_and_bad_input);
    return TEST_REPORT();
}
