/* params_test.c — typed parameters, --set text, presets in the Lua sandbox. */
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "core/params.h"
#include "script/script.h"
#include "models/model.h"
#include "npusim_int.h"
#include "test.h"

static const npu_param_def model_defs[] = {
    {.name = "cores", .type = NPU_P_INT, .def = 1, .min = 1, .max = 3, .unit = "", .doc = "cores"},
    {.name = "cbuf_kb",
     .type = NPU_P_INT,
     .def = 384,
     .min = 16,
     .max = 4096,
     .unit = "KiB",
     .doc = "conv buffer"},
    {.name = "freq_mhz",
     .type = NPU_P_FLOAT,
     .def = 1000,
     .min = 1,
     .max = 5000,
     .unit = "MHz",
     .doc = "clock"},
    {.name = "winograd", .type = NPU_P_BOOL, .def = 0, .doc = "winograd"},
    {.name = "dataflow",
     .type = NPU_P_ENUM,
     .def_s = "ws",
     .choices = "os|ws|is",
     .doc = "dataflow"},
    {.name = "host.cpu", .type = NPU_P_STR, .def_s = "none", .doc = "cpu profile"},
    {.name = "dram.gbps",
     .type = NPU_P_FLOAT,
     .def = 10,
     .min = 0.1,
     .max = 1000,
     .unit = "GB/s",
     .doc = "dram"},
    {.name = "free", .type = NPU_P_FLOAT, .def = -5, .doc = "no range (min = max = 0)"},
    {.name = NULL},
};

static npu_params *mk(void)
{
    const npu_param_def *const t[] = {model_defs, npu_common_param_defs};
    npu_err err = {0};
    npu_params *p = npu_params_new(t, 2, &err);
    if (!p)
        printf("  npu_params_new: %s\n", err.msg);
    return p;
}

TEST(defaults)
{
    npu_params *p = mk();
    CHECK(p != NULL);
    if (!p)
        return;
    CHECK_EQ_INT(p->n, 11);
    CHECK_EQ_INT(npu_params_int(p, "cores"), 1);
    CHECK_EQ_INT(npu_params_int(p, "cbuf_kb"), 384);
    CHECK_NEAR(npu_params_float(p, "freq_mhz"), 1000, 0);
    CHECK(!npu_params_bool(p, "winograd"));
    CHECK_STR(npu_params_str(p, "dataflow"), "ws");
    CHECK_STR(npu_params_str(p, "dtype"), "auto");
    CHECK_STR(npu_params_str(p, "host.cpu"), "none");
    CHECK(!npu_params_is_set(p, "cores"));
    CHECK_EQ_INT(npu_params_find(p, "nope"), -1);
    CHECK_EQ_INT(npu_params_find(p, "dtype"), 8);
    npu_params_free(p);
}

TEST(clash_and_bad_default)
{
    const npu_param_def *const t[] = {model_defs, model_defs};
    npu_err err = {0};
    CHECK(npu_params_new(t, 2, &err) == NULL);
    CHECK_EQ_INT(err.code, NPU_EINVAL);
    CHECK_CONTAINS(err.msg, "'cores' is declared twice");

    static const npu_param_def bad[] = {
        {.name = "x", .type = NPU_P_INT, .def = 0, .min = 1, .max = 3}, {.name = NULL}};
    const npu_param_def *const t2[] = {bad};
    CHECK(npu_params_new(t2, 1, &err) == NULL);
    CHECK_CONTAINS(err.msg, "out of range");
    static const npu_param_def bade[] = {
        {.name = "e", .type = NPU_P_ENUM, .def_s = "zz", .choices = "a|b"}, {.name = NULL}};
    const npu_param_def *const t3[] = {bade};
    CHECK(npu_params_new(t3, 1, &err) == NULL);
    CHECK_CONTAINS(err.msg, "is not one of a|b");
}

