/* scalesim_cfg.c — SCALE-Sim `.cfg` → `systolic` model settings (prefix npu_sscfg_).
 *
 * Format: Python configparser INI (SCALE-Sim v2 scalesim/scale_config.py, v3 adds [layout],
 * [sparsity], ReadRequestBuffer/WriteRequestBuffer/UseRamulatorTrace; research/peers.md §2.2).
 * configparser rules we follow: `[section]` headers (case-sensitive), `key: value` or
 * `key = value` (keys case-insensitive, values trimmed), whole-line comments starting with '#'
 * or ';', blank lines ignored, a key twice in a section or a section twice an error (strict
 * mode, configparser's default). Mapping (docs/scalesim.md has the table):
 *   ArrayHeight/ArrayWidth        → rows, cols
 *   Ifmap/Filter/OfmapSramSzkB    → ifmap_kb, filter_kb, ofmap_kb (v1 spelling without "kB" too)
 *   Dataflow os|ws|is             → dataflow
 *   InterfaceBandwidth CALC       → fidelity=scalesim (CALC never stalls: SCALE-Sim's stall-free
 *                                   cycles, which is what fidelity=scalesim reproduces)
 *   InterfaceBandwidth USER       → fidelity=detailed with dma_bytes = ofmap_dma_bytes =
 *                                   Bandwidth (first value of a list, as SCALE-Sim): memory is
 *                                   timed by npusim's loaders, not by SCALE-Sim's stall model
 *   always                        → weight_buffers=1 (SCALE-Sim's array does not hide the
 *                                   preload of the next weight tile)
 *   Ifmap/Filter/OfmapOffset, MemoryBanks, Read/WriteRequestBuffer, TopologyCsvLoc, run_name:
 *                                   checked and accepted; they change addresses in traces or v3
 *                                   Ramulator/bank modelling only, none of SCALE-Sim's cycles.
 *   [sparsity] SparsitySupport    → sparse (the caller reads the topology with
 *                                   NPU_SCALESIM_SPARSE: N:M layers get compressed filter rows)
 *   SparseRep ellpack_block (the N:M layout), OptimizedMapping False, BlockSize,
 *   RandomNumberGeneratorSeed: checked and accepted; another SparseRep or OptimizedMapping
 *                                   True: refused (their timing is not known here).
 *   UseRamulatorTrace true, CustomLayout true: refused (not modelled).
 */
#include "scalesim_cfg.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool npu_sscfg_is_cfg(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    return n > 4 && npu_streq_nocase(name + n - 4, ".cfg");
}

typedef struct cfg_ctx {
    const char *file;
    int line;
    npu_err *err;
    npu_sscfg *out;
} cfg_ctx;

static int cfg_add(cfg_ctx *c, const char *key, const char *val)
{
    for (int i = 0; i < c->out->nsets; i++) {
        size_t n = strlen(key);
        if (strncmp(c->out->sets[i], key, n) == 0 && c->out->sets[i][n] == '=') {
            snprintf(c->out->sets[i], sizeof c->out->sets[i], "%s=%s", key, val);
            return 0;
        }
    }
    if (c->out->nsets == NPU_SSCFG_MAX_SETS)
        return npu_err_set(c->err, NPU_EINVAL, "%s:%d: too many settings", c->file, c->line);
    snprintf(c->out->sets[c->out->nsets++], sizeof c->out->sets[0], "%s=%s", key, val);
    return 0;
}

/* A whole non-negative integer (SCALE-Sim int()s these); lo is the smallest value allowed. */
static int cfg_int(cfg_ctx *c, const char *key, const char *v, long long lo, long long *out)
{
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (end == v || *end || errno == ERANGE || x < lo || x > 1000000000000LL)
        return npu_err_set(c->err, NPU_EINVAL, "%s:%d: %s '%s' is not an integer >= %lld",
                           c->file, c->line, key, v, lo);
    *out = x;
    return 0;
}

static bool cfg_bool(const char *v, bool *out)
{
    static const char *const t[] = {"true", "yes", "on", "1"}, *const f[] = {"false", "no",
                                                                             "off", "0"};
    for (int i = 0; i < 4; i++) {
        if (npu_streq_nocase(v, t[i]))
            return *out = true, true;
        if (npu_streq_nocase(v, f[i]))
            return *out = false, true;
    }
    return false;
}

