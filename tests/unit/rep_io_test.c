/* rep_io_test.c — the output primitives of sim/report (report.h: JSON/CSV escaping, numbers)
 * after they started appending in blocks (issue 20), and the JSON reader of `npusim diff`
 * (jsonr.c, npu_rep_result_read): escapes byte for byte, integers at the edges, numbers
 * formatted once, errors with file:line:col, and a result written as JSON and read back
 * giving the same CSV; hostile documents (issue 16, fifth pass) and the layer matcher on
 * results whose layers are in another order. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "test.h"
#include "report/jsonr.h"
#include "report/report.h"

/* out = what f appended for s */
#define WROTE(call, want)                                                                    \
    do {                                                                                     \
        npu_strbuf sb_;                                                                      \
        npu_sb_init(&sb_);                                                                   \
        call;                                                                                \
        CHECK_STR(sb_.s ? sb_.s : "", want);                                                 \
        npu_sb_free(&sb_);                                                                   \
    } while (0)

TEST(json_strings)
{
    WROTE(npu_rep_json_str(&sb_, "plain name.0"), "\"plain name.0\"");
    WROTE(npu_rep_json_str(&sb_, "a\"b\\c"), "\"a\\\"b\\\\c\"");
    WROTE(npu_rep_json_str(&sb_, "t\tn\nr\r\x01\x7f"), "\"t\\tn\\nr\\r\\u0001\\u007f\"");
    WROTE(npu_rep_json_str(&sb_, "caf\xc3\xa9 \xe2\x82\xac"), "\"caf\xc3\xa9 \xe2\x82\xac\"");
    WROTE(npu_rep_json_str(&sb_, "bad\xff\xc3(x"), "\"bad\\ufffd\\ufffd(x\"");
    WROTE(npu_rep_json_str(&sb_, "\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\""); /* surrogate */
    WROTE(npu_rep_json_str(&sb_, NULL), "null");
    WROTE(npu_rep_json_strn(&sb_, "a\0b", 3), "\"a\\u0000b\"");
}

TEST(csv_fields)
{
    WROTE(npu_rep_csv_str(&sb_, "conv1"), "conv1");
    WROTE(npu_rep_csv_str(&sb_, "a,b"), "\"a,b\"");
    WROTE(npu_rep_csv_str(&sb_, "say \"hi\""), "\"say \"\"hi\"\"\"");
    WROTE(npu_rep_csv_str(&sb_, " edge"), "\" edge\"");
    WROTE(npu_rep_csv_str(&sb_, "x\xffy\xc3\xa9"), "x\xef\xbf\xbdy\xc3\xa9");
    WROTE(npu_rep_csv_str(&sb_, NULL), "");
}

TEST(numbers)
{
    WROTE(npu_rep_int(&sb_, 0), "0");
    WROTE(npu_rep_int(&sb_, -42), "-42");
    WROTE(npu_rep_int(&sb_, INT64_MAX), "9223372036854775807");
    WROTE(npu_rep_int(&sb_, INT64_MIN), "-9223372036854775808");
    WROTE(npu_rep_json_num(&sb_, 0.1), "0.1");
    WROTE(npu_rep_json_num(&sb_, -0.0), "0");
    WROTE(npu_rep_json_num(&sb_, 1.0 / 3), "0.333333333");
    WROTE(npu_rep_json_num(&sb_, NAN), "null");
    WROTE(npu_rep_json_num(&sb_, INFINITY), "null");
    WROTE(npu_rep_json_nump(&sb_, 33.8, 15), "33.8");
    WROTE(npu_rep_csv_num(&sb_, 1e-300), "1e-300");
    WROTE(npu_rep_csv_num(&sb_, NAN), "");
}

static int parse(const char *text, npu_err *err)
{
    npu_arena a;
    npu_arena_init(&a);
    npu_jval *v;
    int rc = npu_jsonr_parse(text, strlen(text), "t.json", &a, &v, err);
    npu_arena_free(&a);
    return rc;
}

TEST(json_reader)
{
    npu_arena a;
    npu_arena_init(&a);
    npu_jval *v;
    npu_err err = {0};
    const char *t = " {\"a\": [1, -2.5e3, true, null, \"x\\u00e9\\ud83d\\ude00\\n\"], \"b\": {}}";
    CHECK_EQ_INT(npu_jsonr_parse(t, strlen(t), "t.json", &a, &v, &err), 0);
    const npu_jval *arr = npu_jsonr_get(v, "a");
    CHECK(arr && arr->type == NPU_J_ARR && arr->n == 5);
    if (arr && arr->n == 5) {
        CHECK(arr->item[1]->num == -2500);
        CHECK(arr->item[2]->type == NPU_J_BOOL && arr->item[2]->num == 1);
        CHECK(arr->item[3]->type == NPU_J_NULL);
        CHECK_STR(arr->item[4]->str, "x\xc3\xa9\xf0\x9f\x98\x80\n");
    }
    CHECK(npu_jsonr_get(v, "b") && npu_jsonr_get(v, "b")->n == 0);
    CHECK(!npu_jsonr_get(v, "c"));
    npu_arena_free(&a);
    /* errors name file:line:col and what */
    CHECK_EQ_INT(parse("{\"a\": 1,\n  \"b\" 2}", &err), NPU_EFORMAT);
    CHECK_CONTAINS(err.msg, "t.json:2:7: expected ':' after key \"b\"");
    CHECK_EQ_INT(parse("[1, 2", &err), NPU_EFORMAT);
    CHECK_CONTAINS(err.msg, "t.json:1:6: unexpected end of the text: expected ',' or ']'");
    CHECK_EQ_INT(parse("[1] x", &err), NPU_EFORMAT);
    CHECK_CONTAINS(err.msg, "text after the end");
    CHECK_EQ_INT(parse("\"a\\qb\"", &err), NPU_EFORMAT);
    CHECK_CONTAINS(err.msg, "bad escape");
    CHECK_EQ_INT(parse("\"a\nb\"", &err), NPU_EFORMAT);
    CHECK_CONTAINS(err.msg, "control character");
    CHECK_EQ_INT(parse("[1.2.3]", &err), NPU_EFORMAT);
    CHECK_CONTAINS(err.msg, "bad number '1.2.3'");
    char deep[200];
    memset(deep, '[', 100);
    deep[100] = 0;
    CHECK_EQ_INT(parse(deep, &err), NPU_EFORMAT);
    CHECK_CONTAINS(err.msg, "nested deeper than 64");
    CHECK_EQ_INT(parse("", &err), NPU_EFORMAT);
}

/* What the fifth hostile pass found the reader taking without a word. */
TEST(json_reader_hostile)
{
    npu_err err = {0};
    /* \u0000 cut a string at the NUL: "schema\u0000x" was the key "schema" */
    CHECK_EQ_INT(parse("{\"schema\\u0000x\": 1}", &err), NPU_EFORMAT);
    CHECK_CONTAINS(err.msg, "t.json:1:9: \\u0000 (a NUL character) in a string");
    /* a key twice: the first counted, the second was ignored */
    CHECK_EQ_INT(parse("{\"b\": 1, \"a\": [], \"c\": 2, \"a\": 3}", &err), NPU_EFORMAT);
    CHECK_CONTAINS(err.msg, "t.json:1:1: key \"a\" twice in this object");
    CHECK_EQ_INT(parse("{\"a\": {\"x\": 1, \"y\": 2}, \"b\": {\"x\": 1}}", &err), 0);
    /* 1e999 was infinity (a clock of "inf MHz"); a 101-digit number failed as "text after" */
    CHECK_EQ_INT(parse("[1e999]", &err), NPU_EFORMAT);
    CHECK_CONTAINS(err.msg, "t.json:1:2: number '1e999' out of range");
    CHECK_EQ_INT(parse("[-1e999]", &err), NPU_EFORMAT);
    CHECK_EQ_INT(parse("[1e-999]", &err), 0); /* underflow to 0 is a value */
    char big[160] = "[1";
    memset(big + 2, '0', 100);
    strcpy(big + 102, "]");
    CHECK_EQ_INT(parse(big, &err), NPU_EFORMAT);
    CHECK_CONTAINS(err.msg, "a number of 101 characters (npusim reads at most 63)");
    /* a NUL byte after a number was read as part of it (strchr finds the terminator) */
    npu_arena a;
    npu_arena_init(&a);
    npu_jval *v;
    CHECK_EQ_INT(npu_jsonr_parse("[1\0]", 4, "t.json", &a, &v, &err), NPU_EFORMAT);
    CHECK_CONTAINS(err.msg, "t.json:1:3: expected ',' or ']'");
    npu_arena_free(&a);
    /* a UTF-8 byte-order mark, as an editor saves one (RFC 8259 lets a reader skip it) */
    CHECK_EQ_INT(parse("\xEF\xBB\xBF{\"a\": 1}", &err), 0);
}

static void fake_layers(npu_result *r, const char *const *names, int n)
{
    r->nlayers = n;
    r->layers = npu_arena_alloc(&r->arena, (size_t)n * sizeof *r->layers);
    for (int i = 0; i < n; i++) {
        r->layers[i].name = names[i];
        r->layers[i].op = "conv";
        r->layers[i].cycles = 10 * (i + 1);
    }
}

/* Layers found by name when they do not line up (a scan per layer took minutes on 2^18): each
 * row holds the layer of that name in every result, and a name given twice matches its first. */
TEST(match_out_of_order)
{
    static const char *const a[] = {"l0", "l1", "l2", "l3", "l4"};
    static const char *const b[] = {"l4", "x", "l2", "l0", "l1", "l0"};
    npu_result *ra = npu_result_new(), *rb = npu_result_new();
    fake_layers(ra, a, 5);
    fake_layers(rb, b, 6);
    const npu_result *rs[] = {ra, rb};
    npu_rep_cmp c;
    CHECK_EQ_INT(npu_rep_cmp_build(rs, 2, &c), 0);
    CHECK(c.nrows == 6);
    static const int want_b[] = {3, 4, 2, -1, 0, 1}; /* l0..l4 in B, then x (A: -1) */
    for (size_t r = 0; r < c.nrows && r < 6; r++) {
        CHECK_EQ_INT(c.rows[r].idx[1], want_b[r]);
        CHECK_EQ_INT(c.rows[r].idx[0], r < 5 ? (int)r : -1);
    }
    npu_rep_cmp_free(&c);
    npu_result_free(ra);
    npu_result_free(rb);
}

/* A hand-made result written as JSON and read back gives the same CSV, byte for byte. */
TEST(result_round_trip)
{
    npu_result *r = npu_result_new();
    r->arch = "arch\"1";
    r->model = "m";
    r->graph = "g";
    r->freq_mhz = 800;
    r->peak_macs = 512;
    r->nlayers = 3;
    r->layers = npu_arena_alloc(&r->arena, 3 * sizeof *r->layers);
    const char *names[] = {"stem, \"quoted\"", "caf\xc3\xa9", "l2"};
    for (int i = 0; i < 3; i++) {
        npu_layer_row *L = &r->layers[i];
        L->index = i;
        L->name = names[i];
        L->op = "conv";
        L->engine = "CMAC";
        L->dtype = "int8";
        L->macs = 1000003 * (i + 1);
        L->start = 100 * i;
        L->end = L->start + 90;
        L->cycles = 90;
        L->compute_cycles = 60 + i;
        L->mem_stall_cycles = 20;
        L->dram_rd_bytes = (int64_t)1 << 40;
        L->irq_count = i;
    }
    npu_result_finish(r);
    r->layers[1].util = NAN; /* null in JSON, empty in CSV */
    npu_strbuf js, c1, c2;
    npu_sb_init(&js);
    npu_sb_init(&c1);
    npu_sb_init(&c2);
    CHECK_EQ_INT(npu_report_write(r, NPU_FMT_JSON, &js), 0);
    CHECK_EQ_INT(npu_report_write(r, NPU_FMT_CSV, &c1), 0);
    npu_result *b = NULL;
    npu_err err = {0};
    CHECK_EQ_INT(npu_rep_result_read(js.s, js.len, "r.json", &b, &err), 0);
    if (b) {
        CHECK_EQ_INT(npu_report_write(b, NPU_FMT_CSV, &c2), 0);
        CHECK_STR(c2.s, c1.s);
        CHECK_STR(b->arch, "arch\"1");
        CHECK(b->freq_mhz == 800);
        CHECK(b->total.cycles == r->total.cycles);
    }
    npu_result_free(b);
    npu_sb_free(&js);
    npu_sb_free(&c1);
    npu_sb_free(&c2);
    npu_result_free(r);
}

int main(void)
{
    RUN(json_strings);
    RUN(csv_fields);
    RUN(numbers);
    RUN(json_reader);
    RUN(json_reader_hostile);
    RUN(match_out_of_order);
    RUN(result_round_trip);
    return TEST_REPORT();
}
