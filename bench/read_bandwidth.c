/* Sustained DRAM read bandwidth: T OpenMP threads sum a large int64 buffer.
 *
 *   read_bandwidth [--threads T] [--mib SIZE] [--passes P]
 *
 * Each thread first touches and then repeatedly sums its own static slice
 * of a SIZE MiB buffer (default 1024, far beyond any last-level cache);
 * integer addition is associative, so -O3 -march=native vectorizes the loop
 * into wide loads with independent accumulators. Prints one JSON line with the
 * best pass in GB/s (1e9 bytes per second), as bench/qlinear_kernels.py
 * reads it:
 *
 *   {"threads": 2, "mib": 1024, "passes": 8, "best_gbps": 31.2, "median_gbps": 30.8}
 *
 * Build: clang-22 -O3 -march=native -fopenmp read_bandwidth.c -o read_bandwidth
 */
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static long parse_positive(const char *flag, const char *text) {
  char *end;
  long value = strtol(text, &end, 10);
  if (*end || value < 1) {
    fprintf(stderr, "error: %s needs a positive integer, not '%s'\n", flag, text);
    exit(2);
  }
  return value;
}

int main(int argc, char **argv) {
  long threads = omp_get_max_threads(), mib = 1024, passes = 8;
  for (int a = 1; a < argc; ++a) {
    if (a + 1 < argc && strcmp(argv[a], "--threads") == 0)
      threads = parse_positive(argv[a], argv[a + 1]), ++a;
    else if (a + 1 < argc && strcmp(argv[a], "--mib") == 0)
      mib = parse_positive(argv[a], argv[a + 1]), ++a;
    else if (a + 1 < argc && strcmp(argv[a], "--passes") == 0)
      passes = parse_positive(argv[a], argv[a + 1]), ++a;
    else {
      fprintf(stderr, "usage: %s [--threads T] [--mib SIZE] [--passes P]\n", argv[0]);
      return 2;
    }
  }
  omp_set_num_threads((int)threads);

  const size_t count = (size_t)mib * 1024 * 1024 / sizeof(int64_t);
  int64_t *buffer = (int64_t *)aligned_alloc(64, count * sizeof(int64_t));
  if (!buffer) {
    fprintf(stderr, "error: cannot allocate %ld MiB\n", mib);
    return 1;
  }
  /* First touch with the same static schedule as the reads. */
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < count; ++i)
    buffer[i] = (int64_t)(i & 1023);

  double *gbps = (double *)malloc((size_t)passes * sizeof(double));
  int64_t checksum = 0;
  for (long p = 0; p < passes + 1; ++p) { /* pass 0 warms up */
    int64_t sum = 0;
    double start = omp_get_wtime();
#pragma omp parallel for schedule(static) reduction(+ : sum)
    for (size_t i = 0; i < count; ++i)
      sum += buffer[i];
    double seconds = omp_get_wtime() - start;
    checksum += sum;
    if (p > 0)
      gbps[p - 1] = (double)(count * sizeof(int64_t)) / seconds / 1e9;
  }
  qsort(gbps, (size_t)passes, sizeof(double), compare_doubles);
  printf("{\"threads\": %ld, \"mib\": %ld, \"passes\": %ld, \"best_gbps\": %.3f, "
         "\"median_gbps\": %.3f, \"checksum\": %lld}\n",
         threads, mib, passes, gbps[passes - 1], gbps[passes / 2], (long long)checksum);
  free(gbps);
  free(buffer);
  return 0;
}
