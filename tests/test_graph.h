/* test_graph.h — the one helper unit tests use to build a graph from .npg text.
 *
 *   npu_graph *g = test_npg("npg 1\ngraph t\ninput x 1x64 int8\n...");
 * Reads and prepares the text; on failure prints the reader's message as a test failure
 * (FAILF, so the current test fails) and returns NULL. Include after test.h.
 */
#ifndef NPU_TEST_GRAPH_H
#define NPU_TEST_GRAPH_H

#include <string.h>

#include "core/graph.h"
#include "front/front.h"
#include "test.h"

static inline npu_graph *test_npg(const char *text)
{
    npu_err err = {0};
    npu_graph *g = npu_npg_read("t.npg", text, strlen(text), &err);
    if (g && npu_graph_prepare(g, &err)) {
        npu_graph_free(g);
        g = NULL;
    }
    if (!g)
        FAILF("graph: %s", err.msg);
    return g;
}

#endif
