/* npg_test.c — the .npg reader and writer: round trips (text and graph identical), quoting,
 * special keys, and every reader error with file:line:column. */
#include "front/front.h"
#include "script/script.h"
#include "npusim_int.h"
#include "test.h"

#include <stdlib.h>

static npu_graph *rd(const char *file, const char *text, npu_err *err)
{
    return npu_npg_read(file, text, strlen(text), err);
}

static char *wr(const npu_graph *g)
{
    npu_strbuf sb;
    npu_sb_init(&sb);
    if (npu_npg_write(g, &sb)) {
        npu_sb_free(&sb);
        return NULL;
    }
    return npu_sb_take(&sb);
}

/* Structural comparison by names; returns a description of the first difference or NULL. */
static const char *graph_diff(const npu_graph *a, const npu_graph *b)
{
    static char why[256];
    if (strcmp(a->name, b->name))
        return "graph name";
    if (a->nl != b->nl || a->ninputs != b->ninputs || a->noutputs != b->noutputs)
        return "counts";
    for (int i = 0; i < a->ninputs; i++) {
        const npu_tensor *x = &a->t[a->inputs[i]], *y = &b->t[b->inputs[i]];
        if (strcmp(x->name, y->name) || x->ndim != y->ndim || x->dtype != y->dtype ||
            memcmp(x->dim, y->dim, sizeof(int64_t) * (size_t)x->ndim))
            return "inputs";
    }
    for (int i = 0; i < a->noutputs; i++)
        if (strcmp(a->t[a->outputs[i]].name, b->t[b->outputs[i]].name))
            return "outputs";
    for (int i = 0; i < a->nt; i++) {
        const npu_tensor *x = &a->t[i];
        if (x->kind != NPU_T_CONST)
            continue;
        int j = npu_graph_find_tensor(b, x->name);
        if (j < 0 || b->t[j].kind != NPU_T_CONST || b->t[j].dtype != x->dtype ||
            b->t[j].ndim != x->ndim || memcmp(x->dim, b->t[j].dim, sizeof x->dim))
            return "consts";
    }
    for (int li = 0; li < a->nl; li++) {
        const npu_layer *x = &a->l[li], *y = &b->l[li];
        snprintf(why, sizeof why, "layer %d '%s'", li, x->name);
        if (strcmp(x->name, y->name) || x->op != y->op || x->nin != y->nin || x->nout != y->nout ||
            x->act != y->act || x->act_alpha != y->act_alpha || x->flags != y->flags ||
            ((x->flags & NPU_LF_DTYPE) && x->dtype != y->dtype) ||
            (x->src_op == NULL) != (y->src_op == NULL) ||
            (x->src_op && strcmp(x->src_op, y->src_op)) || x->nattr != y->nattr)
            return why;
        for (int k = 0; k < x->nin; k++)
            if (strcmp(a->t[x->in[k]].name, b->t[y->in[k]].name))
                return why;
        for (int k = 0; k < x->nout; k++)
            if (strcmp(a->t[x->out[k]].name, b->t[y->out[k]].name))
                return why;
        for (int k = 0; k < x->nattr; k++) {
            const npu_attr *p = &x->attr[k], *q = &y->attr[k];
            if (strcmp(p->key, q->key) || p->type != q->type)
                return why;
            if (p->type == NPU_ATTR_INTS &&
                (p->n != q->n || memcmp(p->i, q->i, sizeof(int64_t) * (size_t)p->n)))
                return why;
            if (p->type == NPU_ATTR_FLOAT && p->f != q->f)
                return why;
            if (p->type == NPU_ATTR_STR && strcmp(p->s, q->s))
                return why;
        }
    }
    return NULL;
}

/* write → read → write: identical text, identical graph. */
static void round_trip(const npu_graph *g, const char *what)
{
    npu_err err = {0};
    char *t1 = wr(g);
    if (!t1) {
        FAILF("%s: writer failed", what);
        return;
    }
    npu_graph *g2 = rd("rt.npg", t1, &err);
    if (!g2) {
        FAILF("%s: re-read failed: %s\n%s", what, err.msg, t1);
        free(t1);
        return;
    }
    char *t2 = wr(g2);
    if (!t2 || strcmp(t1, t2))
        FAILF("%s: text differs:\n%s\n---\n%s", what, t1, t2 ? t2 : "(null)");
    const char *d = graph_diff(g, g2);
    if (d)
        FAILF("%s: graphs differ: %s", what, d);
    free(t1);
    free(t2);
    npu_graph_free(g2);
}

