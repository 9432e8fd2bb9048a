/* cli.h — what the files of the `npusim` command share (sim/cli; an executable, not a library):
 * the parsed command line, the command table's record, and the helpers that print errors and
 * write outputs (main.c). listing.c holds the listing commands (`list`, `params`).
 */
#ifndef NPU_CLI_H
#define NPU_CLI_H

#include <stdbool.h>

#include "../npusim_int.h"

#define DEFAULT_ARCH "systolic"

enum {
    EXIT_OK = 0,
    EXIT_FAIL = 1,
    EXIT_USAGE = 2
};

/* Which options a command accepts. */
enum {
    O_ARCH = 1 << 0,
    O_SET = 1 << 1,  /* --set and --dtype */
    O_FMT = 1 << 2,
    O_OUT = 1 << 3,
    O_TRACE = 1 << 4,
    O_ALLOW = 1 << 5,
    O_FORCE = 1 << 6,
    O_ZOO = 1 << 7,  /* --zoo-args and --batch: how GRAPH is loaded */
    O_PP = 1 << 8,   /* --preset-path (every command) */
    O_PLOT = 1 << 9, /* --plot [layers:|roofline:]FILE.svg (repeatable) */
    O_SUM = 1 << 10, /* --summary op|engine|op,engine */
    O_VERB = 1 << 11, /* -q/--quiet, -v/--verbose (every command) */
    O_SHP = 1 << 12,  /* --shapes (run) */
    O_SSREP = 1 << 13, /* --scalesim-reports DIR (run on the systolic model) */
    O_SANDBOX = 1 << 14, /* --sandbox, --allow-path PATH, --budget N (script) */
    O_SWEEP = 1 << 15,   /* --shard K/N, --resume, --threads N (sweep) */
    O_SPEC = 1 << 16,    /* --spec FILE (merge) */
    O_WL = 1 << 17,      /* --workload NAME=GRAPH[:K=V]... (run; repeatable) */
    O_AIPP = 1 << 18     /* --aipp FILE: ATC's aipp_op config (DaVinci presets) */
};

typedef struct cli {
    const char *arch;
    const char **sets;
    int nsets;
    npu_format fmt;
    bool fmt_given;
    const char *out;
    const char *trace;
    const char *ssrep; /* --scalesim-reports DIR */
    const char *aipp;  /* --aipp FILE */
    bool allow_unsupported, force;
    const char *zoo_args;
    long long batch; /* --batch N, 0 = as the graph says */
    const char **pp;
    int npp;
    char **pos;
    int npos;
    /* script: arguments after FILE.lua, untouched; the sandbox (--sandbox, --allow-path, --budget) */
    int sargc;
    char **sargv;
    bool sandbox;
    const char **allow; /* NULL-terminated */
    int nallow;
    long long budget;
    /* --plot arguments (repeatable; checked before the simulation, written after it) */
    const char **plots;
    int nplots;
    unsigned summary; /* --summary: NPU_REP_BY_* bits, 0 = the per-layer report */
    bool shapes;      /* --shapes: accepted, the default since npusim.result/3 */
    int verbosity;    /* -1 -q (a table shrinks to its result line), 0, 1 -v (stages on stderr) */
    double t0;        /* -v: when the command started (seconds) */
    const char *shard, *spec; /* sweep --shard K/N; merge --spec FILE */
    bool resume;              /* sweep --resume */
    int threads;              /* sweep --threads N, 0 = one per CPU */
    const char **wls; /* --workload specs (repeatable) */
    int nwls;
    /* strings this file allocated (the "dtype=X" of --dtype), freed at exit */
    char **alloc;
    int nalloc;
} cli;

typedef struct command command;
typedef int (*cmd_fn)(const command *c, cli *o, npu_ctx *ctx);

struct command {
    const char *name;
    cmd_fn run;
    unsigned opts;
    int minpos, maxpos; /* maxpos -1 = any */
    const char *usage;
    const char *help;
};

/* ---- main.c: messages and outputs ----------------------------------------------------------- */
/* "npusim: <fmt with arg>" (+ " (did you mean 'hint'?)") and a pointer to --help; EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, const char *arg, const char *hint);
/* "npusim: msg" on stderr, control characters as '?' (a name from a file must not drive the
 * terminal through a message); every message of the command goes through here. */
void cli_eprint(const char *msg);
/* "npusim: <err's message>"; EXIT_FAIL. */
int cli_fail(const npu_err *err);
/* "npusim: <fmt with a>"; EXIT_FAIL. */
int cli_failf(const char *fmt, const char *a);
/* Writes the text to -o FILE (temp + rename, no overwrite without --force) or stdout. */
int cli_emit_text(const cli *o, npu_strbuf *sb);
/* Refuses early when an output file exists and --force was not given. */
int cli_check_new_file(const cli *o, const char *path);
/* Refuses an output that is (another name of) a file the command reads: GRAPH, -a FILE, --aipp,
 * a sweep spec or part, diff's results (plots.c). --force would have replaced the input with
 * its own result (`convert x.npg -o x.npg --force`). */
int cli_check_not_input(const cli *o, const char *path);
/* every --plot argument valid and no two outputs on one file (plots.c); an exit status */
int cli_check_plots(const cli *o);
/* A preset, model or scale.cfg by name, with the --set values applied. */
npu_arch *cli_open_arch(const cli *o, npu_ctx *ctx, const char *name, npu_err *err);

/* ---- workload_cli.c ------------------------------------------------------------------------- */
/* npusim run --workload …: several workloads at once (docs/workloads.md). */
int cli_run_workloads(cli *o, npu_ctx *ctx);
/* npusim run on a card preset that spreads its frames over its chips (npu_arch_card_spread);
 * frees a and g. */
int cli_run_card(cli *o, npu_ctx *ctx, npu_arch *a, npu_graph *g);

/* ---- listing.c ------------------------------------------------------------------------------ */
int cli_cmd_list(const command *c, cli *o, npu_ctx *ctx);   /* npusim list [WHAT]       */
int cli_cmd_params(const command *c, cli *o, npu_ctx *ctx); /* npusim params MODEL|ARCH */

#endif
