/* params.c — typed parameter tables, values from text, presets evaluated in a sandboxed Lua.
 *
 * Choices made where params.h is silent (also written down in docs/params.md):
 *  - A def with min == max == 0 has no range (INT/FLOAT); otherwise [min, max] is inclusive.
 *  - Numbers are parsed with strtod (so "1e3" and "0x40" are numbers); NaN and infinities are
 *    rejected. An INT value must be integral and within +-2^53 (exact in a double).
 *  - BOOL and ENUM text is matched case-insensitively; an ENUM stores the canonical spelling.
 *  - Defaults are checked against their own type and range when a table is built, so a bad
 *    default in a model table fails at the first run instead of producing odd numbers.
 *  - Preset keys are applied in sorted order (Lua's table order is not stable across runs), so
 *    the first error reported for a bad preset is always the same one.
 *  - A preset's `sources` may only name keys the preset itself sets (catches typos).
 */
#include "params.h"

#include <assert.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

/* The plain dtypes a setting may name (dtype adds the mixed names npu_dtype_parse_mixed knows). */
#define DTYPE_CHOICES "auto|int8|uint8|int16|int4|fp16|bf16|fp32"

const npu_param_def npu_common_param_defs[] = {
    {.name = "dtype",
     .type = NPU_P_ENUM,
     .def_s = "auto",
     .choices = DTYPE_CHOICES "|w8a8|w4a16|w8a16|w4a8|a16w8|a8w8",
     .unit = "",
     .doc = "data type of activations and weights; auto = the model's native type (assumption: "
            "int8 for integer NPUs, fp16 for float-first designs). Mixed precision: wNaM = N-bit "
            "integer weights with M-bit activations (a16 = fp16, as RKLLM's w4a16), a16w8 = "
            "SVP's 16-bit integer activations with int8 weights (docs/params.md)"},
    {.name = "wdtype",
     .type = NPU_P_ENUM,
     .def_s = "auto",
     .choices = DTYPE_CHOICES,
     .unit = "",
     .doc = "weight data type (the constant matrices of conv/gemm/matmul), overriding dtype's; "
            "auto = dtype's weight part, or the activation type"},
    {.name = "adtype",
     .type = NPU_P_ENUM,
     .def_s = "auto",
     .choices = DTYPE_CHOICES,
     .unit = "",
     .doc = "activation (compute) data type, overriding dtype's; auto = dtype's"},
    {.name = NULL},
};

#define MAX_EXACT_INT 9007199254740992.0 /* 2^53 */

/* ---- helpers ------------------------------------------------------------------------------ */
static int has_range(const npu_param_def *d)
{
    return !(d->min == 0 && d->max == 0);
}