static npu_graph *load(const char *path)
{
    npu_err err = {0};
    char *txt;
    size_t n;
    if (npu_read_file(path, &txt, &n, &err)) {
        FAILF("%s", err.msg);
        return NULL;
    }
    npu_graph *g = npu_npg_read(path, txt, n, &err);
    free(txt);
    if (!g)
        FAILF("%s", err.msg);
    return g;
}

TEST(golden_round_trips)
{
    static const char *const files[] = {"tests/golden/resnet_block.npg", "tests/golden/ops.npg",
                                        "tests/golden/quoted.npg", "tests/golden/attention.npg"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        npu_graph *g = load(files[i]);
        if (!g)
            continue;
        round_trip(g, files[i]);
        npu_err err = {0};
        /* inferred, prepared and dtype-converted graphs round-trip too */
        if (npu_graph_infer(g, &err))
            FAILF("%s: %s", files[i], err.msg);
        round_trip(g, files[i]);
        if (npu_graph_prepare(g, &err) || npu_pass_dtype(g, NPU_DT_INT8, NULL, NULL, &err))
            FAILF("%s: %s", files[i], err.msg);
        round_trip(g, files[i]);
        npu_graph_free(g);
    }
}

TEST(reader_fields)
{
    npu_err err = {0};
    const char *text = "npg 1   # header\n"
                       "\n"
                       "   # only a comment\n"
                       "graph \"my net\"\r\n"
                       "input \"in put\" 1x8x4x4 int8\n"
                       "const w scalar fp32\n"
                       "conv c \"in put\" out=8 k=3 p=1 act=leaky alpha=0.125 dtype=fp16 host=1\n"
                       "leaky l c alpha=0.5 act=relu act_alpha=2\n"
                       "split s l axis=1 n=2\n"
                       "mul m s:1 w folded=0 src=\"Weird \\\"op\\\"\\x01\"\n"
                       "resize r m scale=1.5 mode=\"nearest\"\n"
                       "output r s\n";
    npu_graph *g = rd("f.npg", text, &err);
    CHECK(g != NULL);
    if (!g) {
        printf("  %s\n", err.msg);
        return;
    }
    CHECK_STR(g->name, "my net");
    CHECK_STR(g->file, "f.npg");
    CHECK_EQ_INT(g->ninputs, 1);
    CHECK_STR(g->t[g->inputs[0]].name, "in put");
    CHECK_EQ_INT(g->dtype, NPU_DT_INT8);
    int wi = npu_graph_find_tensor(g, "w");
    CHECK(wi >= 0 && g->t[wi].kind == NPU_T_CONST && g->t[wi].ndim == 0);
    const npu_layer *c = &g->l[0];
    CHECK_EQ_INT(c->line, 7);
    CHECK_EQ_INT(c->act, NPU_ACT_LEAKY);
    CHECK_NEAR(c->act_alpha, 0.125, 0);
    CHECK_EQ_INT(c->dtype, NPU_DT_FP16);
    CHECK(c->flags & NPU_LF_DTYPE);
    CHECK(c->flags & NPU_LF_HOST);
    CHECK_EQ_INT(c->nattr, 3);
    const npu_layer *l = &g->l[1];
    CHECK_NEAR(npu_layer_float(l, "alpha", 0), 0.5, 0); /* the op's own attribute */
    CHECK_NEAR(l->act_alpha, 2, 0);
    CHECK_EQ_INT(l->act, NPU_ACT_RELU);
    CHECK_EQ_INT(g->l[2].nout, 2); /* n=2 gives 2 outputs */
    CHECK_STR(g->l[3].src_op, "Weird \"op\"\x01");
    CHECK(!(g->l[3].flags & NPU_LF_BN_FOLDED));
    const npu_attr *sc = npu_layer_attr(&g->l[4], "scale");
    CHECK(sc && sc->type == NPU_ATTR_FLOAT && sc->f == 1.5);
    CHECK_STR(npu_layer_str(&g->l[4], "mode", NULL), "nearest");
    CHECK_EQ_INT(g->noutputs, 2);
    CHECK_STR(g->t[g->outputs[1]].name, "s");
    round_trip(g, "reader_fields");
    char *t = wr(g);
    CHECK_CONTAINS(t, "graph \"my net\"\n");
    CHECK_CONTAINS(t, "input \"in put\" 1x8x4x4 int8\n");
    CHECK_CONTAINS(t, "const w scalar fp32\n");
    CHECK_CONTAINS(t, " act=leaky alpha=0.125 dtype=fp16 host=1\n");
    CHECK_CONTAINS(t, "leaky     l c alpha=0.5 act=relu act_alpha=2.0\n");
    CHECK_CONTAINS(t, "src=\"Weird \\\"op\\\"\\x01\"");
    CHECK_CONTAINS(t, "split     s l axis=1 n=2\n"); /* outs= implied by n= */
    free(t);
    npu_graph_free(g);
}

