/* script.h — Lua scripting state below the API (prefix npu_script_): the one sandbox, preset
 * files, the graph builder and the zoo.
 *
 * Layering (docs/architecture.md, "Folders and their layers"): sim/script uses sim/core only.
 * The public API (sim/npusim.c) reads presets and builds zoo networks through it; the `npusim`
 * Lua module (sim/lua) opens its states through it and adds run/compare/sweep on top. Nothing
 * here includes sim/npusim.h or sim/lua, so no folder depends on itself through another.
 *
 * Pieces:
 *   sandbox.c  states: allocator with a memory cap, instruction/cancel hook, library sets,
 *              text-only loaders, the pcall wrapper with a traceback
 *   values.c   helpers for C functions called from Lua (option tables, sorting, numbers)
 *   preset.c   npu_preset_parse: a preset file evaluated in an empty environment
 *   builder.c  npusim.Builder and the npusim.Graph userdata box
 *   zoo.c      zoo networks built in a builder-only state
 *
 * Functions marked MAY_RAISE can longjmp out through lua_error: callers must not hold C memory
 * that only they own when calling them (keep such memory in a userdata first).
 */
#ifndef NPU_SCRIPT_H
#define NPU_SCRIPT_H

#include <lauxlib.h>
#include <lua.h>

#include "../core/ctx.h"
#include "../core/graph.h"
#include "../core/infer.h"
#include "../core/params.h"

#define MAY_RAISE /* may call lua_error (longjmp) */

/* ---- sandbox.c -------------------------------------------------------------------------------
 * What a state may do, following lua.c, Redis and haproxy (research/style_and_courses.md,
 * "Embedding Lua 5.4 in C"). Every set refuses precompiled bytecode (load/loadfile/dofile are
 * replaced by text-only versions): bytecode can crash the interpreter. */
typedef enum npu_script_libs {
    NPU_SCRIPT_LIBS_NONE, /* no library at all: presets (evaluated with an empty _ENV)         */
    NPU_SCRIPT_LIBS_PURE, /* base, table, string, math, utf8: zoo builds (no files, no clock)  */
    NPU_SCRIPT_LIBS_FULL  /* PURE + io without popen + os reduced to clock, time, date,
                             difftime, getenv: user scripts (`npusim script`)                 */
} npu_script_libs;

typedef struct npu_script_opts {
    npu_script_libs libs;
    size_t mem_limit;    /* bytes; growing past it is Lua's "not enough memory"            */
    int hook_every;      /* VM instructions between hook calls; 0 = no hook                */
    long max_hooks;      /* > 0: "WHAT runs too long" after that many hook calls           */
    const char *what;    /* names the state in that message ("preset")                     */
    lua_CFunction open;  /* run in protected mode after the libraries (a module's opener);
                            NULL: none                                                     */
    const char *const *roots; /* the file sandbox (--sandbox): NULL-terminated directories
                            (or files) the state may read and write, resolved once at open;
                            NULL: no restriction. With it, os.getenv is removed too.       */
    int max_layers;      /* layers one builder may hold; 0: NPU_SCRIPT_MAX_LAYERS           */
    size_t alloc_limit;  /* bytes allocated in all, freed or not; past it the allocation fails
                            and the error says so. It bounds the C work of building strings
                            (`s = s .. x` in a loop copies all of s each time), which the
                            instruction count does not see. 0: no limit                     */
} npu_script_opts;

/* Layers a builder may hold by default: a graph lives in C memory, outside the state's memory
 * cap, and `for i = 1, 1e9 do x = b:relu(x) end` grew it by ~470 bytes a layer until the OOM
 * killer came. 2^18 is 150 times the largest zoo network (1,700 layers); ~120 MB, ~3 s. */
#define NPU_SCRIPT_MAX_LAYERS NPU_GRAPH_MAX_LAYERS
/* The state's layer limit for builders (npu_script_opts.max_layers). */
int npu_script_max_layers(lua_State *L);