/* A v3 switch npusim does not model: False is accepted, True refused (why: the reason). */
static int cfg_off(cfg_ctx *c, const char *key, const char *v, const char *why)
{
    bool b;
    if (!cfg_bool(v, &b))
        return npu_err_set(c->err, NPU_EINVAL, "%s:%d: %s '%s' is not True or False", c->file,
                           c->line, key, v);
    if (b)
        return npu_err_set(c->err, NPU_EINVAL, "%s:%d: %s = True is not supported (%s)",
                           c->file, c->line, key, why);
    return 0;
}

enum { S_NONE, S_GENERAL, S_ARCH, S_RUN, S_NET, S_LAYOUT, S_SPARSITY };

/* Seen-flags of the keys SCALE-Sim requires. */
enum { R_H = 1, R_W = 2, R_IF = 4, R_FI = 8, R_OF = 16, R_DF = 32, R_ALL = 63 };

typedef struct cfg_state {
    int section;
    unsigned seen;
    char bw[32]; /* first Bandwidth value */
    bool user;
    bool sparse;
    int mode_line;
    unsigned sections; /* bit per section seen */
    struct {
        int section, line;
        char key[48];
    } keys[64]; /* the keys seen (configparser refuses a key twice in a section) */
    int nkeys;
} cfg_state;

