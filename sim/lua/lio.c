/* lio.c — npusim.write_csv / read_csv / write_json: tables to and from files (prefix npu_lr_;
 * lint.h). A result of npusim.run (or its `layers` list), unchanged, is written by sim/report
 * (npu_report_write): the bytes `npusim run -f csv|json` writes. Other tables: strings by
 * sim/report's CSV and JSON escapers (npu_rep_csv_str, npu_rep_json_strn); numbers keep Lua's
 * round-trip form (not the reports' %.9g), so a value written and read back is the same value.
 * Files are replaced atomically (npu_write_file).
 */
#include <lauxlib.h>
#include <lua.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lint.h"
#include "../report/report.h"

/* ---- CSV ------------------------------------------------------------------------------------------ */
static int field_pos(const npu_field *fs, const char *k)
{
    for (int i = 0; fs[i].name; i++)
        if (strcmp(fs[i].name, k) == 0)
            return i;
    return -1;
}

/* Column order (deterministic, docs/lua.md): opts.columns if given; otherwise every string key
 * with a scalar value in any row. Rows without an "op" key (sweep rows, totals): first the
 * keys that are not total-field names, sorted by name (a sweep's varied parameters, in the
 * order the sweep varies them — also a parameter that shares a layer field's name, such as
 * dtype), then the total fields in result.h order. Rows with an "op" key (r.layers): the layer
 * fields in result.h order, then the other keys sorted (model-specific extra columns). Table
 * values (a sweep row's `layers`) are not columns. */
static MAY_RAISE void lr_columns(lua_State *L, int rows, int nrows, int opts)
{
    if (opts && lua_getfield(L, opts, "columns") != LUA_TNIL) {
        if (!lua_istable(L, -1))
            luaL_error(L, "write_csv: option 'columns' must be a list of names");
        return;
    }
    if (opts)
        lua_pop(L, 1);
    lua_newtable(L); /* set of keys */
    int set = lua_gettop(L);
    int layer_rows = 0;
    for (int r = 1; r <= nrows; r++) {
        lua_rawgeti(L, rows, r);
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            int vt = lua_type(L, -1);
            lua_pop(L, 1);
            if (lua_type(L, -1) != LUA_TSTRING)
                luaL_error(L, "write_csv: row %d has a %s key (rows must be flat tables with "
                              "string keys)", r, luaL_typename(L, -1));
            if (vt == LUA_TTABLE || vt == LUA_TFUNCTION || vt == LUA_TUSERDATA ||
                vt == LUA_TTHREAD || vt == LUA_TLIGHTUSERDATA)
                continue;
            if (strcmp(lua_tostring(L, -1), "op") == 0)
                layer_rows = 1;
            lua_pushvalue(L, -1);
            lua_pushboolean(L, 1);
            lua_settable(L, set);
        }
        lua_pop(L, 1);
    }
    const npu_field *first = layer_rows ? npu_layer_fields : npu_total_fields;
    lua_newtable(L); /* columns */
    int cols = lua_gettop(L), nc = 0;
    lua_newtable(L); /* other keys */
    int other = lua_gettop(L), no = 0;
    lua_pushnil(L);
    while (lua_next(L, set)) {
        lua_pop(L, 1);
        if (field_pos(first, lua_tostring(L, -1)) < 0) {
            lua_pushvalue(L, -1);
            lua_rawseti(L, other, ++no);
        }
    }
    npu_script_sort_list(L, other, no);
    /* a sweep row's point id comes first, as in the files of `npusim sweep` (lstudy.c) */
    for (int i = 2; i <= no && !layer_rows; i++) {
        lua_rawgeti(L, other, i);
        if (strcmp(lua_tostring(L, -1), "id") == 0) {
            for (int j = i; j > 1; j--) {
                lua_rawgeti(L, other, j - 1);
                lua_rawseti(L, other, j);
            }
            lua_rawseti(L, other, 1);
            break;
        }
        lua_pop(L, 1);
    }
    /* sweep/total rows: the other keys (varied parameters) first; layer rows: after the
     * result fields (model-specific extra columns) */
    for (int part = 0; part < 2; part++) {
        if (part == (layer_rows ? 1 : 0)) {
            for (int i = 1; i <= no; i++) {
                lua_rawgeti(L, other, i);
                lua_rawseti(L, cols, ++nc);
            }
            continue;
        }
        for (int i = 0; first[i].name; i++) {
            if (lua_getfield(L, set, first[i].name) != LUA_TNIL) {
                lua_pushstring(L, first[i].name);
                lua_rawseti(L, cols, ++nc);
            }
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1); /* other */
    lua_remove(L, set);
}

/* Owns a strbuf while Lua code may raise. */
typedef struct lr_sbox {
    npu_strbuf sb;
} lr_sbox;

