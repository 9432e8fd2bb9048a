/* lua.h — the `npusim` Lua module and the zoo (prefix npu_lua_).
 *
 * One lua_State per script, created from the context. The module is described in DESIGN §7
 * and docs/lua.md. Zoo networks are Lua builder scripts (scripts/zoo/ *.lua) compiled into the
 * binary as npu_builtin_zoo[].
 */
#ifndef NPU_LUA_H
#define NPU_LUA_H

#include "../core/ctx.h"
#include "../core/graph.h"
#include "../core/params.h"

extern const npu_builtin_text npu_builtin_zoo[]; /* NULL-terminated, generated */

/* Builds zoo network `name` (args: "tokens=128,kv=512" or NULL). Returns an un-prepared graph
 * (the caller runs npu_graph_prepare). Unknown name: error listing the networks. */
npu_graph *npu_lua_zoo(npu_ctx *ctx, const char *name, const char *args, npu_err *err);

/* Runs a script file with arguments (the `npusim script` command). Returns 0 or a status; the
 * error message is "script.lua:42: message" with a traceback. */
int npu_lua_run_file(npu_ctx *ctx, const char *path, int argc, char **argv, npu_err *err);

#endif