TEST(set_errors)
{
    npu_params *p = mk();
    if (!p)
        return;
    npu_err err = {0};
    CHECK_EQ_INT(npu_params_set(p, "cbuf_kbb", "1", NPU_PO_PRESET, "rk3588.lua", &err), NPU_EINVAL);
    CHECK_STR(err.msg, "rk3588.lua: key 'cbuf_kbb' unknown (did you mean 'cbuf_kb'?)");
    CHECK(npu_params_set(p, "zzzzzzzz", "1", NPU_PO_SET, "--set", &err) != 0);
    CHECK_CONTAINS(err.msg, "--set: key 'zzzzzzzz' unknown");
    CHECK(!strstr(err.msg, "did you mean"));

    CHECK(npu_params_set(p, "freq_mhz", "fast", NPU_PO_SET, "--set", &err) != 0);
    CHECK_STR(err.msg, "--set: 'freq_mhz' = 'fast' is not a number");
    CHECK(npu_params_set(p, "freq_mhz", "", NPU_PO_SET, "--set", &err) != 0);
    CHECK(npu_params_set(p, "freq_mhz", "12abc", NPU_PO_SET, "--set", &err) != 0);
    CHECK(npu_params_set(p, "freq_mhz", "nan", NPU_PO_SET, "--set", &err) != 0);
    CHECK(npu_params_set(p, "freq_mhz", "inf", NPU_PO_SET, "--set", &err) != 0);
    CHECK(npu_params_set(p, "cores", "9", NPU_PO_SET, "x.lua", &err) != 0);
    CHECK_STR(err.msg, "x.lua: 'cores' = 9 out of range [1, 3]");
    CHECK(npu_params_set(p, "cores", "0", NPU_PO_SET, "x.lua", &err) != 0);
    CHECK(npu_params_set(p, "cores", "-1", NPU_PO_SET, "x.lua", &err) != 0);
    CHECK(npu_params_set(p, "cores", "2.5", NPU_PO_SET, "--set", &err) != 0);
    CHECK_STR(err.msg, "--set: 'cores' = '2.5' is not an integer");
    CHECK(npu_params_set(p, "freq_mhz", "5000.5", NPU_PO_SET, "--set", &err) != 0);
    CHECK_STR(err.msg, "--set: 'freq_mhz' = 5000.5 out of range [1, 5000] MHz");
    CHECK(npu_params_set(p, "dataflow", "xs", NPU_PO_SET, "--set", &err) != 0);
    CHECK_STR(err.msg, "--set: 'dataflow' = 'xs' is not one of os|ws|is (did you mean 'os'?)");
    CHECK(npu_params_set(p, "winograd", "maybe", NPU_PO_SET, "--set", &err) != 0);
    CHECK_CONTAINS(err.msg, "'winograd' = 'maybe' is not a boolean");
    CHECK(npu_params_set(p, "dtype", "int7", NPU_PO_SET, "--set", &err) != 0);
    CHECK_CONTAINS(err.msg, "auto|int8|uint8|int16|int4|fp16|bf16|fp32");
    /* failed sets leave values untouched */
    CHECK_EQ_INT(npu_params_int(p, "cores"), 1);
    CHECK_STR(npu_params_str(p, "dataflow"), "ws");
    CHECK(!npu_params_is_set(p, "cores"));
    npu_params_free(p);
}

