/* lint.h — internals of the `npusim` Lua module shared by the files of sim/lua/ (prefix npu_lua_).
 * Not part of the public API: only sim/lua/ includes it.
 *
 * Pieces:
 *   lua.c      states (allocator with a memory cap, sandboxed libraries, the pcall wrapper),
 *              the module table, npusim.Graph, the zoo, the script runner
 *   lbuilder.c npusim.Builder (npu_lb_)
 *   lrun.c     run / compare / sweep / write_csv / write_json / read_csv, npusim.Arch (npu_lr_)
 *
 * Functions marked MAY_RAISE can longjmp out through lua_error: callers must not hold C memory
 * that only they own when calling them (keep such memory in a userdata first).
 */
#ifndef NPU_LUA_INT_H
#define NPU_LUA_INT_H

#include <lua.h>
#include <lauxlib.h>

#include "../npusim.h"

#define MAY_RAISE /* may call lua_error (longjmp) */

/* Metatable names (also shown in "npusim.Graph expected, got table"). */
#define NPU_LUA_GRAPH "npusim.Graph"
#define NPU_LUA_BUILDER "npusim.Builder"
#define NPU_LUA_ARCH "npusim.Arch"

/* Memory caps (bytes) of a state: scripts may hold sweep results; zoo builds are small. */
#define NPU_LUA_SCRIPT_MEM ((size_t)1 << 30)
#define NPU_LUA_ZOO_MEM ((size_t)256 << 20)

/* ---- lua.c ---------------------------------------------------------------------------------- */
/* A new sandboxed state with the npusim module loaded as global `npusim`; NULL + err on
 * failure. `ctx` is borrowed (it must outlive the state). */
lua_State *npu_lua_open(npu_ctx *ctx, size_t mem_limit, npu_err *err);
void npu_lua_close(lua_State *L);
npu_ctx *npu_lua_ctx(lua_State *L);
/* lua_pcall with a message handler that appends a traceback (non-string error objects are
 * converted through __tostring). On error the message string is on the stack top. */
int npu_lua_pcall(lua_State *L, int nargs, int nresults);
/* Copies the error string on the stack top into err (code by Lua status) and pops it. */
int npu_lua_error_to(lua_State *L, int status, npu_err *err);

/* Graph userdata: a Lua-owned box holding an npu_graph (freed by __gc). */
typedef struct npu_lua_graph {
    npu_graph *g;
} npu_lua_graph;
MAY_RAISE npu_lua_graph *npu_lua_new_graph(lua_State *L); /* pushes an empty box */
MAY_RAISE const npu_graph *npu_lua_check_graph(lua_State *L, int idx);
npu_lua_graph *npu_lua_test_graph(lua_State *L, int idx); /* NULL if not a Graph */

/* Raises "bad argument #argn to 'fn' (unknown key 'k' (did you mean 'x'?))" when the table at
 * idx has a key that is not in `allowed` (NULL-terminated) or a non-string key. */
MAY_RAISE void npu_lua_check_keys(lua_State *L, int idx, int argn, const char *const *allowed);
/* Optional typed fields of an option table at idx (absent or nil → def). Raise on a wrong
 * type naming the key. */
MAY_RAISE int npu_lua_opt_bool(lua_State *L, int idx, const char *key, int def);
MAY_RAISE const char *npu_lua_opt_string(lua_State *L, int idx, const char *key,
                                         const char *def);
/* Pushes the value of the scalar at idx as parameter text ("64", "2.5", "true", "ws") into
 * buf; returns 0, or -1 if the value is not a number, string or boolean. */
int npu_lua_scalar_text(lua_State *L, int idx, char *buf, size_t n);
/* Formats a double so that it reads back identically (shortest of %.15g/%.16g/%.17g). */
void npu_lua_fmt_double(double v, char *buf, size_t n);
/* Sorts the list t[1..n] in place: all strings (byte order) or all numbers (by value); raises
 * otherwise. In C, never through table.sort or any other function a script can replace (a
 * script that replaced table.sort crashed the API). Stable. */
MAY_RAISE void npu_lua_sort_list(lua_State *L, int t, int n);
/* Pushes the npusim module table as loaded at start (not the global, which a script may have
 * replaced). */
void npu_lua_push_module(lua_State *L);

/* ---- lbuilder.c ----------------------------------------------------------------------------- */
/* Registers the Builder metatable and sets module.builder (module table on the stack top). */
MAY_RAISE void npu_lb_open(lua_State *L);
/* If the value at idx is a Builder: a fresh, un-prepared copy of its graph with the default
 * output marked (last layer's outputs when none were marked). Returns NULL and sets err
 * otherwise (not a builder: err->code 0; empty builder: err set). Never raises. */
npu_graph *npu_lb_take_graph(lua_State *L, int idx, npu_err *err);
int npu_lb_is_builder(lua_State *L, int idx);

/* ---- lrun.c --------------------------------------------------------------------------------- */
/* Registers npusim.Arch and sets run, compare, sweep, arch, write_csv, write_json, read_csv. */
MAY_RAISE void npu_lr_open(lua_State *L);

#endif
