/*===- qopt_generate_main.c - main() of qopt --generate executables -----===*
 *
 *   model --prompt 1,15,27 | --prompt-file ids.npy
 *         [--max-new-tokens N] [--eos ID] [--temperature T] [--top-k K]
 *         [--top-p P] [--seed S] [--threads N] [--output ids.npy]
 *         [--logits logits.npy] [--repeat R]
 *   model --info
 *
 * Runs prefill on the prompt (token ids: a comma-separated list, or an
 * int64/int32 .npy of shape [n] or [1, n]), then samples and decodes, and
 * prints JSON: the prompt and generated ids, time to first token, prefill
 * and decode tokens per second, peak RSS. --output writes the generated
 * ids (int64 [count]); --logits the logits each was sampled from (float32
 * [count, vocab]). --repeat R generates R times and reports the median
 * timings (the ids of the last run). Defaults: 32 new tokens, greedy, no
 * EOS.
 *
 *===--------------------------------------------------------------------===*/

#include "qopt_generator.h"
#include "qopt_npy.h"
#include "qopt_stats.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void omp_set_num_threads(int count);

static int usage(const char *program) {
  fprintf(stderr,
          "usage: %s (--prompt ID,ID,... | --prompt-file ids.npy) [--max-new-tokens N] [--eos ID]\n"
          "          [--temperature T] [--top-k K] [--top-p P] [--seed S] [--threads N]\n"
          "          [--output ids.npy] [--logits logits.npy] [--repeat R]\n"
          "       %s --info\n",
          program, program);
  return 2;
}

static int parse_integer(const char *text, const char *option, long long low, long long high, long long *value) {
  char *end;
  errno = 0;
  long long parsed = strtoll(text, &end, 10);
  if (errno || *end || end == text || parsed < low || parsed > high) {
    fprintf(stderr, "error: %s needs an integer in [%lld, %lld], not '%s'\n", option, low, high, text);
    return -1;
  }
  *value = parsed;
  return 0;
}

static int parse_real(const char *text, const char *option, double low, double high, double *value) {
  char *end;
  errno = 0;
  double parsed = strtod(text, &end);
  if (errno || *end || end == text || !(parsed >= low && parsed <= high)) {
    fprintf(stderr, "error: %s needs a number in [%g, %g], not '%s'\n", option, low, high, text);
    return -1;
  }
  *value = parsed;
  return 0;
}

/* "1,2,3" -> ids; the count in *count. */
static int64_t *parse_prompt(const char *text, int64_t *count) {
  int64_t capacity = 1;
  for (const char *c = text; *c; ++c)
    capacity += *c == ',';
  int64_t *ids = (int64_t *)malloc((size_t)capacity * sizeof(int64_t));
  *count = 0;
  const char *c = text;
  while (ids && *c) {
    char *end;
    errno = 0;
    long long id = strtoll(c, &end, 10);
    if (errno || end == c || (*end && *end != ',')) {
      fprintf(stderr, "error: --prompt '%s' is not a comma-separated list of token ids\n", text);
      free(ids);
      return NULL;
    }
    ids[(*count)++] = id;
    c = *end ? end + 1 : end;
  }
  if (ids && *count == 0) {
    fprintf(stderr, "error: --prompt is empty\n");
    free(ids);
    return NULL;
  }
  return ids;
}