/* Programmatic graphs with awkward names and values round-trip too. */
TEST(writer_quoting)
{
    npu_err err = {0};
    npu_graph *g = npu_graph_new("odd\tname");
    int64_t d[2] = {2, 3};
    CHECK(npu_graph_add_input(g, "#in", 2, d, NPU_DT_FP32, &err) >= 0);
    const char *in[1] = {"#in"};
    int li = npu_graph_add_layer(g, NPU_OP_RELU, "=x\\\"\n", 1, in, 1, &err);
    CHECK(li >= 0);
    const char *in2[1] = {"=x\\\"\n"};
    int l2 = npu_graph_add_layer(g, NPU_OP_CAST, "3", 1, in2, 1, &err);
    npu_layer_set_str(g, l2, "to", "fp16");
    npu_layer_set_str(g, l2, "note", "42"); /* a string that looks like a number */
    npu_layer_set_str(g, l2, "empty", "");
    npu_layer_set_str(g, l2, "list", "a,b");
    npu_layer_set_float(g, l2, "big", 1e300);
    npu_layer_set_float(g, l2, "tiny", -2.5e-310);
    npu_layer_set_float(g, l2, "third", 1.0 / 3.0);
    npu_layer_set_float(g, l2, "inf", 1.0 / 0.0);
    npu_layer_set_float(g, l2, "whole", 3.0);
    int64_t v[3] = {INT64_MAX, INT64_MIN, 0};
    npu_layer_set_ints(g, l2, "ints", 3, v);
    g->l[l2].src_op = "Op";
    npu_layer_set_float(g, l2, "alpha", 0.25); /* a host layer's own alpha */
    g->l[l2].act = NPU_ACT_LEAKY;
    g->l[l2].act_alpha = 0.5;
    npu_graph_mark_output(g, "3", &err);
    round_trip(g, "writer_quoting");
    char *t = wr(g);
    CHECK_CONTAINS(t, "graph \"odd\\tname\"\n");
    CHECK_CONTAINS(t, "relu      \"=x\\\\\\\"\\n\" \"#in\"\n");
    CHECK_CONTAINS(t, " note=\"42\" empty=\"\" list=\"a,b\" big=1e+300");
    CHECK_CONTAINS(t, " inf=1e999 whole=3.0 ints=9223372036854775807,-9223372036854775808,0");
    free(t);
    /* a NaN cannot be written */
    npu_layer_set_float(g, l2, "nan", 0.0 / 0.0);
    npu_strbuf sb;
    npu_sb_init(&sb);
    CHECK(npu_npg_write(g, &sb) != 0);
    npu_sb_free(&sb);
    npu_graph_free(g);
}

