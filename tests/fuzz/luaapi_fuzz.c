/* luaapi_fuzz.c — libFuzzer target for the `npusim` Lua API (sim/lua: npusim.graph, arch,
 * params, run, compare, report, summary, sweep, merge, run_workloads, run_card, plot, the CSV
 * and JSON writers and reader, the Graph and Arch methods) as a script of `npusim script
 * --sandbox` meets it: the full library set, the file sandbox, an instruction budget. lua_fuzz
 * stops at the builder and the zoo; this target reaches what runs, sweeps and writes.
 *
 * The input is a Lua chunk (text only), called with one argument: the path of a directory the
 * target makes for the input and removes after it, with a '/' at the end
 * (`local dir = ...; npusim.write_csv(dir .. "r.csv", rows)`). It is the sandbox's only root,
 * so no file can be read or written outside it (a relative path resolves in the working
 * directory, outside the root, and is refused). Standard input is /dev/null and standard output
 * goes to /dev/null while the chunk runs (print, io.write, a writer's "-"); FUZZ_VERBOSE keeps
 * it, and prints the chunk's error.
 *
 * Bounded work per input, by budgets (npu_lua_open_limited, sim/lua/lua.h), so that no input can
 * time out: 2 million Lua instructions and 64 MiB of Lua values; builders and loaded graphs of
 * at most FUZZ_API_LAYERS layers (as run_fuzz bounds its graphs; zoo networks are then built in
 * the script's own state, under its budget); at most FUZZ_API_RUNS simulations in all (a
 * compare's archs, a sweep's points and a workload run's frames count each), each with the job
 * budget of run_fuzz and a quarter of its job limit (the limit within which every seed of
 * run_fuzz runs); sweeps of at most FUZZ_API_POINTS points on one thread; and
 * at most FUZZ_API_CALLS calls of npusim functions and Graph/Arch methods (the instruction
 * budget does not count the time inside them: a loop of graph loads would be a few
 * instructions each). `io` cannot open a file for writing, has no tmpfile and no output():
 * `f:write(s)` in a loop writes gigabytes for a handful of instructions (npusim's writers are
 * bounded by the call budget and the size of what they write). string.find, match, gmatch,
 * gsub and table.move are removed: their time in C is bounded by nothing (fz_setup). The slowest
 * input written by hand, eight run_card on atlas300i, takes 1.8 s under ASan (docs/fuzzing.md).
 *
 * Rules on top of the sanitizers: a function that returns nil must give a message with it
 * (the API's `nil, message`), and a result of npusim.run holds what every result holds by
 * design (check_run: integer totals, no NaN, total cycles the last layer's end and the sum of
 * the layers' shares). Seeds: tests/fuzz/corpus/luaapi (docs/lua.md's examples, the labs).
 */
#define _XOPEN_SOURCE 700 /* mkdtemp */
#include <dirent.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "lua/lua.h"
#include "script/script.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_API_MEM ((size_t)64 << 20)
#define FUZZ_API_ALLOC ((size_t)256 << 20) /* bytes allocated in all: as lua_fuzz (its campaign's
                                              out-of-memory: a string grown by concatenation) */
#define FUZZ_API_BUDGET 2000000 /* Lua instructions, as lua_fuzz */
#define FUZZ_API_LAYERS 64      /* as run_fuzz */
#define FUZZ_API_RUNS 8
#define FUZZ_API_POINTS 8
#define FUZZ_API_CALLS 64
#define FUZZ_API_JOB_BYTES ((size_t)1 << 20) /* as run_fuzz and npuc_fuzz */
#define FUZZ_API_JOBS 5000                   /* a quarter of run_fuzz's */

/* ---- the checks on what the API returns ---------------------------------------------------- */
static void fail(const char *fn, const char *what)
{
    fprintf(stderr, "luaapi_fuzz: %s: %s\n", fn, what);
    abort();
}

/* t[key] of the table at idx as a number (pushed and popped); NAN when absent. */
static double num_field(lua_State *L, int idx, const char *key, int *isint)
{
    lua_getfield(L, idx, key);
    double v = lua_type(L, -1) == LUA_TNUMBER ? lua_tonumber(L, -1) : NAN;
    if (isint)
        *isint = lua_isinteger(L, -1);
    lua_pop(L, 1);
    return v;
}

/* A result table of npusim.run (docs/lua.md section 2; sim/core/result.c): cycles, MACs and
 * bytes are integers, no total is NaN, each layer ends at or after it starts, the total is the
 * last layer's end and the sum of the layers' shares. */