int npu_lr_sbox_gc(lua_State *L)
{
    lr_sbox *b = lua_touserdata(L, 1);
    if (b)
        npu_sb_free(&b->sb);
    return 0;
}

npu_strbuf *npu_lr_new_sb(lua_State *L)
{
    lr_sbox *b = lua_newuserdatauv(L, sizeof *b, 0);
    npu_sb_init(&b->sb);
    luaL_setmetatable(L, "npusim.Buffer*");
    return &b->sb;
}

int npu_lr_write(lua_State *L, const char *path, npu_strbuf *sb, int force)
{
    npu_err err = {0};
    if (sb->oom)
        return luaL_error(L, "out of memory");
    if (npu_script_path_ok(L, path, 0, &err) != 0)
        return npu_lr_fail(L, &err);
    if (npu_write_file(path, sb->s ? sb->s : "", sb->len, force, &err) != 0)
        return npu_lr_fail(L, &err);
    lua_pushboolean(L, 1);
    return 1;
}

/* Writes r as sim/report's format f (the CLI's bytes) to path. */
static int write_report(lua_State *L, const char *path, const npu_result *r, npu_format f,
                        int force)
{
    npu_strbuf *sb = npu_lr_new_sb(L);
    if (npu_report_write(r, f, sb))
        sb->oom = 1;
    return npu_lr_write(L, path, sb, force);
}

/* npusim.write_csv(path, rows [, {force=, columns=}]) → true | nil, message */
int npu_lr_write_csv(lua_State *L)
{
    const char *path = npu_script_check_cstr(L, 1, "path");
    luaL_checktype(L, 2, LUA_TTABLE);
    int opts = 0;
    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TTABLE);
        static const char *const keys[] = {"force", "columns", NULL};
        npu_script_check_keys(L, 3, 3, keys);
        opts = 3;
    }
    lua_settop(L, 3);
    int force = npu_script_opt_bool(L, 3, "force", 0); /* not opts: 0 is no stack index */
    if (!opts || lua_getfield(L, opts, "columns") == LUA_TNIL) { /* a run's own CSV? */
        const npu_result *r = npu_lr_result_of(L, 2, false);
        if (!r)
            r = npu_lr_result_of(L, 2, true);
        if (r)
            return write_report(L, path, r, NPU_FMT_CSV, force);
    }
    lua_settop(L, 3);
    int nrows = (int)luaL_len(L, 2);
    for (int r = 1; r <= nrows; r++) {
        if (lua_rawgeti(L, 2, r) != LUA_TTABLE)
            return luaL_argerror(L, 2, lua_pushfstring(L, "row %d is a %s, not a table", r,
                                                       luaL_typename(L, -1)));
        lua_pop(L, 1);
    }
    lr_columns(L, 2, nrows, opts);
    int cols = lua_gettop(L);
    int nc = (int)luaL_len(L, cols);
    npu_strbuf *sb = npu_lr_new_sb(L);
    for (int c = 1; c <= nc; c++) {
        size_t len;
        if (lua_rawgeti(L, cols, c) != LUA_TSTRING || strlen(lua_tolstring(L, -1, &len)) != len)
            return luaL_error(L, "write_csv: column names must be strings without NUL bytes");
        if (c > 1)
            npu_sb_putc(sb, ',');
        npu_rep_csv_str(sb, lua_tostring(L, -1));
        lua_pop(L, 1);
    }
    npu_sb_putc(sb, '\n');
    for (int r = 1; r <= nrows; r++) {
        lua_rawgeti(L, 2, r);
        for (int c = 1; c <= nc; c++) {
            lua_rawgeti(L, cols, c);
            lua_gettable(L, -2);
            if (c > 1)
                npu_sb_putc(sb, ',');
            char buf[256];
            if (lua_type(L, -1) == LUA_TSTRING) {
                size_t len;
                const char *v = lua_tolstring(L, -1, &len);
                if (strlen(v) != len) { /* a C string would end there: refused */
                    lua_rawgeti(L, cols, c);
                    return luaL_error(L, "write_csv: row %d, column '%s': the string has a NUL "
                                         "byte",
                                      r, lua_tostring(L, -1));
                }
                npu_rep_csv_str(sb, v); /* not truncated */
            } else if (!lua_isnil(L, -1)) {
                if (npu_script_scalar_text(L, -1, buf, sizeof buf) != 0) {
                    lua_rawgeti(L, cols, c);
                    return luaL_error(L, "write_csv: row %d, column '%s': a %s is not a "
                                         "number, string or boolean",
                                      r, lua_tostring(L, -1), luaL_typename(L, -2));
                }
                /* a float keeps a '.' so that it reads back as a float */
                if (lua_type(L, -1) == LUA_TNUMBER && !lua_isinteger(L, -1) &&
                    !strpbrk(buf, ".eEna"))
                    strcat(buf, ".0");
                npu_rep_csv_str(sb, buf);
            }
            lua_pop(L, 1);
        }
        npu_sb_putc(sb, '\n');
        lua_pop(L, 1);
    }
    return npu_lr_write(L, path, sb, force);
}

