/* program_test.c — the program container: emit, save/load round trip, damaged files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/graph.h"
#include "front/front.h"
#include "isa/davinci.h"
#include "isa/nvdla.h"
#include "isa/program.h"
#include "isa/rknpu.h"
#include "isa/systolic.h"
#include "npusim_int.h"
#include "test.h"

static char dir[256];

static const char *tmp(const char *name)
{
    static char buf[4][512]; /* a few live at once (f and g) */
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static npu_program *sample(void)
{
    npu_program *p = npu_prog_new("systolic", "sys_32", "tiny");
    if (!p)
        return NULL;
    npu_prog_layer l0 = {.name = "conv1",
                         .op = "conv",
                         .dtype = NPU_DT_INT8,
                         .macs = 1000,
                         .in_bytes = 3072,
                         .out_bytes = 16384,
                         .weight_bytes = 432,
                         .engine = "array"};
    npu_prog_layer l1 = {.name = "pool",
                         .op = "maxpool",
                         .dtype = NPU_DT_INT8,
                         .macs = 0,
                         .in_bytes = 16384,
                         .out_bytes = 4096,
                         .weight_bytes = 0,
                         .engine = "cpu"};
    CHECK_EQ_INT(npu_prog_add_layer(p, &l0), 0);
    CHECK_EQ_INT(npu_prog_add_layer(p, &l1), 1);
    uint8_t a[3] = {1, 2, 3};
    uint64_t b = 0x1122334455667788ull;
    uint32_t c[5] = {9, 8, 7, 6, 5};
    CHECK_EQ_INT(npu_prog_emit(p, 7, 1, 0, a, 3), 0);
    CHECK_EQ_INT(npu_prog_emit(p, 8, 2, 0, &b, 8), 1);
    CHECK_EQ_INT(npu_prog_emit(p, 9, 0, -1, NULL, 0), 2);
    for (int i = 0; i < 100; i++)
        npu_prog_emit(p, (uint16_t)(10 + i % 3), 3, 1, c, (uint32_t)(4 * (1 + i % 5)));
    p->params_text = npu_arena_strdup(&p->arena, "cores=1\ndram.gbps=12.5\n");
    return p;
}

static void check_equal(const npu_program *a, const npu_program *b)
{
    CHECK_STR(a->model, b->model);
    CHECK_STR(a->arch, b->arch);
    CHECK_STR(a->graph, b->graph);
    CHECK_STR(a->params_text, b->params_text);
    CHECK_EQ_INT(a->nlayers, b->nlayers);
    CHECK_EQ_INT(a->n, b->n);
    CHECK_EQ_INT(a->dlen, b->dlen);
    if (a->nlayers != b->nlayers || a->n != b->n || a->dlen != b->dlen)
        return;
    for (int i = 0; i < a->nlayers; i++) {
        CHECK_STR(a->layers[i].name, b->layers[i].name);
        CHECK_STR(a->layers[i].op, b->layers[i].op);
        CHECK_STR(a->layers[i].engine, b->layers[i].engine);
        CHECK_EQ_INT(a->layers[i].dtype, b->layers[i].dtype);
        CHECK_EQ_INT(a->layers[i].macs, b->layers[i].macs);
        CHECK_EQ_INT(a->layers[i].in_bytes, b->layers[i].in_bytes);
        CHECK_EQ_INT(a->layers[i].out_bytes, b->layers[i].out_bytes);
        CHECK_EQ_INT(a->layers[i].weight_bytes, b->layers[i].weight_bytes);
    }
    CHECK(a->n == 0 || memcmp(a->ins, b->ins, a->n * sizeof *a->ins) == 0);
    CHECK(a->dlen == 0 || memcmp(a->data, b->data, a->dlen) == 0);
}