static int cfg_key(cfg_ctx *c, cfg_state *st, const char *key, const char *v)
{
    long long x = 0;
#define IS(k) npu_streq_nocase(key, k)
    switch (st->section) {
    case S_GENERAL:
        if (IS("run_name")) {
            snprintf(c->out->run_name, sizeof c->out->run_name, "%s", v);
            return 0;
        }
        break;
    case S_ARCH: {
        static const struct {
            const char *key, *param;
            unsigned flag;
        } sz[] = {{"ArrayHeight", "rows", R_H},           {"ArrayWidth", "cols", R_W},
                  {"IfmapSramSzkB", "ifmap_kb", R_IF},    {"FilterSramSzkB", "filter_kb", R_FI},
                  {"OfmapSramSzkB", "ofmap_kb", R_OF},    {"IfmapSramSz", "ifmap_kb", R_IF},
                  {"FilterSramSz", "filter_kb", R_FI},    {"OfmapSramSz", "ofmap_kb", R_OF}};
        for (size_t i = 0; i < sizeof sz / sizeof sz[0]; i++)
            if (IS(sz[i].key)) {
                if (cfg_int(c, sz[i].key, v, 1, &x))
                    return NPU_EINVAL;
                char buf[32];
                snprintf(buf, sizeof buf, "%lld", x);
                st->seen |= sz[i].flag;
                return cfg_add(c, sz[i].param, buf);
            }
        if (IS("Dataflow")) {
            char df[8] = "";
            for (size_t i = 0; v[i] && i < 3; i++)
                df[i] = (char)tolower((unsigned char)v[i]);
            if (strlen(v) != 2 || (strcmp(df, "os") && strcmp(df, "ws") && strcmp(df, "is")))
                return npu_err_set(c->err, NPU_EINVAL, "%s:%d: Dataflow '%s' is not os, ws "
                                   "or is", c->file, c->line, v);
            st->seen |= R_DF;
            return cfg_add(c, "dataflow", df);
        }
        if (IS("Bandwidth")) {
            /* a comma list is allowed; SCALE-Sim uses the first value */
            char first[32];
            snprintf(first, sizeof first, "%.*s", (int)strcspn(v, ","), v);
            char *e = first + strlen(first);
            while (e > first && isspace((unsigned char)e[-1]))
                *--e = '\0';
            if (cfg_int(c, "Bandwidth", first, 1, &x))
                return NPU_EINVAL;
            snprintf(st->bw, sizeof st->bw, "%lld", x);
            return 0;
        }
        if (IS("IfmapOffset") || IS("FilterOffset") || IS("OfmapOffset")) {
            int o = IS("IfmapOffset") ? 0 : IS("FilterOffset") ? 1 : 2;
            if (cfg_int(c, key, v, 0, &x))
                return NPU_EINVAL;
            c->out->offset[o] = x; /* trace addresses only */
            return 0;
        }
        if (IS("MemoryBanks") || IS("ReadRequestBuffer") || IS("WriteRequestBuffer"))
            return cfg_int(c, key, v, 1, &x); /* not read by v2; v3 Ramulator/banks only */
        break;
    }
    case S_RUN:
        if (IS("InterfaceBandwidth")) {
            if (npu_streq_nocase(v, "CALC"))
                st->user = false;
            else if (npu_streq_nocase(v, "USER"))
                st->user = true;
            else
                return npu_err_set(c->err, NPU_EINVAL, "%s:%d: InterfaceBandwidth '%s' is "
                                   "not CALC or USER", c->file, c->line, v);
            st->mode_line = c->line;
            return 0;
        }
        if (IS("UseRamulatorTrace"))
            return cfg_off(c, key, v, "npusim times DRAM itself: fidelity=detailed and the "
                           "dram.* parameters");
        break;
    case S_NET:
        if (IS("TopologyCsvLoc") || IS("LayoutCsvLoc"))
            return 0; /* the topology is given on the command line */
        break;
    case S_LAYOUT:
        if (IS("IfmapCustomLayout") || IS("FilterCustomLayout"))
            return cfg_off(c, key, v, "SCALE-Sim v3 custom SRAM layouts are not modelled");
        if (strncmp(key, "ifmap", 5) == 0 || strncmp(key, "filter", 6) == 0 ||
            strncmp(key, "Ifmap", 5) == 0 || strncmp(key, "Filter", 6) == 0)
            return cfg_int(c, key, v, 0, &x); /* bank geometry, used only by custom layouts */
        break;
    case S_SPARSITY:
        if (IS("SparsitySupport")) {
            if (!cfg_bool(v, &st->sparse))
                return npu_err_set(c->err, NPU_EINVAL, "%s:%d: %s '%s' is not True or False",
                                   c->file, c->line, key, v);
            return 0;
        }
        if (IS("SparseRep")) {
            if (!npu_streq_nocase(v, "ellpack_block"))
                return npu_err_set(c->err, NPU_EINVAL, "%s:%d: SparseRep '%s' is not "
                                   "supported (only ellpack_block, the N:M layout of the "
                                   "topology's sparsity column, is modelled)", c->file,
                                   c->line, v);
            return 0;
        }
        if (IS("OptimizedMapping"))
            return cfg_off(c, key, v, "its mapping is not known to npusim; N:M layers are "
                           "timed with compressed filter rows on the plain mapping");
        if (IS("BlockSize") || IS("RandomNumberGeneratorSeed"))
            return cfg_int(c, key, v, 0, &x); /* the topology's N:M fixes the blocks */
        break;
    default:
        return npu_err_set(c->err, NPU_EINVAL, "%s:%d: '%s' outside a [section]", c->file,
                           c->line, key);
    }
#undef IS
    return npu_err_set(c->err, NPU_EINVAL, "%s:%d: unknown key '%s' in this section (SCALE-Sim "
                       "v1/v2/v3 keys: see docs/scalesim.md)", c->file, c->line, key);
}