/* npusim.read_csv(path) → rows, header | nil, message. Numbers are converted (integers stay
 * integers); empty cells are absent from the row. */
int npu_lr_read_csv(lua_State *L)
{
    const char *path = npu_script_check_cstr(L, 1, "path");
    char *data = NULL;
    size_t len = 0;
    npu_err err = {0};
    if (npu_script_path_ok(L, path, 0, &err) != 0 || npu_read_file(path, &data, &len, &err) != 0)
        return npu_lr_fail(L, &err);
    /* copy into Lua so that a raise cannot leak `data` */
    lua_pushlstring(L, data, len);
    free(data);
    const char *s = lua_tostring(L, -1);
    size_t pos = 0;
    lua_newtable(L);
    int header = lua_gettop(L), nh = 0;
    lua_newtable(L);
    int rows = lua_gettop(L), nrow = 0;
    int line = 1, row_is_header = 1;
    while (pos < len) {
        int col = 0;
        int row = 0;
        if (!row_is_header) {
            lua_newtable(L);
            row = lua_gettop(L);
        }
        for (;;) { /* one cell */
            luaL_Buffer b;
            luaL_buffinit(L, &b);
            int quoted = 0;
            if (s[pos] == '"') {
                quoted = 1;
                pos++;
                for (;;) {
                    if (pos >= len) {
                        lua_pushnil(L);
                        lua_pushfstring(L, "%s:%d: unterminated quoted cell", path, line);
                        return 2;
                    }
                    if (s[pos] == '"') {
                        if (pos + 1 < len && s[pos + 1] == '"') {
                            luaL_addchar(&b, '"');
                            pos += 2;
                            continue;
                        }
                        pos++;
                        break;
                    }
                    if (s[pos] == '\n')
                        line++;
                    luaL_addchar(&b, s[pos++]);
                }
            } else {
                while (pos < len && s[pos] != ',' && s[pos] != '\n' && s[pos] != '\r')
                    luaL_addchar(&b, s[pos++]);
            }
            luaL_pushresult(&b);
            col++;
            if (row_is_header) {
                lua_rawseti(L, header, ++nh);
            } else {
                size_t cl = 0;
                const char *cell = lua_tolstring(L, -1, &cl);
                if (cl == 0 && !quoted) {
                    lua_pop(L, 1);
                } else {
                    if (!quoted && lua_stringtonumber(L, cell) != 0)
                        lua_remove(L, -2);
                    if (col > nh) {
                        lua_pushnil(L);
                        lua_pushfstring(L, "%s:%d: more cells than header columns", path, line);
                        return 2;
                    }
                    lua_rawgeti(L, header, col);
                    lua_insert(L, -2);
                    lua_settable(L, row);
                }
            }
            if (pos < len && s[pos] == ',') {
                pos++;
                continue;
            }
            break;
        }
        if (pos < len && s[pos] == '\r')
            pos++;
        if (pos < len && s[pos] == '\n')
            pos++;
        else if (pos < len) {
            lua_pushnil(L);
            lua_pushfstring(L, "%s:%d: garbage after a quoted cell", path, line);
            return 2;
        }
        line++;
        if (row_is_header)
            row_is_header = 0;
        else
            lua_rawseti(L, rows, ++nrow);
    }
    lua_pushvalue(L, rows);
    lua_pushvalue(L, header);
    return 2;
}

/* ---- JSON ----------------------------------------------------------------------------------------- */
static void json_indent(npu_strbuf *sb, int indent, int depth)
{
    if (!indent)
        return;
    npu_sb_putc(sb, '\n');
    for (int i = 0; i < depth * indent; i++)
        npu_sb_putc(sb, ' ');
}

/* Writes the value at idx. Tables: an array when their keys are exactly 1..#t (an empty table
 * is []), otherwise an object with keys sorted (numbers written as strings). */