TEST(emit_alignment)
{
    npu_program *p = sample();
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++) {
        CHECK_EQ_INT(p->ins[i].off % 8, 0);
        CHECK((uintptr_t)npu_prog_payload(p, i) % 8 == 0);
    }
    CHECK_EQ_INT(p->ins[1].off, 8);
    uint64_t b;
    memcpy(&b, npu_prog_payload(p, 1), 8);
    CHECK(b == 0x1122334455667788ull);
    CHECK_EQ_INT(((const uint8_t *)npu_prog_payload(p, 0))[2], 3);
    CHECK_EQ_INT(p->ins[2].len, 0);
    CHECK_EQ_INT(p->ins[2].layer, -1);
    npu_prog_free(p);
}

TEST(round_trip)
{
    npu_program *p = sample();
    if (!p)
        return;
    npu_err err = {0};
    const char *f = tmp("a.npuc");
    unlink(f);
    CHECK_EQ_INT(npu_prog_save(p, f, 0, &err), 0);
    npu_program *q = npu_prog_load(f, &err);
    CHECK(q != NULL);
    if (q)
        check_equal(p, q);
    /* no overwrite without force */
    CHECK_EQ_INT(npu_prog_save(p, f, 0, &err), NPU_EEXIST);
    CHECK_EQ_INT(npu_prog_save(p, f, 1, &err), 0);
    /* saving the loaded program gives the same bytes */
    if (q) {
        const char *g = tmp("b.npuc");
        unlink(g);
        CHECK_EQ_INT(npu_prog_save(q, g, 0, &err), 0);
        char *x, *y;
        size_t xl, yl;
        if (npu_read_file(f, &x, &xl, &err) == 0 && npu_read_file(g, &y, &yl, &err) == 0) {
            CHECK(xl == yl && memcmp(x, y, xl) == 0);
            free(x);
            free(y);
        }
        unlink(g);
    }
    npu_prog_free(q);
    npu_prog_free(p);

    /* an empty program round-trips too */
    p = npu_prog_new(NULL, NULL, NULL);
    unlink(f);
    CHECK_EQ_INT(npu_prog_save(p, f, 0, &err), 0);
    q = npu_prog_load(f, &err);
    CHECK(q != NULL);
    if (q) {
        check_equal(p, q);
        npu_prog_free(q);
    }
    npu_prog_free(p);
    unlink(f);
}

static int write_bytes(const char *path, const void *d, size_t n)
{
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return -1;
    fwrite(d, 1, n, fp);
    return fclose(fp);
}

TEST(truncated_and_flipped)
{
    npu_program *p = sample();
    if (!p)
        return;
    npu_err err = {0};
    const char *f = tmp("c.npuc");
    unlink(f);
    CHECK_EQ_INT(npu_prog_save(p, f, 0, &err), 0);
    npu_prog_free(p);
    char *orig;
    size_t n;
    if (npu_read_file(f, &orig, &n, &err)) {
        CHECK(0);
        return;
    }
    const char *g = tmp("d.npuc");
    int bad_ok = 0;
    for (size_t cut = 0; cut < n; cut++) {
        write_bytes(g, orig, cut);
        npu_program *q = npu_prog_load(g, &err);
        if (q) {
            FAILF("truncated to %zu bytes but loaded", cut);
            npu_prog_free(q);
        } else if (err.code != NPU_EFORMAT || !strstr(err.msg, g)) {
            FAILF("truncated to %zu: code %d msg %s", cut, err.code, err.msg);
        }
    }
    /* single-bit flips — every bit of the header and the first bytes of the stream, one bit
     * per byte after that — either fail with EFORMAT or (never, given zlib's checksum) load a
     * valid program; they must never crash */
    char *buf = malloc(n);
    int tries = 0;
    for (size_t i = 0; i < n; i++) {
        for (int bit = 0; bit < 8; bit++) {
            if (i >= 48 && bit != (int)(i % 8))
                continue;
            tries++;
            memcpy(buf, orig, n);
            buf[i] ^= (char)(1 << bit);
            write_bytes(g, buf, n);
            npu_program *q = npu_prog_load(g, &err);
            if (q)
                npu_prog_free(q);
            else if (err.code == NPU_EFORMAT)
                bad_ok++;
            else
                FAILF("flip %zu.%d: code %d msg %s", i, bit, err.code, err.msg);
        }
    }
    CHECK(bad_ok > tries * 9 / 10);
    /* trailing garbage */
    memcpy(buf, orig, n);
    FILE *fp = fopen(g, "wb");
    fwrite(buf, 1, n, fp);
    fputs("junk", fp);
    fclose(fp);
    CHECK(npu_prog_load(g, &err) == NULL);
    CHECK_EQ_INT(err.code, NPU_EFORMAT);
    /* wrong magic / version */
    write_bytes(g, "hello world, this is not a program", 34);
    CHECK(npu_prog_load(g, &err) == NULL);
    CHECK_CONTAINS(err.msg, "not an npusim program");
    memcpy(buf, orig, n);
    buf[4] = 3;
    write_bytes(g, buf, n);
    CHECK(npu_prog_load(g, &err) == NULL);
    CHECK_CONTAINS(err.msg, "version 3");
    /* missing file */
    CHECK(npu_prog_load(tmp("nope.npuc"), &err) == NULL);
    CHECK_EQ_INT(err.code, NPU_EIO);
    free(buf);
    free(orig);
    unlink(f);
    unlink(g);
}

