/* lua_fuzz.c — libFuzzer target for the Lua builder API (sim/script/builder.c). The input is a
 * Lua chunk called like a zoo script, with (npusim, {}), in the zoo's own builder-only state
 * (sim/script: base, table, string, math, utf8 and npusim = {builder, zoo, zoo_info, networks};
 * no io/os, so a fuzzer cannot write or delete files). What it returns (a builder or a graph) is
 * taken as the zoo takes it and run through the passes. The state has a 64 MiB memory cap and an
 * instruction budget, so a mutated `while true do end` is an error, not a timeout.
 * Bounded work per input: only a graph of at most FUZZ_LUA_PASS_LAYERS layers goes on to the
 * passes and the .npg round trip (npg_fuzz fuzzes those on graphs of any size), not the
 * 1,000-layer LLMs the zoo seeds build (and every mutation of them rebuilds); and a builder
 * holds at most FUZZ_LUA_MAX_LAYERS layers (a mutated loop bound, `for j = 1, 2e79`, built
 * layers until the instruction budget ran out: 100,000 of them, 1 to 7 s an input). What remains
 * per input is the Lua state and the build itself (docs/fuzzing.md).
 * Seeds: tests/fuzz/corpus/lua.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "script/script.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_LUA_MEM ((size_t)64 << 20)
#define FUZZ_LUA_HOOK_EVERY 10000
#define FUZZ_LUA_BUDGET 200 /* x FUZZ_LUA_HOOK_EVERY instructions */
#define FUZZ_LUA_PASS_LAYERS 64
#define FUZZ_LUA_MAX_LAYERS 4096 /* the zoo seeds build at most 1,700 */
/* Bytes allocated in all, freed or not: the zoo seeds allocate at most 0.54 MB; a mutated
 * zoo script whose layer function called itself with `name .. ".5"` as a tail call grew one
 * string within the instruction budget and the 64 MiB cap, allocating 33 GB in all, which
 * ASan's allocator kept as 2.2 GB of RSS (libFuzzer's out-of-memory at 3.0 M executions) */
#define FUZZ_LUA_ALLOC ((size_t)256 << 20)

/* The zoo module as the global `npusim` (what a zoo script is given). */
static int open_zoo(lua_State *L)
{
    lua_newtable(L);
    npu_script_zoo_open(L);
    lua_setglobal(L, "npusim");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    npu_ctx *ctx = npu_ctx_new();
    if (!ctx)
        return 0;
    npu_err err = {0};
    npu_script_opts o = {.libs = NPU_SCRIPT_LIBS_PURE, .mem_limit = FUZZ_LUA_MEM,
                         .hook_every = FUZZ_LUA_HOOK_EVERY, .max_hooks = FUZZ_LUA_BUDGET,
                         .what = "fuzz.lua", .open = open_zoo,
                         .max_layers = FUZZ_LUA_MAX_LAYERS, .alloc_limit = FUZZ_LUA_ALLOC};
    lua_State *L = npu_script_open(ctx, &o, &err);
    if (!L) {
        npu_ctx_free(ctx);
        return 0;
    }
    npu_graph *g = NULL;
    if (luaL_loadbufferx(L, (const char *)data, size, "=fuzz.lua", "t") == LUA_OK) {
        lua_getglobal(L, "npusim");
        lua_newtable(L);
        if (lua_pcall(L, 2, 1, 0) == LUA_OK) {
            npu_script_graph *gb = npu_script_test_graph(L, -1);
            if (gb && gb->g) {
                g = npu_graph_clone(gb->g);
            } else if (npu_script_is_builder(L, -1)) {
                g = npu_script_builder_graph(L, -1, &err);
                if (!g)
                    fuzz_refused("lua_fuzz build", &err);
            }
        }
    }
    if (!g && getenv("FUZZ_VERBOSE"))
        fprintf(stderr, "lua_fuzz: %s\n", lua_isstring(L, -1) ? lua_tostring(L, -1) : "no graph");
    npu_script_close(L);
    if (g && g->nl <= FUZZ_LUA_PASS_LAYERS)
        fuzz_graph_passes("lua_fuzz", g);
    else
        npu_graph_free(g);
    npu_ctx_free(ctx);
    return 0;
}
