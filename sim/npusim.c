/* npusim.c — the public API (sim/npusim.h): graphs, architectures, runs, programs.
 *
 * This file only wires the stages together (DESIGN §1); every mechanism lives in its folder:
 * readers in sim/front, the zoo and preset files in sim/script, parameters in
 * sim/core/params.c, models behind the wrappers of models/registry.c, the engine in sim/engine,
 * traces in traces/.
 *
 * Choices made where the header is silent (also in docs/api.md):
 *  - Architecture lookup: NAME ending in ".lua" is a file; else NAME.lua in each --preset-path
 *    directory (in the order given); else a built-in preset; else a model name (its defaults).
 *    A preset's `base` is looked up the same way (first beside the preset file itself); a base
 *    that is a model name ends the chain. Chains longer than 16 or with a cycle are errors.
 *  - After every preset and every set, npu_host_apply_profile re-fills the host.* keys that
 *    were not given explicitly (they keep origin DEFAULT), so `--set host.cpu=x` takes effect.
 *  - A run needs the model to keep the contract "one program layer per graph layer"; a model
 *    that breaks it gets an NPU_ESIM error naming it.
 *  - The last error of every ctx-taking call is also copied into npu_ctx_err(ctx).
 *  - The static name lists (presets, models, zoo) are built once under pthread_once: written
 *    exactly once before any reader sees them, so they are safe from many threads.
 */
#include "npusim_int.h"
#include "report/report.h" /* its declarations of the public report functions meet npusim.h's here */

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../isa/program.h"
#include "../models/model.h"
#include "../traces/trace.h"
#include "lowering.h"
#include "engine/engine.h"
#include "front/front.h"
#include "front/onnxw.h"
#include "script/script.h"

struct npu_arch {
    npu_params *p; /* p->arch, p->model, p->doc are set */
    const npu_model_ops *ops;
};

/* Copies the error into the context (when they differ) and returns the code. */
static int ctx_fail(npu_ctx *ctx, npu_err *err)
{
    if (ctx && err) {
        npu_err *ce = npu_ctx_err(ctx);
        if (ce != err)
            *ce = *err;
    }
    return err ? err->code : NPU_EINVAL;
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && npu_streq_nocase(s + a - b, suf);
}

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* ---- static name lists --------------------------------------------------------------------- */
#define MAX_NAMES 512
static const char *preset_name_list[MAX_NAMES + 1];
static const char *model_name_list[MAX_NAMES + 1];
static const char *zoo_name_list[MAX_NAMES + 1];
static pthread_once_t names_once = PTHREAD_ONCE_INIT;

static void names_init(void)
{
    int n = 0;
    for (const npu_builtin_text *t = npu_builtin_presets; t->name && n < MAX_NAMES; t++)
        preset_name_list[n++] = t->name;
    preset_name_list[n] = NULL;
    n = 0;
    for (const npu_model_ops *const *m = npu_builtin_models; *m && n < MAX_NAMES; m++)
        model_name_list[n++] = (*m)->name;
    model_name_list[n] = NULL;
    n = 0;
    for (const npu_builtin_text *t = npu_builtin_zoo; t->name && n < MAX_NAMES; t++)
        zoo_name_list[n++] = t->name;
    zoo_name_list[n] = NULL;
}

const char *const *npu_preset_names(void)
{
    pthread_once(&names_once, names_init);
    return preset_name_list;
}

const char *const *npu_model_names(void)
{
    pthread_once(&names_once, names_init);
    return model_name_list;
}

const char *const *npu_zoo_names(void)
{
    pthread_once(&names_once, names_init);
    return zoo_name_list;
}

const char *npu_model_summary(const char *model)
{
    const npu_model_ops *ops = npu_model_find(model, NULL);
    return ops ? ops->summary : NULL;
}

static void join_names(npu_strbuf *sb, const char *const *names)
{
    for (int i = 0; names[i]; i++)
        npu_sb_printf(sb, "%s%s", i ? ", " : "", names[i]);
    if (!names[0])
        npu_sb_puts(sb, "none");
}

/* ---- graphs --------------------------------------------------------------------------------- */
static npu_graph *read_text_graph(const char *path, int kind, npu_err *err)
{
    char *text = NULL;
    size_t len = 0;
    if (npu_read_file(path, &text, &len, err))
        return NULL;
    const char *file = strcmp(path, "-") == 0 ? "<stdin>" : path;
    npu_graph *g = NULL;
    if (kind == 0)
        g = npu_npg_read(file, text, len, err);
    else
        g = npu_scalesim_read(file, text, len,
                              kind == 2   ? true
                              : kind == 1 ? false
                                          : npu_scalesim_is_gemm(text, len),
                              err);
    free(text);
    return g;
}

/* The zoo's own spelling of `name` (matched ignoring case), or NULL. */
const char *npu_zoo_canonical(const char *name)
{
    for (const npu_builtin_text *t = npu_builtin_zoo; t->name; t++)
        if (npu_streq_nocase(t->name, name))
            return t->name;
    return NULL;
}