/* Valid zlib streams with inconsistent contents: built by saving a tampered program. */
static void expect_bad(npu_program *p, const char *needle)
{
    npu_err err = {0};
    const char *f = tmp("e.npuc");
    unlink(f);
    CHECK_EQ_INT(npu_prog_save(p, f, 1, &err), 0);
    npu_program *q = npu_prog_load(f, &err);
    CHECK(q == NULL);
    if (q)
        npu_prog_free(q);
    else {
        CHECK_EQ_INT(err.code, NPU_EFORMAT);
        CHECK_CONTAINS(err.msg, needle);
    }
    unlink(f);
}

TEST(inconsistent_contents)
{
    npu_program *p = sample();
    if (!p)
        return;
    npu_instr keep = p->ins[5];
    p->ins[5].layer = 2; /* only layers 0, 1 */
    expect_bad(p, "instruction 5 is corrupted");
    p->ins[5] = keep;
    p->ins[5].layer = -2;
    expect_bad(p, "instruction 5");
    p->ins[5] = keep;
    p->ins[5].off = 4; /* unaligned */
    expect_bad(p, "instruction 5");
    p->ins[5] = keep;
    p->ins[5].len = (uint32_t)p->dlen; /* runs past the payload */
    expect_bad(p, "instruction 5");
    p->ins[5] = keep;
    p->layers[1].dtype = 99;
    expect_bad(p, "layer record");
    p->layers[1].dtype = NPU_DT_INT8;
    p->layers[0].macs = -1;
    expect_bad(p, "layer record");
    p->layers[0].macs = 1000;
    /* sanity: the untampered program still loads */
    npu_err err = {0};
    const char *f = tmp("e.npuc");
    CHECK_EQ_INT(npu_prog_save(p, f, 1, &err), 0);
    npu_program *q = npu_prog_load(f, &err);
    CHECK(q != NULL);
    npu_prog_free(q);
    unlink(f);
    npu_prog_free(p);
}

/* ---- through the public API: compile, save, load, exec, disasm, explain ---------------------- */
static const char tiny_npg[] = "npg 1\ngraph tiny\ninput data 1x16x32x32 int8\n"
                               "conv c1 data out=32 k=3 s=1 p=1 act=relu\n"
                               "conv c2 c1 out=32 k=3 s=1 p=1\n"
                               "add sum c2 c1 act=relu\noutput sum\n";

