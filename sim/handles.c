/* handles.c — the accessors of the public API's opaque handles (sim/npusim.h): graph names and
 * sizes, parameter values as text, result totals and layer rows by field name.
 *
 * Fields are found by name in result.h's field tables (npu_total_fields, npu_layer_fields),
 * the same tables the CSV/JSON writers and the Lua module use, so a field added there is
 * readable here with no change. A name that is not a field, or a field of the other kind
 * (text asked as a number), gives NaN / NULL rather than an error: accessors never fail.
 */
#include <math.h>
#include <string.h>

#include "npusim_int.h"

const char *npu_graph_name(const npu_graph *g)
{
    return g ? g->name : NULL;
}

int npu_arch_get(const npu_arch *a, const char *key, npu_strbuf *out, npu_err *err)
{
    const npu_params *p = a ? npu_arch_params(a) : NULL;
    int i = p && key ? npu_params_find(p, key) : -1;
    if (i < 0)
        return npu_err_set(err, NPU_EINVAL, "unknown parameter '%s' for %s", key ? key : "(null)",
                           a ? npu_arch_name(a) : "(no arch)");
    npu_params_format(p, i, out);
    return out->oom ? npu_err_set(err, NPU_ENOMEM, "out of memory") : NPU_OK;
}

/* ---- results ------------------------------------------------------------------------------- */
const char *npu_result_arch(const npu_result *r) { return r ? r->arch : NULL; }
const char *npu_result_model(const npu_result *r) { return r ? r->model : NULL; }
const char *npu_result_graph(const npu_result *r) { return r ? r->graph : NULL; }
int64_t npu_result_cycles(const npu_result *r) { return r ? r->total.cycles : 0; }
double npu_result_time_us(const npu_result *r) { return r ? r->total.time_us : 0.0; }
int npu_result_nlayers(const npu_result *r) { return r ? r->nlayers : 0; }

static const npu_field *field_named(const npu_field *fs, const char *name)
{
    for (const npu_field *f = fs; name && f->name; f++)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

/* The row (totals when i < 0) and its field, or NULL. */
static const void *row_of(const npu_result *r, int i, const char *name, const npu_field **f)
{
    if (!r || i >= r->nlayers)
        return NULL;
    *f = field_named(i < 0 ? npu_total_fields : npu_layer_fields, name);
    if (!*f)
        return NULL;
    return i < 0 ? (const void *)&r->total : (const void *)&r->layers[i];
}

static double num_of(const npu_result *r, int i, const char *field)
{
    const npu_field *f = NULL;
    const void *row = row_of(r, i, field, &f);
    if (!row || f->type == NPU_FT_STR)
        return NAN;
    return f->type == NPU_FT_INT ? (double)npu_field_int(row, f) : npu_field_float(row, f);
}

double npu_result_total(const npu_result *r, const char *field)
{
    return num_of(r, -1, field);
}

double npu_result_layer(const npu_result *r, int i, const char *field)
{
    return i < 0 ? NAN : num_of(r, i, field);
}

const char *npu_result_text(const npu_result *r, int i, const char *field)
{
    const npu_field *f = NULL;
    const void *row = row_of(r, i, field, &f);
    return row && f->type == NPU_FT_STR ? npu_field_str(row, f) : NULL;
}

/* The name lists are built from the field tables by the X-macros at compile time. */
static const char *const layer_field_names[] = {
#define NPU_X(n, t, u, d) #n,
    NPU_LAYER_FIELDS(NPU_X)
#undef NPU_X
        NULL};
static const char *const total_field_names[] = {
#define NPU_X(n, t, u, d) #n,
    NPU_TOTAL_FIELDS(NPU_X)
#undef NPU_X
        NULL};

const char *const *npu_result_fields(bool layers)
{
    return layers ? layer_field_names : total_field_names;
}
