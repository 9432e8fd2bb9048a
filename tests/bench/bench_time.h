/* bench_time.h — what the benchmark programs share: the process's CPU time (the machine is
 * shared: wall time measures the neighbours) and a comparison for qsort of doubles (medians). */
#ifndef NPU_BENCH_TIME_H
#define NPU_BENCH_TIME_H

#include <time.h>

static inline double bench_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static inline int bench_cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#endif