/* Token ids from an int64 or int32 .npy of shape [n] or [1, n]. */
static int64_t *read_prompt_file(const char *path, int64_t *count) {
  FILE *file = fopen(path, "rb");
  if (!file) {
    fprintf(stderr, "error: %s: %s\n", path, strerror(errno));
    return NULL;
  }
  char head[4096];
  size_t got = fread(head, 1, sizeof(head), file);
  qopt_npy_header header;
  char error[512];
  if (qopt_npy_parse_header(head, got, path, &header, error, sizeof(error)) != 0) {
    fprintf(stderr, "error: %s\n", error);
    fclose(file);
    return NULL;
  }
  int ok_type = header.element_type == QOPT_INT64 || header.element_type == QOPT_INT32;
  int ok_shape = header.rank == 1 || (header.rank == 2 && header.shape[0] == 1);
  if (!ok_type || !ok_shape) {
    fprintf(stderr, "error: %s: the prompt must be int64 or int32 of shape [n] or [1, n], not %s of rank %d\n",
            path, header.descr, header.rank);
    fclose(file);
    return NULL;
  }
  int64_t n = header.shape[header.rank - 1];
  size_t width = header.element_type == QOPT_INT64 ? 8 : 4;
  int64_t *ids = (int64_t *)malloc((size_t)(n ? n : 1) * sizeof(int64_t));
  unsigned char *raw = (unsigned char *)malloc((size_t)(n ? n : 1) * width);
  if (!ids || !raw || fseek(file, (long)header.data_offset, SEEK_SET) != 0 ||
      fread(raw, width, (size_t)n, file) != (size_t)n) {
    fprintf(stderr, "error: %s: truncated (%lld token ids expected)\n", path, (long long)n);
    free(ids);
    free(raw);
    fclose(file);
    return NULL;
  }
  fclose(file);
  for (int64_t i = 0; i < n; ++i) {
    if (width == 8)
      memcpy(&ids[i], raw + 8 * i, 8);
    else {
      int32_t v;
      memcpy(&v, raw + 4 * i, 4);
      ids[i] = v;
    }
  }
  free(raw);
  *count = n;
  return ids;
}

static double median(double *values, int count) {
  qopt_sort_doubles(values, (size_t)count);
  return values[count / 2];
}

