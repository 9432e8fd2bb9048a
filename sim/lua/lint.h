/* lint.h — internals of the `npusim` Lua module shared by the files of sim/lua/ (prefix
 * npu_lua_ for the module, npu_lr_ for the functions that run simulations). Not part of the
 * public API: only sim/lua/ includes it.
 *
 * The module sits above the public API (sim/npusim.h) and above sim/script (the sandbox, the
 * builder, the zoo, option helpers: script.h). Its rooms:
 *   lua.c     the module table, npusim.Graph methods, graph/archs/models/clock, the script
 *             runner (npu_lua_run_file, lua.h)
 *   larch.c   npusim.arch / params, the npusim.Arch userdata, parameters as Lua values
 *   lrun.c    npusim.run / compare, results as tables, the registration of all npu_lr_ functions
 *   lsweep.c  npusim.sweep (the thread pool; Ctrl-C through the context's cancel flag)
 *   lio.c     npusim.write_csv / read_csv / write_json
 *   lplot.c   npusim.plot (charts drawn by sim/report/svg.c)
 *   lwl.c     npusim.run_workloads (several workloads at once, sim/workload.c)
 *
 * Functions marked MAY_RAISE can longjmp out through lua_error (script.h).
 */
#ifndef NPU_LUA_INT_H
#define NPU_LUA_INT_H

#include <lauxlib.h>
#include <lua.h>

#include "../npusim_int.h"
#include "../script/script.h"

#define NPU_LUA_ARCH "npusim.Arch" /* metatable name */

/* ---- larch.c -------------------------------------------------------------------------------- */
/* Arch userdata: a Lua-owned box holding an npu_arch (freed by __gc). */
typedef struct lr_arch {
    npu_arch *a;
} lr_arch;
MAY_RAISE lr_arch *npu_lr_new_arch(lua_State *L); /* pushes an empty box */
MAY_RAISE npu_arch *npu_lr_check_arch(lua_State *L, int idx);
/* Pushes a new array of the string keys of the {name = scalar} table at idx, sorted; returns
 * their number. Raises on a non-string key. */
MAY_RAISE int npu_lr_sorted_keys(lua_State *L, int idx, const char *what);
/* Pushes key i of the sorted keys table and its value in the table at idx, writes the value's
 * text to v; returns the key. Raises on a non-scalar value. */
MAY_RAISE const char *npu_lr_key_value(lua_State *L, int idx, int keys, int i, char *v,
                                       size_t vn, const char *what);
/* Applies the table at idx {key = value} to a, keys in sorted order. Returns 0 or fills err. */
MAY_RAISE int npu_lr_apply_set(lua_State *L, int idx, npu_arch *a, const char *what,
                               npu_err *err);
/* Pushes {key = value} of every parameter of p. */
void npu_lr_push_param_values(lua_State *L, const npu_params *p);
int npu_lr_arch(lua_State *L);   /* npusim.arch   */
int npu_lr_params(lua_State *L); /* npusim.params */
/* Registers the npusim.Arch metatable. */
MAY_RAISE void npu_lr_arch_open(lua_State *L);

/* ---- lrun.c --------------------------------------------------------------------------------- */
/* Sets the total fields (result.h order) in the table on the stack top. */
void npu_lr_set_total_fields(lua_State *L, const npu_total_row *t);
/* Pushes a result table (as npusim.run returns it). */
MAY_RAISE void npu_lr_push_result(lua_State *L, const npu_result *r);
/* Pushes the list of layer rows of r. */
void npu_lr_push_layers(lua_State *L, const npu_result *r);
/* A result owned by a userdata while it is being marshalled (pushes may raise). */
typedef struct lr_res {
    npu_result *r;
} lr_res;
MAY_RAISE lr_res *npu_lr_new_res(lua_State *L);
int npu_lr_res_gc(lua_State *L);
/* The arch value at index val (a name or an Arch): pushes an owned clone with the table at
 * `set` (0: none) applied. Returns 0, or pushes nothing and fills err (recoverable). */
MAY_RAISE int npu_lr_resolve_arch(lua_State *L, int argn, int val, int set, npu_err *err);
/* The graph value at index val: a Graph, or a string (path or zoo name) loaded now. Pushes the
 * Graph; NULL + err when loading failed. */
MAY_RAISE const npu_graph *npu_lr_resolve_graph(lua_State *L, int argn, int val, npu_err *err);
/* The index of t[key] if it is a table (pushed), 0 if absent; raises on another type. */
MAY_RAISE int npu_lr_opt_table(lua_State *L, int t, const char *key);
/* Pushes nil, message; returns 2. */
int npu_lr_fail(lua_State *L, const npu_err *err);
/* Leaves the options table at 1, its 'arch' at 2 and its 'graph' at 3; raises if either is
 * missing. Shared by run and sweep. */
MAY_RAISE void npu_lr_arch_graph_fields(lua_State *L);
/* Registers npusim.Arch and sets run, compare, sweep, arch, params, write_csv, write_json,
 * read_csv, plot in the module table on the stack top. */
MAY_RAISE void npu_lr_open(lua_State *L);

/* ---- lwl.c ---------------------------------------------------------------------------------- */
int npu_lr_run_workloads(lua_State *L); /* npusim.run_workloads (several workloads at once) */

/* ---- lsweep.c ------------------------------------------------------------------------------- */
int npu_lr_sweep(lua_State *L); /* npusim.sweep */

/* ---- lio.c ---------------------------------------------------------------------------------- */
/* A strbuf owned by a userdata (pushed) while Lua code may raise. */
MAY_RAISE npu_strbuf *npu_lr_new_sb(lua_State *L);
int npu_lr_sbox_gc(lua_State *L);
/* Writes sb to path (atomically; an existing file only with force): returns true, or nil and
 * the message. */
int npu_lr_write(lua_State *L, const char *path, npu_strbuf *sb, int force);
int npu_lr_write_csv(lua_State *L);  /* npusim.write_csv  */
int npu_lr_read_csv(lua_State *L);   /* npusim.read_csv   */
int npu_lr_write_json(lua_State *L); /* npusim.write_json */

/* ---- lplot.c -------------------------------------------------------------------------------- */
int npu_lr_plot(lua_State *L); /* npusim.plot */

#endif
