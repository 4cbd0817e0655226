/*===- qopt_main.c - main() of standalone qopt executables --------------===*
 *
 *   model --input x=in.npy [--input ...] [--output y=out.npy ...] [--bench N]
 *         [--threads N]
 *   model --info
 *
 * Inputs are matched by name; every model input must be given. Outputs not
 * named are computed and dropped. --bench N runs the model N more times
 * after one warm-up run and prints latency statistics as JSON. --threads N
 * sets the number of threads of the parallel kernels (default: the OpenMP
 * runtime's, OMP_NUM_THREADS or one per core).
 *
 *===--------------------------------------------------------------------===*/

#include "qopt_npy.h"
#include "qopt_stats.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The OpenMP runtime (libomp) runs the kernels' parallel loops. */
void omp_set_num_threads(int count);

static const qopt_tensor_info *find_tensor(const qopt_tensor_info *list, int count,
                                           const char *name, int *index) {
  for (int i = 0; i < count; ++i)
    if (strcmp(list[i].name, name) == 0) {
      *index = i;
      return &list[i];
    }
  return NULL;
}

static void print_tensors(const char *title, const qopt_tensor_info *list, int count) {
  printf("%s\n", title);
  for (int i = 0; i < count; ++i) {
    printf("  %s element_type=%d shape=[", list[i].name, list[i].element_type);
    for (int d = 0; d < list[i].rank; ++d)
      printf("%s%lld", d ? ", " : "", (long long)list[i].shape[d]);
    printf("]\n");
  }
}

static int usage(const char *program) {
  fprintf(stderr,
          "usage: %s --input NAME=FILE.npy ... [--output NAME=FILE.npy ...] [--bench N] [--threads N]\n"
          "       %s --info\n",
          program, program);
  return 2;
}

int main(int argc, char **argv) {
  /* The model's intermediate buffers are allocated and freed on every run.
   * glibc would map large ones afresh each time (and fault in every page
   * again): keep freed memory in the heap for the next run instead. */
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, -1);
  const qopt_model_info *model = &qopt_model;
  const int total = model->num_inputs + model->num_outputs;
  void **buffers = (void **)calloc((size_t)(total ? total : 1), sizeof(void *));
  const char **output_paths = (const char **)calloc((size_t)(model->num_outputs + 1), sizeof(char *));
  char *input_given = (char *)calloc((size_t)(model->num_inputs + 1), 1);
  long bench = 0;
  char error[1024];

  for (int i = 0; i < model->num_inputs; ++i)
    buffers[i] = malloc((size_t)qopt_num_elements(&model->inputs[i]) *
                            qopt_element_size(model->inputs[i].element_type) + 1);
  for (int i = 0; i < model->num_outputs; ++i)
    buffers[model->num_inputs + i] =
        malloc((size_t)qopt_num_elements(&model->outputs[i]) *
                   qopt_element_size(model->outputs[i].element_type) + 1);

  for (int a = 1; a < argc; ++a) {
    const char *arg = argv[a];
    if (strcmp(arg, "--info") == 0) {
      print_tensors("inputs", model->inputs, model->num_inputs);
      print_tensors("outputs", model->outputs, model->num_outputs);
      return 0;
    }
    if (strcmp(arg, "--bench") == 0 && a + 1 < argc) {
      char *end;
      bench = strtol(argv[++a], &end, 10);
      if (*end || bench < 1) {
        fprintf(stderr, "error: --bench needs a positive count, not '%s'\n", argv[a]);
        return 2;
      }
      continue;
    }
    if (strcmp(arg, "--threads") == 0 && a + 1 < argc) {
      char *end;
      long threads = strtol(argv[++a], &end, 10);
      if (*end || threads < 1 || threads > 4096) {
        fprintf(stderr, "error: --threads needs a positive count, not '%s'\n", argv[a]);
        return 2;
      }
      omp_set_num_threads((int)threads);
      continue;
    }
    int is_input = strcmp(arg, "--input") == 0, is_output = strcmp(arg, "--output") == 0;
    if ((!is_input && !is_output) || a + 1 >= argc)
      return usage(argv[0]);
    char *spec = argv[++a];
    char *equals = strchr(spec, '=');
    if (!equals) {
      fprintf(stderr, "error: '%s' is not NAME=FILE.npy\n", spec);
      return 2;
    }
    *equals = '\0';
    int index;
    const qopt_tensor_info *info =
        is_input ? find_tensor(model->inputs, model->num_inputs, spec, &index)
                 : find_tensor(model->outputs, model->num_outputs, spec, &index);
    if (!info) {
      fprintf(stderr, "error: the model has no %s named '%s' (see --info)\n",
              is_input ? "input" : "output", spec);
      return 2;
    }
    if (is_input) {
      if (qopt_npy_read(equals + 1, info, buffers[index], error, sizeof(error)) != 0) {
        fprintf(stderr, "error: %s\n", error);
        return 1;
      }
      input_given[index] = 1;
    } else {
      output_paths[index] = equals + 1;
    }
  }
  for (int i = 0; i < model->num_inputs; ++i)
    if (!input_given[i]) {
      fprintf(stderr, "error: input '%s' is not given (--input %s=FILE.npy)\n",
              model->inputs[i].name, model->inputs[i].name);
      return 2;
    }

  qopt_model_run(buffers);
  for (int i = 0; i < model->num_outputs; ++i)
    if (output_paths[i] &&
        qopt_npy_write(output_paths[i], &model->outputs[i], buffers[model->num_inputs + i], error,
                       sizeof(error)) != 0) {
      fprintf(stderr, "error: %s\n", error);
      return 1;
    }

  if (bench > 0) {
    double *times = (double *)malloc((size_t)bench * sizeof(double));
    double sum = 0;
    for (long r = 0; r < bench; ++r) {
      double start = qopt_now_ms();
      qopt_model_run(buffers);
      times[r] = qopt_now_ms() - start;
      sum += times[r];
    }
    qopt_sort_doubles(times, (size_t)bench);
    printf("{\"runs\": %ld, \"min_ms\": %.6f, \"median_ms\": %.6f, \"mean_ms\": %.6f, "
           "\"p90_ms\": %.6f, \"max_ms\": %.6f, \"peak_rss_mib\": %.1f}\n",
           bench, times[0], times[bench / 2], sum / (double)bench,
           times[(long)((double)(bench - 1) * 0.9)], times[bench - 1], qopt_peak_rss_mib());
    free(times);
  }
  return 0;
}
