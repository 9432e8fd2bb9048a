/* lua_api_test.c — the C side of sim/lua/lua.h: npu_lua_run_file (error messages as
 * "script.lua:N: message" with a traceback, status codes, non-string error objects, text-only
 * loading), npu_script_zoo (unknown names list the networks, arguments, the graph it returns)
 * and npu_lua_open_limited (each limit's message, a script within all of them, a sweep whose
 * points meet the context's job limit). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>

#include "lua/lua.h"
#include "script/script.h"
#include "test.h"

static char tmpdir[256];

/* Writes `text` to a fresh file in tmpdir and returns its path (static buffer per call site). */
static const char *script(const char *name, const char *text, char *path, size_t n)
{
    snprintf(path, n, "%s/%s", tmpdir, name);
    npu_err err = {0};
    if (npu_write_file(path, text, strlen(text), 1, &err) != 0)
        printf("cannot write %s: %s\n", path, err.msg);
    return path;
}

static int run(const char *path, npu_err *err)
{
    npu_ctx *ctx = npu_ctx_new();
    char *argv[] = {"a", "b"};
    int st = npu_lua_run_file(ctx, path, 2, argv, err);
    npu_ctx_free(ctx);
    return st;
}

TEST(runtime_error_names_file_and_line)
{
    char p[512], want[600];
    script("err.lua", "local x = 1\nlocal y = 2\nerror('boom')\n", p, sizeof p);
    npu_err err = {0};
    CHECK_EQ_INT(run(p, &err), NPU_EINVAL);
    snprintf(want, sizeof want, "%s:3: boom", p);
    CHECK(strncmp(err.msg, want, strlen(want)) == 0);
    CHECK_CONTAINS(err.msg, "stack traceback");
}

TEST(error_object_with_tostring)
{
    char p[512];
    script("obj.lua",
           "error(setmetatable({}, {__tostring = function() return 'custom object' end}))\n", p,
           sizeof p);
    npu_err err = {0};
    CHECK(run(p, &err) != 0);
    CHECK_CONTAINS(err.msg, "custom object");
    script("obj2.lua", "error({})\n", p, sizeof p);
    CHECK(run(p, &err) != 0);
    CHECK_CONTAINS(err.msg, "(error object is a table value)");
}

TEST(syntax_error_and_missing_file)
{
    char p[512];
    script("syn.lua", "local = 3\n", p, sizeof p);
    npu_err err = {0};
    CHECK_EQ_INT(run(p, &err), NPU_EFORMAT);
    CHECK_CONTAINS(err.msg, "syn.lua:1:");
    char missing[600];
    snprintf(missing, sizeof missing, "%s/nope.lua", tmpdir);
    CHECK_EQ_INT(run(missing, &err), NPU_EIO);
    CHECK_CONTAINS(err.msg, "nope.lua");
}

TEST(binary_chunk_refused)
{
    char p[512];
    /* a precompiled chunk starts with ESC "Lua" */
    script("bin.lua", "\033Lua\x54\x00garbage", p, sizeof p);
    npu_err err = {0};
    CHECK(run(p, &err) != 0);
    CHECK_CONTAINS(err.msg, "binary chunk");
}

TEST(script_args_and_success)
{
    char p[512];
    script("ok.lua",
           "local a, b = ...\nassert(a == 'a' and b == 'b')\nassert(arg[1] == 'a' and arg[2] == 'b')\n"
           "assert(type(npusim.builder) == 'function')\n",
           p, sizeof p);
    npu_err err = {0};
    CHECK_EQ_INT(run(p, &err), 0);
    if (err.code)
        printf("  %s\n", err.msg);
}

TEST(cancelled_context_stops_a_loop)
{
    char p[512];
    script("loop.lua", "local n = 0\nwhile true do n = n + 1 end\n", p, sizeof p);
    npu_ctx *ctx = npu_ctx_new();
    volatile int flag = 1; /* as if Ctrl-C had been pressed */
    npu_ctx_set_cancel(ctx, &flag);
    npu_err err = {0};
    CHECK_EQ_INT(npu_lua_run_file(ctx, p, 0, NULL, &err), NPU_EINTR);
    CHECK_CONTAINS(err.msg, "interrupted");
    npu_ctx_free(ctx);
}

TEST(zoo_unknown_lists_networks)
{
    npu_ctx *ctx = npu_ctx_new();
    npu_err err = {0};
    CHECK(npu_script_zoo(ctx, "resnet_fifty", NULL, &err) == NULL);
    CHECK_EQ_INT(err.code, NPU_EINVAL);
    CHECK_CONTAINS(err.msg, "unknown network 'resnet_fifty'");
    if (npu_builtin_zoo[0].name)
        CHECK_CONTAINS(err.msg, npu_builtin_zoo[0].name);
    npu_ctx_free(ctx);
}