/* Memory caps (bytes): scripts may hold sweep results; zoo builds are small; presets tiny. */
#define NPU_SCRIPT_MEM ((size_t)1 << 30)
#define NPU_SCRIPT_ZOO_MEM ((size_t)256 << 20)
#define NPU_SCRIPT_PRESET_MEM ((size_t)16 << 20)
/* Bytes a preset may allocate in all (npu_script_opts.alloc_limit): the shipped ones allocate
 * 10-25 kB; `s = s .. s` in a loop stays under the memory cap and the instruction budget and
 * still copies terabytes. */
#define NPU_SCRIPT_PRESET_ALLOC ((size_t)256 << 20)

/* A new state; NULL + err on failure. `ctx` is borrowed (may be NULL; it must outlive the
 * state): with a hook, a cancelled ctx raises "interrupted" (the hook stays on, so a pcall
 * that catches it is interrupted again), as lua.c's laction does for Ctrl-C. */
lua_State *npu_script_open(npu_ctx *ctx, const npu_script_opts *o, npu_err *err);
void npu_script_close(lua_State *L);
/* 1 when an allocation failed on npu_script_opts.alloc_limit (the state's memory error is then
 * that, and npu_script_error_to says so) */
int npu_script_alloc_exceeded(lua_State *L);
npu_ctx *npu_script_ctx(lua_State *L);
/* The context's cancellation was handled by the C code that saw it (a sweep stopped and
 * returned its finished rows): the hook no longer raises for it, so the script can write the
 * rows out. The program's next Ctrl-C is its own business (`npusim script` ends the process). */
void npu_script_cancel_handled(lua_State *L);
/* The file sandbox. 0 when the state may open `path` (always, without roots), else
 * NPU_EINVAL with "'path' is outside the sandbox (...)". `path` is resolved as the kernel
 * would open it: symbolic links followed, and for a file that does not exist yet its
 * directory. With `name_or_path` the string may also be a built-in name (a zoo network, a
 * preset): it is checked only when it contains '/' or names an existing file. */
int npu_script_path_ok(lua_State *L, const char *path, int name_or_path, npu_err *err);
/* The directory part of a path, malloc'd: "." without a '/', "/" for a file at the root;
 * NULL when out of memory. A sandboxed script's first root is its own. */
char *npu_script_dir_of(const char *path);
/* lua_pcall with a message handler that appends a traceback (non-string error objects are
 * converted through __tostring). On error the message string is on the stack top. */
int npu_script_pcall(lua_State *L, int nargs, int nresults);
/* Copies the error string on the stack top into err (code by Lua status) and pops it. */
int npu_script_error_to(lua_State *L, int status, npu_err *err);
/* luaL_loadfilex(L, fname, "t") through npu_read_file (fname NULL: stdin). Pushes the chunk
 * or an error message; returns the Lua status. */
int npu_script_load_file(lua_State *L, const char *fname);

/* ---- values.c ------------------------------------------------------------------------------ */
/* Raises "bad argument #argn to 'fn' (unknown key 'k' (did you mean 'x'?))" when the table at
 * idx has a key that is not in `allowed` (NULL-terminated) or a non-string key. */
MAY_RAISE void npu_script_check_keys(lua_State *L, int idx, int argn, const char *const *allowed);
/* Optional typed fields of an option table at idx (absent or nil → def). Raise on a wrong
 * type naming the key. */
MAY_RAISE int npu_script_opt_bool(lua_State *L, int idx, const char *key, int def);
MAY_RAISE const char *npu_script_opt_string(lua_State *L, int idx, const char *key,
                                            const char *def);
/* The string (or number) at idx as C text: a path, a name, a parameter. C sees a string up to
 * its first NUL, so one with a NUL byte would silently become another ("out.csv\0x" the file
 * "out.csv"): raises "WHAT 'prefix...' has a NUL byte". check_cstr: the same for argument
 * `arg`, after luaL_checkstring. */
MAY_RAISE const char *npu_script_cstr(lua_State *L, int idx, const char *what);
MAY_RAISE const char *npu_script_check_cstr(lua_State *L, int arg, const char *what);
/* Writes the value of the scalar at idx as parameter text ("64", "2.5", "true", "ws") into
 * buf; returns 0, -1 if the value is not a number, string or boolean, -2 if it is a string
 * with a NUL byte, -3 if a string of n bytes or more (never cut short without a word). */
