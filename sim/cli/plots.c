/* plots.c — the checks of `npusim run/exec --plot` before a simulation starts: each chart
 * argument valid, and no two outputs (-o, --trace, --plot) naming the same file.
 */
#include <string.h>
#include <sys/stat.h>

#include "../report/svg.h"
#include "cli.h"

/* Whether two output paths name the same file: the same text, or the same existing file
 * (a second name, a link). NULL is the result on stdout, the same as "-". */
static bool same_output(const char *a, const char *b)
{
    a = a ? a : "-";
    b = b ? b : "-";
    if (strcmp(a, b) == 0)
        return true;
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
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