TEST(set_values)
{
    npu_params *p = mk();
    if (!p)
        return;
    npu_err err = {0};
    CHECK_EQ_INT(npu_params_set(p, "cores", "3", NPU_PO_SET, "--set", &err), 0);
    CHECK_EQ_INT(npu_params_int(p, "cores"), 3);
    CHECK(npu_params_is_set(p, "cores"));
    CHECK_EQ_INT(npu_params_set(p, "cbuf_kb", "1e3", NPU_PO_SET, "--set", &err), 0);
    CHECK_EQ_INT(npu_params_int(p, "cbuf_kb"), 1000);
    CHECK_EQ_INT(npu_params_set(p, "cbuf_kb", "0x40", NPU_PO_SET, "--set", &err), 0);
    CHECK_EQ_INT(npu_params_int(p, "cbuf_kb"), 64);
    CHECK_EQ_INT(npu_params_set(p, "free", "-1e30", NPU_PO_SET, "--set", &err), 0);
    CHECK_NEAR(npu_params_float(p, "free"), -1e30, 0);
    CHECK_EQ_INT(npu_params_set(p, "dataflow", "OS", NPU_PO_SET, "--set", &err), 0);
    CHECK_STR(npu_params_str(p, "dataflow"), "os");
    const char *yes[] = {"true", "1", "yes", "on", "TRUE", "On"};
    const char *no[] = {"false", "0", "no", "off", "False", "OFF"};
    for (int i = 0; i < 6; i++) {
        CHECK_EQ_INT(npu_params_set(p, "winograd", yes[i], NPU_PO_SET, "--set", &err), 0);
        CHECK(npu_params_bool(p, "winograd"));
        CHECK_EQ_INT(npu_params_set(p, "winograd", no[i], NPU_PO_SET, "--set", &err), 0);
        CHECK(!npu_params_bool(p, "winograd"));
    }
    CHECK_EQ_INT(npu_params_set_num(p, "freq_mhz", 1234.5, NPU_PO_SET, "lua", &err), 0);
    CHECK_NEAR(npu_params_float(p, "freq_mhz"), 1234.5, 0);
    CHECK(npu_params_set_num(p, "cores", 7, NPU_PO_SET, "lua", &err) != 0);
    CHECK_EQ_INT(npu_params_set_kv(p, " dram.gbps = 33.8", &err), 0);
    CHECK_NEAR(npu_params_float(p, "dram.gbps"), 33.8, 0);
    CHECK_EQ_INT(npu_params_set_kv(p, "host.cpu=cortex-a76 linux", &err), 0);
    CHECK_STR(npu_params_str(p, "host.cpu"), "cortex-a76 linux");
    CHECK(npu_params_set_kv(p, "cores", &err) != 0);
    CHECK_CONTAINS(err.msg, "is not key=value");
    CHECK(npu_params_set_kv(p, "=3", &err) != 0);
    CHECK(npu_params_set_kv(p, "cores=4", &err) != 0);
    CHECK_STR(err.msg, "--set: 'cores' = 4 out of range [1, 3]");

    npu_strbuf sb;
    npu_sb_init(&sb);
    const char *want[] = {"3",    "64",     "1234.5", "false", "os", "cortex-a76 linux",
                          "33.8", "-1e+30", "auto", "auto", "auto"}; /* dtype wdtype adtype */
    for (int i = 0; i < p->n; i++) {
        sb.len = 0;
        npu_sb_puts(&sb, "");
        npu_params_format(p, i, &sb);
        CHECK_STR(sb.s, want[i]);
    }
    npu_sb_free(&sb);

    /* clone is deep and independent */
    p->arch = "rk_test";
    npu_params *c = npu_params_clone(p);
    p->arch = NULL;
    CHECK(c != NULL);
    if (c) {
        CHECK_STR(c->arch, "rk_test");
        CHECK_STR(npu_params_str(c, "host.cpu"), "cortex-a76 linux");
        CHECK_EQ_INT(npu_params_set_kv(c, "cores=1", &err), 0);
        CHECK_EQ_INT(npu_params_int(p, "cores"), 3);
        CHECK_EQ_INT(npu_params_int(c, "cores"), 1);
        npu_params_free(c);
    }
    npu_params_free(p);
}

static npu_preset *parse(const char *file, const char *text, npu_err *err)
{
    return npu_preset_parse(file, text, strlen(text), err);
}