TEST(zoo_builds_every_network_unprepared)
{
    npu_ctx *ctx = npu_ctx_new();
    for (const npu_builtin_text *z = npu_builtin_zoo; z->name; z++) {
        npu_err err = {0};
        npu_graph *g = npu_script_zoo(ctx, z->name, NULL, &err);
        if (!g) {
            FAILF("%s: %s", z->name, err.msg);
            continue;
        }
        CHECK(g->nl > 0);
        CHECK(g->noutputs > 0);
        CHECK(g->file && strstr(g->file, "scripts/zoo/") == g->file);
        npu_graph_free(g);
    }
    npu_ctx_free(ctx);
}

TEST(zoo_args)
{
    npu_ctx *ctx = npu_ctx_new();
    npu_err err = {0};
    int have = 0;
    for (const npu_builtin_text *z = npu_builtin_zoo; z->name; z++)
        have |= strcmp(z->name, "resnet50") == 0;
    if (have) {
        npu_graph *g1 = npu_script_zoo(ctx, "resnet50", NULL, &err);
        npu_graph *g2 = npu_script_zoo(ctx, "resnet50", "batch=2", &err);
        CHECK(g1 && g2);
        if (g1 && g2 && npu_graph_infer(g1, &err) == 0 && npu_graph_infer(g2, &err) == 0)
            CHECK_EQ_INT(npu_graph_macs(g2), 2 * npu_graph_macs(g1));
        npu_graph_free(g1);
        npu_graph_free(g2);
        CHECK(npu_script_zoo(ctx, "resnet50", "batch", &err) == NULL);
        CHECK_CONTAINS(err.msg, "'batch' is not key=value");
    }
    npu_ctx_free(ctx);
}

/* ---- npu_lua_open_limited ---------------------------------------------------------------- */
/* Runs `code` in a state of npu_lua_open_limited(ctx, lim) as the luaapi fuzz target does
 * (text only, npu_script_pcall); 0, or the status with the message in err. */
static int run_limited(npu_ctx *ctx, const npu_lua_limits *lim, const char *code, npu_err *err)
{
    lua_State *L = npu_lua_open_limited(ctx, lim, "limited script", err);
    if (!L)
        return err->code ? err->code : NPU_ENOMEM;
    int st = luaL_loadbufferx(L, code, strlen(code), "=limited.lua", "t");
    if (st == LUA_OK)
        st = npu_script_pcall(L, 0, 0);
    int rc = st == LUA_OK ? 0 : npu_script_error_to(L, st, err);
    npu_script_close(L);
    return rc;
}

/* A limit of `lim` exceeded by `code`: it fails with `want` in the message. */
static void limited_fails(const npu_lua_limits *lim, const char *code, const char *want)
{
    npu_ctx *ctx = npu_ctx_new();
    npu_err err = {0};
    if (run_limited(ctx, lim, code, &err) == 0)
        FAILF("ran within the limits: %s", code);
    else
        CHECK_CONTAINS(err.msg, want);
    npu_ctx_free(ctx);
}

/* a tiny network, and a sweep of it over two array sizes (the points, by the varied rows) */
#define TINY_NET                                                                                 \
    "local b = npusim.builder('tiny', { input = { 1, 8, 16, 16 } })\n"                          \
    "b:output(b:conv(b.input, { out = 16, k = 3, p = 1, act = 'relu' }))\n"                     \
    "local g = b:build()\n"
#define TINY_SWEEP(ROWS)                                                                         \
    TINY_NET "assert(npusim.sweep({ arch = 'systolic', graph = g, vary = { rows = " ROWS     \
             " }, metrics = { 'cycles' } }))\n"

