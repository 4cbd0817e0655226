/*===- qopt_generator.h - Text generation in qopt-compiled decoders -*- C -*-===*
 *
 * `qopt compile model.onnx --generate` compiles a decoder with a KV cache
 * (inputs input_ids, attention_mask, position_ids, past_key_values.N.key/
 * value; outputs logits, present.N.key/value) into step functions over a
 * cache that the generator keeps: a prefill step of `prefill_len` tokens
 * over all `max_seq_len` slots, and one-token decode steps over 64, 128,
 * ... up to max_seq_len slots, so that a decode step attends over the
 * smallest power-of-two span that holds the sequence so far:
 *
 *   qopt_generator *g = qopt_generator_create(error, sizeof error);
 *   qopt_generator_prefill(g, prompt, n, error, sizeof error);   logits of the last token
 *   while (...) {
 *     int64_t token = qopt_generator_sample(g, &sampling, &rng);
 *     qopt_generator_step(g, token, error, sizeof error);
 *   }
 *   qopt_generator_free(g);
 *
 * The cache and every step buffer are allocated once, by create; prefill
 * and step allocate nothing. A step of n tokens at position p over S slots
 * runs the compiled graph with past = the cache laid out [kv_heads][S]
 * [head_size] (slots >= p masked out by attention_mask; moving to a larger
 * or smaller S moves the p valid slots of each head once), position_ids
 * p..p+n-1, and stores the n new keys and values from present into slots
 * p..p+n-1 in the cache's format (qopt_decoder_info.kv_format: quantized
 * keys requantize the group of slots they join, whose float values the
 * generator keeps until the group is full). Functions returning int give 0
 * on success, or -1 with a message in `error`.
 *
 *===--------------------------------------------------------------------===*/

#ifndef QOPT_GENERATOR_H
#define QOPT_GENERATOR_H

#include <stddef.h>
#include <stdint.h>

#include "qopt_runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One compiled step function: `tokens` new tokens after a past of `slots`
 * cache slots (qopt_model_info's conventions: buffers are inputs, then
 * outputs). */
typedef struct {
  const qopt_model_info *model;
  void (*run)(void **buffers);
  int64_t tokens, slots;
} qopt_decoder_step;

/* Where a compiled decoder's tensors are: graph input and output indices
 * (the same in every step function), and its steps, written by the
 * compiler. */
typedef struct {
  int32_t input_ids, attention_mask, position_ids; /* input indices; -1 when absent */
  int32_t logits;                                  /* output index */
  int32_t num_layers;
  const int32_t *past;    /* [num_layers][2]: key, value input indices */
  const int32_t *present; /* [num_layers][2]: key, value output indices */
  int64_t kv_heads, head_size, vocab;
  int64_t max_seq_len; /* cache slots: the longest sequence */
  int64_t prefill_len; /* tokens per prefill step */
  int32_t num_steps;
  /* The prefill step (prefill_len tokens over max_seq_len slots), then the
   * one-token decode steps by increasing slots, the last max_seq_len. */
  const qopt_decoder_step *steps;
  /* How the cache is stored (qopt-quantize-kv-cache): the past inputs are
   * float32, float16, or uint8 codes (int4: two a byte, channel c in the
   * low nibble of byte c and channel c + head_size/2 in the high one) with
   * float32 scale and offset inputs, x = code * scale + offset: keys per
   * channel over groups of kv_group slots ([1, kv_heads, slots/kv_group,
   * head_size]), values per slot over groups of min(kv_group, head_size/2)
   * channels ([1, kv_heads, slots, groups]). */
  int32_t kv_format; /* QOPT_KV_* */
  int32_t kv_group;
  const int32_t *past_scale;  /* [num_layers][2] input indices; -1 for float formats */
  const int32_t *past_offset; /* [num_layers][2] */
} qopt_decoder_info;

enum { QOPT_KV_F32 = 0, QOPT_KV_F16 = 1, QOPT_KV_INT8 = 2, QOPT_KV_INT4 = 3 };

extern const qopt_decoder_info qopt_decoder;

typedef struct qopt_generator qopt_generator;

/* Sampling: temperature <= 0 (or top_k == 1) is greedy (argmax); otherwise
 * softmax(logits / temperature) restricted to the top_k most likely tokens
 * (0: all) and then to the smallest set whose probability reaches top_p
 * (>= 1: all), sampled with a 64-bit PRNG whose state the caller keeps. */
typedef struct {
  float temperature;
  int32_t top_k;
  float top_p;
} qopt_sampling;

/* Timings of qopt_generate. */
typedef struct {
  double prefill_ms;   /* the prompt's steps */
  double first_token_ms; /* prefill and the first sampled token */
  double decode_ms;    /* the one-token steps */
  int64_t decode_steps;
} qopt_generation_timing;

qopt_generator *qopt_generator_create(char *error, size_t error_size);
void qopt_generator_free(qopt_generator *generator);
/* Empties the cache. */
void qopt_generator_reset(qopt_generator *generator);
/* Appends `count` tokens (at least one) and computes the logits of the last. */
int qopt_generator_prefill(qopt_generator *generator, const int64_t *tokens, int64_t count, char *error,
                           size_t error_size);
/* Appends one token and computes its logits. */
int qopt_generator_step(qopt_generator *generator, int64_t token, char *error, size_t error_size);
/* The logits of the last token appended ([vocab] floats). */
const float *qopt_generator_logits(const qopt_generator *generator);
/* Tokens in the cache. */
int64_t qopt_generator_length(const qopt_generator *generator);
const qopt_decoder_info *qopt_generator_info(const qopt_generator *generator);

/* A token drawn from `logits` ([vocab]). */
int64_t qopt_sample(const float *logits, int64_t vocab, const qopt_sampling *sampling, uint64_t *rng_state);
/* A PRNG state for `seed`. */
uint64_t qopt_rng_seed(uint64_t seed);

/* Prefill with `prompt`, then sample and step until `max_new_tokens`
 * tokens, `eos` (when >= 0) or a full cache. Writes the new tokens to
 * `generated` (room for max_new_tokens) and their count to *count; the
 * logits of each new token to `logits` ([max_new_tokens][vocab]) unless
 * null. Returns 0, or -1 with a message. */
int qopt_generate(qopt_generator *generator, const int64_t *prompt, int64_t prompt_count,
                  int64_t max_new_tokens, int64_t eos, const qopt_sampling *sampling, uint64_t seed,
                  int64_t *generated, int64_t *count, float *logits, qopt_generation_timing *timing,
                  char *error, size_t error_size);

#ifdef __cplusplus
}
#endif

#endif /* QOPT_GENERATOR_H */