/* Every reader error: NPU_EFORMAT, "file:line:col: what". */
TEST(const_values)
{
    /* value= reads, survives clone, and writes back exactly (shortest round-trip float) */
    const char *txt = "npg 1\ngraph v\ninput x 1x3 fp32\nconst a scalar fp32 value=0.16667\n"
                      "const b 1x3 fp32\nconst c 1 fp16 value=-3.0\nmul       m x a\n"
                      "add       n m b\nadd       o n c\noutput o\n";
    npu_err err = {0};
    npu_graph *g = npu_npg_read("v.npg", txt, strlen(txt), &err);
    CHECK(g != NULL);
    if (!g)
        return;
    int a = npu_graph_find_tensor(g, "a"), b = npu_graph_find_tensor(g, "b");
    CHECK(a >= 0 && g->t[a].has_value && g->t[a].value == 0.16667);
    CHECK(b >= 0 && !g->t[b].has_value);
    npu_graph *c = npu_graph_clone(g);
    npu_strbuf sb;
    npu_sb_init(&sb);
    CHECK(c && npu_npg_write(c, &sb) == 0);
    CHECK_STR(sb.s, txt);
    npu_sb_free(&sb);
    npu_graph_free(c);
    npu_graph_free(g);
}

TEST(reader_errors)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"", "e.npg:1:1: missing header 'npg 1'"},
        {"# nothing\n\n", "missing header"},
        {"graph x\n", "e.npg:1:1: missing header: the first line must be 'npg 1'"},
        {"npg 2\n", "e.npg:1:5: unsupported header"},
        {"npg 1 extra\n", "unsupported header"},
        {"npg 1\nnpg 1\n", "e.npg:2:1: second 'npg' header"},
        {"npg 1\ngraph\n", "e.npg:2:1: expected 'graph NAME'"},
        {"npg 1\ngraph a\ngraph b\n", "e.npg:3:1: graph name given twice"},
        {"npg 1\ninput x 1x3x8x8 int8\ncnv c x out=3 k=1\n",
         "e.npg:3:1: unknown op 'cnv' (did you mean 'conv'?)"},
        {"npg 1\ninput x 1x3x8x8 int8\nmaxpol c x\n", "(did you mean 'maxpool'?)"},
        {"npg 1\ninput x 1x3x8x8 int8\nfrobnicate c x\n", "e.npg:3:1: unknown op 'frobnicate'"},
        {"npg 1\ninput x 1x3x8x8 int8\nconv c y out=3 k=1\n",
         "e.npg:3:8: unknown input tensor 'y'"},
        {"npg 1\ninput xx 1x3x8x8 int8\nconv c xy out=3\n", "(did you mean 'xx'?)"},
        {"npg 1\ninput x 1x3x8x8\n", "e.npg:2:16: input 'x': missing dtype"},
        {"npg 1\ninput x\n", "e.npg:2:8: input 'x': missing dims"},
        {"npg 1\ninput\n", "e.npg:2:1: input: missing name"},
        {"npg 1\ninput x 1x3 int8 junk\n", "e.npg:2:18: input 'x': unexpected 'junk'"},
        {"npg 1\ninput x 1x3 int8 value=3\n", "e.npg:2:18: input 'x': unexpected 'value=3'"},
        {"npg 1\nconst k 1 fp32 val=3\n", "const 'k': unexpected 'val=3' after the dtype (a const "
                                          "takes only value=)"},
        {"npg 1\nconst k 1 fp32 value=abc\n", "value= must be a number"},
        {"npg 1\nconst k 1 fp32 value=1 value=2\n", "unexpected"},
        {"npg 1\ninput x 1x3 int9\n", "e.npg:2:13: unknown dtype 'int9'"},
        {"npg 1\ninput x 1x-3 int8\n", "negative dim"},
        {"npg 1\ninput x 1x0x3 int8\n", "e.npg:2:9: dim 0 in '1x0x3'"},
        {"npg 1\ninput x 1xx3 int8\n", "bad dims"},
        {"npg 1\ninput x 1x3x int8\n", "bad dims"},
        {"npg 1\ninput x 99999999999 int8\n", "larger than 2^31-1"},
        {"npg 1\ninput x 1x1x1x1x1x1x1x1x1 int8\n", "more than 8 dims"},
        {"npg 1\ninput x 2147483647x2147483647x2147483647 int8\n", "e.npg:2:7: "},
        {"npg 1\ninput x 2147483647x2147483647x2147483647 int8\n",
         "e.npg:2:7: input 'x': more than 2^48 elements"},
        {"npg 1\ninput x 1x3 int8\nrelu a:1 x\nsplit a x outs=2\n",
         "e.npg:4:7: split 'a': tensor 'a:1' already exists"},
        {"npg 1\ninput x 1x3 int8\ninput x 1x3 int8\n", "e.npg:3:7: duplicate name 'x'"},
        {"npg 1\ninput x 1x3 int8\nrelu x x\n", "e.npg:3:6: duplicate name 'x'"},
        {"npg 1\ninput x 1x3 int8\nrelu r x\nrelu r x\n", "e.npg:4:6: duplicate name 'r'"},
        {"npg 1\ninput x 1x3 int8\nsplit r x outs=2\nrelu r:1 x\n", "duplicate name 'r:1'"},
        {"npg 1\ninput x 1x3 int8\nconv c1\n", "e.npg:3:1: conv 'c1': missing inputs"},
        {"npg 1\ninput x 1x3 int8\nconv\n", "e.npg:3:5: conv: missing layer name"},
        {"npg 1\ninput x 1x3 int8\nconv k=3\n", "missing layer name"},
        {"npg 1\ninput x 1x3 int8\nconv c x k=3 x\n", "e.npg:3:14: input 'x' after the attr"},
        {"npg 1\ninput x 1x3 int8\noutput\n", "e.npg:3:7: missing output name"},
        {"npg 1\ninput x 1x3 int8\noutput y\n", "e.npg:3:8: unknown output tensor 'y'"},
        {"npg 1\noutput x\ninput x 1x3 int8\nrelu r x\noutput rr\n",
         "e.npg:5:8: unknown output tensor 'rr' (did you mean 'r'?)"},
        {"npg 1\ninput x 1x3 int8\nconv c x k=3,x\n", "e.npg:3:12: k=3,x is not an integer"},
        {"npg 1\ninput x 1x3 int8\nconv c x k=\n", "e.npg:3:12: k= has no value"},
        {"npg 1\ninput x 1x3 int8\nconv c x k=3,,3\n", "is not an integer list"},
        {"npg 1\ninput x 1x3 int8\nconv c x k=1.5.2\n", "is not a number"},
        {"npg 1\ninput x 1x3 int8\nconv c x k=99999999999999999999\n", "out of the 64-bit"},
        {"npg 1\ninput x 1x3 int8\nconv c x k=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17\n",
         "more than 16 values"},
        {"npg 1\ninput x 1x3 int8\nconv c x k=3 k=3\n", "e.npg:3:14: attribute k= given twice"},
        {"npg 1\ninput x 1x3 int8\nconv c x act=rleu\n",
         "e.npg:3:10: unknown activation act=rleu (did you mean 'relu'?)"},
        {"npg 1\ninput x 1x3 int8\nconv c x dtype=int9\n", "e.npg:3:10: unknown dtype 'int9'"},
        {"npg 1\ninput x 1x3 int8\nconv c x outs=0\n", "outs= must be an integer 1..256"},
        {"npg 1\ninput x 1x3 int8\nconv c x outs=1000\n", "outs= must be an integer 1..256"},
        {"npg 1\ninput x 1x3 int8\nconv c x host=2\n", "e.npg:3:10: host= must be 0 or 1"},
        {"npg 1\ninput x 1x3 int8\nconv c x dead=yes\n", "dead= must be 0 or 1"},
        {"npg 1\ninput x 1x3 int8\nconv c x alpha=fast\n", "alpha= must be a number"},
        {"npg 1\ninput x 1x3 int8\nconv c x src=1\n", "src= must be a name"},
        {"npg 1\ninput x 1x3 int8\nconv c x =3\n", "e.npg:3:10: '=' without a key"},
        {"npg 1\ninput \"x 1x3 int8\n", "e.npg:2:7: unterminated quoted string"},
        {"npg 1\ninput \"x\\q\" 1x3 int8\n", "e.npg:2:9: unknown escape"},
        {"npg 1\ninput \"x\\x0\" 1x3 int8\n", "bad \\x escape"},
        {"npg 1\ninput \"x\"y 1x3 int8\n", "e.npg:2:10: missing blank after token"},
        {"npg 1\ninput x\"y\" 1x3 int8\n", "e.npg:2:8: unexpected '\"'"},
        {"npg 1\ninput \"\" 1x3 int8\n", "empty name"},
        {"npg 1\ninput x 1x3 int8\nrelu \"\" x\n", "empty layer name"},
        {"npg 1\ninput x 1x3\x01 int8\n", "e.npg:2:12: control character 0x01"},
        {"npg 1\nk=3\n", "e.npg:2:1: expected an op or keyword, got 'k=3'"},
        {"npg 1\n\"conv\" c x\n", "expected an op or keyword"},
        {"npg 1\ninput x 1x3 int8\nconv c x mode=3x\n",
         "is not an integer list, a number or a name"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        npu_err err = {0};
        npu_graph *g = rd("e.npg", cases[i].text, &err);
        if (g) {
            FAILF("case %zu accepted: %s", i, cases[i].text);
            npu_graph_free(g);
            continue;
        }
        if (!strstr(err.msg, cases[i].want))
            FAILF("case %zu: \"%s\" lacks \"%s\"", i, err.msg, cases[i].want);
        if (err.code != NPU_EFORMAT)
            FAILF("case %zu: code %d (%s)", i, err.code, err.msg);
    }
    /* a NUL byte inside the text */
    npu_err err = {0};
    const char nul[] = "npg 1\ninput x\0 1x3 int8\n";
    CHECK(npu_npg_read("e.npg", nul, sizeof nul - 1, &err) == NULL);
    CHECK_CONTAINS(err.msg, "e.npg:2:8: NUL byte");
    /* truncated text: the reader only sees `len` bytes */
    const char *full = "npg 1\ninput x 1x3x8x8 int8\n";
    CHECK(npu_npg_read("e.npg", full, 20, &err) == NULL);
    CHECK_CONTAINS(err.msg, "e.npg:2:");
    CHECK(npu_npg_read("e.npg", NULL, 0, &err) == NULL);
}

