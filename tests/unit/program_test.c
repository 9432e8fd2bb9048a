/* program_test.c — the program container: emit, save/load round trip, damaged files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/graph.h"
#include "isa/program.h"
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
    npu_prog_layer l0 = {.name = "conv1", .op = "conv", .dtype = NPU_DT_INT8, .macs = 1000,
                         .in_bytes = 3072, .out_bytes = 16384, .weight_bytes = 432,
                         .engine = "array"};
    npu_prog_layer l1 = {.name = "pool", .op = "maxpool", .dtype = NPU_DT_INT8, .macs = 0,
                         .in_bytes = 16384, .out_bytes = 4096, .weight_bytes = 0,
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
    /* every single-bit flip of every byte either fails with EFORMAT or (never, given zlib's
     * checksum) loads a valid program — it must never crash */
    char *buf = malloc(n);
    for (size_t i = 0; i < n; i++) {
        for (int bit = 0; bit < 8; bit++) {
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
    CHECK(bad_ok > (int)(n * 8) * 9 / 10);
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
    buf[4] = 2;
    write_bytes(g, buf, n);
    CHECK(npu_prog_load(g, &err) == NULL);
    CHECK_CONTAINS(err.msg, "version 2");
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

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/npu_program_test_%ld", (long)getpid());
    char cmd[300];
    snprintf(cmd, sizeof cmd, "mkdir -p %s", dir);
    if (system(cmd) != 0)
        return 1;
    RUN(emit_alignment);
    RUN(round_trip);
    RUN(truncated_and_flipped);
    RUN(inconsistent_contents);
    rmdir(dir);
    return TEST_REPORT();
}