TEST(api_compile_exec)
{
    npu_ctx *ctx = npu_ctx_new();
    npu_err err = {0};
    const char *gpath = tmp("tiny.npg");
    write_bytes(gpath, tiny_npg, strlen(tiny_npg));
    npu_graph *g = npu_load_graph(ctx, gpath, NULL, &err);
    npu_arch *a = npu_arch_open(ctx, "tpu_v1", &err);
    CHECK(g && a);
    if (!g || !a) {
        printf("  %s\n", err.msg);
        goto out;
    }
    CHECK_EQ_INT(npu_arch_set(a, "dram.gbps", "20", &err), 0);
    npu_result *r = npu_run(ctx, a, g, NULL, &err);
    npu_program *p = npu_compile(ctx, a, g, &err);
    CHECK(r && p);
    if (!r || !p) {
        npu_result_free(r);
        npu_program_free(p);
        goto out;
    }
    CHECK_EQ_INT(p->nlayers, 3);
    CHECK_CONTAINS(p->params_text, "dram.gbps=20\n");
    CHECK_CONTAINS(p->params_text, "rows=256\n");
    const char *f = tmp("tiny.npuc");
    unlink(f);
    CHECK_EQ_INT(npu_program_save(p, f, false, &err), 0);
    CHECK_EQ_INT(npu_program_save(p, f, false, &err), NPU_EEXIST);
    npu_program *q = npu_program_load(ctx, f, &err);
    CHECK(q != NULL);
    if (q) {
        check_equal(p, q);
        /* exec of the loaded program = run of the graph, to the byte, except the deployment
         * footprint: a program file has no graph to measure it on (its fields stay 0) */
        npu_result *r2 = npu_exec(ctx, q, NULL, &err);
        CHECK(r2 != NULL);
        if (r2) {
            CHECK(r->total.total_weight_size > 0 && r2->total.total_weight_size == 0);
            memset(&r->total.total_weight_size, 0,
                   sizeof r->total - offsetof(npu_total_row, total_weight_size));
            for (int i = 0; i < r->nlayers; i++)
                r->layers[i].live_bytes = 0;
            r->total.fits = -1;
            npu_strbuf j1, j2;
            npu_sb_init(&j1);
            npu_sb_init(&j2);
            npu_report_write(r, NPU_FMT_JSON, &j1);
            npu_report_write(r2, NPU_FMT_JSON, &j2);
            CHECK(j1.s && j2.s && strcmp(j1.s, j2.s) == 0);
            CHECK_EQ_INT(r2->total.cycles, r->total.cycles);
            npu_sb_free(&j1);
            npu_sb_free(&j2);
            npu_result_free(r2);
        }
        npu_strbuf sb;
        npu_sb_init(&sb);
        CHECK_EQ_INT(npu_disasm(ctx, q, &sb, &err), 0);
        CHECK_CONTAINS(sb.s, "# program: model systolic, arch tpu_v1, graph tiny: 3 layers");
        CHECK_CONTAINS(sb.s, "# layer 1 c2 (conv on");
        int lines = 0;
        for (const char *c = sb.s; c && *c; c++)
            lines += *c == '\n';
        CHECK(lines >= 1 + 3 + (int)q->n); /* header, layer headings, one per instruction */
        npu_sb_free(&sb);
        npu_program_free(q);
    }
    /* a program of a model that is not built in is refused on load */
    npu_program *alien = npu_prog_new("quantum", "x", "g");
    const char *f2 = tmp("alien.npuc");
    unlink(f2);
    npu_prog_save(alien, f2, 0, &err);
    npu_prog_free(alien);
    CHECK(npu_program_load(ctx, f2, &err) == NULL);
    CHECK_CONTAINS(err.msg, "lowered by model 'quantum'");
    unlink(f2);

    npu_strbuf ex;
    npu_sb_init(&ex);
    /* parameters recorded in a program are checked again when it is executed */
    if (p) {
        const char *keep = p->params_text;
        p->params_text = npu_arena_strdup(&p->arena, "rows=256\nrowz=3\n");
        CHECK(npu_exec(ctx, p, NULL, &err) == NULL);
        CHECK_EQ_INT(err.code, NPU_EFORMAT);
        CHECK_CONTAINS(err.msg, "key 'rowz' unknown (did you mean 'rows'?)");
        p->params_text = npu_arena_strdup(&p->arena, "rows\n");
        CHECK(npu_exec(ctx, p, NULL, &err) == NULL);
        CHECK_CONTAINS(err.msg, "'rows' is not key=value");
        CHECK(npu_disasm(ctx, p, &ex, &err) != 0);
        p->params_text = (char *)keep;
        ex.len = 0;
    }
    CHECK_EQ_INT(npu_explain(ctx, a, g, "c2", &ex, &err), 0);
    CHECK(ex.s && ex.len > 0);
    ex.len = 0;
    CHECK_EQ_INT(npu_explain(ctx, a, g, "2", &ex, &err), 0);
    CHECK(npu_explain(ctx, a, g, "c3", &ex, &err) != 0);
    CHECK_CONTAINS(err.msg, "no layer 'c3' (did you mean 'c1'?)");
    CHECK(npu_explain(ctx, a, g, "3", &ex, &err) != 0);
    npu_sb_free(&ex);
    npu_result_free(r);
    npu_program_free(p);
    unlink(f);
out:
    npu_graph_free(g);
    npu_arch_free(a);
    unlink(gpath);
    npu_ctx_free(ctx);
}