npu_graph *npu_load_graph(npu_ctx *ctx, const char *what, const npu_load_opts *opts, npu_err *err)
{
    npu_err local = {0};
    if (!err)
        err = &local;
    npu_err_clear(err);
    npu_load_opts o = opts ? *opts : (npu_load_opts){0};
    npu_graph *g = NULL;
    if (!what || !*what) {
        npu_err_set(err, NPU_EINVAL, "no graph given");
        ctx_fail(ctx, err);
        return NULL;
    }
    const char *fmt = o.format;
    if (!fmt) {
        if (strcmp(what, "-") == 0 || ends_with(what, ".npg"))
            fmt = "npg";
        else if (ends_with(what, ".onnx"))
            fmt = "onnx";
        else if (ends_with(what, ".csv"))
            fmt = "scalesim-auto";
        else if (is_file(what)) {
            /* an existing file with another extension: npg if it says so */
            char head[8] = "";
            FILE *f = fopen(what, "rb");
            if (f) {
                size_t got = fread(head, 1, 4, f);
                head[got] = 0;
                fclose(f);
            }
            if (strncmp(head, "npg", 3) == 0 && (head[3] == ' ' || head[3] == '\t'))
                fmt = "npg";
            else {
                npu_err_set(err, NPU_EFORMAT,
                            "%s: unknown graph format (use .npg, .onnx or .csv, or --format)",
                            what);
                ctx_fail(ctx, err);
                return NULL;
            }
        } else
            fmt = "zoo";
    }
    if (o.zoo_args && *o.zoo_args && strcmp(fmt, "zoo") != 0) {
        /* a file has no arguments: ignoring them would run something else than asked */
        npu_err_set(err, NPU_EINVAL,
                    "%s: zoo arguments '%s' apply to built-in networks only, not to a file%s",
                    what, o.zoo_args, strstr(o.zoo_args, "batch") ? " (use --batch)" : "");
        ctx_fail(ctx, err);
        return NULL;
    }
    if (strcmp(fmt, "npg") == 0)
        g = read_text_graph(what, 0, err);
    else if (strcmp(fmt, "onnx") == 0)
        g = npu_onnx_read_batch(what, o.allow_unsupported, o.batch, err);
    else if (strcmp(fmt, "scalesim") == 0)
        g = read_text_graph(what, 1, err);
    else if (strcmp(fmt, "scalesim-gemm") == 0)
        g = read_text_graph(what, 2, err);
    else if (strcmp(fmt, "scalesim-auto") == 0)
        g = read_text_graph(what, 3, err);
    else if (strcmp(fmt, "zoo") == 0) {
        const char *canon = npu_zoo_canonical(what);
        struct stat st;
        if (!canon && stat(what, &st) == 0) { /* a FIFO, a device, a directory */
            npu_err_set(err, NPU_EIO, "%s: not a regular file", what);
            ctx_fail(ctx, err);
            return NULL;
        }
        if (!canon) {
            npu_strbuf sb;
            npu_sb_init(&sb);
            join_names(&sb, npu_zoo_names());
            const char *dym = npu_did_you_mean(what, npu_zoo_names());
            if (dym)
                npu_err_set(err, NPU_EINVAL,
                            "no such file or network '%s' (did you mean '%s'? networks: %s)", what,
                            dym, sb.s ? sb.s : "");
            else
                npu_err_set(err, NPU_EINVAL, "no such file or network '%s' (networks: %s)", what,
                            sb.s ? sb.s : "");
            npu_sb_free(&sb);
            ctx_fail(ctx, err);
            return NULL;
        }
        g = npu_script_zoo_batch_twice(what, o.zoo_args, o.batch, err)
                ? NULL : npu_script_zoo(ctx, canon, o.zoo_args, err);
    } else {
        npu_err_set(err, NPU_EINVAL,
                    "unknown graph format '%s' (npg, onnx, scalesim, scalesim-gemm, zoo)", fmt);
        ctx_fail(ctx, err);
        return NULL;
    }
    if (!g) {
        if (!err->code)
            npu_err_set(err, NPU_EFORMAT, "%s: could not be read", what);
        ctx_fail(ctx, err);
        return NULL;
    }
    if ((o.batch > 0 && npu_graph_set_batch(g, o.batch, err)) || npu_graph_prepare(g, err)) {
        npu_graph_free(g);
        ctx_fail(ctx, err);
        return NULL;
    }
    return g;
}

int npu_graph_write_npg(const npu_graph *g, npu_strbuf *out)
{
    return npu_npg_write(g, out);
}

int npu_graph_write_onnx(const npu_graph *g, const char *path, bool force, npu_err *err)
{
    npu_err local = {0};
    if (!err)
        err = &local;
    if (!g || !path)
        return npu_err_set(err, NPU_EINVAL, "no graph or path");
    if (strcmp(path, "-") == 0)
        return npu_err_set(err, NPU_EINVAL, "an ONNX model and its weight file cannot go to "
                           "stdout; give a file name");
    size_t pl = strlen(path);
    char *side = malloc(pl + 6);
    if (!side)
        return npu_err_set(err, NPU_ENOMEM, "out of memory");
    snprintf(side, pl + 6, "%s.data", path);
    const char *base = strrchr(side, '/');
    base = base ? base + 1 : side;
    struct stat st;
    npu_strbuf sb;
    npu_sb_init(&sb);
    int64_t bytes = 0;
    int rc = 0;
    /* both names are checked before anything is written */
    if (!force && (stat(path, &st) == 0 || stat(side, &st) == 0))
        rc = npu_err_set(err, NPU_EEXIST, "%s: file exists (use --force to overwrite)",
                         stat(path, &st) == 0 ? path : side);
    if (!rc)
        rc = npu_onnxw_write(g, base, &sb, &bytes, err);
    if (!rc && bytes > 0)
        rc = npu_write_file_sized(side, NULL, 0, bytes, force, err);
    if (!rc)
        rc = npu_write_file(path, sb.s, sb.len, force, err);
    npu_sb_free(&sb);
    free(side);
    return rc;
}