static void check_run(lua_State *L, int r)
{
    luaL_checkstack(L, 8, "check_run"); /* lua_call(..., LUA_MULTRET) left no spare slot */
    if (lua_getfield(L, r, "total") != LUA_TTABLE || lua_getfield(L, r, "layers") != LUA_TTABLE)
        fail("run", "a result without its total or layers table");
    int total = lua_gettop(L) - 1, layers = total + 1, isint;
    lua_pushnil(L);
    while (lua_next(L, total)) {
        if (lua_type(L, -1) == LUA_TNUMBER && isnan(lua_tonumber(L, -1)))
            fail("run", lua_pushfstring(L, "total.%s is NaN", lua_tostring(L, -2)));
        lua_pop(L, 1);
    }
    static const char *const ints[] = {"cycles", "macs", "dram_rd_bytes", "dram_wr_bytes"};
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++)
        if (num_field(L, total, ints[i], &isint) < 0 || !isint)
            fail("run", lua_pushfstring(L, "total.%s is not a non-negative integer", ints[i]));
    double cycles = num_field(L, total, "cycles", NULL), end = 0, share = 0;
    lua_Integer n = luaL_len(L, layers);
    for (lua_Integer i = 1; i <= n; i++) {
        if (lua_rawgeti(L, layers, i) != LUA_TTABLE)
            fail("run", "a layer that is not a table");
        int l = lua_gettop(L);
        double s = num_field(L, l, "start", NULL), e = num_field(L, l, "end", NULL);
        double sh = num_field(L, l, "share_cycles", &isint);
        if (!(s >= 0 && e >= s) || !(sh >= 0) || !isint)
            fail("run", lua_pushfstring(L, "layer %I: start %f, end %f, share %f", i, s, e, sh));
        end = e > end ? e : end;
        share += sh;
        lua_pop(L, 1);
    }
    if (cycles != end)
        fail("run", "total cycles are not the last layer's end");
    if (cycles != share)
        fail("run", "the layers' shares do not sum to the total");
    lua_pop(L, 2);
}

/* ---- npusim functions and methods, counted and checked ------------------------------------- */
enum { FZ_NILMSG = 1, FZ_RUN = 2 };

/* Upvalues: the function, the call counter (a userdata int), its name, its FZ_ flags. */
static int fz_call(lua_State *L)
{
    int *calls = lua_touserdata(L, lua_upvalueindex(2));
    const char *name = lua_tostring(L, lua_upvalueindex(3));
    int flags = (int)lua_tointeger(L, lua_upvalueindex(4));
    if (++*calls > FUZZ_API_CALLS)
        return luaL_error(L, "fuzz: more than %d calls of npusim functions", FUZZ_API_CALLS);
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, LUA_MULTRET);
    int nr = lua_gettop(L);
    if ((flags & FZ_NILMSG) && nr >= 1 && lua_isnil(L, 1) &&
        (nr < 2 || lua_type(L, 2) != LUA_TSTRING || lua_rawlen(L, 2) == 0))
        fail(name, "returned nil without a message");
    if ((flags & FZ_RUN) && nr >= 1 && lua_istable(L, 1))
        check_run(L, 1);
    return nr;
}

/* Replaces every function of the table at t by its counted and checked wrapper. */
static void wrap_table(lua_State *L, int t, int counter)
{
    /* the functions whose failure is `nil, message` (docs/lua.md section 3) */
    static const char *const nilmsg[] = {
        "graph",    "arch",       "params",     "run",      "compare", "sweep",
        "merge",    "write_csv",  "write_json", "read_csv", "plot",    "run_workloads",
        "run_card", "write_onnx", "write_npg",  "set",      NULL};
    lua_pushnil(L);
    while (lua_next(L, t)) {
        if (lua_type(L, -2) != LUA_TSTRING || !lua_isfunction(L, -1)) {
            lua_pop(L, 1);
            continue;
        }
        const char *name = lua_tostring(L, -2);
        int flags = strcmp(name, "run") == 0 ? FZ_RUN : 0;
        for (int i = 0; nilmsg[i]; i++)
            flags |= strcmp(name, nilmsg[i]) == 0 ? FZ_NILMSG : 0;
        lua_pushvalue(L, -1);      /* key, value, the function */
        lua_pushvalue(L, counter); /* ..., the counter */
        lua_pushvalue(L, -4);      /* ..., the name */
        lua_pushinteger(L, flags);
        lua_pushcclosure(L, fz_call, 4); /* key, value, wrapper */
        lua_pushvalue(L, -3);
        lua_insert(L, -2);
        lua_rawset(L, t); /* t[key] = wrapper: an existing key, allowed during lua_next */
        lua_pop(L, 1);
    }
}

/* io.open for reading only (upvalue: the sandbox's io.open). */
static int fz_io_open(lua_State *L)
{
    const char *mode = luaL_optstring(L, 2, "r");
    if (strpbrk(mode, "wa+"))
        return luaL_error(L, "fuzz: io.open for writing is off (mode '%s')", mode);
    lua_settop(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, 2, LUA_MULTRET);
    return lua_gettop(L);
}