static MAY_RAISE void json_value(lua_State *L, int idx, npu_strbuf *sb, int indent, int depth)
{
    idx = lua_absindex(L, idx);
    char buf[64];
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        npu_sb_puts(sb, "null");
        return;
    case LUA_TBOOLEAN:
        npu_sb_puts(sb, lua_toboolean(L, idx) ? "true" : "false");
        return;
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) {
            npu_sb_printf(sb, "%lld", (long long)lua_tointeger(L, idx));
        } else {
            double v = lua_tonumber(L, idx);
            if (!isfinite(v)) {
                npu_sb_puts(sb, "null");
            } else {
                npu_script_fmt_double(v, buf, sizeof buf);
                npu_sb_puts(sb, buf);
                if (!strpbrk(buf, ".eE"))
                    npu_sb_puts(sb, ".0"); /* keep it a float when read back */
            }
        }
        return;
    case LUA_TSTRING: {
        size_t n = 0;
        const char *s = lua_tolstring(L, idx, &n);
        npu_rep_json_strn(sb, s, n);
        return;
    }
    case LUA_TTABLE:
        break;
    default:
        luaL_error(L, "write_json: cannot write a %s value", luaL_typename(L, idx));
        return;
    }
    if (depth > 100)
        luaL_error(L, "write_json: tables nested more than 100 deep (a cycle?)");
    luaL_checkstack(L, 8, "write_json: too deep");
    lua_Integer len = (lua_Integer)lua_rawlen(L, idx);
    lua_Integer count = 0;
    int only_ints = 1;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        count++;
        if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 || lua_tointeger(L, -1) > len)
            only_ints = 0;
    }
    if (only_ints && count == len) {
        npu_sb_putc(sb, '[');
        for (lua_Integer i = 1; i <= len; i++) {
            if (i > 1)
                npu_sb_putc(sb, ',');
            json_indent(sb, indent, depth + 1);
            lua_rawgeti(L, idx, i);
            json_value(L, -1, sb, indent, depth + 1);
            lua_pop(L, 1);
        }
        if (len)
            json_indent(sb, indent, depth);
        npu_sb_putc(sb, ']');
        return;
    }
    /* object: collect keys as strings, sort */
    lua_newtable(L);
    int keys = lua_gettop(L), nk = 0;
    lua_newtable(L); /* string key → original key */
    int orig = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        int kt = lua_type(L, -1);
        if (kt == LUA_TSTRING) {
            lua_pushvalue(L, -1);
        } else if (kt == LUA_TNUMBER) {
            lua_pushvalue(L, -1);
            npu_script_scalar_text(L, -1, buf, sizeof buf);
            lua_pop(L, 1);
            lua_pushstring(L, buf);
        } else {
            luaL_error(L, "write_json: a %s key cannot be written", luaL_typename(L, -1));
        }
        lua_pushvalue(L, -1);
        lua_rawseti(L, keys, ++nk);
        lua_pushvalue(L, -2);
        lua_settable(L, orig);
    }
    npu_script_sort_list(L, keys, nk);
    npu_sb_putc(sb, '{');
    for (int i = 1; i <= nk; i++) {
        if (i > 1)
            npu_sb_putc(sb, ',');
        json_indent(sb, indent, depth + 1);
        lua_rawgeti(L, keys, i);
        size_t n = 0;
        const char *k = lua_tolstring(L, -1, &n);
        npu_rep_json_strn(sb, k, n);
        npu_sb_puts(sb, indent ? ": " : ":");
        lua_gettable(L, orig);
        lua_gettable(L, idx);
        json_value(L, -1, sb, indent, depth + 1);
        lua_pop(L, 1);
    }
    json_indent(sb, indent, depth);
    npu_sb_putc(sb, '}');
    lua_pop(L, 2);
}

/* npusim.write_json(path, value [, {force=, indent=}]) → true | nil, message */
int npu_lr_write_json(lua_State *L)
{
    const char *path = npu_script_check_cstr(L, 1, "path");
    luaL_checkany(L, 2);
    int indent = 2, force = 0, indent_set = 0;
    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TTABLE);
        static const char *const keys[] = {"force", "indent", NULL};
        npu_script_check_keys(L, 3, 3, keys);
        force = npu_script_opt_bool(L, 3, "force", 0);
        int t = lua_getfield(L, 3, "indent");
        indent_set = t != LUA_TNIL;
        if (t == LUA_TBOOLEAN)
            indent = lua_toboolean(L, -1) ? 2 : 0;
        else if (t == LUA_TNUMBER) {
            lua_Integer v = lua_tointeger(L, -1);
            if (v < 0 || v > 16)
                return luaL_argerror(L, 3, "indent must be 0..16");
            indent = (int)v;
        } else if (t != LUA_TNIL)
            return luaL_argerror(L, 3, "indent must be a boolean or a number");
        lua_pop(L, 1);
    }
    lua_settop(L, 3);
    const npu_result *r = indent_set ? NULL : npu_lr_result_of(L, 2, false);
    if (r)
        return write_report(L, path, r, NPU_FMT_JSON, force);
    npu_strbuf *sb = npu_lr_new_sb(L);
    json_value(L, 2, sb, indent, 0);
    npu_sb_putc(sb, '\n');
    return npu_lr_write(L, path, sb, force);
}