/* A file without `graph` is named after the file; without outputs it has none. */
TEST(defaults)
{
    npu_err err = {0};
    npu_graph *g = rd("dir/net.v2.npg", "npg 1\ninput x 4 int8\nrelu r x\n", &err);
    CHECK(g != NULL);
    if (!g)
        return;
    CHECK_STR(g->name, "net.v2");
    CHECK_EQ_INT(g->noutputs, 0);
    CHECK(!g->t[1].shape_known); /* no inference by the reader */
    CHECK_EQ_INT(npu_graph_prepare(g, &err), 0);
    CHECK_EQ_INT(g->noutputs, 1); /* prepare marks unread tensors as outputs */
    npu_graph_free(g);
    g = rd("-", "npg 1\n", &err);
    CHECK(g && g->nl == 0 && strcmp(g->name, "graph") == 0);
    npu_graph_free(g);
}

/* `items N UNIT [prefill]`: what one run produces, read, written back and scaled by a batch;
 * npu_graph_set_batch refuses inputs without the batch and reshapes that hard-code it. */
TEST(items_and_batch)
{
    npu_err err = {0};
    const char *txt = "npg 1\ngraph lm\nitems 32 token prefill\ninput x 1x32x64 fp16\n"
                      "gemm      y x out=64\noutput y\n";
    npu_graph *g = rd("lm.npg", txt, &err);
    CHECK(g != NULL);
    if (!g)
        return;
    npu_graph_work w;
    npu_graph_work_of(g, &w);
    CHECK_EQ_INT(w.batch, 1);
    CHECK_EQ_INT(w.items, 32);
    CHECK_STR(w.unit, "token");
    CHECK(w.prefill);
    char *back = wr(g);
    CHECK(back && strcmp(back, txt) == 0);
    free(back);
    CHECK_EQ_INT(npu_graph_set_batch(g, 2, &err), 0);
    npu_graph_work_of(g, &w);
    CHECK_EQ_INT(w.batch, 2);
    CHECK_EQ_INT(w.items, 64);
    npu_graph_free(g);

    /* an image network without items: the batch, in images */
    g = rd("img.npg", "npg 1\ninput x 1x3x8x8 int8\nconv c x out=4 k=3\n", &err);
    CHECK(g && npu_graph_set_batch(g, 8, &err) == 0);
    if (g) {
        npu_graph_work_of(g, &w);
        CHECK_EQ_INT(w.items, 8);
        CHECK_STR(w.unit, "image");
        CHECK_EQ_INT(npu_graph_macs(g), 8 * 36 * 4 * 27);
    }
    npu_graph_free(g);

    /* an input whose leading dim is not the batch */
    g = rd("two.npg", "npg 1\ninput x 1x16 fp16\ninput t 7x16 fp16\nadd a x t\n", &err);
    CHECK(g && npu_graph_set_batch(g, 4, &err) != 0);
    CHECK_CONTAINS(err.msg, "input 't' (7x16) has no batch dimension");
    npu_graph_free(g);
    g = rd("rows.npg", "npg 1\ninput x 128x16 fp16\ngemm y x out=4\n", &err);
    CHECK(g && npu_graph_set_batch(g, 4, &err) != 0);
    CHECK_CONTAINS(err.msg, "input 'x' (128x16) has no batch dimension");
    npu_graph_free(g);
    g = rd("one.npg", "npg 1\ninput x 16 fp16\nrelu r x\n", &err);
    CHECK(g && npu_graph_set_batch(g, 4, &err) != 0);
    CHECK_CONTAINS(err.msg, "input 'x' (16) has no batch dimension");
    npu_graph_free(g);

    /* reshape: a literal batch is an error naming the layer and its line; 0 and -1 follow */
    g = rd("rs.npg", "npg 1\ninput x 1x4x2x2 int8\nreshape v x shape=1,16\n", &err);
    CHECK(g && npu_graph_set_batch(g, 3, &err) != 0);
    CHECK_CONTAINS(err.msg, "rs.npg:3: reshape 'v': shape=1,16 hard-codes batch 1");
    npu_graph_free(g);
    g = rd("rs0.npg", "npg 1\ninput x 1x4x2x2 int8\nreshape v x shape=0,16\n", &err);
    CHECK(g && npu_graph_set_batch(g, 3, &err) == 0);
    npu_graph_free(g);

    /* bad items lines */
    CHECK(rd("b.npg", "npg 1\nitems 0 token\n", &err) == NULL);
    CHECK_CONTAINS(err.msg, "b.npg:2:1: expected 'items N UNIT [prefill]'");
    CHECK(rd("b.npg", "npg 1\nitems 4 token later\n", &err) == NULL);
    CHECK(rd("b.npg", "npg 1\nitems 4 token\nitems 4 token\n", &err) == NULL);
    CHECK_CONTAINS(err.msg, "items given twice");
}