/* In protected mode, after the state is open: the wrappers and the reduced io. */
static int fz_setup(lua_State *L)
{
    int *calls = lua_newuserdatauv(L, sizeof *calls, 0);
    *calls = 0;
    int counter = lua_gettop(L);
    lua_getglobal(L, "npusim");
    wrap_table(L, lua_gettop(L), counter);
    static const char *const mts[] = {NPU_SCRIPT_GRAPH, "npusim.Arch", NULL};
    for (int i = 0; mts[i]; i++) {
        luaL_getmetatable(L, mts[i]);
        if (lua_getfield(L, -1, "__index") == LUA_TTABLE)
            wrap_table(L, lua_gettop(L), counter);
        lua_pop(L, 2);
    }
    lua_getglobal(L, "io");
    lua_getfield(L, -1, "open");
    lua_pushcclosure(L, fz_io_open, 1);
    lua_setfield(L, -2, "open");
    /* Lua library functions whose time in C no budget bounds (the memory cap does not either:
     * they allocate nothing): a pattern's backtracking (".-.-.-.-b" over 3,000 characters is
     * not done after 10 s; each ".-" more multiplies the time by the length) and table.move
     * over a range (the sandbox allows 2^24 steps a call, which a loop repeats). io.tmpfile and
     * io.popen the sandbox removes itself. */
    static const char *const drop[][2] = {
        {"io", "output"},    {"string", "find"}, {"string", "match"}, {"string", "gmatch"},
        {"string", "gsub"},  {"table", "move"},  {NULL, NULL}};
    for (int i = 0; drop[i][0]; i++) {
        lua_getglobal(L, drop[i][0]);
        lua_pushnil(L);
        lua_setfield(L, -2, drop[i][1]);
        lua_pop(L, 1);
    }
    return 0;
}

/* ---- the temporary directory, standard input and output ------------------------------------ */
static char *make_dir(void)
{
    const char *tmp = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/npusim-luaapi-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(path))
        return NULL;
    return strdup(path);
}

/* Removes the directory and the files the script wrote in it (it can make no directory). */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (unlink(p) != 0) {
            fprintf(stderr, "luaapi_fuzz: cannot remove %s\n", p);
            abort();
        }
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

/* ---- one input ------------------------------------------------------------------------------ */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int null_fd = -1;
    if (null_fd < 0) { /* io.read, io.lines() and dofile() read standard input: never block */
        null_fd = open("/dev/null", O_RDWR);
        if (null_fd < 0 || dup2(null_fd, 0) < 0)
            abort();
    }
    int verbose = getenv("FUZZ_VERBOSE") != NULL;
    char *dir = make_dir();
    npu_ctx *ctx = npu_ctx_new();
    if (!dir || !ctx) {
        fprintf(stderr, "luaapi_fuzz: cannot make a temporary directory or a context\n");
        abort();
    }
    npu_ctx_set_job_budget(ctx, FUZZ_API_JOB_BYTES);
    npu_ctx_set_job_limit(ctx, FUZZ_API_JOBS);
    const char *roots[] = {dir, NULL};
    npu_lua_limits lim = {.roots = roots,
                          .budget = FUZZ_API_BUDGET,
                          .mem = FUZZ_API_MEM,
                          .alloc = FUZZ_API_ALLOC,
                          .max_layers = FUZZ_API_LAYERS,
                          .max_points = FUZZ_API_POINTS,
                          .max_threads = 1,
                          .max_runs = FUZZ_API_RUNS};
    npu_err err = {0};
    lua_State *L = npu_lua_open_limited(ctx, &lim, "fuzz script", &err);
    if (!L || (lua_pushcfunction(L, fz_setup), npu_script_pcall(L, 0, 0)) != LUA_OK) {
        fprintf(stderr, "luaapi_fuzz: cannot open the state: %s\n",
                L ? lua_tostring(L, -1) : err.msg);
        abort(); /* nothing of the input has run yet */
    }
    int saved = -1;
    if (!verbose) {
        fflush(stdout);
        saved = dup(1);
        if (saved < 0 || dup2(null_fd, 1) < 0)
            abort();
    }
    int st = luaL_loadbufferx(L, (const char *)data, size, "=fuzz.lua", "t");
    if (st == LUA_OK) {
        lua_pushfstring(L, "%s/", dir);
        st = npu_script_pcall(L, 1, 0);
    }
    if (!verbose) {
        fflush(stdout);
        dup2(saved, 1);
        close(saved);
    } else if (st != LUA_OK) {
        fprintf(stderr, "luaapi_fuzz: %s\n", lua_tostring(L, -1));
    }
    npu_script_close(L);
    npu_ctx_free(ctx);
    remove_dir(dir);
    free(dir);
    return 0;
}
