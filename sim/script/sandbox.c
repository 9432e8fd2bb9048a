/* sandbox.c — the one Lua sandbox of npusim (script.h): presets, zoo builds and user scripts
 * all get their state here, differing only in the library set, the memory cap and the hook.
 *
 *   - the state is created with our allocator, which refuses to grow past a cap: running out
 *     is a Lua "not enough memory" error, never a crash or the whole machine's memory;
 *   - libraries: none (presets), base/table/string/math/utf8 (zoo), or those plus io and a
 *     reduced os (scripts). Never opened: package (no require/loadlib), debug, coroutine;
 *     io.popen is removed. load/loadfile/dofile are replaced by versions that only accept text
 *     chunks (mode "t"): precompiled bytecode can crash the interpreter;
 *   - a count hook (if asked for) caps the instructions (presets: 10 million) and stops the
 *     state when its context is cancelled (Ctrl-C);
 *   - npu_script_pcall's message handler appends a traceback, so errors read
 *     "script.lua:42: message" followed by the call stack.
 *   - the file sandbox (`npusim script --sandbox`): with roots, every path the state opens —
 *     io.open/lines/input/output, loadfile, dofile and each npusim function that reads or
 *     writes a file (they call npu_script_path_ok) — must resolve inside one of them, and
 *     os.getenv is removed (the environment may hold secrets).
 * There is no global mutable state: the context, the counters and the roots live in the
 * allocator's user data.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "script.h"

/* ---- the allocator with a cap, the hook ------------------------------------------------------ */
typedef struct sb_box {
    npu_ctx *ctx;
    size_t used, limit;
    size_t allocated, alloc_limit; /* bytes allocated in all (npu_script_opts.alloc_limit) */
    int alloc_hit;                 /* an allocation failed on alloc_limit                   */
    long hooks, max_hooks;
    int hook_every;
    int cancel_handled; /* a sweep handled the cancellation: the hook lets the script go on */
    int max_layers;
    const char *what;
    char **roots; /* the file sandbox: resolved directories/files, NULL-terminated; NULL: none */
} sb_box;

static void *sb_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    sb_box *b = ud;
    if (ptr == NULL)
        osize = 0; /* osize then encodes the object type, not a size */
    if (nsize == 0) {
        free(ptr);
        b->used -= osize;
        return NULL;
    }
    if (nsize > osize && b->used + (nsize - osize) > b->limit)
        return NULL;
    if (b->alloc_limit && nsize > osize && nsize - osize > b->alloc_limit - b->allocated) {
        b->alloc_hit = 1;
        return NULL;
    }
    void *p = realloc(ptr, nsize);
    if (p) {
        b->used = b->used - osize + nsize;
        if (nsize > osize)
            b->allocated += nsize - osize;
    }
    return p;
}

static sb_box *sb_of(lua_State *L)
{
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return ud;
}

npu_ctx *npu_script_ctx(lua_State *L)
{
    return sb_of(L)->ctx;
}

int npu_script_max_layers(lua_State *L)
{
    return sb_of(L)->max_layers;
}

int npu_script_alloc_exceeded(lua_State *L)
{
    return sb_of(L)->alloc_hit;
}

void npu_script_cancel_handled(lua_State *L)
{
    sb_of(L)->cancel_handled = 1;
}

static void sb_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    sb_box *b = sb_of(L);
    if (b->max_hooks > 0 && ++b->hooks > b->max_hooks)
        luaL_error(L, "%s runs too long (more than %I instructions)", b->what ? b->what : "script",
                   (lua_Integer)b->hook_every * (lua_Integer)b->max_hooks);
    if (b->ctx && !b->cancel_handled && npu_ctx_cancelled(b->ctx))
        luaL_error(L, "interrupted");
}

/* ---- the file sandbox ------------------------------------------------------------------------ */
char *npu_script_dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash == NULL ? strdup(".") : slash == path ? strdup("/")
                                                       : strndup(path, (size_t)(slash - path));
}

/* `path` as the kernel would open it (malloc'd): symbolic links followed; for a file that does
 * not exist yet, its resolved directory plus the last component. NULL when that cannot be
 * decided: a missing directory, or a link that leads nowhere (opening it for writing would
 * create its target, wherever that is). */
static char *sb_resolve(const char *path)
{
    char *r = realpath(path, NULL);
    if (r || errno != ENOENT)
        return r;
    struct stat st;
    if (lstat(path, &st) == 0) /* exists, yet does not resolve: a dangling link */
        return NULL;
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
        return NULL;
    char *dir = npu_script_dir_of(path);
    char *rd = dir ? realpath(dir, NULL) : NULL;
    free(dir);
    if (!rd)
        return NULL;
    size_t n = strlen(rd) + strlen(base) + 2;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%s%s%s", rd, strcmp(rd, "/") == 0 ? "" : "/", base);
    free(rd);
    return out;
}