/* ---- architectures --------------------------------------------------------------------------- */
#define MAX_CHAIN 16

/* Finds preset `name`; `near` is the directory of the preset that names it as base (or NULL).
 * Returns the parsed preset, or NULL with *found = 0 when no preset of that name exists (err
 * untouched), or NULL with *found = 1 and err set when it exists but is bad. */
static npu_preset *find_preset(npu_ctx *ctx, const char *name, const char *near, int *found,
                               npu_err *err)
{
    *found = 0;
    char *text = NULL;
    size_t len = 0;
    char path[4096];
    if (ends_with(name, ".lua")) {
        *found = 1;
        if (npu_read_file(name, &text, &len, err))
            return NULL;
        npu_preset *pr = npu_preset_parse(name, text, len, err);
        free(text);
        return pr;
    }
    if (strchr(name, '/'))
        return NULL;
    const char *const *dirs = ctx ? npu_ctx_preset_paths(ctx) : NULL;
    for (int pass = 0; pass < 2; pass++) {
        const char *const *d = dirs;
        const char *one[2] = {near, NULL};
        if (pass == 0) {
            if (!near || !*near)
                continue;
            d = one;
        }
        for (; d && *d; d++) {
            snprintf(path, sizeof path, "%s/%s.lua", *d, name);
            if (!is_file(path))
                continue;
            *found = 1;
            if (npu_read_file(path, &text, &len, err))
                return NULL;
            npu_preset *pr = npu_preset_parse(path, text, len, err);
            free(text);
            return pr;
        }
    }
    for (const npu_builtin_text *t = npu_builtin_presets; t->name; t++) {
        if (!npu_streq_nocase(t->name, name))
            continue;
        *found = 1;
        snprintf(path, sizeof path, "<builtin>/%s.lua", t->name);
        return npu_preset_parse(path, t->text, strlen(t->text), err);
    }
    return NULL;
}

static void dir_of(const char *file, char *out, size_t n)
{
    const char *s = strrchr(file, '/');
    if (strncmp(file, "<builtin>", 9) == 0) {
        out[0] = 0; /* a built-in preset has no directory: its base is looked up as usual */
        return;
    }
    if (!s) {
        snprintf(out, n, "."); /* "my.lua" in the current directory */
        return;
    }
    if (s == file) {
        snprintf(out, n, "/"); /* "/my.lua" */
        return;
    }
    size_t l = (size_t)(s - file);
    if (l >= n)
        l = n - 1;
    memcpy(out, file, l);
    out[l] = 0;
}

/* A card preset (npu_preset_is_card) has the card keys too; no other arch lists them. */
static npu_params *params_for(const npu_model_ops *ops, bool card, npu_err *err)
{
    const npu_param_def *const t[] = {ops->params, npu_common_param_defs, npu_engine_param_defs,
                                      npu_card_param_defs};
    return npu_params_new(t, card ? 4 : 3, err);
}

static npu_arch *arch_new(const npu_model_ops *ops, const char *name, const char *doc, bool card,
                          npu_err *err)
{
    npu_arch *a = npu_calloc(1, sizeof *a);
    if (!a) {
        npu_err_set(err, NPU_ENOMEM, "out of memory");
        return NULL;
    }
    a->ops = ops;
    a->p = params_for(ops, card, err);
    if (!a->p) {
        npu_err_prefix(err, "model %s", ops->name);
        free(a);
        return NULL;
    }
    a->p->arch = npu_arena_strdup(&a->p->arena, name);
    a->p->model = npu_arena_strdup(&a->p->arena, ops->name);
    a->p->doc = doc ? npu_arena_strdup(&a->p->arena, doc) : NULL;
    if (!a->p->arch || !a->p->model || (doc && !a->p->doc)) {
        npu_arch_free(a);
        npu_err_set(err, NPU_ENOMEM, "out of memory");
        return NULL;
    }
    if (npu_host_apply_profile(a->p, err)) {
        npu_arch_free(a);
        return NULL;
    }
    return a;
}