/* Shortest "%.*g" that reads back to the same double. */
static void fmt_double(char *buf, size_t n, double v)
{
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

/* Finds choice `text` in "a|b|c" (case-insensitive); returns start and length, or -1. */
static int enum_find(const char *choices, const char *text, size_t *len)
{
    size_t tl = strlen(text);
    const char *c = choices ? choices : "";
    while (*c) {
        const char *bar = strchr(c, '|');
        size_t cl = bar ? (size_t)(bar - c) : strlen(c);
        if (cl == tl) {
            size_t k = 0;
            while (k < cl && tolower((unsigned char)c[k]) == tolower((unsigned char)text[k]))
                k++;
            if (k == cl) {
                *len = cl;
                return (int)(c - choices);
            }
        }
        if (!bar)
            break;
        c = bar + 1;
    }
    return -1;
}

static int parse_bool(const char *t, int *out)
{
    static const char *const yes[] = {"true", "1", "yes", "on"};
    static const char *const no[] = {"false", "0", "no", "off"};
    for (int i = 0; i < 4; i++) {
        if (npu_streq_nocase(t, yes[i])) {
            *out = 1;
            return 1;
        }
        if (npu_streq_nocase(t, no[i])) {
            *out = 0;
            return 1;
        }
    }
    return 0;
}

/* Parses a number: whole string (leading/trailing blanks allowed), finite. */
static int parse_num(const char *t, double *out)
{
    char *end;
    while (isspace((unsigned char)*t))
        t++;
    if (!*t)
        return 0;
    double v = strtod(t, &end);
    while (isspace((unsigned char)*end))
        end++;
    if (end == t || *end || !isfinite(v))
        return 0;
    *out = v;
    return 1;
}

static void range_text(const npu_param_def *d, char *buf, size_t n)
{
    char a[40], b[40];
    fmt_double(a, sizeof a, d->min);
    fmt_double(b, sizeof b, d->max);
    snprintf(buf, n, "[%s, %s]", a, b);
}

static const char *pfx(const char *where)
{
    return where ? where : "params";
}

/* Checks `text` against def d; on success fills *num / *str (*str points into d->choices for
 * ENUM — the caller copies it). */
static int check_value(const npu_param_def *d, const char *text, const char *where, double *num,
                       const char **str, size_t *slen, npu_err *err)
{
    *str = NULL;
    *slen = 0;
    *num = 0;
    switch (d->type) {
    case NPU_P_INT:
    case NPU_P_FLOAT: {
        double v;
        if (!parse_num(text, &v))
            return npu_err_set(err, NPU_EINVAL, "%s: '%s' = '%s' is not a number", pfx(where),
                               d->name, text);
        if (d->type == NPU_P_INT && (v != floor(v) || fabs(v) > MAX_EXACT_INT))
            return npu_err_set(err, NPU_EINVAL, "%s: '%s' = '%s' is not an integer", pfx(where),
                               d->name, text);
        if (has_range(d) && (v < d->min || v > d->max)) {
            char r[100], vb[40];
            range_text(d, r, sizeof r);
            fmt_double(vb, sizeof vb, v);
            return npu_err_set(err, NPU_EINVAL, "%s: '%s' = %s out of range %s%s%s", pfx(where),
                               d->name, vb, r, d->unit && *d->unit ? " " : "",
                               d->unit ? d->unit : "");
        }
        *num = v;
        return 0;
    }
    case NPU_P_BOOL: {
        int b;
        if (!parse_bool(text, &b))
            return npu_err_set(err, NPU_EINVAL,
                               "%s: '%s' = '%s' is not a boolean (true/false, 1/0, yes/no, "
                               "on/off)",
                               pfx(where), d->name, text);
        *num = b;
        return 0;
    }
    case NPU_P_ENUM: {
        size_t len;
        int at = enum_find(d->choices, text, &len);
        if (at < 0) {
            /* "did you mean" among the choices */
            char buf[512];
            const char *cands[64];
            int nc = 0;
            snprintf(buf, sizeof buf, "%s", d->choices ? d->choices : "");
            for (char *s = buf; s && nc < 63;) {
                char *bar = strchr(s, '|');
                if (bar)
                    *bar = 0;
                cands[nc++] = s;
                s = bar ? bar + 1 : NULL;
            }
            cands[nc] = NULL;
            const char *dym = npu_did_you_mean(text, cands);
            char hint[200] = "";
            if (dym)
                snprintf(hint, sizeof hint, " (did you mean '%s'?)", dym);
            return npu_err_set(err, NPU_EINVAL, "%s: '%s' = '%s' is not one of %s%s", pfx(where),
                               d->name, text, d->choices ? d->choices : "", hint);
        }
        *str = d->choices + at;
        *slen = len;
        return 0;
    }
    case NPU_P_STR:
        *str = text;
        *slen = strlen(text);
        return 0;
    }
    return npu_err_set(err, NPU_EINVAL, "%s: '%s' has an invalid type", pfx(where), d->name);
}

/* ---- tables ------------------------------------------------------------------------------- */
npu_params *npu_params_new(const npu_param_def *const *tables, int ntables, npu_err *err)
{
    int n = 0;
    for (int t = 0; t < ntables; t++)
        for (const npu_param_def *d = tables[t]; d && d->name; d++)
            n++;
    npu_params *p = npu_calloc(1, sizeof *p);
    if (!p)
        return npu_err_set(err, NPU_ENOMEM, "out of memory"), NULL;
    npu_arena_init(&p->arena);
    p->def = npu_calloc((size_t)(n ? n : 1), sizeof *p->def);
    p->v = npu_calloc((size_t)(n ? n : 1), sizeof *p->v);
    if (!p->def || !p->v) {
        npu_params_free(p);
        return npu_err_set(err, NPU_ENOMEM, "out of memory"), NULL;
    }
    for (int t = 0; t < ntables; t++) {
        for (const npu_param_def *d = tables[t]; d && d->name; d++) {
            for (int i = 0; i < p->n; i++)
                if (strcmp(p->def[i]->name, d->name) == 0) {
                    npu_err_set(err, NPU_EINVAL, "parameter '%s' is declared twice", d->name);
                    npu_params_free(p);
                    return NULL;
                }
            /* the default must pass its own checks */
            char dt[64];
            const char *text = dt;
            if (d->type == NPU_P_ENUM || d->type == NPU_P_STR)
                text = d->def_s ? d->def_s : "";
            else if (d->type == NPU_P_BOOL)
                text = d->def != 0 ? "true" : "false";
            else
                fmt_double(dt, sizeof dt, d->def);
            double num;
            const char *s;
            size_t sl;
            if (check_value(d, text, "default", &num, &s, &sl, err)) {
                npu_params_free(p);
                return NULL;
            }
            int i = p->n++;
            p->def[i] = d;
            p->v[i].num = num;
            p->v[i].str = NULL;
            if (s) {
                char *c = npu_arena_alloc(&p->arena, sl + 1);
                if (!c) {
                    npu_params_free(p);
                    return npu_err_set(err, NPU_ENOMEM, "out of memory"), NULL;
                }
                memcpy(c, s, sl);
                p->v[i].str = c;
            }
            p->v[i].origin = NPU_PO_DEFAULT;
        }
    }
    return p;
}

void npu_params_free(npu_params *p)
{
    if (!p)
        return;
    npu_arena_free(&p->arena);
    free(p->def);
    free(p->v);
    free(p);
}

npu_params *npu_params_clone(const npu_params *src)
{
    if (!src)
        return NULL;
    npu_params *p = npu_calloc(1, sizeof *p);
    if (!p)
        return NULL;
    npu_arena_init(&p->arena);
    size_t n = (size_t)(src->n ? src->n : 1);
    p->def = npu_calloc(n, sizeof *p->def);
    p->v = npu_calloc(n, sizeof *p->v);
    if (!p->def || !p->v) {
        npu_params_free(p);
        return NULL;
    }
    p->n = src->n;
    for (int i = 0; i < src->n; i++) {
        p->def[i] = src->def[i];
        p->v[i] = src->v[i];
        if (src->v[i].str && !(p->v[i].str = npu_arena_strdup(&p->arena, src->v[i].str)))
            goto oom;
        if (src->v[i].source && !(p->v[i].source = npu_arena_strdup(&p->arena, src->v[i].source)))
            goto oom;
    }
    if ((src->arch && !(p->arch = npu_arena_strdup(&p->arena, src->arch))) ||
        (src->model && !(p->model = npu_arena_strdup(&p->arena, src->model))) ||
        (src->doc && !(p->doc = npu_arena_strdup(&p->arena, src->doc))))
        goto oom;
    return p;
oom:
    npu_params_free(p);
    return NULL;
}

int npu_params_find(const npu_params *p, const char *key)
{
    if (!p || !key)
        return -1;
    for (int i = 0; i < p->n; i++)
        if (strcmp(p->def[i]->name, key) == 0)
            return i;
    return -1;
}

static int unknown_key(const npu_params *p, const char *key, const char *where, npu_err *err)
{
    const char **cands = npu_calloc((size_t)p->n + 1, sizeof *cands);
    const char *dym = NULL;
    if (cands) {
        for (int i = 0; i < p->n; i++)
            cands[i] = p->def[i]->name;
        dym = npu_did_you_mean(key, cands);
    }
    if (dym)
        npu_err_set(err, NPU_EINVAL, "%s: key '%s' unknown (did you mean '%s'?)", pfx(where), key,
                    dym);
    else
        npu_err_set(err, NPU_EINVAL, "%s: key '%s' unknown (see `npusim params %s`)", pfx(where),
                    key, p->arch ? p->arch : (p->model ? p->model : "MODEL"));
    free(cands);
    return NPU_EINVAL;
}

int npu_params_set(npu_params *p, const char *key, const char *text, npu_porigin origin,
                   const char *where, npu_err *err)
{
    if (!key || !text)
        return npu_err_set(err, NPU_EINVAL, "%s: missing key or value", pfx(where));
    int i = npu_params_find(p, key);
    if (i < 0)
        return unknown_key(p, key, where, err);
    const npu_param_def *d = p->def[i];
    double num;
    const char *s;
    size_t sl;
    int rc = check_value(d, text, where, &num, &s, &sl, err);
    if (rc)
        return rc;
    const char *copy = NULL;
    if (s) {
        char *c = npu_arena_alloc(&p->arena, sl + 1);
        if (!c)
            return npu_err_set(err, NPU_ENOMEM, "out of memory");
        memcpy(c, s, sl);
        copy = c;
    }
    p->v[i].num = num;
    p->v[i].str = copy;
    p->v[i].origin = origin;
    p->v[i].source = NULL;
    return 0;
}

int npu_params_set_num(npu_params *p, const char *key, double v, npu_porigin origin,
                       const char *where, npu_err *err)
{
    char buf[64];
    if (!isfinite(v))
        return npu_err_set(err, NPU_EINVAL, "%s: '%s' must be a finite number", pfx(where),
                           key ? key : "?");
    fmt_double(buf, sizeof buf, v);
    return npu_params_set(p, key, buf, origin, where, err);
}

int npu_params_set_kv(npu_params *p, const char *kv, npu_err *err)
{
    const char *eq = kv ? strchr(kv, '=') : NULL;
    if (!eq || eq == kv)
        return npu_err_set(err, NPU_EINVAL, "--set: '%s' is not key=value", kv ? kv : "");
    char key[256];
    size_t kl = (size_t)(eq - kv);
    while (kl > 0 && isspace((unsigned char)kv[kl - 1]))
        kl--;
    size_t ks = 0;
    while (ks < kl && isspace((unsigned char)kv[ks]))
        ks++;
    if (kl - ks >= sizeof key || kl == ks)
        return npu_err_set(err, NPU_EINVAL, "--set: '%s' is not key=value", kv);
    memcpy(key, kv + ks, kl - ks);
    key[kl - ks] = 0;
    const char *val = eq + 1;
    while (isspace((unsigned char)*val))
        val++;
    return npu_params_set(p, key, val, NPU_PO_SET, "--set", err);
}

/* ---- getters ------------------------------------------------------------------------------ */
static int must_find(const npu_params *p, const char *key)
{
    int i = npu_params_find(p, key);
    assert(i >= 0 && "unknown parameter key (programming error)");
    return i;
}

int64_t npu_params_int(const npu_params *p, const char *key)
{
    int i = must_find(p, key);
    if (i < 0)
        return 0;
    return (int64_t)p->v[i].num;
}

double npu_params_float(const npu_params *p, const char *key)
{
    int i = must_find(p, key);
    return i < 0 ? 0.0 : p->v[i].num;
}

bool npu_params_bool(const npu_params *p, const char *key)
{
    int i = must_find(p, key);
    return i >= 0 && p->v[i].num != 0;
}

const char *npu_params_str(const npu_params *p, const char *key)
{
    int i = must_find(p, key);
    if (i < 0)
        return "";
    assert(p->def[i]->type == NPU_P_ENUM || p->def[i]->type == NPU_P_STR);
    return p->v[i].str ? p->v[i].str : "";
}

bool npu_params_is_set(const npu_params *p, const char *key)
{
    int i = must_find(p, key);
    return i >= 0 && p->v[i].origin != NPU_PO_DEFAULT;
}

void npu_params_format(const npu_params *p, int i, npu_strbuf *out)
{
    if (!p || i < 0 || i >= p->n)
        return;
    const npu_pvalue *v = &p->v[i];
    char buf[64];
    switch (p->def[i]->type) {
    case NPU_P_INT:
        npu_sb_printf(out, "%lld", (long long)v->num);
        break;
    case NPU_P_FLOAT:
        fmt_double(buf, sizeof buf, v->num);
        npu_sb_puts(out, buf);
        break;
    case NPU_P_BOOL:
        npu_sb_puts(out, v->num != 0 ? "true" : "false");
        break;
    case NPU_P_ENUM:
    case NPU_P_STR:
        npu_sb_puts(out, v->str ? v->str : "");
        break;
    }
}

/* ---- presets: a sandboxed Lua ------------------------------------------------------------- */
#define PRESET_MEM_LIMIT ((size_t)16 << 20) /* bytes a preset may allocate              */
#define PRESET_HOOK_EVERY 1000              /* VM instructions between hook calls       */
#define PRESET_MAX_HOOKS 10000              /* => at most 10 million instructions       */

typedef struct sandbox {
    size_t used;
    long hooks;
} sandbox;

static void *sandbox_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    sandbox *sb = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        sb->used -= old;
        return NULL;
    }
    if (nsize > old && sb->used - old + nsize > PRESET_MEM_LIMIT)
        return NULL; /* Lua raises "not enough memory" */
    void *q = realloc(ptr, nsize);
    if (q)
        sb->used = sb->used - old + nsize;
    return q;
}

