/* lua.h — the `npusim` Lua module (prefix npu_lua_).
 *
 * One lua_State per script, created from the context through the sandbox of sim/script. The
 * module is described in DESIGN §7 and docs/lua.md. The zoo (networks as Lua builder scripts)
 * is below the API, in sim/script/script.h (npu_script_zoo).
 */
#ifndef NPU_LUA_H
#define NPU_LUA_H

#include "../core/ctx.h"

typedef struct lua_State lua_State; /* <lua.h> (a typedef repeated is C11) */

/* Runs a script file with arguments (the `npusim script` command). Returns 0 or a status; the
 * error message is "script.lua:42: message" with a traceback. */
int npu_lua_run_file(npu_ctx *ctx, const char *path, int argc, char **argv, npu_err *err);

/* `npusim script --sandbox`: the script may open files only inside its own directory and the
 * paths in `allow` (NULL-terminated, may be NULL), reads no environment variable, and runs at
 * most `budget` Lua VM instructions (0: NPU_LUA_BUDGET). Time spent inside npusim's own C
 * functions (a simulation, a sweep) is not counted: those are bounded by their own limits. */
#define NPU_LUA_BUDGET 1000000000LL
typedef struct npu_lua_sandbox {
    const char *const *allow;
    long long budget;
} npu_lua_sandbox;
int npu_lua_run_sandboxed(npu_ctx *ctx, const char *path, int argc, char **argv,
                          const npu_lua_sandbox *sb, npu_err *err);

/* A script's state with limits, for a program that runs scripts it does not trust (the luaapi
 * fuzz target, tests/fuzz/luaapi_fuzz.c): the state of `npusim script --sandbox` with every
 * resource a script can make npusim spend bounded by the fields below (0: the default of
 * `npusim script`, no limit beyond the library's own). The Lua instruction budget does not
 * count the time inside npusim's C functions; these bound it (docs/lua.md, section 5):
 *   max_layers  layers of a builder and of every graph the state loads (npusim.graph, a
 *               graph named in run, compare, sweep, run_workloads); zoo networks are then
 *               built in the state itself, so its budget and layer limit bound the build
 *   max_points  points of one sweep, checked before an arch or graph of it is opened
 *   max_threads threads of one sweep (more asked for: this many; results never depend on it)
 *   max_runs    simulations in all: one per npusim.run and run_card, one per arch of
 *               compare, one per sweep point, frames x workloads for run_workloads
 * The context's job budget and job limit bound each simulation (also a sweep's, whose threads
 * take them from it). Returns the state (close it with npu_script_close, script.h), or NULL
 * and err. The script runs with npu_script_pcall after luaL_loadbufferx(..., "t"). */
typedef struct npu_lua_limits {
    const char *const *roots; /* the file sandbox (NULL-terminated), NULL: none */
    long long budget;         /* Lua VM instructions, 0: none */
    size_t mem;               /* bytes of Lua values, 0: NPU_SCRIPT_MEM */
    size_t alloc;             /* bytes allocated in all, freed or not (script.h's
                                 alloc_limit: the C work of building strings), 0: none */
    int max_layers, max_points, max_threads;
    long long max_runs;
} npu_lua_limits;
lua_State *npu_lua_open_limited(npu_ctx *ctx, const npu_lua_limits *lim, const char *what,
                                npu_err *err);

/* `npusim sweep SPEC` (parts == NULL) and `npusim merge` (docs/sweeps.md): the spec file runs
 * in a script's state and goes to npusim.sweep / npusim.merge. Returns 0, NPU_EINTR when a
 * sweep was interrupted through the context's cancel flag (its finished rows are written), or
 * an error in err. */
typedef struct npu_lua_sweep_args {
    const char *spec;
    const char *output; /* NULL: stdout */
    const char *shard;  /* "K/N" or NULL */
    int resume, force, threads; /* threads 0: one per CPU */
    const char *const *parts;   /* merge: the part files */
    int nparts;
} npu_lua_sweep_args;
int npu_lua_sweep(npu_ctx *ctx, const npu_lua_sweep_args *a, npu_err *err);

#endif
