/* lua_fuzz.c — libFuzzer target for the Lua builder API (sim/lua/lbuilder.c and the Graph
 * methods of sim/lua/lua.c). The input is a Lua chunk called like a zoo script, with
 * (npusim, {}); what it returns (a builder or a graph) is taken as the zoo takes it and run
 * through the passes.
 *
 * The chunk sees the npusim module reduced to what builds graphs (npusim.builder, npusim.zoo)
 * and no io/os/print: a fuzzer must not write or delete files, and the runners (run, sweep …)
 * have their own tests. The state has a 64 MiB memory cap and an instruction budget, so a
 * mutated `while true do end` is an error, not a timeout. Seeds: tests/fuzz/corpus/lua.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz.h"
#include "lua/lint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_LUA_MEM ((size_t)64 << 20)
#define FUZZ_LUA_HOOK_EVERY 10000
#define FUZZ_LUA_BUDGET 200 /* x FUZZ_LUA_HOOK_EVERY instructions */

static void budget_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    int *left = *(int **)lua_getextraspace(L);
    if (--*left < 0)
        luaL_error(L, "instruction budget exhausted");
}

/* Leaves npusim = {builder, zoo} and drops what touches files or prints. */
static int restrict_env(lua_State *L)
{
    lua_getglobal(L, "npusim");
    lua_newtable(L);
    lua_getfield(L, -2, "builder");
    lua_setfield(L, -2, "builder");
    lua_getfield(L, -2, "zoo");
    lua_setfield(L, -2, "zoo");
    lua_setglobal(L, "npusim");
    lua_pop(L, 1);
    static const char *const drop[] = {"io", "os", "print", "dofile", "loadfile", "require"};
    for (size_t i = 0; i < sizeof drop / sizeof *drop; i++) {
        lua_pushnil(L);
        lua_setglobal(L, drop[i]);
    }
    /* Graph:write_npg / write_onnx write files */
    luaL_getmetatable(L, NPU_LUA_GRAPH);
    lua_getfield(L, -1, "__index");
    if (lua_istable(L, -1)) {
        lua_pushnil(L);
        lua_setfield(L, -2, "write_npg");
        lua_pushnil(L);
        lua_setfield(L, -2, "write_onnx");
    }
    lua_pop(L, 2);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    npu_ctx *ctx = npu_ctx_new();
    if (!ctx)
        return 0;
    npu_err err = {0};
    lua_State *L = npu_lua_open(ctx, FUZZ_LUA_MEM, &err);
    if (!L) {
        npu_ctx_free(ctx);
        return 0;
    }
    int left = FUZZ_LUA_BUDGET;
    *(int **)lua_getextraspace(L) = &left;
    lua_sethook(L, budget_hook, LUA_MASKCOUNT, FUZZ_LUA_HOOK_EVERY);
    npu_graph *g = NULL;
    lua_pushcfunction(L, restrict_env);
    if (lua_pcall(L, 0, 0, 0) == LUA_OK &&
        luaL_loadbufferx(L, (const char *)data, size, "=fuzz.lua", "t") == LUA_OK) {
        lua_getglobal(L, "npusim");
        lua_newtable(L);
        if (lua_pcall(L, 2, 1, 0) == LUA_OK) {
            npu_lua_graph *gb = npu_lua_test_graph(L, -1);
            if (gb && gb->g) {
                g = npu_graph_clone(gb->g);
            } else if (npu_lb_is_builder(L, -1)) {
                g = npu_lb_take_graph(L, -1, &err);
                if (!g)
                    fuzz_refused("lua_fuzz build", &err);
            }
        }
    }
    if (!g && getenv("FUZZ_VERBOSE"))
        fprintf(stderr, "lua_fuzz: %s\n", lua_isstring(L, -1) ? lua_tostring(L, -1) : "no graph");
    npu_lua_close(L);
    if (g)
        fuzz_graph_passes("lua_fuzz", g);
    npu_ctx_free(ctx);
    return 0;
}