TEST(api_load_graph_errors)
{
    npu_ctx *ctx = npu_ctx_new();
    npu_err err = {0};
    CHECK(npu_load_graph(ctx, "resnet5", NULL, &err) == NULL);
    CHECK_CONTAINS(err.msg, "no such file or network 'resnet5' (did you mean");
    CHECK_CONTAINS(err.msg, "resnet50");
    CHECK(npu_load_graph(ctx, tmp("missing.npg"), NULL, &err) == NULL);
    CHECK_EQ_INT(err.code, NPU_EIO);
    const char *odd = tmp("net.txt");
    write_bytes(odd, "hello", 5);
    CHECK(npu_load_graph(ctx, odd, NULL, &err) == NULL);
    CHECK_CONTAINS(err.msg, "unknown graph format");
    write_bytes(odd, tiny_npg, strlen(tiny_npg)); /* sniffed as npg */
    npu_graph *g = npu_load_graph(ctx, odd, NULL, &err);
    CHECK(g != NULL);
    npu_graph_free(g);
    npu_load_opts o = {.format = "klingon"};
    CHECK(npu_load_graph(ctx, odd, &o, &err) == NULL);
    CHECK_CONTAINS(err.msg, "unknown graph format 'klingon'");
    o.format = "npg";
    g = npu_load_graph(ctx, odd, &o, &err);
    CHECK(g != NULL);
    npu_graph_free(g);
    unlink(odd);
    g = npu_load_graph(ctx, "lenet5", NULL, &err);
    CHECK(g != NULL);
    if (g) {
        CHECK(npu_graph_macs(g) > 0);
        npu_graph_free(g);
    }
    npu_ctx_free(ctx);
}

/* Two threads run the same (read-only) graph and arch with their own ctx: same JSON as a
 * serial run, and no sanitizer complaint. */
typedef struct job {
    const npu_arch *a;
    const npu_graph *g;
    char *json;
} job;

static void *run_job(void *ud)
{
    job *j = ud;
    npu_ctx *ctx = npu_ctx_new();
    npu_err err = {0};
    for (int k = 0; k < 3; k++) {
        npu_result *r = npu_run(ctx, j->a, j->g, NULL, &err);
        if (r) {
            npu_strbuf sb;
            npu_sb_init(&sb);
            npu_report_write(r, NPU_FMT_JSON, &sb);
            free(j->json);
            j->json = npu_sb_take(&sb);
            npu_result_free(r);
        }
        (void)npu_preset_names(); /* the lazily built name lists, from several threads */
        (void)npu_zoo_names();
    }
    npu_ctx_free(ctx);
    return NULL;
}

