/* Sustained DRAM read bandwidth: T OpenMP threads sum a large int64 buffer.
 *
 *   read_bandwidth [--threads T] [--mib SIZE] [--passes P]
 *
 * Each thread first touches and then repeatedly sums its own static slice of
 * a SIZE MiB buffer (default 1024, far beyond any last-level cache). A thread
 * reads its slice as S concurrent sequential streams (S = 1, 2, 4; chunks
 * of 64 int64 from each in turn, the streams offset so that they do not alias
 * in the caches): one stream per core does not saturate the memory system
 * on every machine, and weight-streaming kernels read several rows at once.
 * Integer addition is associative, so -O3 -march=native vectorizes the
 * chunks into wide loads. Prints one JSON line with the best pass over all S
 * in GB/s (1e9 bytes per second), as bench/qlinear_kernels.py reads it, and
 * the best pass of each S:
 *
 *   {"threads": 2, "mib": 1024, "passes": 5, "best_gbps": 31.2, "by_streams": {"1": 30.1, ...}}
 *
 * Build: clang-22 -O3 -march=native -fopenmp read_bandwidth.c -o read_bandwidth
 */
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CHUNK = 64, STREAM_PAD = 9 * CHUNK + 8 };

static long parse_positive(const char *flag, const char *text) {
  char *end;
  long value = strtol(text, &end, 10);
  if (*end || value < 1) {
    fprintf(stderr, "error: %s needs a positive integer, not '%s'\n", flag, text);
    exit(2);
  }
  return value;
}

/* Sums each thread's slice as `streams` interleaved sequential streams; returns the bytes read. */
static size_t sum_pass(const int64_t *buffer, size_t count, int streams, int64_t *checksum) {
  size_t bytes = 0;
  int64_t sum = 0;
#pragma omp parallel reduction(+ : sum, bytes)
  {
    size_t per_thread = count / (size_t)omp_get_num_threads();
    const int64_t *slice = buffer + per_thread * (size_t)omp_get_thread_num();
    size_t length = (per_thread - (size_t)streams * STREAM_PAD) / (size_t)streams / CHUNK * CHUNK;
    int64_t local = 0;
    for (size_t i = 0; i < length; i += CHUNK)
      for (int s = 0; s < streams; ++s) {
        const int64_t *chunk = slice + (size_t)s * (length + STREAM_PAD) + i;
        for (int j = 0; j < CHUNK; ++j)
          local += chunk[j];
      }
    sum += local;
    bytes += length * (size_t)streams * sizeof(int64_t);
  }
  *checksum += sum;
  return bytes;
}

int main(int argc, char **argv) {
  long threads = omp_get_max_threads(), mib = 1024, passes = 5;
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
  /* First touch with the same static split as the reads. */
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < count; ++i)
    buffer[i] = (int64_t)(i & 1023);

  static const int stream_counts[] = {1, 2, 4};
  double best[3] = {0}, overall = 0;
  int64_t checksum = 0;
  for (int k = 0; k < 3; ++k)
    for (long p = 0; p < passes + 1; ++p) { /* pass 0 warms up */
      double start = omp_get_wtime();
      size_t bytes = sum_pass(buffer, count, stream_counts[k], &checksum);
      double gbps = (double)bytes / (omp_get_wtime() - start) / 1e9;
      if (p > 0 && gbps > best[k])
        best[k] = gbps;
    }
  for (int k = 0; k < 3; ++k)
    overall = best[k] > overall ? best[k] : overall;
  printf("{\"threads\": %ld, \"mib\": %ld, \"passes\": %ld, \"best_gbps\": %.3f, \"by_streams\": {", threads,
         mib, passes, overall);
  for (int k = 0; k < 3; ++k)
    printf("%s\"%d\": %.3f", k ? ", " : "", stream_counts[k], best[k]);
  printf("}, \"checksum\": %lld}\n", (long long)checksum);
  free(buffer);
  return 0;
}