static int sb_under(const char *p, const char *root)
{
    size_t n = strlen(root);
    if (strcmp(root, "/") == 0)
        return 1;
    return strncmp(p, root, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

int npu_script_path_ok(lua_State *L, const char *path, int name_or_path, npu_err *err)
{
    sb_box *b = sb_of(L);
    if (!b->roots)
        return 0;
    struct stat st;
    if (name_or_path && strchr(path, '/') == NULL && lstat(path, &st) != 0)
        return 0; /* a built-in name, not a file */
    char *r = sb_resolve(path);
    int ok = 0;
    for (char **p = b->roots; r && *p && !ok; p++)
        ok = sb_under(r, *p);
    free(r);
    if (ok)
        return 0;
    npu_strbuf sb;
    npu_sb_init(&sb);
    for (char **p = b->roots; *p; p++)
        npu_sb_printf(&sb, "%s%s", p == b->roots ? "" : ", ", *p);
    npu_err_set(err, NPU_EINVAL,
                "'%s' is outside the sandbox (it may use %s; give more with --allow-path PATH)", path,
                sb.s ? sb.s : "nothing");
    npu_sb_free(&sb);
    return NPU_EINVAL;
}

/* io.open/io.lines/io.input/io.output with their file name checked first (a file handle
 * argument passes). Upvalues: the original function; true when a refusal raises (lines,
 * input, output) rather than returning fail, message (open). */
static int sb_io_checked(lua_State *L)
{
    if (lua_type(L, 1) == LUA_TSTRING) {
        npu_err e = {0};
        const char *path = npu_script_cstr(L, 1, "path");
        struct stat st;
        /* a FIFO (or a device) blocked the script inside fopen, where no budget runs out */
        if (npu_script_path_ok(L, path, 0, &e) == 0 && stat(path, &st) == 0 &&
            !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
            npu_err_set(&e, NPU_EINVAL, "'%s' is not a regular file (the sandbox opens no FIFO "
                        "or device)", path);
        if (e.code) {
            if (lua_toboolean(L, lua_upvalueindex(2)))
                return luaL_error(L, "%s", e.msg);
            luaL_pushfail(L);
            lua_pushstring(L, e.msg);
            return 2;
        }
    }
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, LUA_MULTRET);
    return lua_gettop(L);
}

static void sb_free_roots(char **roots)
{
    for (char **p = roots; p && *p; p++)
        free(*p);
    free(roots);
}

/* Resolves the roots once (so that a later change of directory moves nothing). */
static int sb_set_roots(sb_box *b, const char *const *roots, npu_err *err)
{
    size_t n = 0;
    while (roots[n])
        n++;
    b->roots = calloc(n + 1, sizeof *b->roots);
    if (!b->roots)
        return npu_err_set(err, NPU_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        b->roots[i] = realpath(roots[i], NULL);
        if (!b->roots[i])
            return npu_err_set(err, NPU_EIO, "sandbox: %s: %s", roots[i], strerror(errno));
    }
    return 0;
}

/* ---- errors ---------------------------------------------------------------------------------- */
static int sb_msghandler(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) { /* error object is not a string */
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            msg = lua_tostring(L, -1);
        else
            msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

int npu_script_pcall(lua_State *L, int nargs, int nresults)
{
    int base = lua_gettop(L) - nargs; /* the function's slot */
    lua_pushcfunction(L, sb_msghandler);
    lua_insert(L, base);
    int st = lua_pcall(L, nargs, nresults, base);
    lua_remove(L, base);
    return st;
}

int npu_script_error_to(lua_State *L, int status, npu_err *err)
{
    const char *msg = lua_tostring(L, -1);
    int code = status == LUA_ERRMEM ? NPU_ENOMEM
               : status == LUA_ERRSYNTAX ? NPU_EFORMAT
               : status == LUA_ERRFILE ? NPU_EIO
                                        : NPU_EINVAL;
    sb_box *b = sb_of(L);
    if (status == LUA_ERRMEM && b->alloc_hit)
        npu_err_set(err, code, "%s allocated more than %zu MiB in all (building a string by "
                    "repeated concatenation copies it every time: use table.concat)",
                    b->what ? b->what : "script", b->alloc_limit >> 20);
    else
        npu_err_set(err, code, "%s", msg ? msg : "(error without message)");
    lua_pop(L, 1);
    return code;
}

/* ---- text-only loaders ----------------------------------------------------------------------- */
/* load(chunk [, chunkname [, mode [, env]]]) with mode forced to "t". */
static int sb_load_text(lua_State *L)
{
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1)); /* the original load */
    lua_pushvalue(L, 1);
    if (n >= 2)
        lua_pushvalue(L, 2);
    else
        lua_pushnil(L);
    lua_pushliteral(L, "t");
    int nargs = 3;
    if (n >= 4) {
        lua_pushvalue(L, 4);
        nargs = 4;
    }
    lua_call(L, nargs, LUA_MULTRET);
    return lua_gettop(L) - n;
}

/* table.move walks its index range in C, element by element, whether or not anything is there:
 * table.move({}, 1, 1e12, 2) is one VM instruction and hours of C that neither the instruction
 * budget nor the memory cap sees (found by h/luaapi). A range of more than NPU_SB_MOVE_MAX
 * elements is refused; the rest goes to the original (upvalue 1), which checks the arguments. */
#define NPU_SB_MOVE_MAX ((lua_Integer)1 << 24)
static int sb_table_move(lua_State *L)
{
    lua_Integer f = luaL_checkinteger(L, 2), e = luaL_checkinteger(L, 3);
    /* e - f cannot overflow under the original's own precondition; outside it, it refuses */
    if (e >= f && (f > 0 || e < LUA_MAXINTEGER + f) && e - f >= NPU_SB_MOVE_MAX)
        return luaL_error(L, "table.move of %I elements: at most %I in a script", e - f + 1,
                          NPU_SB_MOVE_MAX);
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, 1);
    return 1;
}