TEST(preset_parse_apply)
{
    npu_err err = {0};
    const char *txt =
        "-- a preset\n"
        "local kb = 128\n"
        "return { model = 'rknpu', name = 'rk_t', doc = 'test chip', base = 'rk_base',\n"
        "  cores = 3, cbuf_kb = kb * 3, freq_mhz = 1000.5, winograd = true,\n"
        "  dataflow = 'os', ['dram.gbps'] = 33.8,\n"
        "  sources = { cores = 'TRM 36.1', ['dram.gbps'] = 'LPDDR4X-4266 x 64 bit' } }\n";
    npu_preset *pr = parse("rk_t.lua", txt, &err);
    CHECK(pr != NULL);
    if (!pr) {
        printf("  %s\n", err.msg);
        return;
    }
    CHECK_STR(pr->model, "rknpu");
    CHECK_STR(pr->name, "rk_t");
    CHECK_STR(pr->doc, "test chip");
    CHECK_STR(pr->base, "rk_base");
    CHECK_EQ_INT(pr->n, 6);
    /* sorted by key */
    CHECK_STR(pr->kv[0].key, "cbuf_kb");
    CHECK_STR(pr->kv[0].text, "384");
    CHECK_STR(pr->kv[3].key, "dram.gbps");
    CHECK_STR(pr->kv[3].text, "33.799999999999997");
    CHECK_STR(pr->kv[3].source, "LPDDR4X-4266 x 64 bit");
    CHECK_STR(pr->kv[4].text, "1000.5");
    CHECK_STR(pr->kv[5].key, "winograd");
    CHECK_STR(pr->kv[5].text, "true");
    npu_params *p = mk();
    CHECK_EQ_INT(npu_preset_apply(pr, p, &err), 0);
    CHECK_EQ_INT(npu_params_int(p, "cores"), 3);
    CHECK_EQ_INT(npu_params_int(p, "cbuf_kb"), 384);
    CHECK_NEAR(npu_params_float(p, "dram.gbps"), 33.8, 0);
    CHECK(npu_params_bool(p, "winograd"));
    int i = npu_params_find(p, "cores");
    CHECK_EQ_INT(p->v[i].origin, NPU_PO_PRESET);
    CHECK_STR(p->v[i].source, "TRM 36.1");
    CHECK(p->v[npu_params_find(p, "cbuf_kb")].source == NULL);
    npu_params_free(p);
    npu_preset_free(pr);

    /* name defaults to the file's base name; base without model is fine */
    pr = parse("/some/dir/my_chip.lua", "return { base = 'rk3588', cores = 1 }", &err);
    CHECK(pr != NULL);
    if (pr) {
        CHECK_STR(pr->name, "my_chip");
        CHECK(pr->model == NULL);
        npu_preset_free(pr);
    }
}

TEST(preset_apply_errors)
{
    npu_err err = {0};
    npu_preset *pr = parse("rk3588.lua", "return { model='rknpu', cbuf_kbb = 1 }", &err);
    CHECK(pr != NULL);
    npu_params *p = mk();
    if (pr && p) {
        CHECK(npu_preset_apply(pr, p, &err) != 0);
        CHECK_STR(err.msg, "rk3588.lua: key 'cbuf_kbb' unknown (did you mean 'cbuf_kb'?)");
    }
    npu_preset_free(pr);
    pr = parse("rk3588.lua", "return { model='rknpu', cores = 9 }", &err);
    if (pr && p) {
        CHECK(npu_preset_apply(pr, p, &err) != 0);
        CHECK_STR(err.msg, "rk3588.lua: 'cores' = 9 out of range [1, 3]");
    }
    npu_preset_free(pr);
    pr = parse("rk3588.lua", "return { model='rknpu', dataflow = 'diagonal' }", &err);
    if (pr && p) {
        CHECK(npu_preset_apply(pr, p, &err) != 0);
        CHECK_CONTAINS(err.msg, "rk3588.lua: 'dataflow' = 'diagonal' is not one of os|ws|is");
    }
    npu_preset_free(pr);
    npu_params_free(p);
}

static void expect_fail(const char *text, const char *needle)
{
    npu_err err = {0};
    npu_preset *pr = parse("bad.lua", text, &err);
    CHECK(pr == NULL);
    if (pr) {
        printf("  unexpectedly parsed: %s\n", text);
        npu_preset_free(pr);
        return;
    }
    CHECK_EQ_INT(err.code, NPU_EFORMAT);
    CHECK_CONTAINS(err.msg, "bad.lua");
    CHECK_CONTAINS(err.msg, needle);
}