TEST(api_threads)
{
    npu_ctx *ctx = npu_ctx_new();
    npu_err err = {0};
    npu_graph *g = npu_load_graph(ctx, "resnet18", NULL, &err);
    npu_arch *a = npu_arch_open(ctx, "scalesim_default", &err);
    CHECK(g && a);
    if (g && a) {
        job serial = {a, g, NULL}, t[2] = {{a, g, NULL}, {a, g, NULL}};
        run_job(&serial);
        pthread_t th[2];
        for (int i = 0; i < 2; i++)
            CHECK_EQ_INT(pthread_create(&th[i], NULL, run_job, &t[i]), 0);
        for (int i = 0; i < 2; i++)
            pthread_join(th[i], NULL);
        CHECK(serial.json != NULL);
        for (int i = 0; i < 2; i++) {
            CHECK(t[i].json && serial.json && strcmp(t[i].json, serial.json) == 0);
            free(t[i].json);
        }
        free(serial.json);
    }
    npu_graph_free(g);
    npu_arch_free(a);
    npu_ctx_free(ctx);
}

/* The default byte rule of a layer record (what sets ideal_cycles). */
TEST(graph_layer_bytes)
{
    static const char txt[] = "npg 1\ngraph t\ninput data 1x8x4x4 int8\n"
                              "conv c1 data out=4 k=3 s=1 p=1\nadd a c1 c1\noutput a\n";
    npu_err err = {0};
    npu_graph *g = npu_npg_read("t", txt, strlen(txt), &err);
    CHECK(g && npu_graph_prepare(g, &err) == 0);
    if (!g)
        return;
    int c1 = npu_graph_find_layer(g, "c1"), a = npu_graph_find_layer(g, "a");
    CHECK(c1 >= 0 && a >= 0);
    npu_prog_layer pr = npu_prog_graph_layer(g, c1, "array");
    CHECK_STR(pr.name, "c1");
    CHECK_STR(pr.op, "conv");
    CHECK_STR(pr.engine, "array");
    CHECK_EQ_INT(pr.macs, g->l[c1].macs);
    CHECK_EQ_INT(pr.in_bytes, 8 * 4 * 4);                  /* the graph input, int8 */
    CHECK_EQ_INT(pr.out_bytes, 4 * 4 * 4);
    CHECK_EQ_INT(pr.weight_bytes, g->l[c1].params);        /* int8: a byte per parameter */
    CHECK(g->l[c1].params >= 4 * 8 * 3 * 3);
    pr = npu_prog_graph_layer(g, a, "cpu");
    CHECK_EQ_INT(pr.in_bytes, 2 * 4 * 4 * 4);              /* both inputs are counted */
    CHECK_EQ_INT(pr.weight_bytes, 0);
    npu_graph_free(g);
}

/* Compiles lenet5 for `arch`, lets `patch` damage one payload of the given opcode, saves and
 * loads it back: the load must fail with a message containing `want` (issue 16: payload values
 * are validated on load, before disasm or exec do arithmetic with them). */
static void hostile_one(const char *arch, unsigned op, void (*patch)(void *), const char *want)
{
    npu_ctx *ctx = npu_ctx_new();
    npu_err err = {0};
    npu_graph *g = npu_load_graph(ctx, "lenet5", NULL, &err);
    npu_arch *a = g ? npu_arch_open(ctx, arch, &err) : NULL;
    npu_program *p = a ? npu_compile(ctx, a, g, &err) : NULL;
    CHECK(p != NULL);
    size_t i = 0;
    while (p && i < p->n && p->ins[i].op != op)
        i++;
    CHECK(p && i < p->n);
    if (p && i < p->n) {
        patch(p->data + p->ins[i].off);
        const char *f = tmp("hostile.npuc");
        CHECK_EQ_INT(npu_program_save(p, f, true, &err), 0);
        npu_err lerr = {0};
        npu_program *q = npu_program_load(ctx, f, &lerr);
        CHECK(q == NULL);
        CHECK_CONTAINS(lerr.msg, want);
        CHECK_CONTAINS(lerr.msg, "hostile.npuc");
        npu_program_free(q);
        remove(f);
    }
    npu_program_free(p);
    npu_arch_free(a);
    npu_graph_free(g);
    npu_ctx_free(ctx);
}

