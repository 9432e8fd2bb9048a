/* report_test.c — sim/report: CSV header is exactly the field list, JSON is valid and
 * deterministic, the table has its totals, compare matches layers by name and picks the best
 * by time, graph info counts ops, reals are printf's "%.9g"; traces/trace.c: a trace of a tiny engine run is valid JSON,
 * plain and gzip, and is never written over an existing file without force.
 *
 * Results are built by hand (npu_result_new, rows, npu_result_finish) as the engine would;
 * all strings live in the result's arena, as npu_engine_result does it.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "npusim_int.h"
#include "report/report.h"
#include "test.h"
#include "traces/trace.h" /* before engine.h: it declares struct npu_program */
#include "engine/engine.h"

/* ---- a strict little JSON checker (RFC 8259 syntax; no extensions) -------------------------- */
typedef struct jp {
    const char *s;
    int depth;
} jp;

static void ws(jp *p)
{
    while (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r')
        p->s++;
}

static int hexd(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int jstring(jp *p)
{
    if (*p->s != '"')
        return 0;
    p->s++;
    while (*p->s != '"') {
        unsigned char c = (unsigned char)*p->s;
        if (c == 0 || c < 0x20)
            return 0;
        if (c == '\\') {
            p->s++;
            if (*p->s == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (!hexd(p->s[i]))
                        return 0;
                p->s += 5;
                continue;
            }
            if (!strchr("\"\\/bfnrt", *p->s) || !*p->s)
                return 0;
        }
        p->s++;
    }
    p->s++;
    return 1;
}

static int jnumber(jp *p)
{
    const char *s = p->s;
    if (*s == '-')
        s++;
    if (*s == '0')
        s++;
    else if (*s >= '1' && *s <= '9')
        while (*s >= '0' && *s <= '9')
            s++;
    else
        return 0;
    if (*s == '.') {
        s++;
        if (!(*s >= '0' && *s <= '9'))
            return 0;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (!(*s >= '0' && *s <= '9'))
            return 0;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    p->s = s;
    return 1;
}

static int jvalue(jp *p)
{
    ws(p);
    if (++p->depth > 100)
        return 0;
    int ok = 0;
    if (*p->s == '{') {
        p->s++;
        ws(p);
        if (*p->s == '}') {
            p->s++;
            ok = 1;
        } else {
            for (;;) {
                ws(p);
                if (!jstring(p))
                    break;
                ws(p);
                if (*p->s++ != ':')
                    break;
                if (!jvalue(p))
                    break;
                ws(p);
                if (*p->s == ',') {
                    p->s++;
                    continue;
                }
                if (*p->s == '}') {
                    p->s++;
                    ok = 1;
                }
                break;
            }
        }
    } else if (*p->s == '[') {
        p->s++;
        ws(p);
        if (*p->s == ']') {
            p->s++;
            ok = 1;
        } else {
            for (;;) {
                if (!jvalue(p))
                    break;
                ws(p);
                if (*p->s == ',') {
                    p->s++;
                    continue;
                }
                if (*p->s == ']') {
                    p->s++;
                    ok = 1;
                }
                break;
            }
        }
    } else if (*p->s == '"') {
        ok = jstring(p);
    } else if (strncmp(p->s, "true", 4) == 0 || strncmp(p->s, "null", 4) == 0) {
        p->s += 4;
        ok = 1;
    } else if (strncmp(p->s, "false", 5) == 0) {
        p->s += 5;
        ok = 1;
    } else {
        ok = jnumber(p);
    }
    p->depth--;
    return ok;
}

static int json_valid(const char *s)
{
    jp p = {s, 0};
    if (!s || !jvalue(&p))
        return 0;
    ws(&p);
    return *p.s == 0;
}

TEST(json_checker_self_test)
{
    CHECK(json_valid("{\"a\": [1, -2.5e3, true, null, \"x\\u00e9\"]}"));
    CHECK(!json_valid("{\"a\": nan}"));
    CHECK(!json_valid("{\"a\": 1,}"));
    CHECK(!json_valid("{\"a\": \"\n\"}"));
    CHECK(!json_valid("[01]"));
    CHECK(!json_valid("{} x"));
}

/* ---- hand-built results ------------------------------------------------------------------------ */
typedef struct lspec {
    const char *name, *op, *engine;
    int64_t macs, start, end, compute, ctrl, rd, wr, irq, host;
} lspec;

static npu_result *make_result(const char *arch, double mhz, const lspec *ls, int n, int extra)
{
    npu_result *r = npu_result_new();
    if (!r)
        return NULL;
    r->arch = npu_arena_strdup(&r->arena, arch);
    r->model = npu_arena_strdup(&r->arena, "systolic");
    r->graph = npu_arena_strdup(&r->arena, "tiny");
    r->freq_mhz = mhz;
    r->peak_macs = 256;
    r->dram_bytes_per_cycle = 16;
    r->nlayers = n;
    r->layers = npu_arena_alloc(&r->arena, (size_t)(n + 1) * sizeof(npu_layer_row));
    for (int i = 0; i < n; i++) {
        npu_layer_row *l = &r->layers[i];
        l->index = i;
        l->name = npu_arena_strdup(&r->arena, ls[i].name);
        l->op = npu_arena_strdup(&r->arena, ls[i].op);
        l->engine = npu_arena_strdup(&r->arena, ls[i].engine);
        l->dtype = npu_arena_strdup(&r->arena, "int8");
        l->macs = ls[i].macs;
        l->start = ls[i].start;
        l->end = ls[i].end;
        l->cycles = l->end - l->start;
        l->compute_cycles = ls[i].compute;
        l->ctrl_stall_cycles = ls[i].ctrl;
        l->mem_stall_cycles = l->cycles - ls[i].compute - ls[i].ctrl;
        l->ideal_cycles = (int64_t)((double)ls[i].macs / 256.0);
        l->dram_rd_bytes = ls[i].rd;
        l->dram_wr_bytes = ls[i].wr;
        l->irq_count = ls[i].irq;
        l->host_cycles = ls[i].host;
        l->bound = "";
    }
    if (extra) {
        r->nextra = 1;
        r->extra_names = npu_arena_alloc(&r->arena, sizeof(char *));
        r->extra_names[0] = npu_arena_strdup(&r->arena, "folds");
        r->extra = npu_arena_alloc(&r->arena, (size_t)(n + 1) * sizeof(double));
        for (int i = 0; i < n; i++)
            r->extra[i] = 2.5 * i;
    }
    npu_result_finish(r);
    return r;
}

static const lspec L3[] = {
    {"conv1", "conv", "array", 1024000, 0, 5000, 4000, 200, 150000, 50000, 1, 300},
    {"pool, \"odd\"", "maxpool", "vector", 0, 5000, 6000, 900, 0, 50000, 12500, 1, 0},
    {"fc", "gemm", "array", 256000, 6000, 8000, 1000, 500, 256000, 1000, 1, 100},
};

static char *report(const npu_result *r, npu_format f)
{
    npu_strbuf sb;
    npu_sb_init(&sb);
    int rc = npu_report_write(r, f, &sb);
    if (rc) {
        npu_sb_free(&sb);
        return NULL;
    }
    return npu_sb_take(&sb);
}

TEST(csv_header_is_the_field_list)
{
    npu_result *r = make_result("sys", 1000, L3, 3, 1);
    CHECK(r != NULL);
    if (!r)
        return;
    char *csv = report(r, NPU_FMT_CSV);
    CHECK(csv != NULL);
    if (csv) {
        /* the header, rebuilt from the X-macro table */
        npu_strbuf h;
        npu_sb_init(&h);
        for (int k = 0; k < npu_layer_nfields; k++)
            npu_sb_printf(&h, "%s%s", k ? "," : "", npu_layer_fields[k].name);
        npu_sb_puts(&h, ",in_shape,out_shape,kernel,stride,folds\n"); /* result/3 */
        CHECK(strncmp(csv, h.s, h.len) == 0);
        /* and the DESIGN §5 spelling, literally: the order is part of the contract */
        CHECK(strncmp(csv,
                      "index,name,op,engine,dtype,macs,cycles,start,end,share_cycles,"
                      "ideal_cycles,util,compute_cycles,mem_stall_cycles,ctrl_stall_cycles,"
                      "dram_rd_bytes,dram_wr_bytes,sram_rd_bytes,sram_wr_bytes,onchip_bytes,"
                      "irq_count,irq_cycles,host_cycles,bound",
                      strlen("index,name,op,engine,dtype,macs,cycles,start,end,share_cycles,"
                             "ideal_cycles,util,compute_cycles,mem_stall_cycles,"
                             "ctrl_stall_cycles,dram_rd_bytes,dram_wr_bytes,sram_rd_bytes,"
                             "sram_wr_bytes,onchip_bytes,irq_count,irq_cycles,host_cycles,"
                             "bound")) == 0);
        npu_sb_free(&h);
        /* one line per layer, no totals row */
        int lines = 0;
        for (const char *p = csv; *p; p++)
            lines += *p == '\n';
        CHECK_EQ_INT(lines, 4);
        /* a name with a comma and quotes is one quoted field */
        CHECK_CONTAINS(csv, "\n1,\"pool, \"\"odd\"\"\",maxpool,vector,int8,0,1000,5000,6000,");
        CHECK_CONTAINS(csv, "\n0,conv1,conv,array,int8,1024000,5000,0,5000,");
        /* extra column value of layer 2 */
        CHECK_CONTAINS(csv, ",5\n");
    }
    free(csv);
    npu_result_free(r);
}

TEST(json_valid_and_deterministic)
{
    npu_result *a = make_result("sys", 1000, L3, 3, 1);
    npu_result *b = make_result("sys", 1000, L3, 3, 1);
    CHECK(a && b);
    if (!a || !b) {
        npu_result_free(a);
        npu_result_free(b);
        return;
    }
    char *ja = report(a, NPU_FMT_JSON), *ja2 = report(a, NPU_FMT_JSON), *jb = report(b, NPU_FMT_JSON);
    CHECK(ja && ja2 && jb);
    if (ja && ja2 && jb) {
        CHECK(json_valid(ja));
        CHECK_STR(ja, ja2);
        CHECK_STR(ja, jb);
        CHECK(strncmp(ja, "{\n  \"schema\": \"npusim.result/3\",\n  \"version\": \"" NPUSIM_VERSION "\",\n  \"arch\": \"sys\",\n"
                          "  \"model\": \"systolic\",\n  \"graph\": \"tiny\",",
                      strlen("{\n  \"schema\": \"npusim.result/3\",\n  \"version\": \"" NPUSIM_VERSION "\",\n  \"arch\": \"sys\",\n"
                             "  \"model\": \"systolic\",\n  \"graph\": \"tiny\",")) == 0);
        /* key order: params, total, layers */
        const char *pp = strstr(ja, "\"params\":"), *pt = strstr(ja, "\"total\":"),
                   *pl = strstr(ja, "\"layers\":");
        CHECK(pp && pt && pl && pp < pt && pt < pl);
        /* every total and layer field appears by its result.h name */
        for (int k = 0; k < npu_total_nfields; k++) {
            char key[64];
            snprintf(key, sizeof key, "\"%s\": ", npu_total_fields[k].name);
            CHECK_CONTAINS(pt, key);
        }
        for (int k = 0; k < npu_layer_nfields; k++) {
            char key[64];
            snprintf(key, sizeof key, "\"%s\": ", npu_layer_fields[k].name);
            CHECK_CONTAINS(pl, key);
        }
        CHECK_CONTAINS(pt, "\"cycles\": 8000");
        CHECK_CONTAINS(pl, "\"name\": \"pool, \\\"odd\\\"\"");
        CHECK_CONTAINS(pl, "\"folds\": 5}");
    }
    free(ja);
    free(ja2);
    free(jb);
    npu_result_free(a);
    npu_result_free(b);
}

TEST(json_escapes_hostile_names)
{
    static const lspec bad[] = {
        {"a\"b\\c\nd\te\x01", "conv", "x", 10, 0, 10, 5, 0, 0, 0, 0, 0},
        {"bad\xff\xfe utf8 \xc3\xa9", "conv", "x", 10, 10, 20, 5, 0, 0, 0, 0, 0},
    };
    npu_result *r = make_result("we\"ird", 0, bad, 2, 0);
    CHECK(r != NULL);
    if (!r)
        return;
    char *j = report(r, NPU_FMT_JSON);
    CHECK(j && json_valid(j));
    if (j) {
        CHECK_CONTAINS(j, "a\\\"b\\\\c\\nd\\te\\u0001");
        CHECK_CONTAINS(j, "bad\\ufffd\\ufffd utf8 \xc3\xa9");
        CHECK_CONTAINS(j, "\"arch\": \"we\\\"ird\"");
    }
    /* clock unknown: time fields are not finite → null, still valid JSON; table and CSV ok */
    char *t = report(r, NPU_FMT_TABLE), *c = report(r, NPU_FMT_CSV);
    CHECK(t != NULL && c != NULL);
    free(j);
    free(t);
    free(c);
    npu_result_free(r);
}

/* The table's sanitizer and the CSV/JSON escapers judge UTF-8 by one rule (npu_rep_utf8_len):
 * an overlong form, a surrogate and a code point past U+10FFFF are bytes that are not UTF-8 in
 * both, replaced byte by byte ('?' in the table, U+FFFD in JSON); the table's own decoder
 * passed the three through to the terminal. */
TEST(table_and_json_agree_on_utf8)
{
    static const lspec odd[] = {
        {"o\xe0\x80\xafk", "conv", "x", 10, 0, 10, 5, 0, 0, 0, 0, 0},     /* overlong '/' */
        {"s\xed\xa0\x80g", "conv", "x", 10, 10, 20, 5, 0, 0, 0, 0, 0},    /* U+D800 */
        {"b\xf4\x90\x80\x80" "d", "conv", "x", 10, 20, 30, 5, 0, 0, 0, 0, 0}, /* U+110000 */
        {"e\xc3\xa9\xe2\x82\xacz", "conv", "x", 10, 30, 40, 5, 0, 0, 0, 0, 0}, /* é€ kept */
    };
    npu_result *r = make_result("sys", 1000, odd, 4, 0);
    CHECK(r != NULL);
    if (!r)
        return;
    char *t = report(r, NPU_FMT_TABLE), *j = report(r, NPU_FMT_JSON);
    CHECK(t && j);
    if (t && j) {
        CHECK_CONTAINS(t, "o???k");
        CHECK_CONTAINS(t, "s???g");
        CHECK_CONTAINS(t, "b????d");
        CHECK_CONTAINS(t, "e\xc3\xa9\xe2\x82\xacz");
        CHECK_CONTAINS(j, "\"o\\ufffd\\ufffd\\ufffdk\"");
        CHECK_CONTAINS(j, "\"s\\ufffd\\ufffd\\ufffdg\"");
        CHECK_CONTAINS(j, "\"b\\ufffd\\ufffd\\ufffd\\ufffd" "d\"");
        CHECK_CONTAINS(j, "\"e\xc3\xa9\xe2\x82\xacz\"");
    }
    free(t);
    free(j);
    npu_result_free(r);
}

TEST(table_has_totals)
{
    npu_result *r = make_result("sys", 1000, L3, 3, 0);
    CHECK(r != NULL);
    if (!r)
        return;
    char *t = report(r, NPU_FMT_TABLE);
    CHECK(t != NULL);
    if (t) {
        CHECK_CONTAINS(t, "graph tiny on sys (model systolic, 1000 MHz");
        CHECK_CONTAINS(t, "\ntotal ");
        CHECK_CONTAINS(t, "int8), 3 layers\n");
        CHECK_CONTAINS(t, "8000 cycles = 8.0 µs");
        CHECK_CONTAINS(t, "conv1");
        CHECK_CONTAINS(t, "1.02M");    /* MACs of conv1 */
        CHECK_CONTAINS(t, "150 kB");   /* DRAM read of conv1 */
        CHECK_CONTAINS(t, "456 kB");   /* total DRAM read */
        /* no line wider than 120 columns for this small graph */
        int w = 0, maxw = 0;
        for (const unsigned char *p = (const unsigned char *)t; *p; p++) {
            if (*p == '\n') {
                if (w > maxw)
                    maxw = w;
                w = 0;
            } else if ((*p & 0xC0) != 0x80) {
                w++;
            }
        }
        CHECK(maxw <= 120);
        if (getenv("NPU_SHOW"))
            fputs(t, stdout);
    }
    free(t);
    npu_result_free(r);
}

TEST(compare_matches_by_name)
{
    static const lspec b[] = {
        /* same layers, other order, conv1 faster in cycles but at a 4x slower clock */
        {"fc", "gemm", "array", 256000, 0, 1000, 900, 0, 0, 0, 0, 0},
        {"conv1", "conv", "array", 1024000, 1000, 3000, 2000, 0, 0, 0, 0, 0},
        {"extra", "add", "vector", 0, 3000, 3100, 100, 0, 0, 0, 0, 0},
    };
    npu_result *ra = make_result("fast", 1000, L3, 3, 0);
    npu_result *rb = make_result("slow", 250, b, 3, 0);
    CHECK(ra && rb);
    if (!ra || !rb) {
        npu_result_free(ra);
        npu_result_free(rb);
        return;
    }
    const npu_result *rs[] = {ra, rb};
    npu_strbuf sb;
    npu_sb_init(&sb);
    CHECK_EQ_INT(npu_report_compare(rs, 2, NPU_FMT_CSV, &sb), 0);
    CHECK_CONTAINS(sb.s, "kind,name,op,fast,slow,best\n");
    /* conv1: 5000 cycles at 1 GHz = 5 µs vs 2000 at 250 MHz = 8 µs → fast */
    CHECK_CONTAINS(sb.s, "layer,conv1,conv,5000,2000,fast\n");
    /* fc: 2000 cycles = 2 µs vs 1000 at 250 MHz = 4 µs → fast */
    CHECK_CONTAINS(sb.s, "layer,fc,gemm,2000,1000,fast\n");
    CHECK_CONTAINS(sb.s, "layer,\"pool, \"\"odd\"\"\",maxpool,1000,,fast\n");
    CHECK_CONTAINS(sb.s, "layer,extra,add,,100,slow\n");
    CHECK_CONTAINS(sb.s, "total,cycles,,8000,3100,fast\n");
    npu_sb_free(&sb);

    npu_sb_init(&sb);
    CHECK_EQ_INT(npu_report_compare(rs, 2, NPU_FMT_JSON, &sb), 0);
    CHECK(json_valid(sb.s));
    CHECK_CONTAINS(sb.s, "{\"name\": \"extra\", \"op\": \"add\", \"cycles\": {\"fast\": null, "
                         "\"slow\": 100}, \"best\": \"slow\"}");
    npu_sb_free(&sb);

    npu_sb_init(&sb);
    CHECK_EQ_INT(npu_report_compare(rs, 2, NPU_FMT_TABLE, &sb), 0);
    CHECK_CONTAINS(sb.s, "total cycles");
    CHECK_CONTAINS(sb.s, "inferences/s");
    npu_sb_free(&sb);

    /* the same arch twice gets distinct labels */
    const npu_result *twice[] = {ra, ra};
    npu_sb_init(&sb);
    CHECK_EQ_INT(npu_report_compare(twice, 2, NPU_FMT_CSV, &sb), 0);
    CHECK_CONTAINS(sb.s, "kind,name,op,fast,fast#2,best\n");
    /* identical designs: no winner anywhere */
    CHECK_CONTAINS(sb.s, "layer,conv1,conv,5000,5000,\n");
    CHECK_CONTAINS(sb.s, "total,cycles,,8000,8000,\n");
    npu_sb_free(&sb);

    npu_sb_init(&sb);
    CHECK(npu_report_compare(rs, 0, NPU_FMT_CSV, &sb) != 0);
    npu_sb_free(&sb);
    npu_result_free(ra);
    npu_result_free(rb);
}

TEST(empty_result_and_bad_arguments)
{
    npu_result *r = make_result("sys", 1000, L3, 0, 0);
    CHECK(r != NULL);
    if (!r)
        return;
    char *j = report(r, NPU_FMT_JSON), *c = report(r, NPU_FMT_CSV), *t = report(r, NPU_FMT_TABLE);
    CHECK(j && json_valid(j));
    CHECK(c && strchr(c, '\n') == c + strlen(c) - 1); /* the header only */
    CHECK(t && strstr(t, "0 layers"));
    free(j);
    free(c);
    free(t);
    const npu_result *one[] = {r};
    npu_strbuf sb;
    npu_sb_init(&sb);
    CHECK_EQ_INT(npu_report_compare(one, 1, NPU_FMT_JSON, &sb), 0);
    CHECK(json_valid(sb.s));
    npu_sb_free(&sb);
    npu_sb_init(&sb);
    CHECK(npu_report_write(NULL, NPU_FMT_CSV, &sb) != 0);
    CHECK(npu_report_write(r, (npu_format)42, &sb) != 0);
    const npu_result *none[] = {NULL};
    CHECK(npu_report_compare(none, 1, NPU_FMT_CSV, &sb) != 0);
    CHECK(npu_report_graph(NULL, NPU_FMT_CSV, &sb) != 0);
    npu_sb_free(&sb);
    npu_result_free(r);
}

/* Reals in JSON and CSV are "%.9g" (no "-0"): the writers' own formatter (issue 20) must give
 * printf's bytes for every value, so it is compared with snprintf over 100,000 values of
 * each kind (~900,000 in all): random bit patterns over the whole range, decimals of 10 to 12
 * significant digits (near-ties in the tenth digit), exact binary ties in the tenth digit,
 * integers, ratios like cycles / MHz, powers of ten and their neighbours. */
static uint64_t fx_rng(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static int fx_check(double v, const char *what)
{
    char want[64];
    double w = v == 0 ? 0 : v;
    snprintf(want, sizeof want, "%.9g", w);
    npu_strbuf a, c;
    npu_sb_init(&a);
    npu_sb_init(&c);
    npu_rep_json_num(&a, v);
    npu_rep_csv_num(&c, v);
    int bad = !a.s || strcmp(a.s, want) != 0 || !c.s || strcmp(c.s, want) != 0;
    if (bad)
        FAILF("%s: %.17g gave '%s' / '%s', printf '%s'", what, v, a.s ? a.s : "", c.s ? c.s : "",
              want);
    npu_sb_free(&a);
    npu_sb_free(&c);
    return bad;
}

TEST(reals_as_printf)
{
    uint64_t s = 0x9E3779B97F4A7C15ull;
    int bad = 0;
    for (int i = 0; i < 100000 && bad < 5; i++) {
        uint64_t u = fx_rng(&s);
        double v;
        memcpy(&v, &u, sizeof v);
        if (isfinite(v))
            bad += fx_check(v, "bits");
        /* the same mantissa at magnitudes where the writers see values */
        u = (u & 0x800FFFFFFFFFFFFFull) | ((uint64_t)(1023 - 24 + (int)(fx_rng(&s) % 80)) << 52);
        memcpy(&v, &u, sizeof v);
        bad += fx_check(v, "scaled bits");
    }
    static const double p10[] = {1e-12, 1e-9, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 1e1,
                                 1e2,   1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e12, 1e15};
    for (int i = 0; i < 100000 && bad < 5; i++) {
        int64_t m = (int64_t)(fx_rng(&s) % 1000000000000ull); /* up to 12 digits */
        double sc = p10[fx_rng(&s) % (sizeof p10 / sizeof p10[0])];
        bad += fx_check((double)m / sc, "decimal");
        bad += fx_check(-(double)m * sc / 1e6, "decimal");
        /* an exact binary tie in the tenth significant digit, at several scales */
        double tie = (double)(100000000 + (int64_t)(fx_rng(&s) % 900000000)) + 0.5;
        bad += fx_check(ldexp(tie, (int)(fx_rng(&s) % 40) - 20), "tie");
        bad += fx_check(tie * 10, "tie x10");
        /* cycles / MHz, bytes / time */
        double cyc = (double)(fx_rng(&s) % 10000000000ull), mhz = 100 + (double)(fx_rng(&s) % 2000);
        bad += fx_check(cyc / mhz, "cycles/MHz");
        bad += fx_check(cyc / mhz * 1e-3, "ratio");
        bad += fx_check((double)m, "integer");
    }
    for (int e = -12; e <= 16 && bad < 5; e++) {
        double v = pow(10, e);
        bad += fx_check(v, "power of ten");
        bad += fx_check(nextafter(v, 0), "below a power of ten");
        bad += fx_check(nextafter(v, INFINITY), "above a power of ten");
        bad += fx_check(v * (1 - 5e-10), "rounds up to a power of ten");
        bad += fx_check(v * (1 - 4e-10), "rounds up to a power of ten");
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(fx_check(-0.0, "minus zero") == 0);
}

TEST(format_parse)
{
    npu_format f = NPU_FMT_TABLE;
    CHECK_EQ_INT(npu_format_parse("json", &f), 0);
    CHECK_EQ_INT(f, NPU_FMT_JSON);
    CHECK_EQ_INT(npu_format_parse("CSV", &f), 0);
    CHECK_EQ_INT(f, NPU_FMT_CSV);
    CHECK_EQ_INT(npu_format_parse("table", &f), 0);
    CHECK_EQ_INT(f, NPU_FMT_TABLE);
    CHECK(npu_format_parse("xml", &f) != 0);
    CHECK(npu_format_parse(NULL, &f) != 0);
}

TEST(graph_info)
{
    npu_err err = {0};
    npu_graph *g = npu_graph_new("tiny");
    CHECK(g != NULL);
    if (!g)
        return;
    int64_t dims[4] = {1, 3, 8, 8};
    CHECK(npu_graph_add_input(g, "data", 4, dims, NPU_DT_INT8, &err) >= 0);
    const char *in0[] = {"data"};
    int c1 = npu_graph_add_layer(g, NPU_OP_CONV, "c1", 1, in0, 1, &err);
    CHECK(c1 >= 0);
    npu_layer_set_int(g, c1, "out", 4);
    npu_layer_set_int(g, c1, "k", 3);
    npu_layer_set_int(g, c1, "p", 1);
    const char *in1[] = {"c1"};
    int c2 = npu_graph_add_layer(g, NPU_OP_CONV, "c2", 1, in1, 1, &err);
    CHECK(c2 >= 0);
    npu_layer_set_int(g, c2, "out", 4);
    npu_layer_set_int(g, c2, "k", 1);
    const char *in2[] = {"c2", "c1"};
    CHECK(npu_graph_add_layer(g, NPU_OP_ADD, "sum", 2, in2, 1, &err) >= 0);
    CHECK_EQ_INT(npu_graph_mark_output(g, "sum", &err), 0);
    int rc = npu_graph_infer(g, &err);
    CHECK_EQ_INT(rc, 0);
    if (rc) {
        printf("  %s\n", err.msg);
        npu_graph_free(g);
        return;
    }
    npu_strbuf sb;
    npu_sb_init(&sb);
    CHECK_EQ_INT(npu_report_graph(g, NPU_FMT_TABLE, &sb), 0);
    /* c1: 4 out × 3 in × 3×3 × 8×8 = 6912 MACs; c2: 4×4×64 = 1024 */
    CHECK_CONTAINS(sb.s, "1x4x8x8");
    CHECK_CONTAINS(sb.s, "total (3 layers)");
    CHECK_CONTAINS(sb.s, "7936 MACs");
    CHECK_CONTAINS(sb.s, "ops: conv 2, add 1");
    npu_sb_free(&sb);
    npu_sb_init(&sb);
    CHECK_EQ_INT(npu_report_graph(g, NPU_FMT_JSON, &sb), 0);
    CHECK(json_valid(sb.s));
    CHECK_CONTAINS(sb.s, "\"ops\": {\"conv\": 2, \"add\": 1}");
    CHECK_CONTAINS(sb.s, "\"macs\": 6912");
    npu_sb_free(&sb);
    npu_sb_init(&sb);
    CHECK_EQ_INT(npu_report_graph(g, NPU_FMT_CSV, &sb), 0);
    CHECK_CONTAINS(sb.s, "index,name,op,act,output,dtype,macs,params,notes\n0,c1,conv,none,1x4x8x8,");
    npu_sb_free(&sb);
    npu_graph_free(g);
}

/* ---- traces ------------------------------------------------------------------------------------ */

static char *slurp_gz(const char *path)
{
    gzFile f = gzopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                gzclose(f);
                return NULL;
            }
            buf = nb;
        }
        int n = gzread(f, buf + len, 4096);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    gzclose(f);
    buf[len] = 0;
    return buf;
}

static int is_gzip_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    int a = fgetc(f), b = fgetc(f);
    fclose(f);
    return a == 0x1f && b == 0x8b;
}

TEST(trace_json_and_gz)
{
    npu_err err = {0};
    const npu_param_def *tabs[] = {npu_engine_param_defs, npu_common_param_defs};
    npu_params *p = npu_params_new(tabs, 2, &err);
    CHECK(p != NULL);
    if (!p) {
        printf("  %s\n", err.msg);
        return;
    }
    npu_engine *e = npu_engine_new(p, 2, &err);
    CHECK(e != NULL);
    if (!e) {
        printf("  %s\n", err.msg);
        npu_params_free(p);
        return;
    }
    int clk = npu_engine_clock(e, "core", 1000);
    int mac = npu_engine_unit(e, "MAC \"array\"", NPU_UK_COMPUTE, clk, 1, 0);
    int dma = npu_engine_unit(e, "dma", NPU_UK_DMA, clk, 2, 32);
    npu_engine_record(e, true);
    for (int i = 0; i < 4; i++) {
        npu_job j;
        memset(&j, 0, sizeof j);
        j.unit = dma;
        j.layer = i / 2;
        j.label = "load";
        j.nxfer = 1;
        j.xfer[0].port = NPU_PORT_DRAM;
        j.xfer[0].bytes = 4096;
        CHECK_EQ_INT(npu_engine_submit(e, &j, &err), 0);
        memset(&j, 0, sizeof j);
        j.unit = mac;
        j.layer = i / 2;
        j.cycles = 1000.5;
        CHECK_EQ_INT(npu_engine_submit(e, &j, &err), 0);
    }
    CHECK_EQ_INT(npu_engine_run(e, &err), 0);
    size_t niv = 0;
    npu_engine_intervals(e, &niv);
    CHECK(niv >= 8);

    npu_program *prog = npu_prog_new("systolic", "sys", "tiny");
    CHECK(prog != NULL);
    npu_prog_layer pl = {0};
    pl.name = "first";
    pl.op = "conv";
    npu_prog_add_layer(prog, &pl);
    pl.name = "second \"quoted\"";
    npu_prog_add_layer(prog, &pl);

    char dir[] = "/tmp/npu_trace_testXXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char pj[128], pg[128];
    snprintf(pj, sizeof pj, "%s/t.json", dir);
    snprintf(pg, sizeof pg, "%s/t.json.gz", dir);

    CHECK_EQ_INT(npu_trace_write(pj, e, prog, false, &err), 0);
    char *txt = NULL;
    size_t len = 0;
    npu_err e2 = {0};
    CHECK_EQ_INT(npu_read_file(pj, &txt, &len, &e2), 0);
    CHECK(txt && json_valid(txt));
    if (txt) {
        CHECK_CONTAINS(txt, "{\"traceEvents\":[");
        CHECK_CONTAINS(txt, "\"thread_name\"");
        CHECK_CONTAINS(txt, "\"name\":\"MAC \\\"array\\\"\"");
        CHECK_CONTAINS(txt, "\"name\":\"dram\"");
        CHECK_CONTAINS(txt, "\"layer\":\"second \\\"quoted\\\"\"");
        CHECK_CONTAINS(txt, "\"ph\":\"X\"");
        /* 1000.5 cycles at 1000 MHz = 1.0005 µs = 1000500 ps exactly */
        CHECK_CONTAINS(txt, "\"dur\":1.000500");
        CHECK_CONTAINS(txt, "\"bytes\":4096");
        /* the layer track: one span per layer */
        CHECK_CONTAINS(txt, "\"cat\":\"layer\",\"name\":\"first\",\"pid\":3,\"tid\":1,\"ts\":0.000000");
        CHECK_CONTAINS(txt, "\"process_name\",\"pid\":3");
        /* the in-flight counter of the DRAM port: starts at 2 (two DMA slots), ends at 0 */
        CHECK_CONTAINS(txt, "{\"ph\":\"C\",\"name\":\"dram in flight\",\"pid\":2,\"ts\":0.000000,"
                            "\"args\":{\"transfers\":2}}");
        CHECK_CONTAINS(txt, "\"args\":{\"transfers\":0}}\n]");
    }
    /* no overwrite without force; file unchanged */
    err.code = 0;
    CHECK_EQ_INT(npu_trace_write(pj, e, NULL, false, &err), NPU_EEXIST);
    CHECK_CONTAINS(err.msg, "t.json");
    char *txt2 = NULL;
    CHECK_EQ_INT(npu_read_file(pj, &txt2, &len, &e2), 0);
    CHECK(txt && txt2 && strcmp(txt, txt2) == 0);
    free(txt2);
    /* with force: replaced (now without program: layer names "layer N") */
    CHECK_EQ_INT(npu_trace_write(pj, e, NULL, true, &err), 0);
    txt2 = NULL;
    CHECK_EQ_INT(npu_read_file(pj, &txt2, &len, &e2), 0);
    CHECK(txt2 && json_valid(txt2));
    if (txt2)
        CHECK_CONTAINS(txt2, "\"layer\":\"layer 1\"");
    free(txt2);

    /* gzip: a real gzip stream whose content is the same JSON */
    CHECK_EQ_INT(npu_trace_write(pg, e, prog, false, &err), 0);
    CHECK(is_gzip_file(pg));
    char *gz = slurp_gz(pg);
    CHECK(gz && txt && strcmp(gz, txt) == 0);
    free(gz);
    free(txt);

    /* unwritable directory → NPU_EIO naming the path */
    CHECK_EQ_INT(npu_trace_write("/nonexistent_dir_npu/x.json", e, prog, false, &err), NPU_EIO);
    CHECK_CONTAINS(err.msg, "/nonexistent_dir_npu/x.json");

    remove(pj);
    remove(pg);
    rmdir(dir);
    npu_prog_free(prog);
    npu_engine_free(e);
    npu_params_free(p);
}

int main(void)
{
    RUN(json_checker_self_test);
    RUN(csv_header_is_the_field_list);
    RUN(json_valid_and_deterministic);
    RUN(json_escapes_hostile_names);
    RUN(table_and_json_agree_on_utf8);
    RUN(table_has_totals);
    RUN(compare_matches_by_name);
    RUN(empty_result_and_bad_arguments);
    RUN(reals_as_printf);
    RUN(format_parse);
    RUN(graph_info);
    RUN(trace_json_and_gz);
    return TEST_REPORT();
}
