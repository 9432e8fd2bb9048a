/* testdata.c — imports every model of Debian's libonnx-testdata package (ONNX's own node tests
 * and the PyTorch-converted models, written by the ONNX project, not by us) and checks each one:
 *   imported : npu_onnx_read + npu_graph_infer succeed and every graph output has exactly the
 *              dims of the expected output tensor test_data_set_0/output_<i>.pb;
 *   refused  : the importer (or inference) answered NPU_EUNSUPPORTED with a message;
 *   failed   : anything else — a format/inference error on a valid model, or a wrong shape.
 * A crash is a failure of the whole test (ctest reports it). Prints the three counts, lists the
 * failures, and fails when there is any failure. Every model is also imported once with
 * allow_unsupported (unknown ops as host layers) and inferred, as a robustness check: that pass
 * only counts, since host-layer shapes come from the model's value_info.
 *
 * Usage: onnx_testdata [DATA_DIR] [-v]   (default /usr/share/libonnx-testdata/data)
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/ctx.h"
#include "core/graph.h"
#include "front/front.h"
#include "front/pb.h"

#define DEFAULT_DIR "/usr/share/libonnx-testdata/data"

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Dims of a TensorProto file; -1 when unreadable, -2 when it is not a plain tensor. */
static int read_dims(const char *path, int64_t *dim, int *nd)
{
    char *data;
    size_t len;
    npu_err err = {0};
    if (npu_read_file(path, &data, &len, &err))
        return -1;
    npu_pb r;
    npu_pb_field f;
    size_t off;
    int rc;
    *nd = 0;
    npu_pb_init(&r, data, len);
    while ((rc = npu_pb_next(&r, &f, &off)) > 0) {
        if (f.num != 1)
            continue;
        long n = npu_pb_count_varints(&f);
        if (n < 0 || *nd + n > 16) {
            rc = -1;
            break;
        }
        npu_pb_read_varints(&f, dim + *nd, n);
        *nd += (int)n;
    }
    free(data);
    return rc < 0 ? -2 : 0;
}

static void fmt_dims(char *b, size_t n, int nd, const int64_t *d)
{
    size_t o = 0;
    b[0] = 0;
    o += (size_t)snprintf(b + o, n - o, "[");
    for (int i = 0; i < nd && o < n; i++)
        o += (size_t)snprintf(b + o, n - o, "%s%lld", i ? "," : "", (long long)d[i]);
    if (o < n)
        snprintf(b + o, n - o, "]");
}

int main(int argc, char **argv)
{
    const char *root = DEFAULT_DIR;
    int verbose = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-v"))
            verbose = 1;
        else
            root = argv[i];
    }
    static const char *const sets[] = {"node", "pytorch-converted", "pytorch-operator", "simple"};
    int imported = 0, refused = 0, failed = 0, total = 0, host_ok = 0;
    for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++) {
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/%s", root, sets[s]);
        DIR *d = opendir(dir);
        if (!d) {
            printf("cannot open %s: is libonnx-testdata installed? "
                   "(apt-get install -y libonnx-testdata)\n", dir);
            printf("0 passed, 1 failed\n");
            return 1;
        }
        char **names = NULL;
        size_t nn = 0, cn = 0;
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            if (nn == cn) {
                cn = cn ? 2 * cn : 256;
                names = realloc(names, cn * sizeof *names);
                if (!names)
                    return 2;
            }
            names[nn++] = npu_strdup(e->d_name);
        }
        closedir(d);
        qsort(names, nn, sizeof *names, cmp_str);
        for (size_t k = 0; k < nn; k++) {
            char path[1400];
            snprintf(path, sizeof path, "%s/%s/model.onnx", dir, names[k]);
            struct stat st;
            if (stat(path, &st) != 0)
                continue;
            total++;
            npu_err err = {0};
            npu_graph *ga = npu_onnx_read(path, true, &err);
            if (ga && npu_graph_infer(ga, &err) == 0)
                host_ok++;
            npu_graph_free(ga);
            memset(&err, 0, sizeof err);
            npu_graph *g = npu_onnx_read(path, false, &err);
            int rc = g ? npu_graph_infer(g, &err) : err.code;
            if (rc) {
                if (err.code == NPU_EUNSUPPORTED) {
                    refused++;
                    if (verbose)
                        printf("refused %s/%s: %s\n", sets[s], names[k], err.msg);
                } else {
                    failed++;
                    printf("FAILED  %s/%s: [%s] %s\n", sets[s], names[k],
                           npu_status_name(err.code), err.msg);
                }
                npu_graph_free(g);
                continue;
            }
            int bad = 0;
            for (int o = 0; o < g->noutputs && !bad; o++) {
                char op[1500];
                int64_t want[16];
                int wn;
                snprintf(op, sizeof op, "%s/%s/test_data_set_0/output_%d.pb", dir, names[k], o);
                int r = read_dims(op, want, &wn);
                if (r == -1)
                    continue; /* no expected data for this output */
                const npu_tensor *t = &g->t[g->outputs[o]];
                bool same = r == 0 && t->shape_known && t->ndim == wn;
                for (int i = 0; same && i < wn; i++)
                    same = t->dim[i] == want[i];
                if (!same) {
                    char a[256], b[256];
                    fmt_dims(a, sizeof a, t->ndim, t->dim);
                    fmt_dims(b, sizeof b, wn, want);
                    printf("FAILED  %s/%s: output %d '%s' has shape %s, expected %s\n", sets[s],
                           names[k], o, t->name, a, b);
                    bad = 1;
                }
            }
            if (bad)
                failed++;
            else {
                imported++;
                if (verbose)
                    printf("ok      %s/%s (%d layers)\n", sets[s], names[k], g->nl);
            }
            npu_graph_free(g);
        }
        for (size_t k = 0; k < nn; k++)
            free(names[k]);
        free(names);
    }
    printf("libonnx-testdata: %d models: %d imported, %d refused (unsupported), %d failed\n",
           total, imported, refused, failed);
    printf("with allow_unsupported: %d of %d import and infer\n", host_ok, total);
    printf("%d passed, %d failed\n", imported + refused, failed);
    return failed || total == 0 ? 1 : 0;
}
