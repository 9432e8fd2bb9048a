/* preset.c — npu_preset_parse (script.h): a preset file evaluated in the sandbox with no
 * library and an empty environment, its table read into an npu_preset (sim/core/params.h).
 *
 * Choices (also in docs/params.md):
 *  - the state has no library, the chunk an empty _ENV: a preset is data with arithmetic;
 *  - at most 16 MiB and 10 million VM instructions (a runaway loop is an error, not a hang);
 *  - keys are sorted (Lua's table order is not stable across runs), so the first error
 *    reported for a bad preset is always the same one;
 *  - a preset's `sources` may only name keys the preset itself sets (catches typos).
 */
#include <lauxlib.h>
#include <lua.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script.h"

#define PRESET_HOOK_EVERY 1000 /* VM instructions between hook calls       */
#define PRESET_MAX_HOOKS 10000 /* => at most 10 million instructions       */

static int kv_cmp(const void *a, const void *b)
{
    return strcmp(((const npu_preset_kv *)a)->key, ((const npu_preset_kv *)b)->key);
}

static int has_nul(lua_State *L, int idx)
{
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);
    return strlen(s) != n;
}

static const char *lua_type_of(lua_State *L, int idx)
{
    return lua_typename(L, lua_type(L, idx));
}

/* Reads the table at the top of L into pr. Returns 0 or sets err. */
static int preset_read_table(lua_State *L, npu_preset *pr, const char *file, npu_err *err)
{
    int t = lua_gettop(L);
    size_t cap = 0;
    /* first pass: count */
    lua_pushnil(L);
    while (lua_next(L, t)) {
        cap++;
        lua_pop(L, 1);
    }
    pr->kv = npu_arena_alloc(&pr->arena, (cap ? cap : 1) * sizeof *pr->kv);
    if (!pr->kv)
        return npu_err_set(err, NPU_ENOMEM, "out of memory");
    int have_sources = 0;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        /* key at -2, value at -1 */
        if (lua_type(L, -2) != LUA_TSTRING) {
            const char *kt = lua_type_of(L, -2);
            lua_pop(L, 2);
            return npu_err_set(err, NPU_EFORMAT,
                               "%s: preset keys must be strings (found a %s key; write "
                               "[\"name\"] = value)",
                               file, kt);
        }
        const char *key = lua_tostring(L, -2);
        int vt = lua_type(L, -1);
        /* C sees a string up to its first NUL: "rows\0x" would set rows, "8\0x" be 8 */
        if (has_nul(L, -2) || (vt == LUA_TSTRING && has_nul(L, -1))) {
            npu_err_set(err, NPU_EFORMAT, "%s: %s '%s%s has a NUL byte", file,
                        has_nul(L, -2) ? "key" : "the value of", key,
                        has_nul(L, -2) ? "...'" : "'");
            lua_pop(L, 2);
            return NPU_EFORMAT;
        }
        const char **meta = NULL;
        if (strcmp(key, "model") == 0)
            meta = &pr->model;
        else if (strcmp(key, "name") == 0)
            meta = &pr->name;
        else if (strcmp(key, "doc") == 0)
            meta = &pr->doc;
        else if (strcmp(key, "base") == 0)
            meta = &pr->base;
        if (meta) {
            if (vt != LUA_TSTRING) {
                npu_err_set(err, NPU_EFORMAT, "%s: key '%s' must be a string, not a %s", file, key,
                            lua_type_of(L, -1));
                lua_pop(L, 2);
                return NPU_EFORMAT;
            }
            if (!(*meta = npu_arena_strdup(&pr->arena, lua_tostring(L, -1))))
                return npu_err_set(err, NPU_ENOMEM, "out of memory");
        } else if (strcmp(key, "sources") == 0) {
            if (vt != LUA_TTABLE) {
                npu_err_set(err, NPU_EFORMAT,
                            "%s: key 'sources' must be a table of strings, not a %s", file,
                            lua_type_of(L, -1));
                lua_pop(L, 2);
                return NPU_EFORMAT;
            }
            have_sources = 1;
        } else {
            char buf[64];
            const char *text = NULL;
            if (vt == LUA_TNUMBER) {
                if (lua_isinteger(L, -1))
                    snprintf(buf, sizeof buf, "%lld", (long long)lua_tointeger(L, -1));
                else
                    snprintf(buf, sizeof buf, "%.17g", (double)lua_tonumber(L, -1));
                text = buf;
            } else if (vt == LUA_TBOOLEAN) {
                text = lua_toboolean(L, -1) ? "true" : "false";
            } else if (vt == LUA_TSTRING) {
                text = lua_tostring(L, -1);
            } else {
                npu_err_set(err, NPU_EFORMAT,
                            "%s: key '%s' has a %s value (expected a number, boolean or string)",
                            file, key, lua_type_of(L, -1));
                lua_pop(L, 2);
                return NPU_EFORMAT;
            }
            npu_preset_kv *kv = &pr->kv[pr->n++];
            kv->key = npu_arena_strdup(&pr->arena, key);
            kv->text = npu_arena_strdup(&pr->arena, text);
            kv->source = NULL;
            if (!kv->key || !kv->text)
                return npu_err_set(err, NPU_ENOMEM, "out of memory");
        }
        lua_pop(L, 1);
    }
    qsort(pr->kv, (size_t)pr->n, sizeof *pr->kv, kv_cmp);
    if (have_sources) {
        lua_getfield(L, t, "sources");
        int s = lua_gettop(L);
        lua_pushnil(L);
        while (lua_next(L, s)) {
            if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING) {
                const char *kt = lua_type_of(L, -2), *vt = lua_type_of(L, -1);
                lua_pop(L, 2);
                return npu_err_set(err, NPU_EFORMAT,
                                   "%s: 'sources' must map key names to strings (found %s = %s)",
                                   file, kt, vt);
            }
            const char *key = lua_tostring(L, -2);
            npu_preset_kv probe = {.key = key};
            npu_preset_kv *kv =
                pr->n ? bsearch(&probe, pr->kv, (size_t)pr->n, sizeof *pr->kv, kv_cmp) : NULL;
            if (!kv) {
                lua_pop(L, 2);
                return npu_err_set(err, NPU_EFORMAT,
                                   "%s: sources['%s'] documents a key the preset does not set",
                                   file, key);
            }
            if (!(kv->source = npu_arena_strdup(&pr->arena, lua_tostring(L, -1))))
                return npu_err_set(err, NPU_ENOMEM, "out of memory");
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    return 0;
}

