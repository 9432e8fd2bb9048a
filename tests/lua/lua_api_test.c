/* lua_api_test.c — the C side of sim/lua/lua.h: npu_lua_run_file (error messages as
 * "script.lua:N: message" with a traceback, status codes, non-string error objects, text-only
 * loading) and npu_script_zoo (unknown names list the networks, arguments, the graph it returns). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
    static const char *const files[] = {"err.lua", "obj.lua", "obj2.lua", "syn.lua",
                                        "bin.lua", "ok.lua", "loop.lua", NULL};
    for (int i = 0; files[i]; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s/%s", tmpdir, files[i]);
        unlink(p);
    }
    rmdir(tmpdir);
    return TEST_REPORT();
}