static void fold_count_huge(void *pl) { ((npu_sys_fold *)pl)->count = (int64_t)1 << 40; }
static void fold_bytes_negative(void *pl) { ((npu_sys_fold *)pl)->ifmap_bytes = -5; }
static void fold_col_far(void *pl) { ((npu_sys_fold *)pl)->col_fold = INT64_MAX / 2; }
static void layer_nsub_huge(void *pl) { ((npu_sys_layer *)pl)->nsub = INT64_MAX; }
static void hwl_rd_huge(void *pl)
{
    ((npu_nv_hwl *)pl)->rd_data = INT64_MAX - 3;
    ((npu_nv_hwl *)pl)->rd_ew = 100;
}
static void hwl_dim_negative(void *pl) { ((npu_nv_hwl *)pl)->c = -7; }
static void sheet_den_zero(void *pl) { ((npu_nv_sheet *)pl)->mac_den = 0; }

static void dv_bytes_huge(void *pl) { ((npu_dv_ins *)pl)->bytes = 0xFF00000000000000ull; }
static void rk_rd_huge(void *pl)
{
    ((npu_rkn_task *)pl)->feat_rd = INT64_MAX - 3; /* + wt_rd overflowed in the executor */
    ((npu_rkn_task *)pl)->wt_rd = 100;
}
static void rk_precision_unknown(void *pl) { ((npu_rkn_task *)pl)->precision = 5; }
static void rk_dim_negative(void *pl) { ((npu_rkn_task *)pl)->out_h = -9; }
static void rk_mask_zero(void *pl) { ((npu_rkn_submit *)pl)->core_mask = 0; }
static void rk_layers_far(void *pl) { ((npu_rkn_submit *)pl)->nlayers = 4000000000u; }
static void rk_cpu_op_unknown(void *pl) { ((npu_rkn_cpu *)pl)->op = 60000; }
static void rk_note_far(void *pl) { ((npu_rkn_note *)pl)->into = 1 << 30; }
static void dv_block_dim_zero(void *pl) { ((npu_dv_kernel *)pl)->block_dim = 0; }
static void dv_tile_huge(void *pl) { ((npu_dv_kernel *)pl)->M = INT64_MAX; }
static void dv_vec_kind(void *pl) { ((npu_dv_ins *)pl)->kind = 999; }
static void dv_core_far(void *pl) { ((npu_dv_ins *)pl)->core = 500; }
static void dv_mmad_huge(void *pl) { ((npu_dv_ins *)pl)->m = 0xFFFFFFFFu; }

/* davinci checks its payloads when it executes (validate()): a fuzzed img2col move of 2^64 -
 * 2^56 bytes overflowed the engine's time and overran the kernel table (ASan) */
static void hostile_davinci(void)
{
    npu_ctx *ctx = npu_ctx_new();
    npu_err err = {0};
    npu_graph *g = npu_load_graph(ctx, "lenet5", NULL, &err);
    npu_arch *a = g ? npu_arch_open(ctx, "ascend310", &err) : NULL;
    npu_program *p = a ? npu_compile(ctx, a, g, &err) : NULL;
    CHECK(p != NULL);
    size_t i = 0;
    while (p && i < p->n && p->ins[i].op != NPU_DV_OP_LOAD3D)
        i++;
    CHECK(p && i < p->n);
    if (p && i < p->n) {
        dv_bytes_huge(p->data + p->ins[i].off);
        npu_err xerr = {0};
        npu_result *r = npu_exec(ctx, p, NULL, &xerr);
        CHECK(r == NULL);
        CHECK_CONTAINS(xerr.msg, "a size out of range (bytes 18374686479671623680");
        npu_result_free(r);
    }
    npu_program_free(p);
    npu_arch_free(a);
    npu_graph_free(g);
    npu_ctx_free(ctx);
}

