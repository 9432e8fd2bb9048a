/* values.c — helpers for C functions called from Lua (script.h): option tables with checked
 * keys, typed options, scalars as parameter text, round-trip numbers, sorting in C. Shared by
 * the builder (builder.c), the zoo and the `npusim` module (sim/lua). */
#include <lauxlib.h>
#include <lua.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script.h"

void npu_script_check_keys(lua_State *L, int idx, int argn, const char *const *allowed)
{
    idx = lua_absindex(L, idx);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING) {
            luaL_argerror(L, argn, lua_pushfstring(L, "unexpected %s key in the table",
                                                   luaL_typename(L, -1)));
        }
        const char *k = lua_tostring(L, -1);
        int ok = 0;
        for (int i = 0; allowed[i]; i++)
            if (strcmp(k, allowed[i]) == 0)
                ok = 1;
        if (!ok) {
            const char *dym = npu_did_you_mean(k, allowed);
            luaL_Buffer b;
            luaL_buffinit(L, &b);
            luaL_addstring(&b, "unknown key '");
            luaL_addstring(&b, k);
            luaL_addstring(&b, "'");
            if (dym) {
                luaL_addstring(&b, " (did you mean '");
                luaL_addstring(&b, dym);
                luaL_addstring(&b, "'?)");
            } else {
                luaL_addstring(&b, "; known:");
                for (int i = 0; allowed[i]; i++) {
                    luaL_addstring(&b, i ? ", " : " ");
                    luaL_addstring(&b, allowed[i]);
                }
            }
            luaL_pushresult(&b);
            luaL_argerror(L, argn, lua_tostring(L, -1));
        }
    }
}

int npu_script_opt_bool(lua_State *L, int idx, const char *key, int def)
{
    if (lua_isnoneornil(L, idx))
        return def;
    int t = lua_getfield(L, idx, key);
    int v = def;
    if (t == LUA_TBOOLEAN)
        v = lua_toboolean(L, -1);
    else if (t != LUA_TNIL)
        luaL_error(L, "option '%s' must be a boolean, got %s", key, luaL_typename(L, -1));
    lua_pop(L, 1);
    return v;
}

const char *npu_script_cstr(lua_State *L, int idx, const char *what)
{
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);
    if (s && strlen(s) != n)
        luaL_error(L, "%s '%s...' has a NUL byte", what, s);
    return s;
}

const char *npu_script_check_cstr(lua_State *L, int arg, const char *what)
{
    luaL_checkstring(L, arg);
    return npu_script_cstr(L, arg, what);
}

const char *npu_script_opt_string(lua_State *L, int idx, const char *key, const char *def)
{
    if (lua_isnoneornil(L, idx))
        return def;
    int t = lua_getfield(L, idx, key);
    const char *v = def;
    if (t == LUA_TSTRING)
        v = npu_script_cstr(L, -1, key); /* the option table keeps the string alive */
    else if (t != LUA_TNIL)
        luaL_error(L, "option '%s' must be a string, got %s", key, luaL_typename(L, -1));
    lua_pop(L, 1);
    return v;
}

void npu_script_fmt_double(double v, char *buf, size_t n)
{
    if (isnan(v)) {
        snprintf(buf, n, "nan");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, n, v < 0 ? "-inf" : "inf");
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

typedef struct lua_sort_ent {
    const char *s; /* string element (kept alive by the list itself) or NULL */
    size_t len;
    lua_Number x;
    int pos;
} lua_sort_ent;

static int lua_sort_cmp(const void *pa, const void *pb)
{
    const lua_sort_ent *a = pa, *b = pb;
    int c;
    if (a->s) {
        size_t m = a->len < b->len ? a->len : b->len;
        c = memcmp(a->s, b->s, m);
        if (c == 0)
            c = (a->len > b->len) - (a->len < b->len);
    } else if (isnan(a->x) || isnan(b->x)) {
        c = isnan(a->x) - isnan(b->x); /* NaN last: the order must stay total for qsort */
    } else {
        /* by value as a double, then position: a total order (comparing integers exactly
         * and mixed pairs as doubles would not be transitive beyond 2^53) */
        c = (a->x > b->x) - (a->x < b->x);
    }
    return c ? c : a->pos - b->pos; /* stable */
}

MAY_RAISE void npu_script_sort_list(lua_State *L, int t, int n)
{
    t = lua_absindex(L, t);
    if (n < 2)
        return;
    /* the entries live in a userdata so that a raise below frees them */
    lua_sort_ent *e = lua_newuserdatauv(L, sizeof *e * (size_t)n, 0);
    int strings = 0;
    for (int k = 0; k < n; k++) {
        int ty = lua_rawgeti(L, t, k + 1);
        if (k == 0)
            strings = ty == LUA_TSTRING;
        if (ty != (strings ? LUA_TSTRING : LUA_TNUMBER))
            luaL_error(L, "cannot sort a list that mixes %s and %s values",
                       strings ? "string" : "number", lua_typename(L, ty));
        e[k] = (lua_sort_ent){.pos = k};
        if (strings) {
            e[k].s = lua_tolstring(L, -1, &e[k].len);
        } else {
            e[k].x = lua_tonumber(L, -1);
        }
        lua_pop(L, 1);
    }
    qsort(e, (size_t)n, sizeof *e, lua_sort_cmp);
    /* reorder through a copy: the strings stay referenced by t or the copy throughout */
    lua_createtable(L, n, 0);
    for (int k = 0; k < n; k++) {
        lua_rawgeti(L, t, e[k].pos + 1);
        lua_rawseti(L, -2, k + 1);
    }
    for (int k = 0; k < n; k++) {
        lua_rawgeti(L, -1, k + 1);
        lua_rawseti(L, t, k + 1);
    }
    lua_pop(L, 2);
}

int npu_script_scalar_text(lua_State *L, int idx, char *buf, size_t n)
{
    switch (lua_type(L, idx)) {
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx))
            snprintf(buf, n, "%lld", (long long)lua_tointeger(L, idx));
        else
            npu_script_fmt_double(lua_tonumber(L, idx), buf, n);
        return 0;
    case LUA_TBOOLEAN:
        snprintf(buf, n, "%s", lua_toboolean(L, idx) ? "true" : "false");
        return 0;
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        if (strlen(s) != len)
            return -2;
        if (len >= n)
            return -3;
        memcpy(buf, s, len + 1);
        return 0;
    }
    default:
        return -1;
    }
}

const char *npu_script_scalar_why(lua_State *L, int idx, int rc, size_t n)
{
    if (rc == -2)
        return "has a NUL byte";
    if (rc == -3)
        return lua_pushfstring(L, "is longer than %d bytes", (int)n - 1);
    return lua_pushfstring(L, "must be a number, string or boolean, got %s",
                           luaL_typename(L, idx));
}