static npu_arch *arch_open(npu_ctx *ctx, const char *name, npu_err *err)
{
    npu_preset *chain[MAX_CHAIN];
    int n = 0, found = 0;
    npu_arch *a = NULL;
    const npu_model_ops *ops = NULL;
    const char *want = name;
    char near[4096] = "";
    while (want) {
        npu_preset *pr = find_preset(ctx, want, n ? near : NULL, &found, err);
        if (!pr && found)
            goto fail;
        if (!pr) {
            /* not a preset: a model name (its defaults) ends the chain */
            npu_err tmp = {0};
            ops = npu_model_find(want, &tmp);
            if (!ops) {
                npu_strbuf sb;
                npu_sb_init(&sb);
                npu_sb_puts(&sb, "presets: ");
                join_names(&sb, npu_preset_names());
                npu_sb_puts(&sb, "; models: ");
                join_names(&sb, npu_model_names());
                const char *dym = npu_did_you_mean(want, npu_preset_names());
                if (!dym)
                    dym = npu_did_you_mean(want, npu_model_names());
                char hint[200] = "";
                if (dym)
                    snprintf(hint, sizeof hint, "did you mean '%s'? ", dym);
                if (n)
                    npu_err_set(err, NPU_EINVAL,
                                "%s: base '%s' is neither a preset nor a model (%s%s)",
                                chain[n - 1]->file, want, hint, sb.s ? sb.s : "");
                else
                    npu_err_set(err, NPU_EINVAL,
                                "unknown architecture '%s' (%s%s); a preset file must end in .lua",
                                want, hint, sb.s ? sb.s : "");
                npu_sb_free(&sb);
                goto fail;
            }
            break;
        }
        for (int i = 0; i < n; i++)
            if (strcmp(chain[i]->file, pr->file) == 0 || strcmp(chain[i]->name, pr->name) == 0) {
                npu_err_set(err, NPU_EINVAL, "%s: base chain has a cycle (%s is its own base)",
                            chain[n - 1]->file, pr->name);
                npu_preset_free(pr);
                goto fail;
            }
        if (n == MAX_CHAIN) {
            npu_err_set(err, NPU_EINVAL, "%s: base chain longer than %d presets", pr->file,
                        MAX_CHAIN);
            npu_preset_free(pr);
            goto fail;
        }
        chain[n++] = pr;
        dir_of(pr->file, near, sizeof near);
        want = pr->base;
    }
    /* the model: named by the presets (they must agree) or by the bare model at the end */
    const char *model = NULL;
    const char *model_file = NULL;
    for (int i = n - 1; i >= 0; i--) {
        if (!chain[i]->model)
            continue;
        if (model && !npu_streq_nocase(model, chain[i]->model)) {
            npu_err_set(err, NPU_EINVAL, "%s: model '%s' differs from '%s' of its base %s",
                        chain[i]->file, chain[i]->model, model, model_file);
            goto fail;
        }
        model = chain[i]->model;
        model_file = chain[i]->file;
    }
    if (ops && model && !npu_streq_nocase(model, ops->name)) {
        npu_err_set(err, NPU_EINVAL, "%s: model '%s' differs from its base model '%s'", model_file,
                    model, ops->name);
        goto fail;
    }
    if (!ops) {
        if (!model) {
            npu_err_set(err, NPU_EINVAL, "%s: no preset in the base chain names a model",
                        chain[0]->file);
            goto fail;
        }
        ops = npu_model_find(model, err);
        if (!ops) {
            npu_err_prefix(err, "%s", model_file);
            goto fail;
        }
    }
    const char *doc = NULL;
    for (int i = 0; i < n && !doc; i++)
        doc = chain[i]->doc;
    bool card = false;
    for (int i = 0; i < n; i++)
        card |= npu_preset_is_card(chain[i]);
    a = arch_new(ops, n ? chain[0]->name : ops->name, doc ? doc : ops->summary, card, err);
    if (!a)
        goto fail;
    for (int i = n - 1; i >= 0; i--) {
        if (npu_preset_apply(chain[i], a->p, err) || npu_host_apply_profile(a->p, err)) {
            npu_arch_free(a);
            a = NULL;
            goto fail;
        }
    }
    for (int i = 0; i < n; i++)
        npu_preset_free(chain[i]);
    return a;
fail:
    for (int i = 0; i < n; i++)
        npu_preset_free(chain[i]);
    return NULL;
}

npu_arch *npu_arch_open(npu_ctx *ctx, const char *name, npu_err *err)
{
    npu_err local = {0};
    if (!err)
        err = &local;
    npu_err_clear(err);
    if (!name || !*name) {
        npu_err_set(err, NPU_EINVAL, "no architecture given");
        ctx_fail(ctx, err);
        return NULL;
    }
    npu_arch *a = arch_open(ctx, name, err);
    if (!a)
        ctx_fail(ctx, err);
    return a;
}

npu_arch *npu_arch_clone(const npu_arch *a)
{
    if (!a)
        return NULL;
    npu_arch *c = npu_calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->ops = a->ops;
    c->p = npu_params_clone(a->p);
    if (!c->p) {
        free(c);
        return NULL;
    }
    return c;
}

void npu_arch_free(npu_arch *a)
{
    if (!a)
        return;
    npu_params_free(a->p);
    free(a);
}

int npu_arch_set(npu_arch *a, const char *key, const char *value, npu_err *err)
{
    int rc = npu_params_set(a->p, key, value, NPU_PO_SET, "--set", err);
    if (!rc)
        rc = npu_host_apply_profile(a->p, err);
    return rc;
}

int npu_arch_set_kv(npu_arch *a, const char *kv, npu_err *err)
{
    int rc = npu_params_set_kv(a->p, kv, err);
    if (!rc)
        rc = npu_host_apply_profile(a->p, err);
    return rc;
}

const npu_params *npu_arch_params(const npu_arch *a)
{
    return a ? a->p : NULL;
}
const char *npu_arch_name(const npu_arch *a)
{
    return a ? a->p->arch : NULL;
}
const char *npu_arch_model(const npu_arch *a)
{
    return a ? a->ops->name : NULL;
}

static void format_default(const npu_param_def *d, npu_strbuf *out)
{
    switch (d->type) {
    case NPU_P_INT:
        npu_sb_printf(out, "%lld", (long long)d->def);
        break;
    case NPU_P_FLOAT:
        npu_sb_printf(out, "%.15g", d->def);
        break;
    case NPU_P_BOOL:
        npu_sb_puts(out, d->def != 0 ? "true" : "false");
        break;
    default:
        npu_sb_puts(out, d->def_s ? d->def_s : "");
    }
}

static void format_range(const npu_param_def *d, npu_strbuf *out)
{
    switch (d->type) {
    case NPU_P_INT:
    case NPU_P_FLOAT:
        if (d->min == 0 && d->max == 0)
            npu_sb_puts(out, "any");
        else
            npu_sb_printf(out, "[%.15g, %.15g]", d->min, d->max);
        break;
    case NPU_P_BOOL:
        npu_sb_puts(out, "true|false");
        break;
    case NPU_P_ENUM:
        npu_sb_puts(out, d->choices ? d->choices : "");
        break;
    case NPU_P_STR:
        npu_sb_puts(out, "text");
        break;
    }
}