/* Bad input is normal input: every truncation and many byte mutations of the golden files
 * give a graph or one error, never a crash (the sanitizer build checks memory). */
TEST(mutations)
{
    static const char *const files[] = {"tests/golden/ops.npg", "tests/golden/quoted.npg"};
    static const char subst[] = {' ', '"', '\\', '=', '#', ',', '-', '0', '9', 'x', '\n', 0};
    int graphs = 0, errors = 0;
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        npu_err err = {0};
        char *txt;
        size_t n;
        if (npu_read_file(files[f], &txt, &n, &err)) {
            FAILF("%s", err.msg);
            continue;
        }
        char *buf = malloc(n + 1);
        for (size_t cut = 0; cut <= n; cut++) {
            for (int m = -1; m < (int)sizeof subst; m++) {
                memcpy(buf, txt, n);
                size_t len = cut;
                if (m >= 0) { /* mutate one byte, keep the full length */
                    if (cut >= n || (f == 0 && cut % 9))
                        continue;
                    buf[cut] = subst[m];
                    len = n;
                }
                npu_graph *g = npu_npg_read("m.npg", buf, len, &err);
                if (!g) {
                    errors++;
                    if (err.code != NPU_EFORMAT || !strstr(err.msg, "m.npg:"))
                        FAILF("cut %zu m %d: %s", cut, m, err.msg);
                    continue;
                }
                graphs++;
                if (npu_graph_prepare(g, &err) == 0) {
                    char *t = wr(g);
                    CHECK(t != NULL);
                    free(t);
                } else if (!strstr(err.msg, "m.npg"))
                    FAILF("cut %zu m %d: %s", cut, m, err.msg);
                npu_graph_free(g);
            }
        }
        free(buf);
        free(txt);
    }
    CHECK(graphs > 100);
    CHECK(errors > 100);
}