static void hostile_payloads(void)
{
    hostile_one("systolic", NPU_SYS_OP_FOLD, fold_count_huge, "count = 1099511627776");
    hostile_one("systolic", NPU_SYS_OP_FOLD, fold_bytes_negative, "ifmap_bytes = -5");
    hostile_one("systolic", NPU_SYS_OP_FOLD, fold_col_far, "col_fold");
    hostile_one("systolic", NPU_SYS_OP_LAYER, layer_nsub_huge, "nsub");
    hostile_one("nv_small", NPU_NV_OP_HWL, hwl_rd_huge, "rd_data");
    hostile_one("nv_small", NPU_NV_OP_HWL, hwl_dim_negative, "c = -7");
    hostile_one("nv_small", NPU_NV_OP_SHEET, sheet_den_zero, "mac_den = 0");
    /* rknpu and davinci check on load too (issue 16), not only when they execute */
    hostile_one("rk3588", NPU_RKN_OP_TASK, rk_rd_huge, "feat_rd = 9223372036854775804");
    hostile_one("rk3588", NPU_RKN_OP_TASK, rk_precision_unknown, "precision code 5/");
    hostile_one("rk3588", NPU_RKN_OP_TASK, rk_dim_negative, "out_h = -9");
    hostile_one("rk3588", NPU_RKN_OP_SUBMIT, rk_mask_zero, "core_mask = 0");
    hostile_one("rk3588", NPU_RKN_OP_SUBMIT, rk_layers_far, "first_layer + nlayers");
    hostile_one("rk3588", NPU_RKN_OP_CPU, rk_cpu_op_unknown, "op = 60000");
    hostile_one("rk3588", NPU_RKN_OP_NOTE, rk_note_far, "into = 1073741824");
    hostile_one("ascend310", NPU_DV_OP_KERNEL, dv_block_dim_zero, "block_dim = 0");
    hostile_one("ascend310", NPU_DV_OP_KERNEL, dv_tile_huge, "M = 9223372036854775807");
    hostile_one("ascend310", NPU_DV_OP_LOAD3D, dv_bytes_huge, "bytes = 18374686479671623680");
    hostile_one("ascend310", NPU_DV_OP_VEC, dv_vec_kind, "kind (vector instruction) = 999");
    hostile_one("ascend310", NPU_DV_OP_MMAD, dv_core_far, "core = 500");
    hostile_one("ascend310", NPU_DV_OP_MMAD, dv_mmad_huge, "m = 4294967295");
}

/* npu_read_file (issue 16): size cap with a message naming file and limit, FIFOs refused
 * without blocking, the exact bytes otherwise. */
static void read_limits(void)
{
    const char *f = tmp("big.txt");
    FILE *w = fopen(f, "wb");
    CHECK(w != NULL);
    if (!w)
        return;
    for (int i = 0; i < (1 << 20) + 1; i++)
        fputc('x', w);
    fclose(w);
    char *data = NULL;
    size_t len = 0;
    npu_err err = {0};
    CHECK(npu_read_file_max(f, (size_t)1 << 20, &data, &len, &err) != 0);
    CHECK_CONTAINS(err.msg, "big.txt: larger than 1 MiB");
    CHECK_EQ_INT(npu_read_file_max(f, (size_t)2 << 20, &data, &len, &err), 0);
    CHECK(len == (1u << 20) + 1);
    free(data);
    remove(f);
    const char *fifo = tmp("fifo");
    CHECK_EQ_INT(mkfifo(fifo, 0600), 0);
    CHECK(npu_read_file(fifo, &data, &len, &err) != 0); /* returns: no writer is waited for */
    CHECK_CONTAINS(err.msg, "fifo: not a regular file");
    remove(fifo);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/npu_program_test_%ld", (long)getpid());
    char cmd[300];
    snprintf(cmd, sizeof cmd, "mkdir -p %s", dir);
    if (system(cmd) != 0)
        return 1;
    RUN(emit_alignment);
    RUN(graph_layer_bytes);
    RUN(round_trip);
    RUN(truncated_and_flipped);
    RUN(inconsistent_contents);
    RUN(api_compile_exec);
    RUN(api_load_graph_errors);
    RUN(api_threads);
    RUN(hostile_payloads);
    RUN(read_limits);
    RUN(hostile_davinci);
    rmdir(dir);
    return TEST_REPORT();
}
