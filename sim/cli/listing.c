/* listing.c — the listing commands of `npusim`: `list` (models, archs, networks, presets) and
 * `params` (a model's or architecture's parameters with their values, origins and sources), as
 * a table, CSV or JSON.
 */
#include <stdio.h>
#include <string.h>

#include "../report/report.h"
#include "cli.h"

static int count_names(const char *const *v)
{
    int n = 0;
    while (v && v[n])
        n++;
    return n;
}

int cli_cmd_list(const command *c, cli *o, npu_ctx *ctx)
{
    static const char *const what[] = {"models", "archs", "networks", "presets", NULL};
    const char *sel = o->npos ? o->pos[0] : NULL;
    if (sel) {
        int ok = 0;
        for (int i = 0; what[i]; i++)
            ok |= strcmp(sel, what[i]) == 0;
        if (!ok)
            return cli_usage_error(c->name, "list: unknown list '%s' (models, archs, networks)", sel,
                               npu_did_you_mean(sel, what));
        if (strcmp(sel, "presets") == 0)
            sel = "archs";
    }
    bool json = o->fmt == NPU_FMT_JSON, csv = o->fmt == NPU_FMT_CSV;
    /* `list KIND` as a table prints bare names, one per line, for scripts
     * (`npusim compare -a $(npusim list archs | paste -sd, -) …`); `list` alone is the
     * overview with one line of description each. */
    bool bare = sel && !json && !csv;
    if (cli_check_new_file(o, o->out))
        return EXIT_FAIL;
    npu_strbuf sb;
    npu_sb_init(&sb);
    if (json)
        npu_sb_puts(&sb, "{");
    if (csv)
        npu_sb_puts(&sb, "kind,name,model,doc\n");
    int sections = 0;
    if (!sel || strcmp(sel, "models") == 0) {
        const char *const *m = npu_model_names();
        int wname = 4;
        for (int i = 0; m && m[i]; i++)
            if ((int)strlen(m[i]) > wname)
                wname = (int)strlen(m[i]);
        if (json)
            npu_sb_printf(&sb, "%s\"models\": [", sections ? ", " : "");
        else if (!csv && !bare)
            npu_sb_printf(&sb, "%smodels (%d):\n", sections ? "\n" : "", count_names(m));
        for (int i = 0; m && m[i]; i++) {
            const char *s = npu_model_summary(m[i]);
            if (json) {
                npu_sb_puts(&sb, i ? ", {\"name\": " : "{\"name\": ");
                npu_rep_json_str(&sb, m[i]);
                npu_sb_puts(&sb, ", \"summary\": ");
                npu_rep_json_str(&sb, s);
                npu_sb_putc(&sb, '}');
            } else if (csv) {
                npu_sb_puts(&sb, "model,");
                npu_rep_csv_str(&sb, m[i]);
                npu_sb_putc(&sb, ',');
                npu_rep_csv_str(&sb, m[i]);
                npu_sb_putc(&sb, ',');
                npu_rep_csv_str(&sb, s);
                npu_sb_putc(&sb, '\n');
            } else if (bare)
                npu_sb_printf(&sb, "%s\n", m[i]);
            else
                npu_sb_printf(&sb, "  %-*s  %s\n", wname, m[i], s ? s : "");
        }
        if (json)
            npu_sb_puts(&sb, "]");
        sections++;
    }
    if (!sel || strcmp(sel, "archs") == 0) {
        const char *const *p = npu_preset_names();
        if (json)
            npu_sb_printf(&sb, "%s\"archs\": [", sections ? ", " : "");
        else if (!csv && !bare)
            npu_sb_printf(&sb, "%sarchs (%d presets; a bare model name also works):\n",
                          sections ? "\n" : "", count_names(p));
        int wname = 4;
        for (int i = 0; p && p[i]; i++)
            if ((int)strlen(p[i]) > wname)
                wname = (int)strlen(p[i]);
        for (int i = 0; p && p[i]; i++) {
            if (bare) {
                npu_sb_printf(&sb, "%s\n", p[i]);
                continue;
            }
            npu_err err = {0};
            npu_arch *a = npu_arch_open(ctx, p[i], &err);
            const char *model = a ? npu_arch_model(a) : "?";
            const npu_params *pp = a ? npu_arch_params(a) : NULL;
            const char *doc = pp && pp->doc ? pp->doc : (a ? "" : err.msg);
            if (json) {
                npu_sb_puts(&sb, i ? ", {\"name\": " : "{\"name\": ");
                npu_rep_json_str(&sb, p[i]);
                npu_sb_puts(&sb, ", \"model\": ");
                npu_rep_json_str(&sb, model ? model : "?");
                npu_sb_puts(&sb, ", \"doc\": ");
                npu_rep_json_str(&sb, doc);
                npu_sb_putc(&sb, '}');
            } else if (csv) {
                npu_sb_puts(&sb, "arch,");
                npu_rep_csv_str(&sb, p[i]);
                npu_sb_putc(&sb, ',');
                npu_rep_csv_str(&sb, model ? model : "?");
                npu_sb_putc(&sb, ',');
                npu_rep_csv_str(&sb, doc);
                npu_sb_putc(&sb, '\n');
            } else
                npu_sb_printf(&sb, "  %-*s  %-9s %s\n", wname, p[i], model ? model : "?", doc);
            npu_arch_free(a);
        }
        if (json)
            npu_sb_puts(&sb, "]");
        sections++;
    }
    if (!sel || strcmp(sel, "networks") == 0) {
        const char *const *z = npu_zoo_names();
        if (json)
            npu_sb_printf(&sb, "%s\"networks\": [", sections ? ", " : "");
        else if (!csv && !bare)
            npu_sb_printf(&sb, "%snetworks (%d; use the name as GRAPH):\n", sections ? "\n" : "",
                          count_names(z));
        for (int i = 0; z && z[i]; i++) {
            if (json) {
                if (i)
                    npu_sb_puts(&sb, ", ");
                npu_rep_json_str(&sb, z[i]);
            } else if (csv) {
                npu_sb_puts(&sb, "network,");
                npu_rep_csv_str(&sb, z[i]);
                npu_sb_puts(&sb, ",,\n");
            } else if (bare)
                npu_sb_printf(&sb, "%s\n", z[i]);
            else
                npu_sb_printf(&sb, "  %s\n", z[i]);
        }
        if (json)
            npu_sb_puts(&sb, "]");
        sections++;
    }
    if (json)
        npu_sb_puts(&sb, "}\n");
    int rc = cli_emit_text(o, &sb);
    npu_sb_free(&sb);
    return rc;
}