int npu_sscfg_parse(const char *file, const char *text, size_t len, npu_sscfg *out,
                    npu_err *err)
{
    memset(out, 0, sizeof *out);
    out->offset[1] = 10000000, out->offset[2] = 20000000;
    cfg_ctx c = {file ? file : "<cfg>", 0, err, out};
    cfg_state st = {0};
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *q = memchr(p, '\n', (size_t)(end - p));
        const char *le = q ? q : end;
        c.line++;
        char buf[512];
        size_t n = (size_t)(le - p);
        if (memchr(p, '\0', n))
            return npu_err_set(err, NPU_EFORMAT, "%s:%d: NUL byte in a text file", c.file,
                               c.line);
        if (n >= sizeof buf)
            return npu_err_set(err, NPU_EFORMAT, "%s:%d: line longer than %zu characters",
                               c.file, c.line, sizeof buf - 1);
        memcpy(buf, p, n);
        buf[n] = '\0';
        char *s = buf, *e = buf + n;
        while (*s && isspace((unsigned char)*s))
            s++;
        while (e > s && isspace((unsigned char)e[-1]))
            *--e = '\0';
        p = q ? q + 1 : end;
        if (!*s || *s == '#' || *s == ';')
            continue;
        if (*s == '[') {
            static const char *const names[] = {"general", "architecture_presets",
                                                "run_presets", "network_presets", "layout",
                                                "sparsity"};
            if (e[-1] != ']')
                return npu_err_set(err, NPU_EFORMAT, "%s:%d: section header '%s' lacks ']'",
                                   c.file, c.line, s);
            e[-1] = '\0';
            st.section = S_NONE;
            for (int i = 0; i < 6; i++)
                if (strcmp(s + 1, names[i]) == 0)
                    st.section = i + 1;
            if (st.section == S_NONE)
                return npu_err_set(err, NPU_EINVAL, "%s:%d: unknown section [%s] (SCALE-Sim "
                                   "has general, architecture_presets, run_presets, "
                                   "network_presets, layout, sparsity)", c.file, c.line, s + 1);
            if (st.sections & (1u << st.section)) /* configparser: DuplicateSectionError */
                return npu_err_set(err, NPU_EINVAL, "%s:%d: section [%s] given twice", c.file,
                                   c.line, s + 1);
            st.sections |= 1u << st.section;
            continue;
        }
        char *sep = s + strcspn(s, ":=");
        if (!*sep)
            return npu_err_set(err, NPU_EFORMAT, "%s:%d: expected 'key: value' or 'key = value'",
                               c.file, c.line);
        char *ke = sep;
        while (ke > s && isspace((unsigned char)ke[-1]))
            ke--;
        *ke = '\0';
        char *v = sep + 1;
        while (*v && isspace((unsigned char)*v))
            v++;
        if (!*s)
            return npu_err_set(err, NPU_EFORMAT, "%s:%d: empty key", c.file, c.line);
        if (!*v)
            return npu_err_set(err, NPU_EFORMAT, "%s:%d: %s has no value", c.file, c.line, s);
        /* configparser: DuplicateOptionError (we took the last one without a word) */
        for (int i = 0; i < st.nkeys; i++)
            if (st.keys[i].section == st.section && npu_streq_nocase(st.keys[i].key, s))
                return npu_err_set(err, NPU_EINVAL, "%s:%d: %s given twice (first on line %d)",
                                   c.file, c.line, s, st.keys[i].line);
        if (st.nkeys < 64 && strlen(s) < sizeof st.keys[0].key) {
            st.keys[st.nkeys].section = st.section;
            st.keys[st.nkeys].line = c.line;
            strcpy(st.keys[st.nkeys++].key, s);
        }
        int rc = cfg_key(&c, &st, s, v);
        if (rc)
            return rc;
    }
    if ((st.seen & R_ALL) != R_ALL) {
        static const struct {
            unsigned f;
            const char *k;
        } req[] = {{R_H, "ArrayHeight"},     {R_W, "ArrayWidth"},
                   {R_IF, "IfmapSramSzkB"},  {R_FI, "FilterSramSzkB"},
                   {R_OF, "OfmapSramSzkB"},  {R_DF, "Dataflow"}};
        for (int i = 0; i < 6; i++)
            if (!(st.seen & req[i].f))
                return npu_err_set(err, NPU_EINVAL, "%s: [architecture_presets] has no %s "
                                   "(SCALE-Sim requires it)", c.file, req[i].k);
    }
    c.line = st.mode_line;
    out->user_bw = st.user;
    out->sparse = st.sparse;
    int rc = cfg_add(&c, "weight_buffers", "1");
    if (!st.user)
        return rc ? rc : cfg_add(&c, "fidelity", "scalesim");
    if (!st.bw[0])
        return npu_err_set(err, NPU_EINVAL, "%s:%d: InterfaceBandwidth USER needs a Bandwidth "
                           "in [architecture_presets]", c.file, st.mode_line);
    rc = rc ? rc : cfg_add(&c, "fidelity", "detailed");
    rc = rc ? rc : cfg_add(&c, "dma_bytes", st.bw);
    return rc ? rc : cfg_add(&c, "ofmap_dma_bytes", st.bw);
}

int npu_sscfg_read(const char *path, npu_sscfg *out, npu_err *err)
{
    char *text = NULL;
    size_t len = 0;
    if (npu_read_file(path, &text, &len, err))
        return err && err->code ? err->code : NPU_EIO;
    int rc = npu_sscfg_parse(path, text, len, out, err);
    free(text);
    return rc;
}
