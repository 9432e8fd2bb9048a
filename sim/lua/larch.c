/* larch.c — npusim.arch / npusim.params and the npusim.Arch userdata: architectures opened,
 * cloned and set from Lua, parameters as Lua values (prefix npu_lr_; lint.h). */
#include <lauxlib.h>
#include <lua.h>

#include <stdio.h>
#include <string.h>

#include "lint.h"

/* ---- npusim.Arch ------------------------------------------------------------------------------- */
lr_arch *npu_lr_new_arch(lua_State *L)
{
    lr_arch *box = lua_newuserdatauv(L, sizeof *box, 0);
    box->a = NULL;
    luaL_setmetatable(L, NPU_LUA_ARCH);
    return box;
}

npu_arch *npu_lr_check_arch(lua_State *L, int idx)
{
    lr_arch *box = luaL_checkudata(L, idx, NPU_LUA_ARCH);
    if (!box->a)
        luaL_argerror(L, idx, "closed arch");
    return box->a;
}

static int arch_gc(lua_State *L)
{
    lr_arch *box = luaL_checkudata(L, 1, NPU_LUA_ARCH);
    npu_arch_free(box->a);
    box->a = NULL;
    return 0;
}

static int arch_tostring(lua_State *L)
{
    lr_arch *box = luaL_checkudata(L, 1, NPU_LUA_ARCH);
    if (!box->a)
        lua_pushliteral(L, "arch (closed)");
    else
        lua_pushfstring(L, "arch %s (model %s)", npu_arch_name(box->a), npu_arch_model(box->a));
    return 1;
}

/* Pushes a new array of the string keys of the {name = scalar} table at idx, sorted (so that
 * the first error reported does not depend on table iteration order); returns their number.
 * Raises on a non-string key. */
MAY_RAISE int npu_lr_sorted_keys(lua_State *L, int idx, const char *what)
{
    lua_newtable(L);
    int keys = lua_gettop(L), nk = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "%s: parameter names must be strings, got %s", what,
                       luaL_typename(L, -1));
        size_t kn;
        const char *ks = lua_tolstring(L, -1, &kn);
        if (strlen(ks) != kn)
            luaL_error(L, "%s: parameter name '%s...' has a NUL byte", what, ks);
        lua_pushvalue(L, -1);
        lua_rawseti(L, keys, ++nk);
    }
    npu_script_sort_list(L, keys, nk);
    return nk;
}

/* Pushes key i of the sorted keys table and the value of that key in the table at idx, and
 * writes the value's text to v; returns the key. Raises on a non-scalar value. */
MAY_RAISE const char *npu_lr_key_value(lua_State *L, int idx, int keys, int i, char *v,
                                         size_t vn, const char *what)
{
    lua_rawgeti(L, keys, i);
    const char *k = lua_tostring(L, -1);
    lua_getfield(L, idx, k);
    int rc = npu_script_scalar_text(L, -1, v, vn);
    if (rc != 0)
        luaL_error(L, "%s: value of '%s' %s", what, k, npu_script_scalar_why(L, -1, rc, vn));
    return k;
}

/* Applies the table at idx {key = value} to a, keys in sorted order. Returns 0 or fills err. */
MAY_RAISE int npu_lr_apply_set(lua_State *L, int idx, npu_arch *a, const char *what,
                                  npu_err *err)
{
    idx = lua_absindex(L, idx);
    int nk = npu_lr_sorted_keys(L, idx, what), keys = lua_gettop(L);
    int st = 0;
    for (int i = 1; i <= nk && st == 0; i++) {
        char v[256];
        const char *k = npu_lr_key_value(L, idx, keys, i, v, sizeof v, what);
        st = npu_arch_set(a, k, v, err);
        lua_pop(L, 2);
    }
    lua_pop(L, 1);
    return st;
}

/* npusim.arch(name [, set]) → Arch | nil, message */
int npu_lr_arch(lua_State *L)
{
    const char *name = npu_script_check_cstr(L, 1, "arch");
    /* decided before the box is pushed: with one argument the box itself lands at index 2 */
    int has_set = !lua_isnoneornil(L, 2);
    if (has_set)
        luaL_checktype(L, 2, LUA_TTABLE);
    lr_arch *box = npu_lr_new_arch(L);
    npu_err err = {0};
    if (npu_script_path_ok(L, name, 1, &err) == 0)
        box->a = npu_arch_open(npu_script_ctx(L), name, &err);
    if (box->a && has_set)
        npu_lr_apply_set(L, 2, box->a, "arch", &err);
    if (!box->a || err.code) {
        lua_pushnil(L);
        lua_pushstring(L, err.msg);
        return 2;
    }
    return 1;
}

/* a:set(key, value) → a | nil, message */
static int arch_set(lua_State *L)
{
    npu_arch *a = npu_lr_check_arch(L, 1);
    const char *k = npu_script_check_cstr(L, 2, "parameter name");
    char v[256];
    int rc = npu_script_scalar_text(L, 3, v, sizeof v);
    if (rc == -1)
        return luaL_typeerror(L, 3, "number, string or boolean");
    if (rc != 0)
        return luaL_argerror(L, 3, npu_script_scalar_why(L, 3, rc, sizeof v));
    npu_err err = {0};
    if (npu_arch_set(a, k, v, &err) != 0) {
        lua_pushnil(L);
        lua_pushstring(L, err.msg);
        return 2;
    }
    lua_settop(L, 1);
    return 1;
}

