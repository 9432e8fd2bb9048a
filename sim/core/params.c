/* params.c — typed parameter tables, values from text, presets applied to a table (a preset
 * file is read by sim/script/preset.c: the core needs no Lua).
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
/* The name index: FNV-1a, a power-of-two table at most half full. */
static unsigned hname(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static int hcap_for(int n)
{
    int c = 16;
    while (c < 2 * n + 2)
        c *= 2;
    return c;
}

static void hinsert(npu_params *p, int i)
{
    unsigned h = hname(p->def[i]->name) & (unsigned)(p->hcap - 1);
    while (p->hidx[h])
        h = (h + 1) & (unsigned)(p->hcap - 1);
    p->hidx[h] = i + 1;
}

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
    p->hcap = hcap_for(n);
    p->hidx = npu_calloc((size_t)p->hcap, sizeof *p->hidx);
    if (!p->def || !p->v || !p->hidx) {
        npu_params_free(p);
        return npu_err_set(err, NPU_ENOMEM, "out of memory"), NULL;
    }
    for (int t = 0; t < ntables; t++) {
        for (const npu_param_def *d = tables[t]; d && d->name; d++) {
            if (npu_params_find(p, d->name) >= 0) {
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
            hinsert(p, i);
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
    free(p->hidx);
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
    p->hcap = src->hcap;
    p->hidx = npu_malloc(sizeof *p->hidx * (size_t)src->hcap);
    if (!p->def || !p->v || !p->hidx) {
        npu_params_free(p);
        return NULL;
    }
    memcpy(p->hidx, src->hidx, sizeof *p->hidx * (size_t)src->hcap); /* the same definitions */
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
    if (!p || !key || !p->hcap)
        return -1;
    unsigned mask = (unsigned)(p->hcap - 1);
    for (unsigned h = hname(key) & mask;; h = (h + 1) & mask) {
        int i = p->hidx[h] - 1;
        if (i < 0)
            return -1;
        if (strcmp(p->def[i]->name, key) == 0)
            return i;
    }
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

/* ---- presets (read from Lua by sim/script/preset.c) ------------------------------------------- */
void npu_preset_free(npu_preset *pr)
{
    if (!pr)
        return;
    npu_arena_free(&pr->arena);
    free(pr);
}

bool npu_preset_is_card(const npu_preset *pr)
{
    for (int i = 0; i < pr->n; i++)
        if (strcmp(pr->kv[i].key, "chips") == 0 || strncmp(pr->kv[i].key, "link.", 5) == 0)
            return true;
    return false;
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
