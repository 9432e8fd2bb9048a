/* plots.c — the checks of the outputs before a simulation starts: each --plot argument valid,
 * no two outputs (-o, --trace, --plot) naming the same file, and no output naming an input.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../report/svg.h"
#include "cli.h"

/* The directory of path ("." when it names none) into dir; returns its last component. */
static const char *split_dir(const char *path, char *dir, size_t n)
{
    const char *s = strrchr(path, '/');
    if (!s)
        snprintf(dir, n, ".");
    else
        snprintf(dir, n, "%.*s", s == path ? 1 : (int)(s - path), path);
    return s ? s + 1 : path;
}

static bool same_inode(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Whether two output paths name the same file: the same text, the same existing file (a second
 * name, a link), or one new name in the same directory spelt two ways (./r.svg and r.svg: the
 * second write failed, or replaced the first with --force, only after the simulation ran).
 * NULL is the result on stdout, the same as "-". */
static bool same_output(const char *a, const char *b)
{
    a = a ? a : "-";
    b = b ? b : "-";
    if (strcmp(a, b) == 0)
        return true;
    struct stat sa, sb;
    int ea = stat(a, &sa), eb = stat(b, &sb);
    if (ea == 0 || eb == 0)
        return ea == 0 && eb == 0 && same_inode(&sa, &sb);
    char da[4096], db[4096];
    const char *na = split_dir(a, da, sizeof da), *nb = split_dir(b, db, sizeof db);
    return *na && strcmp(na, nb) == 0 && strcmp(a, "-") && strcmp(b, "-") &&
           stat(da, &sa) == 0 && stat(db, &sb) == 0 && same_inode(&sa, &sb);
}

/* Whether len bytes of name (an input named on the command line) are the file st describes. */
static bool is_that_file(const char *name, size_t len, const struct stat *st)
{
    char buf[4096];
    struct stat si;
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, name, len);
    buf[len] = 0;
    return stat(buf, &si) == 0 && same_inode(&si, st);
}

int cli_check_not_input(const cli *o, const char *path)
{
    struct stat st;
    if (!path || strcmp(path, "-") == 0 || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return EXIT_OK;
    const char *in = NULL;
    for (int i = 0; !in && i < o->npos; i++) /* GRAPH, PROGRAM, SPEC, PART, A.json B.json */
        if (is_that_file(o->pos[i], strlen(o->pos[i]), &st))
            in = o->pos[i];
    for (const char *a = o->arch; !in && a && *a;) { /* -a FILE (compare: a list, by commas) */
        size_t n = strcspn(a, ",");
        if (is_that_file(a, n, &st))
            in = o->arch;
        a += n + (a[n] == ',');
    }
    for (int i = 0; !in && i < o->nwls; i++) { /* --workload NAME=GRAPH[:K=V]... */
        const char *g = strchr(o->wls[i], '=');
        if (g && is_that_file(g + 1, strcspn(g + 1, ":"), &st))
            in = o->wls[i];
    }
    if (!in && o->aipp && is_that_file(o->aipp, strlen(o->aipp), &st))
        in = o->aipp;
    if (!in && o->spec && is_that_file(o->spec, strlen(o->spec), &st))
        in = o->spec;
    if (!in)
        return EXIT_OK;
    char m[4096];
    snprintf(m, sizeof m, "%s: is also an input of this command (%s); write the output to "
             "another file", path, in);
    cli_eprint(m);
    return EXIT_FAIL;
}

/* Checks every --plot argument (syntax, existing file) before a simulation starts, and that
 * no two outputs (-o, --trace, --plot) go to the same place (the later one used to fail, or
 * overwrite the first with --force, only after the simulation ran). */
int cli_check_plots(const cli *o)
{
    const char *paths[2 + 64];
    int n = 0;
    paths[n++] = o->out;
    if (o->trace)
        paths[n++] = o->trace;
    for (int i = 0; i < o->nplots; i++) {
        npu_svg_kind k;
        const char *path;
        npu_err err = {0};
        if (npu_svg_plot_arg(o->plots[i], &k, &path, &err))
            return cli_fail(&err);
        if (cli_check_new_file(o, path))
            return EXIT_FAIL;
        if (n < (int)(sizeof paths / sizeof *paths))
            paths[n++] = path;
    }
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (same_output(paths[i], paths[j])) {
                if (!paths[j] || strcmp(paths[j], "-") == 0) /* a chart or trace on stdout */
                    return cli_failf("-: stdout already carries %s; write this chart or trace "
                                 "to a file",
                                 i == 0 ? "the result (give it -o FILE to free stdout)"
                                        : "another chart or the trace");
                return cli_failf("%s: given as two outputs (each output needs its own file)",
                             paths[j]);
            }
    return EXIT_OK;
}