int main(int argc, char **argv) {
  /* The steps allocate and free their intermediate buffers on every call:
   * keep freed memory in the heap rather than mapping (and faulting in)
   * large buffers afresh each token, as qopt_main does. */
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, -1);
  const qopt_decoder_info *info = &qopt_decoder;
  const char *prompt_text = NULL, *prompt_file = NULL, *output_path = NULL, *logits_path = NULL;
  long long max_new = 32, eos = -1, seed = 0, repeat = 1, value;
  double temperature = 0.0, top_p = 1.0, real;
  long long top_k = 0;
  for (int a = 1; a < argc; ++a) {
    const char *arg = argv[a];
    if (strcmp(arg, "--info") == 0) {
      static const char *const formats[] = {"f32", "f16", "int8", "int4"};
      const int format = info->kv_format >= 0 && info->kv_format <= 3 ? info->kv_format : 0;
      printf("{\"layers\": %d, \"kv_heads\": %lld, \"head_size\": %lld, \"vocab\": %lld, "
             "\"max_seq_len\": %lld, \"prefill_len\": %lld, \"kv_cache\": \"%s\", \"kv_group\": %d}\n",
             info->num_layers, (long long)info->kv_heads, (long long)info->head_size, (long long)info->vocab,
             (long long)info->max_seq_len, (long long)info->prefill_len, formats[format], (int)info->kv_group);
      return 0;
    }
    if (a + 1 >= argc)
      return usage(argv[0]);
    const char *next = argv[++a];
    if (strcmp(arg, "--prompt") == 0)
      prompt_text = next;
    else if (strcmp(arg, "--prompt-file") == 0)
      prompt_file = next;
    else if (strcmp(arg, "--output") == 0)
      output_path = next;
    else if (strcmp(arg, "--logits") == 0)
      logits_path = next;
    else if (strcmp(arg, "--max-new-tokens") == 0) {
      if (parse_integer(next, arg, 0, info->max_seq_len, &max_new))
        return 2;
    } else if (strcmp(arg, "--eos") == 0) {
      if (parse_integer(next, arg, -1, info->vocab - 1, &eos))
        return 2;
    } else if (strcmp(arg, "--seed") == 0) {
      if (parse_integer(next, arg, 0, (long long)(~0ull >> 1), &seed))
        return 2;
    } else if (strcmp(arg, "--repeat") == 0) {
      if (parse_integer(next, arg, 1, 100000, &repeat))
        return 2;
    } else if (strcmp(arg, "--top-k") == 0) {
      if (parse_integer(next, arg, 0, info->vocab, &top_k))
        return 2;
    } else if (strcmp(arg, "--threads") == 0) {
      if (parse_integer(next, arg, 1, 4096, &value))
        return 2;
      omp_set_num_threads((int)value);
    } else if (strcmp(arg, "--temperature") == 0) {
      if (parse_real(next, arg, 0.0, 1e6, &temperature))
        return 2;
    } else if (strcmp(arg, "--top-p") == 0) {
      if (parse_real(next, arg, 0.0, 1.0, &real))
        return 2;
      top_p = real;
    } else
      return usage(argv[0]);
  }
  if (!prompt_text == !prompt_file) {
    fprintf(stderr, "error: give the prompt with exactly one of --prompt and --prompt-file\n");
    return 2;
  }
  int64_t prompt_count = 0;
  int64_t *prompt = prompt_text ? parse_prompt(prompt_text, &prompt_count) : read_prompt_file(prompt_file, &prompt_count);
  if (!prompt)
    return 1;

  char error[1024];
  qopt_generator *generator = qopt_generator_create(error, sizeof(error));
  if (!generator) {
    fprintf(stderr, "error: %s\n", error);
    return 1;
  }
  int64_t *generated = (int64_t *)malloc((size_t)(max_new + 1) * sizeof(int64_t));
  float *logits = logits_path ? (float *)malloc((size_t)(max_new + 1) * (size_t)info->vocab * sizeof(float)) : NULL;
  double *ttft = (double *)malloc((size_t)repeat * sizeof(double));
  double *prefill = (double *)malloc((size_t)repeat * sizeof(double));
  double *decode = (double *)malloc((size_t)repeat * sizeof(double));
  qopt_sampling sampling = {(float)temperature, (int32_t)top_k, (float)top_p};
  int64_t count = 0, steps = 0;
  for (long long r = 0; r < repeat; ++r) {
    qopt_generation_timing timing;
    if (qopt_generate(generator, prompt, prompt_count, max_new, eos, &sampling, (uint64_t)seed, generated, &count,
                      logits, &timing, error, sizeof(error)) != 0) {
      fprintf(stderr, "error: %s\n", error);
      return 1;
    }
    ttft[r] = timing.first_token_ms;
    prefill[r] = timing.prefill_ms;
    decode[r] = timing.decode_steps ? timing.decode_ms / (double)timing.decode_steps : 0.0;
    steps = timing.decode_steps;
  }
  if (output_path) {
    int64_t shape[1] = {count};
    qopt_tensor_info tensor = {"generated", QOPT_INT64, 1, shape};
    if (qopt_npy_write(output_path, &tensor, generated, error, sizeof(error)) != 0) {
      fprintf(stderr, "error: %s\n", error);
      return 1;
    }
  }
  if (logits_path) {
    int64_t shape[2] = {count, info->vocab};
    qopt_tensor_info tensor = {"logits", QOPT_FLOAT32, 2, shape};
    if (qopt_npy_write(logits_path, &tensor, logits, error, sizeof(error)) != 0) {
      fprintf(stderr, "error: %s\n", error);
      return 1;
    }
  }
  double prefill_ms = median(prefill, (int)repeat), decode_ms = median(decode, (int)repeat);
  printf("{\"prompt_tokens\": %lld, \"generated_tokens\": %lld, \"decode_steps\": %lld, \"runs\": %lld, "
         "\"ttft_ms\": %.4f, \"prefill_ms\": %.4f, \"prefill_tok_s\": %.2f, \"decode_ms_per_token\": %.4f, "
         "\"decode_tok_s\": %.2f, \"peak_rss_mib\": %.1f, \"ids\": [",
         (long long)prompt_count, (long long)count, (long long)steps, repeat, median(ttft, (int)repeat), prefill_ms,
         prefill_ms > 0 ? (double)prompt_count * 1e3 / prefill_ms : 0.0, decode_ms,
         decode_ms > 0 ? 1e3 / decode_ms : 0.0, qopt_peak_rss_mib());
  for (int64_t i = 0; i < count; ++i)
    printf("%s%lld", i ? ", " : "", (long long)generated[i]);
  printf("]}\n");
  qopt_generator_free(generator);
  return 0;
}