TEST(limited_each_limit_has_its_message)
{
    npu_lua_limits lim = {.budget = 100000};
    limited_fails(&lim, "while true do end\n", "limited script runs too long (more than 100000 "
                                               "instructions)");
    lim = (npu_lua_limits){.mem = (size_t)4 << 20};
    limited_fails(&lim, "local t = {}\nfor i = 1, 1e8 do t[i] = i end\n", "not enough memory");
    lim = (npu_lua_limits){.alloc = (size_t)8 << 20};
    limited_fails(&lim, "local s = ''\nfor i = 1, 1e6 do s = s .. 'xxxxxxxxxxxxxxxx' end\n",
                  "limited script allocated more than 8 MiB in all (building a string by "
                  "repeated concatenation");
    lim = (npu_lua_limits){.max_layers = 4};
    limited_fails(&lim,
                  "local b = npusim.builder('deep', { input = { 1, 8, 8, 8 } })\n"
                  "local x = b.input\nfor i = 1, 5 do x = b:relu(x) end\n",
                  "builder 'deep': more than 4 layers");
    /* a zoo network is built in the state, a file is loaded and then counted */
    limited_fails(&lim, "assert(npusim.graph('lenet5'))\n", "builder 'lenet5': more than 4 layers");
    char npg[512], code[1024];
    script("deep.npg",
           "npg 1\ninput d 1x8x8x8 int8\nrelu r1 d\nrelu r2 r1\nrelu r3 r2\nrelu r4 r3\n"
           "relu r5 r4\noutput r5\n",
           npg, sizeof npg);
    snprintf(code, sizeof code, "assert(npusim.graph('%s'))\n", npg);
    limited_fails(&lim, code, "deep.npg: 5 layers, more than this script's limit of 4");
    lim = (npu_lua_limits){.max_points = 3};
    limited_fails(&lim, TINY_SWEEP("{ 8, 16, 32, 64 }"),
                  "sweep spec: 4 points (archs x graphs x vary points), more than this script's "
                  "limit of 3");
    lim = (npu_lua_limits){.max_runs = 2};
    limited_fails(&lim,
                  TINY_NET "assert(npusim.run { arch = 'systolic', graph = g })\nassert(npusim.run { arch = 'systolic', graph = g })\n"
                           "assert(npusim.run { arch = 'systolic', graph = g })\n",
                  "1 more simulations would make 3, more than this script's limit of 2");
    limited_fails(&lim, TINY_SWEEP("{ 8, 16, 32 }"), "more than this script's limit of 2");
    snprintf(code, sizeof code, "assert(npusim.write_csv('%s/../outside.csv', { { a = 1 } }))\n",
             tmpdir);
    const char *const roots[] = {tmpdir, NULL};
    lim = (npu_lua_limits){.roots = roots};
    limited_fails(&lim, code, "is outside the sandbox");
}

TEST(limited_within_all_limits_runs_and_sweeps)
{
    const char *const roots[] = {tmpdir, NULL};
    npu_lua_limits lim = {.roots = roots, .budget = 2000000, .mem = (size_t)64 << 20,
                          .alloc = (size_t)256 << 20, .max_layers = 64, .max_points = 2,
                          .max_threads = 1, .max_runs = 3};
    npu_ctx *ctx = npu_ctx_new();
    npu_err err = {0};
    /* a sweep asking for more threads than max_threads is not refused: it runs on one */
    int rc = run_limited(ctx, &lim,
                         TINY_NET "local r = assert(npusim.run { arch = 'systolic', graph = g })\n"
                                  "assert(r.total.cycles > 0)\n"
                                  "local rows = assert(npusim.sweep({ arch = 'systolic', graph = "
                                  "g, vary = { rows = { 8, 16 } }, metrics = { 'cycles' }, "
                                  "threads = 4 }))\n"
                                  "assert(#rows == 2 and rows[1].rows == 8 and rows[2].rows == 16)\n"
                                  "assert(rows[1].cycles > 0 and rows[2].cycles > 0)\n",
                         &err);
    CHECK_EQ_INT(rc, 0);
    if (rc)
        printf("  %s\n", err.msg);
    npu_ctx_free(ctx);
}

TEST(limited_sweep_meets_the_job_limit)
{
    npu_lua_limits lim = {.budget = 2000000, .max_points = 8, .max_threads = 2, .max_runs = 8};
    npu_ctx *ctx = npu_ctx_new();
    npu_ctx_set_job_limit(ctx, 10);
    npu_err err = {0};
    int rc = run_limited(ctx, &lim,
                         "local rows, msg = npusim.sweep({ arch = 'systolic', graph = 'lenet5', "
                         "vary = { rows = { 8, 16 } }, metrics = { 'cycles' } })\n"
                         "assert(rows == nil and msg)\nerror(msg, 0)\n",
                         &err);
    CHECK(rc != 0);
    CHECK_CONTAINS(err.msg, "sweep point 1 (id ");
    CHECK_CONTAINS(err.msg, "the run submits more than 10 jobs, the limit its context sets");
    npu_ctx_free(ctx);
}

int main(void)
{
    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/npusim_lua_api_%ld", t ? t : "/tmp", (long)getpid());
    if (mkdir(tmpdir, 0700) != 0) {
        printf("cannot create %s\n", tmpdir);
        return 1;
    }
    RUN(runtime_error_names_file_and_line);
    RUN(error_object_with_tostring);
    RUN(syntax_error_and_missing_file);
    RUN(binary_chunk_refused);
    RUN(script_args_and_success);
    RUN(cancelled_context_stops_a_loop);
    RUN(zoo_unknown_lists_networks);
    RUN(zoo_builds_every_network_unprepared);
    RUN(zoo_args);
    RUN(limited_each_limit_has_its_message);
    RUN(limited_within_all_limits_runs_and_sweeps);
    RUN(limited_sweep_meets_the_job_limit);
    static const char *const files[] = {"err.lua", "obj.lua", "obj2.lua", "syn.lua",
                                        "bin.lua", "ok.lua", "loop.lua", "deep.npg", NULL};
    for (int i = 0; files[i]; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s/%s", tmpdir, files[i]);
        unlink(p);
    }
    rmdir(tmpdir);
    return TEST_REPORT();
}
