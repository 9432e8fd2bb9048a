/* lua.h — the `npusim` Lua module (prefix npu_lua_).
 *
 * One lua_State per script, created from the context through the sandbox of sim/script. The
 * module is described in DESIGN §7 and docs/lua.md. The zoo (networks as Lua builder scripts)
 * is below the API, in sim/script/script.h (npu_script_zoo).
 */
#ifndef NPU_LUA_H
#define NPU_LUA_H

#include "../core/ctx.h"

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