/* Through npu_read_file: a FIFO or a device is refused instead of read forever, the size is
 * capped, a read error is reported. Skips a UTF-8 BOM and a first line starting with '#' (kept
 * as an empty line, so line numbers stay right), as luaL_loadfilex does. */
int npu_script_load_file(lua_State *L, const char *fname)
{
    char *text = NULL;
    size_t len = 0;
    npu_err err = {0};
    if (npu_read_file(fname ? fname : "-", &text, &len, &err) != 0) {
        lua_pushstring(L, err.msg);
        return LUA_ERRFILE;
    }
    const char *s = text;
    if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        s += 3;
    if (*s == '#')
        while (*s && *s != '\n')
            s++;
    /* the text lives in C memory: copy it into a Lua string first so that a raise in the
     * parser (out of memory) does not leak it */
    lua_pushlstring(L, s, len - (size_t)(s - text));
    free(text);
    size_t n;
    const char *chunk = lua_tolstring(L, -1, &n);
    if (fname)
        lua_pushfstring(L, "@%s", fname);
    else
        lua_pushliteral(L, "=stdin");
    int st = luaL_loadbufferx(L, chunk, n, lua_tostring(L, -1), "t");
    lua_remove(L, -2); /* chunk name */
    lua_remove(L, -2); /* text */
    return st;
}

/* loadfile([filename [, mode [, env]]]) — text only. */
static int sb_loadfile_text(lua_State *L)
{
    const char *fname = lua_isnoneornil(L, 1) ? NULL : npu_script_check_cstr(L, 1, "path");
    int envidx = !lua_isnone(L, 3) ? 3 : 0;
    npu_err e = {0};
    if (fname && npu_script_path_ok(L, fname, 0, &e) != 0) {
        luaL_pushfail(L);
        lua_pushstring(L, e.msg);
        return 2;
    }
    if (npu_script_load_file(L, fname) != LUA_OK) {
        luaL_pushfail(L);
        lua_insert(L, -2);
        return 2;
    }
    if (envidx) {
        lua_pushvalue(L, envidx);
        if (!lua_setupvalue(L, -2, 1))
            lua_pop(L, 1);
    }
    return 1;
}

/* dofile([filename]) — text only. */
static int sb_dofile_text(lua_State *L)
{
    const char *fname = lua_isnoneornil(L, 1) ? NULL : npu_script_check_cstr(L, 1, "path");
    lua_settop(L, 1);
    npu_err e = {0};
    if (fname && npu_script_path_ok(L, fname, 0, &e) != 0)
        return luaL_error(L, "%s", e.msg);
    if (npu_script_load_file(L, fname) != LUA_OK)
        return lua_error(L);
    lua_call(L, 0, LUA_MULTRET);
    return lua_gettop(L) - 1;
}

/* ---- library sets ---------------------------------------------------------------------------- */
static void sb_libs(lua_State *L, npu_script_libs libs);

/* In protected mode: the library set (argument 1), then the caller's open function (2). */
static int sb_setup(lua_State *L)
{
    sb_libs(L, (npu_script_libs)lua_tointeger(L, 1));
    if (lua_iscfunction(L, 2)) {
        lua_pushvalue(L, 2);
        lua_call(L, 0, 0);
    }
    return 0;
}

