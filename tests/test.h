/* test.h — the tiny unit-test harness used by every tests/ program.
 *
 *   TEST(name) { CHECK(x == 1); CHECK_EQ_INT(a, b); CHECK_NEAR(a, b, tol); }
 *   int main(void) { RUN(name); return TEST_REPORT(); }
 * Prints each failure with file:line and ends with "N passed, N failed" (the line CI reads).
 */
#ifndef NPU_TEST_H
#define NPU_TEST_H

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct npu_test_state {
    int passed, failed, cur_failed;
} npu_test_state;
static npu_test_state npu_test_st;

#define TEST(name) static void name(void)
#define RUN(name)                                                            \
    do {                                                                     \
        npu_test_st.cur_failed = 0;                                          \
        name();                                                              \
        if (npu_test_st.cur_failed)                                          \
            npu_test_st.failed++;                                            \
        else                                                                 \
            npu_test_st.passed++;                                            \
        printf("%-4s %s\n", npu_test_st.cur_failed ? "FAIL" : "ok", #name);  \
    } while (0)
#define FAILF(...)                                                           \
    do {                                                                     \
        printf("  %s:%d: ", __FILE__, __LINE__);                             \
        printf(__VA_ARGS__);                                                 \
        printf("\n");                                                        \
        npu_test_st.cur_failed++;                                            \
    } while (0)
#define CHECK(c)                                                             \
    do {                                                                     \
        if (!(c))                                                            \
            FAILF("check failed: %s", #c);                                   \
    } while (0)
#define CHECK_EQ_INT(a, b)                                                   \
    do {                                                                     \
        long long a_ = (long long)(a), b_ = (long long)(b);                  \
        if (a_ != b_)                                                        \
            FAILF("%s == %s: %lld != %lld", #a, #b, a_, b_);                 \
    } while (0)
#define CHECK_NEAR(a, b, tol)                                                \
    do {                                                                     \
        double a_ = (double)(a), b_ = (double)(b);                           \
        if (!(fabs(a_ - b_) <= (tol)))                                       \
            FAILF("%s ~ %s: %.9g vs %.9g (tol %g)", #a, #b, a_, b_, (double)(tol)); \
    } while (0)
#define CHECK_STR(a, b)                                                      \
    do {                                                                     \
        const char *a_ = (a), *b_ = (b);                                     \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                               \
            FAILF("%s == %s: \"%s\" != \"%s\"", #a, #b, a_ ? a_ : "(null)",  \
                  b_ ? b_ : "(null)");                                       \
    } while (0)
#define CHECK_CONTAINS(hay, needle)                                          \
    do {                                                                     \
        const char *h_ = (hay), *n_ = (needle);                              \
        if (!h_ || !strstr(h_, n_))                                          \
            FAILF("\"%s\" does not contain \"%s\"", h_ ? h_ : "(null)", n_); \
    } while (0)
#define TEST_REPORT()                                                        \
    (printf("%d passed, %d failed\n", npu_test_st.passed, npu_test_st.failed), \
     npu_test_st.failed ? 1 : 0)

#endif