static int arch_name(lua_State *L)
{
    lua_pushstring(L, npu_arch_name(npu_lr_check_arch(L, 1)));
    return 1;
}

static int arch_model(lua_State *L)
{
    lua_pushstring(L, npu_arch_model(npu_lr_check_arch(L, 1)));
    return 1;
}

static int arch_clone(lua_State *L)
{
    npu_arch *a = npu_lr_check_arch(L, 1);
    lr_arch *box = npu_lr_new_arch(L);
    box->a = npu_arch_clone(a);
    if (!box->a)
        return luaL_error(L, "out of memory");
    return 1;
}

/* ---- parameters as Lua values ----------------------------------------------------------------- */
static void push_num(lua_State *L, npu_ptype t, double v)
{
    if (t == NPU_P_INT && v >= -9007199254740992.0 && v <= 9007199254740992.0)
        lua_pushinteger(L, (lua_Integer)v);
    else
        lua_pushnumber(L, v);
}

static void push_pvalue(lua_State *L, const npu_param_def *d, double num, const char *str)
{
    switch (d->type) {
    case NPU_P_INT:
    case NPU_P_FLOAT:
        push_num(L, d->type, num);
        break;
    case NPU_P_BOOL:
        lua_pushboolean(L, num != 0);
        break;
    default:
        if (str)
            lua_pushstring(L, str);
        else
            lua_pushnil(L);
        break;
    }
}

/* {name = value, ...} */
void npu_lr_push_param_values(lua_State *L, const npu_params *p)
{
    lua_createtable(L, 0, p ? p->n : 0);
    for (int i = 0; p && i < p->n; i++) {
        push_pvalue(L, p->def[i], p->v[i].num, p->v[i].str);
        lua_setfield(L, -2, p->def[i]->name);
    }
}

/* list of {name, value, default, min, max, choices, unit, doc, source, origin} */
static void push_param_list(lua_State *L, const npu_params *p)
{
    lua_createtable(L, p ? p->n : 0, 0);
    for (int i = 0; p && i < p->n; i++) {
        const npu_param_def *d = p->def[i];
        const npu_pvalue *v = &p->v[i];
        lua_createtable(L, 0, 10);
        lua_pushstring(L, d->name);
        lua_setfield(L, -2, "name");
        push_pvalue(L, d, v->num, v->str);
        lua_setfield(L, -2, "value");
        push_pvalue(L, d, d->def, d->def_s);
        lua_setfield(L, -2, "default");
        if (d->type == NPU_P_INT || d->type == NPU_P_FLOAT) {
            push_num(L, d->type, d->min);
            lua_setfield(L, -2, "min");
            push_num(L, d->type, d->max);
            lua_setfield(L, -2, "max");
        }
        if (d->type == NPU_P_ENUM && d->choices) {
            lua_newtable(L);
            const char *c = d->choices;
            int k = 0;
            while (*c) {
                const char *bar = strchr(c, '|');
                size_t len = bar ? (size_t)(bar - c) : strlen(c);
                lua_pushlstring(L, c, len);
                lua_rawseti(L, -2, ++k);
                c += len;
                if (*c == '|')
                    c++;
            }
            lua_setfield(L, -2, "choices");
        }
        lua_pushstring(L, d->unit ? d->unit : "");
        lua_setfield(L, -2, "unit");
        lua_pushstring(L, d->doc ? d->doc : "");
        lua_setfield(L, -2, "doc");
        if (v->source) {
            lua_pushstring(L, v->source);
            lua_setfield(L, -2, "source");
        }
        lua_pushstring(L, v->origin == NPU_PO_PRESET ? "preset"
                          : v->origin == NPU_PO_SET  ? "set"
                                                     : "default");
        lua_setfield(L, -2, "origin");
        lua_rawseti(L, -2, i + 1);
    }
}

/* npusim.params(name | Arch) → list | nil, message */
int npu_lr_params(lua_State *L)
{
    if (luaL_testudata(L, 1, NPU_LUA_ARCH)) {
        push_param_list(L, npu_arch_params(npu_lr_check_arch(L, 1)));
        return 1;
    }
    const char *name = npu_script_check_cstr(L, 1, "arch");
    lr_arch *box = npu_lr_new_arch(L); /* owns the arch: safe if a push raises */
    npu_err err = {0};
    if (npu_script_path_ok(L, name, 1, &err) == 0)
        box->a = npu_arch_open(npu_script_ctx(L), name, &err);
    if (!box->a) {
        lua_pushnil(L);
        lua_pushstring(L, err.msg);
        return 2;
    }
    push_param_list(L, npu_arch_params(box->a));
    return 1;
}

static int arch_params(lua_State *L)
{
    push_param_list(L, npu_arch_params(npu_lr_check_arch(L, 1)));
    return 1;
}

static const luaL_Reg arch_methods[] = {{"set", arch_set},     {"name", arch_name},
                                        {"model", arch_model}, {"params", arch_params},
                                        {"clone", arch_clone}, {NULL, NULL}};

void npu_lr_arch_open(lua_State *L)
{
    luaL_newmetatable(L, NPU_LUA_ARCH);
    lua_pushcfunction(L, arch_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, arch_tostring);
    lua_setfield(L, -2, "__tostring");
    luaL_newlib(L, arch_methods);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
}