/* Everything that touches Lua runs inside one lua_pcall, so that any Lua error (syntax,
 * memory cap, instruction cap, even an allocation failure while reading the result) comes
 * back as a status instead of a panic. */
typedef struct preset_job {
    npu_preset *pr;
    const char *file, *text;
    size_t len;
    npu_err *err;
    int rc; /* non-zero: err already filled by us (not a Lua error) */
} preset_job;

static int preset_main(lua_State *L)
{
    preset_job *job = lua_touserdata(L, 1);
    char chunk[300];
    snprintf(chunk, sizeof chunk, "@%s", job->file);
    if (luaL_loadbufferx(L, job->text, job->len, chunk, "t") != LUA_OK)
        return lua_error(L);
    lua_newtable(L); /* empty _ENV: no libraries, no globals */
    lua_setupvalue(L, -2, 1);
    lua_call(L, 0, 1);
    if (lua_type(L, -1) != LUA_TTABLE) {
        job->rc = npu_err_set(job->err, NPU_EFORMAT, "%s: a preset must return a table, not a %s",
                              job->file, lua_type_of(L, -1));
        return 0;
    }
    job->rc = preset_read_table(L, job->pr, job->file, job->err);
    return 0;
}

static const char *base_name(const char *file, size_t *len)
{
    const char *b = strrchr(file, '/');
    b = b ? b + 1 : file;
    size_t l = strlen(b);
    if (l > 4 && strcmp(b + l - 4, ".lua") == 0)
        l -= 4;
    *len = l;
    return b;
}

npu_preset *npu_preset_parse(const char *file, const char *text, size_t len, npu_err *err)
{
    if (!file)
        file = "<preset>";
    npu_preset *pr = npu_calloc(1, sizeof *pr);
    if (!pr)
        return npu_err_set(err, NPU_ENOMEM, "out of memory"), NULL;
    npu_arena_init(&pr->arena);
    pr->file = npu_arena_strdup(&pr->arena, file);
    const npu_script_opts so = {.libs = NPU_SCRIPT_LIBS_NONE,
                                .mem_limit = NPU_SCRIPT_PRESET_MEM,
                                .hook_every = PRESET_HOOK_EVERY,
                                .max_hooks = PRESET_MAX_HOOKS,
                                .alloc_limit = NPU_SCRIPT_PRESET_ALLOC,
                                .what = "preset"};
    lua_State *L = pr->file ? npu_script_open(NULL, &so, err) : NULL;
    if (!L) {
        npu_preset_free(pr);
        return npu_err_set(err, NPU_ENOMEM, "%s: out of memory", file), NULL;
    }
    preset_job job = {pr, file, text ? text : "", text ? len : 0, err, 0};
    lua_pushcfunction(L, preset_main);
    lua_pushlightuserdata(L, &job);
    int rc = lua_pcall(L, 1, 0, 0);
    if (rc != LUA_OK) {
        const char *m = lua_tostring(L, -1);
        if (rc == LUA_ERRMEM && npu_script_alloc_exceeded(L)) {
            npu_script_error_to(L, rc, err);
            if (err)
                err->code = NPU_EFORMAT; /* as every other preset error */
            npu_err_prefix(err, "%s", file);
        } else if (rc == LUA_ERRMEM)
            npu_err_set(err, NPU_EFORMAT, "%s: preset needs more than %zu MiB of memory", file,
                        NPU_SCRIPT_PRESET_MEM >> 20);
        else
            npu_err_set(err, NPU_EFORMAT, "%s", m ? m : "error in preset");
        if (rc != LUA_ERRMEM && (!m || strncmp(m, file, strlen(file)) != 0))
            npu_err_prefix(err, "%s", file);
    }
    npu_script_close(L);
    if (rc != LUA_OK || job.rc) {
        npu_preset_free(pr);
        return NULL;
    }
    if (!pr->name) {
        size_t bl;
        const char *b = base_name(file, &bl);
        char *nm = npu_arena_alloc(&pr->arena, bl + 1);
        if (!nm) {
            npu_preset_free(pr);
            return npu_err_set(err, NPU_ENOMEM, "out of memory"), NULL;
        }
        memcpy(nm, b, bl);
        pr->name = nm;
    }
    if (!pr->model && !pr->base) {
        npu_err_set(err, NPU_EFORMAT, "%s: preset sets neither 'model' nor 'base'", file);
        npu_preset_free(pr);
        return NULL;
    }
    return pr;
}
