/*===- qopt_stats.c - Clocks and process statistics of the runtime ------===*/

#include "qopt_stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double qopt_now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

double qopt_peak_rss_mib(void) {
  FILE *status = fopen("/proc/self/status", "r");
  if (!status)
    return -1.0;
  char line[256];
  double kib = -1.0;
  while (fgets(line, sizeof(line), status))
    if (strncmp(line, "VmHWM:", 6) == 0) {
      kib = strtod(line + 6, NULL);
      break;
    }
  fclose(status);
  return kib < 0 ? -1.0 : kib / 1024.0;
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

void qopt_sort_doubles(double *values, size_t count) { qsort(values, count, sizeof(double), compare_doubles); }