int npu_script_scalar_text(lua_State *L, int idx, char *buf, size_t n);
/* What is wrong with the value at idx, for status rc of npu_script_scalar_text with the same
 * n: "has a NUL byte", "is longer than 255 bytes", "must be a number, string or boolean, got
 * table" (may push the text; it stays valid while it is on the stack). */
const char *npu_script_scalar_why(lua_State *L, int idx, int rc, size_t n);
/* Formats a double so that it reads back identically (shortest of %.15g/%.16g/%.17g). */
void npu_script_fmt_double(double v, char *buf, size_t n);
/* Sorts the list t[1..n] in place: all strings (byte order) or all numbers (by value); raises
 * otherwise. In C, never through table.sort or any other function a script can replace (a
 * script that replaced table.sort crashed the API). Stable. */
MAY_RAISE void npu_script_sort_list(lua_State *L, int t, int n);

/* ---- builder.c ------------------------------------------------------------------------------ */
/* Metatable names (also shown in "npusim.Graph expected, got table"). */
#define NPU_SCRIPT_GRAPH "npusim.Graph"
#define NPU_SCRIPT_BUILDER "npusim.Builder"

/* Graph userdata: a Lua-owned box holding an npu_graph (freed by __gc). Its metatable is made
 * here with __gc only; the Lua module adds the methods (sim/lua/lua.c). */
typedef struct npu_script_graph {
    npu_graph *g;
} npu_script_graph;
MAY_RAISE npu_script_graph *npu_script_new_graph(lua_State *L); /* pushes an empty box */
MAY_RAISE const npu_graph *npu_script_check_graph(lua_State *L, int idx);
npu_script_graph *npu_script_test_graph(lua_State *L, int idx); /* NULL if not a Graph */

/* Registers the Builder and Graph metatables and sets t.builder (table t on the stack top). */
MAY_RAISE void npu_script_builder_open(lua_State *L);
/* If the value at idx is a Builder: a fresh, un-prepared copy of its graph with the default
 * output marked (last layer's outputs when none were marked). Returns NULL and sets err
 * otherwise (not a builder: err->code 0; empty builder: err set). Never raises. */
npu_graph *npu_script_builder_graph(lua_State *L, int idx, npu_err *err);
int npu_script_is_builder(lua_State *L, int idx);

/* ---- zoo.c -----------------------------------------------------------------------------------
 * Zoo networks are Lua builder scripts (scripts/zoo/ *.lua) compiled into the binary. A zoo
 * script is called with (zoo module, args table) and returns a builder or a graph, and
 * optionally its published figures. The zoo module is builder-only: {builder, zoo, zoo_info,
 * networks}. It is what every zoo script gets, in the zoo's own state as in a user script. */
extern const npu_builtin_text npu_builtin_zoo[]; /* NULL-terminated, generated */

/* Builds zoo network `name` (args: "tokens=128,kv=512" or NULL) in a fresh builder-only state.
 * Returns an un-prepared graph (the caller runs npu_graph_prepare). Unknown name: error listing
 * the networks. */
npu_graph *npu_script_zoo(npu_ctx *ctx, const char *name, const char *args, npu_err *err);
/* The same in a state opened with `so` (the fuzz target's instruction budget and layer limit;
 * npu_script_zoo's state has neither: `transformer` with layers=1000000 builds 2^18 layers). */
npu_graph *npu_script_zoo_opts(npu_ctx *ctx, const char *name, const char *args,
                               const npu_script_opts *so, npu_err *err);
/* NPU_EINVAL when a batch (> 0) is given besides the zoo argument batch= ("--batch 2 --zoo-args
 * batch=4" ran at 2 without a word), else 0. */
int npu_script_zoo_batch_twice(const char *what, const char *args, int64_t batch, npu_err *err);
/* Sets zoo, zoo_info and networks (and builder, through npu_script_builder_open) in the table
 * on the stack top, and makes the state's zoo module. */
MAY_RAISE void npu_script_zoo_open(lua_State *L);

/* ---- preset.c ------------------------------------------------------------------------------ */
/* Parses preset text (params.h describes a preset). Evaluated in a state without libraries,
 * with an empty environment, at most 16 MiB and 10 million instructions. Errors name the file
 * and key. */
npu_preset *npu_preset_parse(const char *file, const char *text, size_t len, npu_err *err);

#endif
