/* lint.h — internals of the `npusim` Lua module shared by the files of sim/lua/ (prefix
 * npu_lua_ for the module, npu_lr_ for the functions that run simulations). Not part of the
 * public API: only sim/lua/ includes it.
 *
 * The module sits above the public API (sim/npusim.h) and above sim/script (the sandbox, the
 * builder, the zoo, option helpers: script.h). Its rooms:
 *   lua.c     the module table, npusim.Graph methods, graph/archs/models/clock, the script
 *             runner (npu_lua_run_file, lua.h)
 *   larch.c   npusim.arch / params, the npusim.Arch userdata, parameters as Lua values
 *   lrun.c    npusim.run / compare / report / summary, results as tables, the registration of
 *             all npu_lr_ functions
 *   lsweep.c  npusim.sweep (the thread pool; Ctrl-C through the context's cancel flag)
 *   lstudy.c  a sweep's points as a study: the spec, point ids, the CSV rows, shards,
 *             resume, npusim.merge, and the `npusim sweep` / `npusim merge` entry (lua.h)
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
#include "lua.h"

#define NPU_LUA_ARCH "npusim.Arch" /* metatable name */

/* ---- lua.c ---------------------------------------------------------------------------------- */
/* A script's state (the sandbox with the module) that runs at most `budget` Lua instructions
 * (0: no limit; the error then says "WHAT runs too long"); NULL + err. Close with
 * npu_script_close. */
lua_State *npu_lua_open(npu_ctx *ctx, long long budget, const char *what, npu_err *err);

/* The state's limits (npu_lua_open_limited, lua.h), NULL for a state without. */
const npu_lua_limits *npu_lr_limits(lua_State *L);
/* Charges n simulations to the state's max_runs: 0, or NPU_EINVAL in err (nothing charged). */
int npu_lr_charge_runs(lua_State *L, long long n, npu_err *err);
/* A graph the module loads by name or path (npusim.graph, a graph named in run, compare,
 * sweep, run_workloads): npu_load_graph within the state's limits (a limited state builds zoo
 * networks itself and refuses a graph of more than max_layers). Prepared; NULL + err. */
MAY_RAISE npu_graph *npu_lr_load_graph(lua_State *L, const char *what, const npu_load_opts *o,
                                       npu_err *err);
#define LR_KEY_LIMITS "npusim.limits" /* registry: the lr_limits box of a limited state */
#define LR_KEY_ZOO "npusim.lua.zoo"   /* registry: the module's own npusim.zoo */

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
/* A result owned by a userdata (the result table keeps it for npusim.report). */
typedef struct lr_res {
    npu_result *r;
} lr_res;
/* The C result of the result table (layers: of the `layers` list of one) at idx when the table
 * still holds exactly what the run returned; NULL for another table or a changed one. */
MAY_RAISE const npu_result *npu_lr_result_of(lua_State *L, int idx, bool layers);
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
/* The arguments {arch=, graph=, set=, trace=, force=} of npusim.run and npusim.run_card: the
 * run options, the architecture (with set applied) and the graph; 0 or err's code. */
MAY_RAISE int npu_lr_run_args(lua_State *L, npu_run_opts *ro, npu_arch **a, const npu_graph **g,
                              npu_err *err);
/* Registers npusim.Arch and sets run, compare, sweep, arch, params, write_csv, write_json,
 * read_csv, plot in the module table on the stack top. */
MAY_RAISE void npu_lr_open(lua_State *L);

/* ---- lwl.c ---------------------------------------------------------------------------------- */
int npu_lr_run_workloads(lua_State *L); /* npusim.run_workloads (several workloads at once) */
int npu_lr_run_card(lua_State *L);      /* npusim.run_card (a card preset, frames over its chips) */

/* ---- lsweep.c ------------------------------------------------------------------------------- */
int npu_lr_sweep(lua_State *L); /* npusim.sweep */

/* ---- lstudy.c ------------------------------------------------------------------------------- */
/* A study: the points of a sweep spec (arch list x graph list x vary points, in that order,
 * the last fastest), their ids and their CSV rows (docs/sweeps.md). Built from the spec table
 * by npu_lr_study_new, owned by a userdata (__gc) whose user value holds the Lua values it
 * points into (arch boxes, graphs, the private copy of vary). Everything a worker thread reads
 * (npu_lr_study_arch, npu_lr_study_line) is plain C and read-only once built. */
typedef struct lr_study {
    int narch, ngraph, nvp, n; /* n = narch * ngraph * nvp points */
    const npu_arch **arch;     /* per arch: the preset with `set` applied */
    const npu_graph **graph;
    int arch_list, graph_list; /* given as lists (the Lua rows then name them) */
    int nk;                    /* vary: the number of varied names (0: points mode) */
    /* vary point v's settings: kvcount[v] pairs "key\0value\0" at kvbuf.s + kvoff[v] */
    npu_strbuf kvbuf;
    size_t *kvoff;
    int *kvcount;
    /* columns: id, arch, graph, the parameters (sorted), the metrics */
    npu_strbuf pnames; /* parameter column names, "name\0" each */
    int nparam;
    int *metric; /* indices into npu_total_fields */
    int nmetric;
    npu_strbuf header; /* "id,arch,graph,...\n" */
    uint64_t *id;      /* per point */
    int *slot;         /* open-addressing table id -> point, -1 empty */
    size_t nslot;
    char **line;       /* per point: its CSV row with the newline (malloc'd), or NULL */
    int *line_file, *line_no; /* where a row read from a file came from */
    const char **files;
} lr_study;
/* Reads the spec table at idx (keys checked by the caller). Pushes the study's userdata.
 * Returns the study, or NULL with err (a bad value: nothing pushed); raises on a wrong type.
 * Only the points p of shard p % shard_n == shard_k are configured, checked and given an id
 * (shard_n = 1: all). unique: two points with the same id are an error (files; Lua rows may
 * repeat a point). */
MAY_RAISE lr_study *npu_lr_study_new(lua_State *L, int idx, int unique, int shard_k,
                                     int shard_n, npu_err *err);
/* Point p's arch: a clone of its base with its settings (thread-safe). NULL + err. */
npu_arch *npu_lr_study_arch(const lr_study *st, int p, npu_err *err);
/* Point p's arch, graph and vary-point indices. */
void npu_lr_study_split(const lr_study *st, int p, int *a, int *g, int *v);
/* Appends point p's CSV row (with its totals t) to sb (thread-safe). */
void npu_lr_study_row(const lr_study *st, int p, const npu_total_row *t, npu_strbuf *sb);
/* Pushes point p's varied parameters as a table (its Lua values). */
MAY_RAISE void npu_lr_study_push_params(lua_State *L, int study, int p);
/* Reads a CSV file of this study's rows into st->line (file number fno for messages). Only
 * the points that have an id are accepted (those of the study's shard, named in the message
 * when shard_n > 1). Returns 0 or err naming file and line (a foreign header or id, a
 * duplicate, a truncated line). */
int npu_lr_study_read(lr_study *st, const char *path, int fno, int shard_k, int shard_n,
                      npu_err *err);
/* Writes the header and every row present, in point order, to path (npu_out). */
int npu_lr_study_write(const lr_study *st, const char *path, int force, npu_err *err);
/* Normalises npusim.sweep's and npusim.merge's spec argument at idx: a table, or the path of
 * a spec file (run in this state; it returns the table). Replaces it with the table. */
MAY_RAISE void npu_lr_spec_arg(lua_State *L, int idx);
int npu_lr_merge(lua_State *L); /* npusim.merge */

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