static const char *origin_name(npu_porigin o)
{
    return o == NPU_PO_PRESET ? "preset" : o == NPU_PO_SET ? "set" : "default";
}

int npu_arch_describe(const npu_arch *a, npu_strbuf *out)
{
    const npu_params *p = a->p;
    npu_sb_printf(out, "# %s (model %s)%s%s\n", p->arch ? p->arch : "?", a->ops->name,
                  p->doc ? ": " : "", p->doc ? p->doc : "");
    /* cell texts first, to size the columns */
    enum { NC = 6 };
    static const char *const head[NC] = {"name", "value", "default", "range", "unit", "origin"};
    size_t w[NC];
    for (int c = 0; c < NC; c++)
        w[c] = strlen(head[c]);
    npu_strbuf cell;
    npu_sb_init(&cell);
    char **cells = npu_calloc((size_t)p->n * NC + 1, sizeof *cells);
    if (!cells)
        return NPU_ENOMEM;
    for (int i = 0; i < p->n; i++) {
        const npu_param_def *d = p->def[i];
        for (int c = 0; c < NC; c++) {
            npu_sb_init(&cell);
            npu_sb_puts(&cell, "");
            switch (c) {
            case 0:
                npu_sb_puts(&cell, d->name);
                break;
            case 1:
                npu_params_format(p, i, &cell);
                break;
            case 2:
                format_default(d, &cell);
                break;
            case 3:
                format_range(d, &cell);
                break;
            case 4:
                npu_sb_puts(&cell, d->unit ? d->unit : "");
                break;
            case 5: {
                /* a default-origin value that differs from the table's default was filled in by
                 * the host profile (host.cpu) */
                const npu_pvalue *v = &p->v[i];
                int differs = (d->type == NPU_P_ENUM || d->type == NPU_P_STR)
                                  ? strcmp(v->str ? v->str : "", d->def_s ? d->def_s : "") != 0
                                  : v->num != d->def;
                npu_sb_puts(&cell, v->origin == NPU_PO_DEFAULT && differs ? "profile"
                                                                          : origin_name(v->origin));
                break;
            }
            }
            cells[(size_t)i * NC + (size_t)c] = npu_sb_take(&cell);
            const char *s = cells[(size_t)i * NC + (size_t)c];
            /* a very long cell (a long choice list) overflows instead of widening its column */
            if (s && strlen(s) > w[c] && strlen(s) <= 24)
                w[c] = strlen(s);
        }
    }
    for (int c = 0; c < NC; c++)
        npu_sb_printf(out, "%-*s  ", (int)w[c], head[c]);
    npu_sb_puts(out, "doc [source]\n");
    for (int i = 0; i < p->n; i++) {
        for (int c = 0; c < NC; c++) {
            const char *s = cells[(size_t)i * NC + (size_t)c];
            npu_sb_printf(out, "%-*s  ", (int)w[c], s ? s : "");
        }
        npu_sb_puts(out, p->def[i]->doc ? p->def[i]->doc : "");
        if (p->v[i].source)
            npu_sb_printf(out, " [%s]", p->v[i].source);
        npu_sb_putc(out, '\n');
    }
    for (size_t k = 0; k < (size_t)p->n * NC; k++)
        free(cells[k]);
    free(cells);
    return out->oom ? NPU_ENOMEM : 0;
}

/* ---- compiling and running ---------------------------------------------------------------------
 */
static npu_dtype choose_dtype(void *ud, const npu_graph *g, int li, npu_dtype want)
{
    return npu_model_dtype_for(ud, g, li, want);
}

static int params_text(const npu_params *p, npu_arena *arena, char **out, npu_err *err)
{
    npu_strbuf sb;
    npu_sb_init(&sb);
    npu_sb_puts(&sb, "");
    for (int i = 0; i < p->n; i++) {
        if (p->v[i].origin == NPU_PO_DEFAULT)
            continue;
        size_t at = sb.len;
        npu_sb_printf(&sb, "%s=", p->def[i]->name);
        npu_params_format(p, i, &sb);
        if (sb.s && memchr(sb.s + at, '\n', sb.len - at)) {
            npu_sb_free(&sb);
            return npu_err_set(err, NPU_EINVAL, "parameter '%s' contains a line break",
                               p->def[i]->name);
        }
        npu_sb_putc(&sb, '\n');
    }
    if (sb.oom) {
        npu_sb_free(&sb);
        return npu_err_set(err, NPU_ENOMEM, "out of memory");
    }
    *out = npu_arena_strdup(arena, sb.s);
    npu_sb_free(&sb);
    return *out ? 0 : npu_err_set(err, NPU_ENOMEM, "out of memory");
}

/* A new program whose instruction and payload arrays are the ones the ctx recycled from the
 * previous run (npu_ctx_stash): a point of a sweep reuses the pages of the one before. */
static npu_program *prog_new_recycled(npu_ctx *ctx, const char *model, const char *arch,
                                      const char *graph)
{
    npu_program *p = npu_prog_new(model, arch, graph);
    if (p && ctx) {
        p->ins = npu_ctx_unstash(ctx, NPU_CTX_BUF_PROG_INS, &p->cap);
        p->data = npu_ctx_unstash(ctx, NPU_CTX_BUF_PROG_DATA, &p->dcap);
        p->job_limit = npu_ctx_job_limit(ctx);
    }
    return p;
}