static const char *origin_name(npu_porigin o)
{
    return o == NPU_PO_PRESET ? "preset" : o == NPU_PO_SET ? "set" : "default";
}

/* params in CSV / JSON: one record per parameter (the table form is npu_arch_describe). */
static void params_marshal(const npu_params *p, bool json, npu_strbuf *sb)
{
    npu_strbuf v;
    npu_sb_init(&v);
    if (json)
    {
        npu_sb_puts(sb, "{\"arch\": ");
        npu_rep_json_str(sb, p->arch);
        npu_sb_puts(sb, ", \"model\": ");
        npu_rep_json_str(sb, p->model);
        npu_sb_puts(sb, ", \"params\": [");
    }
    else
        npu_sb_puts(sb, "name,type,value,default,min,max,choices,unit,origin,source,doc\n");
    static const char *const tname[] = {"int", "float", "bool", "enum", "str"};
    for (int i = 0; i < p->n; i++) {
        const npu_param_def *d = p->def[i];
        v.len = 0;
        if (v.s)
            v.s[0] = 0;
        npu_params_format(p, i, &v);
        char def[64] = "", mn[32] = "", mx[32] = "";
        if (d->type == NPU_P_INT || d->type == NPU_P_FLOAT || d->type == NPU_P_BOOL)
            snprintf(def, sizeof def, "%.15g", d->def);
        if (d->type == NPU_P_BOOL)
            snprintf(def, sizeof def, "%s", d->def != 0 ? "true" : "false");
        if (d->type == NPU_P_INT || d->type == NPU_P_FLOAT) {
            snprintf(mn, sizeof mn, "%.15g", d->min);
            snprintf(mx, sizeof mx, "%.15g", d->max);
        }
        const char *defs = (d->type == NPU_P_ENUM || d->type == NPU_P_STR) ? d->def_s : def;
        const char *fields[] = {d->name,
                                (unsigned)d->type < 5 ? tname[d->type] : "?",
                                v.s ? v.s : "",
                                defs ? defs : "",
                                mn,
                                mx,
                                d->choices ? d->choices : "",
                                d->unit ? d->unit : "",
                                origin_name(p->v[i].origin),
                                p->v[i].source ? p->v[i].source : "",
                                d->doc ? d->doc : ""};
        static const char *const keys[] = {"name",    "type", "value", "default",
                                           "min",     "max",  "choices", "unit",
                                           "origin",  "source", "doc"};
        if (json) {
            npu_sb_puts(sb, i ? ",\n  {" : "\n  {");
            for (int k = 0; k < 11; k++) {
                npu_sb_printf(sb, "%s\"%s\": ", k ? ", " : "", keys[k]);
                npu_rep_json_str(sb, fields[k]);
            }
            npu_sb_putc(sb, '}');
        } else {
            for (int k = 0; k < 11; k++) {
                if (k)
                    npu_sb_putc(sb, ',');
                npu_rep_csv_str(sb, fields[k]);
            }
            npu_sb_putc(sb, '\n');
        }
    }
    if (json)
        npu_sb_puts(sb, "\n]}\n");
    npu_sb_free(&v);
}

int cli_cmd_params(const command *c, cli *o, npu_ctx *ctx)
{
    (void)c;
    npu_err err = {0};
    if (cli_check_new_file(o, o->out))
        return EXIT_FAIL;
    npu_arch *a = cli_open_arch(o, ctx, o->pos[0], &err);
    if (!a)
        return cli_fail(&err);
    npu_strbuf sb;
    npu_sb_init(&sb);
    int rc = EXIT_OK;
    if (o->fmt == NPU_FMT_TABLE) {
        if (npu_arch_describe(a, &sb)) {
            npu_err e2 = {0};
            npu_err_set(&e2, NPU_EINVAL, "%s: cannot describe the parameters", o->pos[0]);
            rc = cli_fail(&e2);
        }
    } else {
        const npu_params *p = npu_arch_params(a);
        if (p)
            params_marshal(p, o->fmt == NPU_FMT_JSON, &sb);
    }
    if (rc == EXIT_OK)
        rc = cli_emit_text(o, &sb);
    npu_sb_free(&sb);
    npu_arch_free(a);
    return rc;
}