static void sandbox_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    void *ud;
    lua_getallocf(L, &ud);
    sandbox *sb = ud;
    if (++sb->hooks > PRESET_MAX_HOOKS)
        luaL_error(L, "preset runs too long (more than %d instructions)",
                   PRESET_HOOK_EVERY * PRESET_MAX_HOOKS);
}

static int kv_cmp(const void *a, const void *b)
{
    return strcmp(((const npu_preset_kv *)a)->key, ((const npu_preset_kv *)b)->key);
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
    sandbox sb = {0, 0};
    lua_State *L = lua_newstate(sandbox_alloc, &sb);
    if (!L || !pr->file) {
        if (L)
            lua_close(L);
        npu_preset_free(pr);
        return npu_err_set(err, NPU_ENOMEM, "%s: out of memory", file), NULL;
    }
    lua_sethook(L, sandbox_hook, LUA_MASKCOUNT, PRESET_HOOK_EVERY);
    preset_job job = {pr, file, text ? text : "", text ? len : 0, err, 0};
    lua_pushcfunction(L, preset_main);
    lua_pushlightuserdata(L, &job);
    int rc = lua_pcall(L, 1, 0, 0);
    if (rc != LUA_OK) {
        const char *m = lua_tostring(L, -1);
        if (rc == LUA_ERRMEM)
            npu_err_set(err, NPU_EFORMAT, "%s: preset needs more than %zu MiB of memory", file,
                        PRESET_MEM_LIMIT >> 20);
        else
            npu_err_set(err, NPU_EFORMAT, "%s", m ? m : "error in preset");
        if (rc != LUA_ERRMEM && (!m || strncmp(m, file, strlen(file)) != 0))
            npu_err_prefix(err, "%s", file);
    }
    lua_close(L);
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

void npu_preset_free(npu_preset *pr)
{
    if (!pr)
        return;
    npu_arena_free(&pr->arena);
    free(pr);
}

int npu_preset_apply(const npu_preset *pr, npu_params *p, npu_err *err)
{
    for (int i = 0; i < pr->n; i++) {
        int rc = npu_params_set(p, pr->kv[i].key, pr->kv[i].text, NPU_PO_PRESET, pr->file, err);
        if (rc)
            return rc;
        if (pr->kv[i].source) {
            int k = npu_params_find(p, pr->kv[i].key);
            if (!(p->v[k].source = npu_arena_strdup(&p->arena, pr->kv[i].source)))
                return npu_err_set(err, NPU_ENOMEM, "out of memory");
        }
    }
    return 0;
}