/* Every zoo network (Lua builder graphs) and every ONNX test model round-trips, before and
 * after preparation, and the re-read graph infers to the same MACs and parameters. */
static void round_trip_deep(npu_graph *g, const char *what)
{
    npu_err err = {0};
    round_trip(g, what);
    if (npu_graph_prepare(g, &err)) {
        FAILF("%s: prepare: %s", what, err.msg);
        return;
    }
    round_trip(g, what);
    char *t = wr(g);
    npu_graph *g2 = t ? rd("rt.npg", t, &err) : NULL;
    if (!g2 || npu_graph_infer(g2, &err))
        FAILF("%s: re-read: %s", what, err.msg);
    else {
        CHECK_EQ_INT(npu_graph_macs(g2), npu_graph_macs(g));
        CHECK_EQ_INT(npu_graph_params(g2), npu_graph_params(g));
    }
    npu_graph_free(g2);
    free(t);
    /* the dtype policy keeps the graph valid and writable */
    npu_graph *c = npu_graph_clone(g);
    if (!c || npu_pass_dtype(c, NPU_DT_INT8, NULL, NULL, &err))
        FAILF("%s: dtype: %s", what, err.msg);
    else {
        CHECK_EQ_INT(npu_graph_macs(c), npu_graph_macs(g));
        round_trip(c, what);
    }
    npu_graph_free(c);
}