TEST(preset_errors)
{
    expect_fail("return { model = 'x', cores = {1,2} }", "key 'cores' has a table value");
    expect_fail("return { model = 'x', cores = function() end }", "key 'cores' has a function");
    expect_fail("return { model = 3 }", "key 'model' must be a string, not a number");
    expect_fail("return { model = 'x', base = true }", "key 'base' must be a string");
    expect_fail("return { model = 'x', sources = 'TRM' }", "'sources' must be a table");
    expect_fail("return { model = 'x', a = 1, sources = { a = 3 } }", "'sources' must map");
    expect_fail("return { model = 'x', a = 1, sources = { b = 'x' } }",
                "sources['b'] documents a key the preset does not set");
    expect_fail("return { model = 'x', 5 }", "preset keys must be strings");
    expect_fail("return 42", "must return a table, not a number");
    expect_fail("return", "must return a table, not a nil");
    expect_fail("return { cores = 1 }", "neither 'model' nor 'base'");
    expect_fail("return { model = 'x'", "bad.lua:1:");           /* syntax error */
    expect_fail("error('boom')", "attempt to call a nil value"); /* no libraries */
    expect_fail("return { model = string.upper('x') }", "string");
    expect_fail("return { model = require('os') }", "require");
    expect_fail("while true do end", "runs too long");
    expect_fail("local t = {} local i = 0 while true do i = i + 1 t[i] = i .. 'xxxxxxxxxxxx' end",
                "memory");
    expect_fail("local s = 'x' while true do s = s .. s end", "memory");
    /* under the memory cap and the instruction budget, but 4 TB of copying: bounded by the
     * bytes allocated in all (NPU_SCRIPT_PRESET_ALLOC) */
    expect_fail("local s = 'x' for i = 1, 22 do s = s .. s end "
                "for i = 1, 1e6 do local t = s .. i end return { model = 'x' }",
                "preset allocated more than 256 MiB in all");
    expect_fail("\x1bLua", "");             /* bytecode refused */
    expect_fail("", "must return a table"); /* empty */
    expect_fail("local function f() return f() + 1 end return f()", "bad.lua");
}

TEST(preset_binary_text)
{
    /* embedded NUL bytes in the text: Lua loads by length, so no over-read */
    static const char txt[] = "return { model = 'x' }\0garbage";
    npu_err err = {0};
    npu_preset *pr = npu_preset_parse("nul.lua", txt, sizeof txt - 1, &err);
    CHECK(pr == NULL); /* the NUL is a syntax error */
    npu_preset_free(pr);
    pr = npu_preset_parse("ok.lua", txt, strlen(txt), &err);
    CHECK(pr != NULL);
    npu_preset_free(pr);
}

/* Mutated preset texts (fixed-seed LCG): each parses or fails with EFORMAT naming the file;
 * never a crash, a leak or a hang. */
TEST(preset_mutations)
{
    static const char base[] =
        "local k = 128\nreturn { model = 'rknpu', name = 'm', base = 'b', cores = 3,\n"
        "  cbuf_kb = k * 3, ['dram.gbps'] = 33.8, on = true, s = 'x',\n"
        "  sources = { cores = 'TRM' } }\n";
    static const char alphabet[] = "{}[]()'\"=,.;:-+*/%^#<>~ \n\tabcdefkrtun0123456789\\\x1b";
    size_t n = sizeof base - 1;
    char buf[sizeof base + 8];
    unsigned long long x = 12345;
    int ok = 0, bad = 0;
    for (int it = 0; it < 3000; it++) {
        memcpy(buf, base, n + 1);
        size_t len = n;
        int edits = 1 + it % 3;
        for (int e = 0; e < edits; e++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            size_t at = (size_t)(x >> 33) % len;
            char c = alphabet[(x >> 20) % (sizeof alphabet - 1)];
            if ((x >> 8) % 4 == 0 && len > 1)
                len = at + 1; /* truncate */
            else
                buf[at] = c;
        }
        npu_err err = {0};
        npu_preset *pr = npu_preset_parse("mut.lua", buf, len, &err);
        if (pr) {
            ok++;
            npu_preset_free(pr);
        } else if (err.code == NPU_EFORMAT && strstr(err.msg, "mut.lua")) {
            bad++;
        } else {
            FAILF("mutation %d: code %d msg %s", it, err.code, err.msg);
        }
    }
    CHECK(ok > 0 && bad > 0);
}

/* ---- architectures: preset lookup and base chains (sim/npusim.c) ------------------------------
 */