/* Frees p, handing its instruction and payload arrays to the ctx for the next run. */
static void prog_free_recycled(npu_ctx *ctx, npu_program *p)
{
    if (p && ctx) {
        npu_ctx_stash(ctx, NPU_CTX_BUF_PROG_INS, p->ins, p->cap);
        npu_ctx_stash(ctx, NPU_CTX_BUF_PROG_DATA, p->data, p->dcap);
        p->ins = NULL;
        p->data = NULL;
    }
    npu_prog_free(p);
}

/* Lowers g for arch a with the open model m (ctx, may be NULL: recycled program arrays). With
 * fp, also computes the footprint; with keep, hands back the prepared graph (caller frees).
 * windowed: the program is executed once, right after, and the model may lower it in windows
 * (npu_program.windowed). */
static npu_program *lower_fp(npu_ctx *ctx, npu_model *m, const npu_arch *a, const npu_graph *g,
                          npu_fp *fp, npu_graph **keep, bool windowed, npu_err *err)
{
    npu_graph *gc = npu_graph_clone(g);
    if (!gc) {
        npu_err_set(err, NPU_ENOMEM, "out of memory copying graph %s", g->name);
        return NULL;
    }
    npu_program *prog = NULL;
    /* activation and weight dtypes: dtype= (plain or mixed, e.g. w4a16), then adtype=/wdtype=
     * override each part; a weight type left open follows the activations */
    const char *dts = npu_params_str(a->p, "dtype");
    const char *ads = npu_params_str(a->p, "adtype"), *wds = npu_params_str(a->p, "wdtype");
    npu_dtype want, wdt = NPU_DT_COUNT;
    bool mixed = false;
    if (strcmp(dts, "auto") == 0)
        want = npu_model_default_dtype(m);
    else if (npu_dtype_parse_mixed(dts, &want, &wdt) != 0) {
        npu_err_set(err, NPU_EINVAL, "dtype '%s' unknown", dts);
        goto out;
    } else
        mixed = wdt != want;
    if (ads && strcmp(ads, "auto") != 0 && npu_dtype_parse(ads, &want) != 0) {
        npu_err_set(err, NPU_EINVAL, "adtype '%s' unknown", ads);
        goto out;
    }
    if (wds && strcmp(wds, "auto") != 0) {
        if (npu_dtype_parse(wds, &wdt) != 0) {
            npu_err_set(err, NPU_EINVAL, "wdtype '%s' unknown", wds);
            goto out;
        }
        mixed = true;
    }
    if (mixed && wdt != want && !npu_model_weight_dtype(a->ops)) {
        npu_lower_mixed_error(a->ops, a->p->arch, want, wdt, err);
        goto out;
    }
    bool asked = strcmp(dts, "auto") != 0 || (ads && strcmp(ads, "auto") != 0);
    if ((asked && npu_lower_check_dtype(m, a->p->arch, gc, want, err)) ||
        npu_pass_dtype(gc, want, choose_dtype, m, err) ||
        (mixed && npu_pass_weight_dtype(gc, wdt, err)) || npu_graph_compact(gc, err) ||
        npu_graph_infer(gc, err))
        goto out;
    prog = prog_new_recycled(ctx, a->ops->name, a->p->arch, gc->name);
    if (!prog) {
        npu_err_set(err, NPU_ENOMEM, "out of memory");
        goto out;
    }
    npu_graph_work w;
    npu_graph_work_of(gc, &w);
    prog->batch = w.batch;
    prog->items = w.items;
    prog->prefill = w.prefill;
    prog->windowed = windowed;
    prog->unit = npu_arena_strdup(&prog->arena, w.unit);
    if (!prog->unit) {
        npu_err_set(err, NPU_ENOMEM, "out of memory");
        npu_prog_free(prog);
        prog = NULL;
        goto out;
    }
    if (params_text(a->p, &prog->arena, &prog->params_text, err) ||
        npu_model_lower(m, gc, prog, err)) {
        npu_prog_free(prog);
        prog = NULL;
        goto out;
    }
    int live = 0;
    for (int i = 0; i < gc->nl; i++)
        live += !(gc->l[i].flags & NPU_LF_DEAD);
    if (prog->nlayers != live) {
        npu_err_set(err, NPU_ESIM,
                    "model %s lowered graph %s into %d program layers, expected one per graph "
                    "layer (%d) (model bug)",
                    a->ops->name, gc->name, prog->nlayers, live);
        npu_prog_free(prog);
        prog = NULL;
    }
    if (prog && fp && npu_deploy_footprint(m, gc, prog, fp, err)) {
        npu_prog_free(prog);
        prog = NULL;
    }
out:
    if (keep && prog)
        *keep = gc;
    else
        npu_graph_free(gc);
    return prog;
}

int npu_footprint_report(npu_ctx *ctx, const npu_arch *a, const npu_graph *g, npu_format f,
                         npu_strbuf *out, npu_err *err)
{
    npu_err local = {0};
    if (!err)
        err = &local;
    npu_err_clear(err);
    npu_model m;
    if (!a || !g)
        return npu_err_set(err, NPU_EINVAL, "npu_footprint_report: no %s",
                           a ? "graph" : "architecture");
    if (npu_model_open(&m, a->ops, a->p, err))
        return ctx_fail(ctx, err);
    npu_fp fp;
    npu_graph *gc = NULL;
    npu_program *prog = lower_fp(NULL, &m, a, g, &fp, &gc, false, err);
    int rc = prog ? 0 : -1;
    if (prog) {
        bool known;
        int64_t usable = npu_deploy_usable(a->p, &known);
        int fits = !known ? -1 : fp.total_bytes <= usable;
        rc = npu_rep_footprint(gc, &fp, a->p->arch, usable, fits, f, out)
                 ? npu_err_set(err, NPU_ENOMEM, "out of memory formatting the footprint")
                 : 0;
        npu_fp_free(&fp);
    }
    npu_prog_free(prog);
    npu_graph_free(gc);
    npu_model_close(&m);
    return rc ? ctx_fail(ctx, err) : 0;
}

