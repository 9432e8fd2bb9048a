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
 * There is no global mutable state: the context and the counters live in the allocator's user
 * data.
 */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include <stdlib.h>
#include <string.h>

#include "script.h"

/* ---- the allocator with a cap, the hook ------------------------------------------------------ */
typedef struct sb_box {
    npu_ctx *ctx;
    size_t used, limit;
    long hooks, max_hooks;
    int hook_every;
    int cancel_handled; /* a sweep handled the cancellation: the hook lets the script go on */
    const char *what;
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
    void *p = realloc(ptr, nsize);
    if (p)
        b->used = b->used - osize + nsize;
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
    const char *fname = luaL_optstring(L, 1, NULL);
    int envidx = !lua_isnone(L, 3) ? 3 : 0;
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
    const char *fname = luaL_optstring(L, 1, NULL);
    lua_settop(L, 1);
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
    /* io without popen */
    lua_getglobal(L, "io");
    lua_pushnil(L);
    lua_setfield(L, -2, "popen");
    lua_pop(L, 1);
    /* os reduced to clock/time/date/difftime/getenv */
    static const char *const os_keep[] = {"clock", "time", "date", "difftime", "getenv", NULL};
    lua_getglobal(L, "os");
    int old = lua_gettop(L);
    lua_newtable(L);
    for (int i = 0; os_keep[i]; i++) {
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
                    .max_hooks = o->max_hooks,
                    .hook_every = o->hook_every,
                    .what = o->what};
    lua_State *L = lua_newstate(sb_alloc, box);
    if (!L) {
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
    free(ud);
}