static char pdir[256];

static void put(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", pdir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    fputs(text, f);
    fclose(f);
}

static const char *const pfiles[] = {
    "loop_a.lua", "loop_b.lua", "fast_tpu.lua", "plain.lua",  "clash.lua", "nobase.lua",
    "self.lua",   "spin.lua",   "tpu_v1.lua",   "badval.lua", NULL};

TEST(arch_base_chains)
{
    snprintf(pdir, sizeof pdir, "/tmp/npu_params_test_%ld", (long)getpid());
    char cmd[300];
    snprintf(cmd, sizeof cmd, "mkdir -p %s", pdir);
    if (system(cmd) != 0) {
        CHECK(0);
        return;
    }
    put("loop_a.lua", "return { base = 'loop_b', rows = 8 }");
    put("loop_b.lua", "return { base = 'loop_a', cols = 8 }");
    put("self.lua", "return { base = 'self' }");
    put("fast_tpu.lua", "return { base = 'tpu_v1', name = 'fast_tpu', freq_mhz = 1400,"
                        " sources = { freq_mhz = 'what if' } }");
    put("plain.lua", "return { base = 'systolic', rows = 64 }");
    put("clash.lua", "return { model = 'nosuchmodel', base = 'systolic' }");
    put("nobase.lua", "return { base = 'nosuchpreset' }");
    put("spin.lua", "while true do end");
    put("badval.lua", "return { base = 'plain', rows = 'many' }");
    /* a user preset named like a built-in one wins (--preset-path comes first) */
    put("tpu_v1.lua", "return { model = 'systolic', rows = 7, doc = 'user copy' }");

    npu_ctx *ctx = npu_ctx_new();
    npu_err err = {0};
    /* without the path, tpu_v1 is the built-in one */
    npu_arch *a = npu_arch_open(ctx, "tpu_v1", &err);
    CHECK(a != NULL);
    if (a) {
        CHECK_EQ_INT(npu_params_int(npu_arch_params(a), "rows"), 256);
        npu_arch_free(a);
    }
    CHECK_EQ_INT(npu_ctx_add_preset_path(ctx, pdir), 0);
    a = npu_arch_open(ctx, "tpu_v1", &err);
    if (a) {
        CHECK_EQ_INT(npu_params_int(npu_arch_params(a), "rows"), 7);
        npu_arch_free(a);
    }

    a = npu_arch_open(ctx, "fast_tpu", &err);
    CHECK(a != NULL);
    if (!a)
        printf("  %s\n", err.msg);
    if (a) {
        const npu_params *p = npu_arch_params(a);
        CHECK_STR(npu_arch_name(a), "fast_tpu");
        CHECK_STR(npu_arch_model(a), "systolic");
        /* base tpu_v1 is found beside fast_tpu.lua first: the user copy (rows 7) */
        CHECK_EQ_INT(npu_params_int(p, "rows"), 7);
        CHECK_NEAR(npu_params_float(p, "freq_mhz"), 1400, 0);
        CHECK_STR(p->v[npu_params_find(p, "freq_mhz")].source, "what if");
        CHECK_STR(p->doc, "user copy");
        npu_strbuf sb;
        npu_sb_init(&sb);
        CHECK_EQ_INT(npu_arch_describe(a, &sb), 0);
        CHECK_CONTAINS(sb.s, "# fast_tpu (model systolic)");
        CHECK_CONTAINS(sb.s, "[what if]");
        CHECK_CONTAINS(sb.s, "os|ws|is");
        npu_sb_free(&sb);
        /* clone + set: independent; host profile re-resolved after --set host.cpu */
        npu_arch *c = npu_arch_clone(a);
        CHECK(c != NULL);
        if (c) {
            CHECK_EQ_INT(npu_arch_set_kv(c, "rows=9", &err), 0);
            CHECK_EQ_INT(npu_params_int(npu_arch_params(c), "rows"), 9);
            CHECK_EQ_INT(npu_params_int(npu_arch_params(a), "rows"), 7);
            double f0 = npu_params_float(npu_arch_params(c), "host.freq_mhz");
            CHECK_EQ_INT(npu_arch_set(c, "host.cpu", "cortex-a76-linux", &err), 0);
            CHECK_NEAR(npu_params_float(npu_arch_params(c), "host.freq_mhz"), 2352, 0);
            CHECK(!npu_params_is_set(npu_arch_params(c), "host.freq_mhz"));
            CHECK_EQ_INT(npu_arch_set(c, "host.cpu", "none", &err), 0);
            CHECK_NEAR(npu_params_float(npu_arch_params(c), "host.freq_mhz"), f0, 0);
            CHECK(npu_arch_set(c, "rows", "-3", &err) != 0);
            CHECK_CONTAINS(err.msg, "'rows' = -3 out of range");
            npu_arch_free(c);
        }
        npu_arch_free(a);
    }
    a = npu_arch_open(ctx, "plain", &err);
    if (a) {
        CHECK_EQ_INT(npu_params_int(npu_arch_params(a), "rows"), 64);
        CHECK_STR(npu_arch_name(a), "plain");
        npu_arch_free(a);
    } else
        FAILF("plain: %s", err.msg);
    /* a path ending in .lua */
    char path[512];
    snprintf(path, sizeof path, "%s/plain.lua", pdir);
    a = npu_arch_open(NULL, path, &err);
    CHECK(a != NULL);
    npu_arch_free(a);
    /* a bare model */
    a = npu_arch_open(ctx, "SYSTOLIC", &err);
    CHECK(a != NULL);
    if (a) {
        CHECK_STR(npu_arch_model(a), "systolic");
        npu_arch_free(a);
    }

    struct {
        const char *name, *needle;
    } bad[] = {
        {"loop_a", "cycle"},
        {"self", "cycle"},
        {"clash", "differs"},
        {"nobase", "base 'nosuchpreset' is neither a preset nor a model"},
        {"spin", "runs too long"},
        {"badval", "badval.lua: 'rows' = 'many' is not a number"},
        {"nosuch", "unknown architecture 'nosuch'"},
        {"tpu_v", "did you mean 'tpu_v1'"},
        {"/no/such/file.lua", "cannot open"},
        {"", "no architecture"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        npu_err_clear(&err);
        a = npu_arch_open(ctx, bad[i].name, &err);
        if (a) {
            FAILF("'%s' opened", bad[i].name);
            npu_arch_free(a);
            continue;
        }
        CHECK(err.code != 0);
        CHECK_CONTAINS(err.msg, bad[i].needle);
        CHECK_STR(npu_ctx_err(ctx)->msg, err.msg);
    }
    npu_ctx_free(ctx);
    for (int i = 0; pfiles[i]; i++) {
        snprintf(path, sizeof path, "%s/%s", pdir, pfiles[i]);
        unlink(path);
    }
    rmdir(pdir);
}

TEST(name_lists)
{
    const char *const *m = npu_model_names();
    CHECK(m[0] != NULL);
    int sys = 0;
    for (; *m; m++)
        sys += strcmp(*m, "systolic") == 0;
    CHECK_EQ_INT(sys, 1);
    CHECK(npu_model_summary("systolic") != NULL);
    CHECK(npu_model_summary("nope") == NULL);
    /* every built-in preset opens */
    for (const char *const *p = npu_preset_names(); *p; p++) {
        npu_err err = {0};
        npu_arch *a = npu_arch_open(NULL, *p, &err);
        if (!a)
            FAILF("built-in preset %s: %s", *p, err.msg);
        npu_arch_free(a);
    }
    CHECK(npu_zoo_names()[0] != NULL);
    npu_err err = {0};
    CHECK(npu_model_find("systolik", &err) == NULL);
    CHECK_CONTAINS(err.msg, "unknown model 'systolik' (did you mean 'systolic'?); known: systolic");
}

int main(void)
{
    RUN(defaults);
    RUN(clash_and_bad_default);
    RUN(set_errors);
    RUN(set_values);
    RUN(preset_parse_apply);
    RUN(preset_apply_errors);
    RUN(preset_errors);
    RUN(preset_binary_text);
    RUN(preset_mutations);
    RUN(arch_base_chains);
    RUN(name_lists);
    return TEST_REPORT();
}
