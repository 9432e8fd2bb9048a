/* params.h — typed parameter tables, values, presets (prefix npu_params_ / npu_preset_).
 *
 * Parameters are data: a model declares a table of npu_param_def once; the engine declares the
 * shared groups dram.*, sram.*, host.*, mcu.* (sim/engine/engine.h) and the core the common
 * keys (dtype). The same spelling is used by presets, --set key=value, Lua tables, `npusim
 * params`, CSV and JSON. A value records where it came from (default, preset file, --set), so
 * errors and reports can say so.
 */
#ifndef NPU_PARAMS_H
#define NPU_PARAMS_H

#include <stdbool.h>
#include <stdint.h>

#include "ctx.h"

typedef enum npu_ptype {
    NPU_P_INT,   /* integer; range [min, max]                      */
    NPU_P_FLOAT, /* real;    range [min, max]                      */
    NPU_P_BOOL,  /* true/false, 1/0, yes/no, on/off                */
    NPU_P_ENUM,  /* one of `choices` ("os|ws|is")                  */
    NPU_P_STR    /* free text                                      */
} npu_ptype;

typedef struct npu_param_def {
    const char *name;    /* "cbuf_kb", "dram.gbps"                                       */
    npu_ptype type;
    double def;          /* default for INT/FLOAT/BOOL                                   */
    const char *def_s;   /* default for ENUM/STR                                         */
    double min, max;     /* INT/FLOAT range (inclusive)                                  */
    const char *choices; /* ENUM: '|'-separated                                          */
    const char *unit;    /* "KiB", "MHz", "cycles", "" …                                 */
    const char *doc;     /* one line: what it is and where the default comes from        */
} npu_param_def;

/* Where a value came from. */
typedef enum npu_porigin { NPU_PO_DEFAULT = 0, NPU_PO_PRESET, NPU_PO_SET } npu_porigin;

typedef struct npu_pvalue {
    double num;          /* INT/FLOAT/BOOL (INT values are exact up to 2^53)  */
    const char *str;     /* ENUM/STR (arena-owned)                            */
    npu_porigin origin;
    const char *source;  /* documented source of the value (preset `sources`), or NULL */
} npu_pvalue;

typedef struct npu_params {
    int n;
    const npu_param_def **def; /* n pointers into the static tables             */
    npu_pvalue *v;             /* n values                                       */
    npu_arena arena;
    const char *arch;          /* preset name or model name                      */
    const char *model;         /* model name                                     */
    const char *doc;           /* preset doc line                                */
    /* Name index (private to params.c): open addressing, hcap slots holding index + 1 (0 =
     * empty), so npu_params_find is one hash and a compare, not a strcmp per parameter. */
    int *hidx;
    int hcap;
} npu_params;

/* Tables are arrays terminated by an entry with name == NULL. Later tables may not repeat a
 * name of an earlier one (that is a programming error; returns NULL with err set). */
npu_params *npu_params_new(const npu_param_def *const *tables, int ntables, npu_err *err);
npu_params *npu_params_clone(const npu_params *p);
void npu_params_free(npu_params *p);

int npu_params_find(const npu_params *p, const char *key); /* index or -1 */
/* Sets key from text ("64", "2.5", "true", "ws"); checks type and range. `where` prefixes the
 * error ("rk3588.lua" / "--set"); unknown keys get a "did you mean" suggestion. */
int npu_params_set(npu_params *p, const char *key, const char *text, npu_porigin origin,
                   const char *where, npu_err *err);
int npu_params_set_num(npu_params *p, const char *key, double v, npu_porigin origin,
                       const char *where, npu_err *err);
/* "key=value" as given to --set. */
int npu_params_set_kv(npu_params *p, const char *kv, npu_err *err);

/* Getters; the key must exist in the table (asserted: a typo is a programming error). */
int64_t npu_params_int(const npu_params *p, const char *key);
double npu_params_float(const npu_params *p, const char *key);
bool npu_params_bool(const npu_params *p, const char *key);
const char *npu_params_str(const npu_params *p, const char *key);
bool npu_params_is_set(const npu_params *p, const char *key); /* origin != DEFAULT */

/* Value as text, as it would be written back ("64", "2.5", "true", "ws"). */
void npu_params_format(const npu_params *p, int i, npu_strbuf *out);

/* ---- presets --------------------------------------------------------------------------------
 * A preset is a Lua file returning a table:
 *   return { model = "rknpu", name = "rk3588", doc = "...", base = "rk_base" (optional),
 *            freq_mhz = 1000, ["dram.gbps"] = 33.8, sources = { freq_mhz = "TRM §36" } }
 * It is evaluated in an empty Lua environment (no libraries; text only, never bytecode). */
typedef struct npu_preset_kv {
    const char *key;
    const char *text;     /* value rendered as text for npu_params_set                  */
    const char *source;   /* sources[key] or NULL                                        */
} npu_preset_kv;

typedef struct npu_preset {
    const char *file;     /* file name or "<builtin>/name.lua"                           */
    const char *name, *model, *doc, *base;
    int n;
    npu_preset_kv *kv;
    npu_arena arena;
} npu_preset;

/* Preset text is parsed by npu_preset_parse (sim/script/script.h: it needs Lua; the core
 * does not). */
void npu_preset_free(npu_preset *pr);
/* Applies the preset's values to p (origin PRESET); errors name preset file and key with the
 * allowed values. Does not follow `base` (the caller resolves the chain). */
int npu_preset_apply(const npu_preset *pr, npu_params *p, npu_err *err);
/* A multi-chip card preset: it sets `chips` or a `link.*` key (docs/workloads.md). */
bool npu_preset_is_card(const npu_preset *pr);

/* Built-in presets compiled into the binary (generated from models/presets/ *.lua). */
typedef struct npu_builtin_text {
    const char *name; /* "rk3588" */
    const char *text;
} npu_builtin_text;
extern const npu_builtin_text npu_builtin_presets[]; /* NULL-terminated */

/* The core's common parameters (every model gets them): dtype. */
extern const npu_param_def npu_common_param_defs[];

#endif