/* Executes prog with the open model m; writes the trace if asked. */
static npu_result *execute(npu_ctx *ctx, npu_model *m, const npu_params *p,
                           const npu_program *prog, const npu_run_opts *opts, npu_err *err)
{
    npu_engine *e = npu_engine_new(p, prog->nlayers, err);
    if (!e)
        return NULL;
    npu_engine_use_ctx(e, ctx); /* the job pools of the last point (per thread) */
    npu_result *r = NULL;
    int trace = opts && opts->trace_path && *opts->trace_path;
    if (trace)
        npu_engine_record(e, true);
    if (npu_model_execute(m, prog, e, err) || npu_engine_run(e, err))
        goto out;
    r = npu_engine_result(e, prog, p, err);
    if (!r)
        goto out;
    r->host_engines = npu_model_host_engines(m->ops);
    if (!r->params && p) {
        r->params = npu_params_clone(p);
        if (!r->params) {
            npu_err_set(err, NPU_ENOMEM, "out of memory");
            npu_result_free(r);
            r = NULL;
            goto out;
        }
    }
    if (trace && npu_trace_write(opts->trace_path, e, prog, opts->force, err)) {
        npu_result_free(r);
        r = NULL;
    }
out:
    npu_engine_free(e);
    return r;
}

npu_result *npu_run(npu_ctx *ctx, const npu_arch *a, const npu_graph *g, const npu_run_opts *opts,
                    npu_err *err)
{
    npu_err local = {0};
    if (!err)
        err = &local;
    npu_err_clear(err);
    if (!a || !g)
        npu_err_set(err, NPU_EINVAL, "npu_run: no %s", a ? "graph" : "architecture");
    else if (ctx && npu_ctx_cancelled(ctx))
        npu_err_set(err, NPU_EINTR, "interrupted");
    else
        npu_card_one_result(a, err); /* a card's plain run is npu_run_card */
    npu_model m;
    if (err->code || npu_model_open(&m, a->ops, a->p, err)) {
        ctx_fail(ctx, err);
        return NULL;
    }
    npu_result *r = NULL;
    npu_fp fp;
    npu_graph *gc = NULL;
    npu_program *prog = lower_fp(ctx, &m, a, g, &fp, &gc, true, err);
    if (prog)
        r = execute(ctx, &m, a->p, prog, opts, err);
    if (r)
        npu_deploy_to_result(&fp, gc, a->p, r);
    if (prog)
        npu_fp_free(&fp);
    npu_graph_free(gc);
    prog_free_recycled(ctx, prog);
    npu_model_close(&m);
    if (!r)
        ctx_fail(ctx, err);
    return r;
}

npu_program *npu_compile(npu_ctx *ctx, const npu_arch *a, const npu_graph *g, npu_err *err)
{
    npu_err local = {0};
    if (!err)
        err = &local;
    npu_err_clear(err);
    if (!a || !g) {
        npu_err_set(err, NPU_EINVAL, "npu_compile: no %s", a ? "graph" : "architecture");
        ctx_fail(ctx, err);
        return NULL;
    }
    npu_model m;
    if (npu_model_open(&m, a->ops, a->p, err)) {
        ctx_fail(ctx, err);
        return NULL;
    }
    npu_program *prog = lower_fp(NULL, &m, a, g, NULL, NULL, false, err);
    npu_model_close(&m);
    if (!prog)
        ctx_fail(ctx, err);
    return prog;
}

int npu_program_save(const npu_program *p, const char *path, bool force, npu_err *err)
{
    return npu_prog_save(p, path, force, err);
}

npu_program *npu_program_load(npu_ctx *ctx, const char *path, npu_err *err)
{
    npu_err local = {0};
    if (!err)
        err = &local;
    npu_err_clear(err);
    npu_program *p = npu_prog_load(path, err);
    const npu_model_ops *ops = p ? npu_model_find(p->model, NULL) : NULL;
    if (p && !ops) {
        npu_err_set(err, NPU_EUNSUPPORTED, "%s: program was lowered by model '%s', not built in",
                    path, p->model);
        npu_prog_free(p);
        p = NULL;
    }
    if (p && npu_model_check(ops, p, path, err)) { /* payload values, before anything reads them */
        npu_prog_free(p);
        p = NULL;
    }
    if (!p)
        ctx_fail(ctx, err);
    return p;
}

void npu_program_free(npu_program *p)
{
    npu_prog_free(p);
}