static void sb_libs(lua_State *L, npu_script_libs libs)
{
    static const luaL_Reg pure[] = {{LUA_GNAME, luaopen_base},       {LUA_TABLIBNAME, luaopen_table},
                                    {LUA_STRLIBNAME, luaopen_string}, {LUA_MATHLIBNAME, luaopen_math},
                                    {LUA_UTF8LIBNAME, luaopen_utf8},  {NULL, NULL}};
    static const luaL_Reg full[] = {{LUA_IOLIBNAME, luaopen_io}, {LUA_OSLIBNAME, luaopen_os},
                                    {NULL, NULL}};
    if (libs == NPU_SCRIPT_LIBS_NONE)
        return;
    for (const luaL_Reg *l = pure; l->func; l++) {
        luaL_requiref(L, l->name, l->func, 1);
        lua_pop(L, 1);
    }
    lua_getglobal(L, "table");
    lua_getfield(L, -1, "move");
    lua_pushcclosure(L, sb_table_move, 1);
    lua_setfield(L, -2, "move");
    lua_pop(L, 1);
    /* text-only loaders */
    lua_getglobal(L, "load");
    lua_pushcclosure(L, sb_load_text, 1);
    lua_setglobal(L, "load");
    lua_pushcfunction(L, sb_loadfile_text);
    lua_setglobal(L, "loadfile");
    lua_pushcfunction(L, sb_dofile_text);
    lua_setglobal(L, "dofile");
    if (libs != NPU_SCRIPT_LIBS_FULL)
        return;
    for (const luaL_Reg *l = full; l->func; l++) {
        luaL_requiref(L, l->name, l->func, 1);
        lua_pop(L, 1);
    }
    /* io without popen; in the file sandbox, every function taking a file name checks it, and
     * tmpfile (a file in the system's temporary directory, outside every root) is removed */
    int boxed = sb_of(L)->roots != NULL;
    lua_getglobal(L, "io");
    lua_pushnil(L);
    lua_setfield(L, -2, "popen");
    if (boxed) {
        lua_pushnil(L);
        lua_setfield(L, -2, "tmpfile");
    }
    static const char *const io_named[] = {"open", "lines", "input", "output", NULL};
    for (int i = 0; boxed && io_named[i]; i++) {
        lua_getfield(L, -1, io_named[i]);
        lua_pushboolean(L, i > 0);
        lua_pushcclosure(L, sb_io_checked, 2);
        lua_setfield(L, -2, io_named[i]);
    }
    lua_pop(L, 1);
    /* os reduced to clock/time/date/difftime/getenv (not getenv in the file sandbox) */
    static const char *const os_keep[] = {"clock", "time", "date", "difftime", "getenv", NULL};
    lua_getglobal(L, "os");
    int old = lua_gettop(L);
    lua_newtable(L);
    for (int i = 0; os_keep[i]; i++) {
        if (boxed && strcmp(os_keep[i], "getenv") == 0)
            continue;
        lua_getfield(L, old, os_keep[i]);
        lua_setfield(L, -2, os_keep[i]);
    }
    lua_pushvalue(L, -1);
    lua_setglobal(L, "os");
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_pushvalue(L, -2);
    lua_setfield(L, -2, "os");
    lua_pop(L, 3);
}

lua_State *npu_script_open(npu_ctx *ctx, const npu_script_opts *o, npu_err *err)
{
    sb_box *box = malloc(sizeof *box);
    if (!box) {
        npu_err_set(err, NPU_ENOMEM, "out of memory");
        return NULL;
    }
    *box = (sb_box){.ctx = ctx,
                    .limit = o->mem_limit,
                    .alloc_limit = o->alloc_limit,
                    .max_hooks = o->max_hooks,
                    .hook_every = o->hook_every,
                    .max_layers = o->max_layers > 0 ? o->max_layers : NPU_SCRIPT_MAX_LAYERS,
                    .what = o->what};
    if (o->roots && sb_set_roots(box, o->roots, err) != 0) {
        sb_free_roots(box->roots);
        free(box);
        return NULL;
    }
    lua_State *L = lua_newstate(sb_alloc, box);
    if (!L) {
        sb_free_roots(box->roots);
        free(box);
        npu_err_set(err, NPU_ENOMEM, "out of memory creating a Lua state");
        return NULL;
    }
    if (o->hook_every > 0)
        lua_sethook(L, sb_hook, LUA_MASKCOUNT, o->hook_every);
    lua_pushcfunction(L, sb_setup);
    lua_pushinteger(L, (lua_Integer)o->libs);
    if (o->open)
        lua_pushcfunction(L, o->open);
    else
        lua_pushnil(L);
    int st = npu_script_pcall(L, 2, 0);
    if (st != LUA_OK) {
        npu_script_error_to(L, st, err);
        npu_script_close(L);
        return NULL;
    }
    return L;
}

void npu_script_close(lua_State *L)
{
    if (!L)
        return;
    void *ud = NULL;
    lua_getallocf(L, &ud);
    lua_close(L);
    sb_free_roots(((sb_box *)ud)->roots);
    free(ud);
}
