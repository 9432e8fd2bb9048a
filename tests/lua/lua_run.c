/* lua_run.c — runs one Lua test script through npu_lua_run_file (the same path as
 * `npusim script`), so tests do not depend on the CLI. Exit 0 when the script ran to its end,
 * 1 (with the "file:line: message" and traceback on stderr) when it raised an error. */
#include <stdio.h>

#include "lua/lua.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: npu_lua_run SCRIPT.lua [ARGS...]\n");
        return 2;
    }
    npu_ctx *ctx = npu_ctx_new();
    if (!ctx)
        return 1;
    npu_err err = {0};
    int st = npu_lua_run_file(ctx, argv[1], argc - 2, argv + 2, &err);
    if (st)
        fprintf(stderr, "%s\n", err.msg);
    npu_ctx_free(ctx);
    return st ? 1 : 0;
}
