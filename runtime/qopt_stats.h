/*===- qopt_stats.h - Clocks and process statistics of the runtime -*- C -*-===*/

#ifndef QOPT_STATS_H
#define QOPT_STATS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A monotonic clock in milliseconds. */
double qopt_now_ms(void);

/* The process's peak resident set in MiB (VmHWM of /proc/self/status: this
 * program's own, unlike getrusage's maxrss, which keeps the larger footprint
 * of a parent forked before exec); -1 where unreadable. */
double qopt_peak_rss_mib(void);

/* Sorts `values` ascending. */
void qopt_sort_doubles(double *values, size_t count);

#ifdef __cplusplus
}
#endif

#endif /* QOPT_STATS_H */