/* Parameters of a loaded program: its model's defaults plus its params_text. */
static npu_params *program_params(const npu_program *prog, const npu_model_ops **ops, npu_err *err)
{
    *ops = npu_model_find(prog->model, err);
    if (!*ops)
        return NULL;
    npu_params *p = params_for(*ops, false, err);
    if (!p)
        return NULL;
    p->arch = npu_arena_strdup(&p->arena, prog->arch);
    p->model = npu_arena_strdup(&p->arena, (*ops)->name);
    char where[300];
    snprintf(where, sizeof where, "program %s parameters", prog->graph);
    const char *s = prog->params_text ? prog->params_text : "";
    while (*s) {
        const char *nl = strchr(s, '\n');
        size_t len = nl ? (size_t)(nl - s) : strlen(s);
        char *line = npu_strndup(s, len);
        char *eq = line ? strchr(line, '=') : NULL;
        int rc = 0;
        if (!line)
            rc = npu_err_set(err, NPU_ENOMEM, "out of memory");
        else if (!eq)
            rc = len ? npu_err_set(err, NPU_EFORMAT, "%s: '%s' is not key=value", where, line) : 0;
        else {
            *eq = 0;
            rc = npu_params_set(p, line, eq + 1, NPU_PO_SET, where, err);
            if (rc)
                err->code = NPU_EFORMAT;
        }
        free(line);
        if (!rc)
            rc = npu_host_apply_profile(p, err);
        if (rc) {
            npu_params_free(p);
            return NULL;
        }
        s += len + (nl ? 1 : 0);
    }
    if (npu_host_apply_profile(p, err)) {
        npu_params_free(p);
        return NULL;
    }
    return p;
}

npu_result *npu_exec(npu_ctx *ctx, const npu_program *prog, const npu_run_opts *opts, npu_err *err)
{
    npu_err local = {0};
    if (!err)
        err = &local;
    npu_err_clear(err);
    const npu_model_ops *ops;
    npu_params *p = program_params(prog, &ops, err);
    if (!p) {
        ctx_fail(ctx, err);
        return NULL;
    }
    npu_model m;
    npu_result *r = NULL;
    if (npu_model_open(&m, ops, p, err) == 0) {
        r = execute(ctx, &m, p, prog, opts, err);
        npu_model_close(&m);
    }
    npu_params_free(p);
    if (!r)
        ctx_fail(ctx, err);
    return r;
}

int npu_disasm(npu_ctx *ctx, const npu_program *prog, npu_strbuf *out, npu_err *err)
{
    npu_err local = {0};
    if (!err)
        err = &local;
    npu_err_clear(err);
    const npu_model_ops *ops;
    npu_params *p = program_params(prog, &ops, err);
    if (!p)
        return ctx_fail(ctx, err);
    npu_model m;
    if (npu_model_open(&m, ops, p, err)) {
        npu_params_free(p);
        return ctx_fail(ctx, err);
    }
    npu_sb_printf(out,
                  "# program: model %s, arch %s, graph %s: %d layers, %zu instructions, %zu "
                  "payload bytes\n",
                  prog->model, prog->arch, prog->graph, prog->nlayers, prog->n, prog->dlen);
    int rc = 0;
    int32_t cur = -2;
    for (size_t i = 0; i < prog->n && !rc; i++) {
        int32_t li = prog->ins[i].layer;
        if (li != cur) { /* a heading whenever the layer changes */
            cur = li;
            if (li >= 0 && li < prog->nlayers)
                npu_sb_printf(out, "# layer %d %s (%s on %s)\n", (int)li, prog->layers[li].name,
                              prog->layers[li].op, prog->layers[li].engine);
            else
                npu_sb_puts(out, "# no layer\n");
        }
        npu_sb_printf(out, "%6zu  ", i);
        rc = npu_model_disasm(&m, prog, i, out);
        npu_sb_putc(out, '\n');
    }
    npu_model_close(&m);
    npu_params_free(p);
    if (rc) {
        npu_err_set(err, rc, "%s: cannot disassemble", prog->model);
        return ctx_fail(ctx, err);
    }
    return out->oom ? npu_err_set(err, NPU_ENOMEM, "out of memory") : 0;
}

int npu_explain(npu_ctx *ctx, const npu_arch *a, const npu_graph *g, const char *layer,
                npu_strbuf *out, npu_err *err)
{
    npu_err local = {0};
    if (!err)
        err = &local;
    npu_err_clear(err);
    if (!a || !g || !layer) {
        npu_err_set(err, NPU_EINVAL, "npu_explain: missing argument");
        return ctx_fail(ctx, err);
    }
    npu_model m;
    if (npu_model_open(&m, a->ops, a->p, err))
        return ctx_fail(ctx, err);
    npu_program *prog = lower_fp(NULL, &m, a, g, NULL, NULL, false, err);
    int rc = prog ? 0 : (err->code ? err->code : NPU_ESIM);
    if (prog) {
        int li = -1;
        for (int i = 0; i < prog->nlayers && li < 0; i++)
            if (strcmp(prog->layers[i].name, layer) == 0)
                li = i;
        if (li < 0) {
            char *end;
            long v = strtol(layer, &end, 10);
            if (*layer && !*end && v >= 0 && v < prog->nlayers)
                li = (int)v;
        }
        if (li < 0) {
            const char **names = npu_calloc((size_t)prog->nlayers + 1, sizeof *names);
            const char *dym = NULL;
            if (names) {
                for (int i = 0; i < prog->nlayers; i++)
                    names[i] = prog->layers[i].name;
                dym = npu_did_you_mean(layer, names);
            }
            char hint[300] = "";
            if (dym)
                snprintf(hint, sizeof hint, " (did you mean '%s'?)", dym);
            rc = npu_err_set(err, NPU_EINVAL,
                             "%s: no layer '%s'%s; give a layer name or an index 0..%d", g->name,
                             layer, hint, prog->nlayers - 1);
            free(names);
        } else {
            rc = npu_model_explain(&m, prog, li, out);
            if (rc)
                npu_err_set(err, rc, "%s: cannot explain layer '%s'", a->ops->name, layer);
        }
    }
    npu_prog_free(prog);
    npu_model_close(&m);
    return rc ? ctx_fail(ctx, err) : 0;
}