TEST(zoo_and_onnx_round_trips)
{
    npu_ctx *ctx = npu_ctx_new();
    int n = 0;
    for (const char *const *z = npu_zoo_names(); z && *z; z++, n++) {
        npu_err err = {0};
        npu_graph *g = npu_script_zoo(ctx, *z, NULL, &err);
        if (!g) {
            FAILF("zoo %s: %s", *z, err.msg);
            continue;
        }
        round_trip_deep(g, *z);
        /* parameter counts as torchvision reports them (sum of p.numel()) */
        static const struct {
            const char *name;
            int64_t params;
        } ref[] = {{"resnet50", 25557032},
                   {"resnet18", 11689512},
                   {"mobilenet_v2", 3504872},
                   {"alexnet", 61100840}};
        for (size_t i = 0; i < sizeof ref / sizeof ref[0]; i++)
            if (strcmp(*z, ref[i].name) == 0)
                CHECK_EQ_INT(npu_graph_params(g), ref[i].params);
        if (strcmp(*z, "resnet50") == 0)
            CHECK_EQ_INT(npu_graph_macs(g), 4089184256LL);
        npu_graph_free(g);
    }
    CHECK(n >= 5);
    static const char *const onnx[] = {"tests/onnx/tiny_cnn.onnx", "tests/onnx/misc_ops.onnx",
                                       "tests/onnx/fold_ops.onnx", "tests/onnx/reshape_chain.onnx",
                                       "tests/onnx/qdq.onnx",      "tests/onnx/host.onnx"};
    for (size_t i = 0; i < sizeof onnx / sizeof onnx[0]; i++) {
        npu_err err = {0};
        npu_graph *g = npu_onnx_read(onnx[i], true, &err);
        if (!g) {
            FAILF("%s: %s", onnx[i], err.msg);
            continue;
        }
        round_trip_deep(g, onnx[i]);
        npu_graph_free(g);
    }
    npu_ctx_free(ctx);
}

int main(void)
{
    RUN(golden_round_trips);
    RUN(reader_fields);
    RUN(writer_quoting);
    RUN(reader_errors);
    RUN(const_values);
    RUN(defaults);
    RUN(items_and_batch);
    RUN(mutations);
    RUN(zoo_and_onnx_round_trips);
    return TEST_REPORT();
}
