/*===- qopt_generator.c - Text generation in qopt-compiled decoders -----===*
 *
 * See qopt_generator.h. The compiled object defines the step functions and
 * the tensor map (qopt_decoder).
 *
 *===--------------------------------------------------------------------===*/

#include "qopt_generator.h"

#include "qopt_runtime.h"
#include "qopt_stats.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One compiled step function and its buffers: inputs, then outputs; the
 * past inputs point into the generator's cache. */
typedef struct {
  const qopt_model_info *model;
  void (*run)(void **);
  int64_t tokens; /* new tokens per call */
  int64_t slots;  /* past cache slots */
  void **buffers;
} step_function;

/* One plane of one layer's keys or values: per KV head, rows of row_bytes
 * bytes, one row per slots_per_row slots (codes: one per slot; key scales:
 * one per slot group). */
typedef struct {
  char *data;
  size_t row_bytes;
  int64_t slots_per_row;
} cache_plane;

enum { PLANE_CODES, PLANE_SCALE, PLANE_OFFSET, NUM_PLANES };

/* The most slots or channels one scale covers. */
#define MAX_GROUP 256

struct qopt_generator {
  const qopt_decoder_info *info;
  /* [layers][key, value][codes, scale, offset]; scale and offset only for
   * quantized formats. */
  cache_plane *planes;
  /* Quantized keys: the float keys of each head's slot group in progress,
   * [layers][kv_heads][kv_group][head_size], and their range per channel,
   * [layers][kv_heads][head_size] each. */
  float *pending_keys, *pending_low, *pending_high;
  int64_t layout; /* slots per head the planes are laid out for */
  int64_t length;
  int num_steps;
  step_function *steps; /* as qopt_decoder.steps: prefill, then decode by slots */
  float *logits;        /* [vocab] */
};

static int fail(char *error, size_t size, const char *format, ...) {
  va_list args;
  va_start(args, format);
  if (error && size)
    vsnprintf(error, size, format, args);
  va_end(args);
  return -1;
}

static int is_quantized(const qopt_decoder_info *info) {
  return info->kv_format == QOPT_KV_INT8 || info->kv_format == QOPT_KV_INT4;
}

/* Channels per value scale group. */
static int64_t value_group(const qopt_decoder_info *info) {
  return info->kv_group < info->head_size / 2 ? info->kv_group : info->head_size / 2;
}

/* Elements per row of a plane, and their type. */
static int64_t plane_width(const qopt_decoder_info *info, int role, int plane) {
  if (plane == PLANE_CODES)
    return info->kv_format == QOPT_KV_INT4 ? info->head_size / 2 : info->head_size;
  return role == 0 ? info->head_size : info->head_size / value_group(info);
}

static int32_t plane_type(const qopt_decoder_info *info, int plane) {
  if (plane != PLANE_CODES || info->kv_format == QOPT_KV_F32)
    return QOPT_FLOAT32;
  return info->kv_format == QOPT_KV_F16 ? QOPT_FLOAT16 : QOPT_UINT8;
}

static cache_plane *plane_of(const qopt_generator *g, int layer, int role, int plane) {
  return &g->planes[((size_t)layer * 2 + (size_t)role) * NUM_PLANES + (size_t)plane];
}

/* Rows per head of `plane` laid out for `slots` slots. */
static int64_t plane_rows(const cache_plane *plane, int64_t slots) {
  return (slots + plane->slots_per_row - 1) / plane->slots_per_row;
}

/* Row `row` of head `head` at the current layout. */
static char *plane_row(const qopt_generator *g, const cache_plane *plane, int64_t head, int64_t row) {
  return plane->data + ((size_t)head * (size_t)plane_rows(plane, g->layout) + (size_t)row) * plane->row_bytes;
}

/* Lays the cache out with `slots` slots per head, moving the rows of the
 * `length` valid slots of each head (rows past them keep finite stale or
 * zero values, masked out). */
static void set_layout(qopt_generator *g, int64_t slots) {
  if (slots == g->layout)
    return;
  const qopt_decoder_info *info = g->info;
  for (int i = 0; i < 2 * info->num_layers * NUM_PLANES; ++i) {
    const cache_plane *plane = &g->planes[i];
    if (!plane->data)
      continue;
    const size_t from = (size_t)plane_rows(plane, g->layout) * plane->row_bytes,
                 to = (size_t)plane_rows(plane, slots) * plane->row_bytes,
                 valid = (size_t)plane_rows(plane, g->length) * plane->row_bytes;
    if (to < from)
      for (int64_t h = 1; h < info->kv_heads; ++h) /* moving down: ascending heads */
        memmove(plane->data + (size_t)h * to, plane->data + (size_t)h * from, valid);
    else
      for (int64_t h = info->kv_heads - 1; h >= 1; --h) /* moving up: descending heads */
        memmove(plane->data + (size_t)h * to, plane->data + (size_t)h * from, valid);
  }
  g->layout = slots;
}

/* Allocates the planes of every layer's keys and values for max_seq_len
 * slots in the decoder's format. */
static int create_planes(qopt_generator *g, char *error, size_t size) {
  const qopt_decoder_info *info = g->info;
  if (info->kv_format < QOPT_KV_F32 || info->kv_format > QOPT_KV_INT4)
    return fail(error, size, "the decoder's KV-cache format %d is unknown", (int)info->kv_format);
  if (is_quantized(info) && (info->kv_group < 1 || info->kv_group > MAX_GROUP || info->max_seq_len % info->kv_group ||
                             info->head_size % 2 ||
                             (info->head_size / 2) % value_group(info)))
    return fail(error, size, "the decoder's KV-cache groups (%d) do not fit its cache", (int)info->kv_group);
  g->planes = (cache_plane *)calloc((size_t)info->num_layers * 2 * NUM_PLANES, sizeof(cache_plane));
  if (!g->planes)
    return fail(error, size, "out of memory");
  for (int layer = 0; layer < info->num_layers; ++layer)
    for (int role = 0; role < 2; ++role)
      for (int p = 0; p < (is_quantized(info) ? NUM_PLANES : 1); ++p) {
        cache_plane *plane = plane_of(g, layer, role, p);
        plane->slots_per_row = p != PLANE_CODES && role == 0 ? info->kv_group : 1;
        plane->row_bytes = (size_t)plane_width(info, role, p) * qopt_element_size(plane_type(info, p));
        plane->data = (char *)calloc((size_t)info->kv_heads * (size_t)plane_rows(plane, info->max_seq_len),
                                     plane->row_bytes);
        if (!plane->data)
          return fail(error, size, "out of memory for a cache of %lld slots", (long long)info->max_seq_len);
      }
  if (is_quantized(info)) {
    const size_t channels = (size_t)info->num_layers * (size_t)info->kv_heads * (size_t)info->head_size;
    g->pending_keys = (float *)calloc(channels * (size_t)info->kv_group, sizeof(float));
    g->pending_low = (float *)calloc(channels, sizeof(float));
    g->pending_high = (float *)calloc(channels, sizeof(float));
    if (!g->pending_keys || !g->pending_low || !g->pending_high)
      return fail(error, size, "out of memory");
  }
  return 0;
}

static void free_planes(qopt_generator *g) {
  for (int i = 0; g->planes && i < 2 * g->info->num_layers * NUM_PLANES; ++i)
    free(g->planes[i].data);
  free(g->planes);
  free(g->pending_keys);
  free(g->pending_low);
  free(g->pending_high);
}

/* ------------------------------------------------------ storing entries */

/* IEEE binary16 of `value`, rounded to nearest even. */
static uint16_t to_half(float value) {
  uint32_t bits;
  memcpy(&bits, &value, sizeof bits);
  const uint32_t sign = (bits >> 16) & 0x8000u, magnitude = bits & 0x7fffffffu;
  if (magnitude > 0x7f800000u) /* NaN */
    return (uint16_t)(sign | 0x7e00u);
  if (magnitude >= 0x477ff000u) /* rounds to infinity (65520 and up) */
    return (uint16_t)(sign | 0x7c00u);
  if (magnitude < 0x38800000u) { /* below 2^-14: a subnormal half */
    float scaled;
    uint32_t m = magnitude;
    memcpy(&scaled, &m, sizeof scaled);
    return (uint16_t)(sign | (uint32_t)lrintf(scaled * 16777216.0f)); /* units of 2^-24 */
  }
  const uint32_t rounded = magnitude + 0xfffu + ((magnitude >> 13) & 1u);
  return (uint16_t)(sign | ((rounded - 0x38000000u) >> 13));
}

/* The scale of values in [low, high] coded into [0, levels]. */
static float step_of(float low, float high, int levels) {
  float step = (high - low) / (float)levels;
  return step > 0.0f ? step : 1.0f; /* constant: every code 0 gives `low` exactly */
}

static uint8_t code_of(float value, float low, float step, int levels) {
  long code = lrintf((value - low) * (1.0f / step));
  return (uint8_t)(code < 0 ? 0 : code > levels ? levels : code);
}

/* Asymmetric codes of values[0..count) (stride apart) into [0, levels]:
 * writes the codes and returns scale and offset. */
static void quantize_range(const float *values, int64_t count, int64_t stride, int levels, uint8_t *codes,
                           float *scale, float *offset) {
  float low = values[0], high = values[0];
  for (int64_t i = 1; i < count; ++i) {
    float v = values[i * stride];
    low = v < low ? v : low;
    high = v > high ? v : high;
  }
  const float step = step_of(low, high, levels);
  for (int64_t i = 0; i < count; ++i)
    codes[i] = code_of(values[i * stride], low, step, levels);
  *scale = step;
  *offset = low;
}

/* Writes code `code` of channel `channel` into a row of codes. */
static void put_code(const qopt_decoder_info *info, uint8_t *row, int64_t channel, uint8_t code) {
  if (info->kv_format == QOPT_KV_INT8) {
    row[channel] = code;
    return;
  }
  const int64_t half = info->head_size / 2, byte = channel % half;
  const int shift = channel < half ? 0 : 4;
  row[byte] = (uint8_t)((row[byte] & ~(0xf << shift)) | (code << shift));
}

/* Stores the float entry `row` ([head_size]) of head `head` at `slot`. */
static void store_entry(qopt_generator *g, int layer, int role, int64_t head, int64_t slot, const float *row) {
  const qopt_decoder_info *info = g->info;
  const int64_t d = info->head_size;
  cache_plane *codes = plane_of(g, layer, role, PLANE_CODES);
  char *target = plane_row(g, codes, head, slot);
  if (info->kv_format == QOPT_KV_F32) {
    memcpy(target, row, (size_t)d * sizeof(float));
    return;
  }
  if (info->kv_format == QOPT_KV_F16) {
    uint16_t *half = (uint16_t *)target;
    for (int64_t c = 0; c < d; ++c)
      half[c] = to_half(row[c]);
    return;
  }
  const int levels = info->kv_format == QOPT_KV_INT8 ? 255 : 15;
  if (role == 1) { /* values: per slot, groups of channels */
    const int64_t width = value_group(info);
    float *scales = (float *)plane_row(g, plane_of(g, layer, 1, PLANE_SCALE), head, slot);
    float *offsets = (float *)plane_row(g, plane_of(g, layer, 1, PLANE_OFFSET), head, slot);
    uint8_t group_codes[MAX_GROUP];
    for (int64_t j = 0; j * width < d; ++j) {
      quantize_range(row + j * width, width, 1, levels, group_codes, &scales[j], &offsets[j]);
      for (int64_t i = 0; i < width; ++i)
        put_code(info, (uint8_t *)target, j * width + i, group_codes[i]);
    }
    return;
  }
  /* Keys: per channel over the slot group, as if quantized over the slots
   * it has so far. A key within its channel's range so far takes a code of
   * the group's scale; one outside it widens the range and the channel's
   * column of the group is quantized again. */
  const int64_t width = info->kv_group, index = slot % width, group = slot / width;
  const size_t channels = ((size_t)layer * (size_t)info->kv_heads + (size_t)head) * (size_t)d;
  float *pending = g->pending_keys + channels * (size_t)width;
  float *low = g->pending_low + channels, *high = g->pending_high + channels;
  float *scales = (float *)plane_row(g, plane_of(g, layer, 0, PLANE_SCALE), head, group);
  float *offsets = (float *)plane_row(g, plane_of(g, layer, 0, PLANE_OFFSET), head, group);
  memcpy(pending + (size_t)index * (size_t)d, row, (size_t)d * sizeof(float));
  uint8_t column[MAX_GROUP];
  for (int64_t c = 0; c < d; ++c) {
    const float x = row[c];
    if (index > 0 && x >= low[c] && x <= high[c]) {
      put_code(info, (uint8_t *)target, c, code_of(x, low[c], scales[c], levels));
      continue;
    }
    low[c] = index == 0 || x < low[c] ? x : low[c];
    high[c] = index == 0 || x > high[c] ? x : high[c];
    quantize_range(pending + c, index + 1, d, levels, column, &scales[c], &offsets[c]);
    for (int64_t i = 0; i <= index; ++i)
      put_code(info, (uint8_t *)plane_row(g, codes, head, group * width + i), c, column[i]);
  }
}

static int check_tensor(const qopt_tensor_info *tensor, int32_t type, int rank, const int64_t *shape,
                        const char *step, char *error, size_t size) {
  int ok = tensor->element_type == type && tensor->rank == rank;
  for (int d = 0; ok && d < rank; ++d)
    ok = tensor->shape[d] == shape[d];
  return ok ? 0 : fail(error, size, "the %s step's tensor '%s' does not have the shape the decoder map says",
                       step, tensor->name);
}

/* Checks the step function's tensors against the decoder map and allocates
 * its buffers. */
static int init_step(qopt_generator *g, step_function *step, const qopt_decoder_step *compiled, char *error,
                     size_t size) {
  const qopt_decoder_info *info = g->info;
  const qopt_model_info *model = compiled->model;
  char name[64];
  snprintf(name, sizeof(name), "%lld-token/%lld-slot", (long long)compiled->tokens, (long long)compiled->slots);
  step->model = model;
  step->run = compiled->run;
  step->tokens = compiled->tokens;
  step->slots = compiled->slots;
  if (info->input_ids < 0 || info->input_ids >= model->num_inputs || info->logits < 0 ||
      info->logits >= model->num_outputs)
    return fail(error, size, "the %s step lacks input_ids or logits", name);
  if (step->slots < 1 || step->slots > info->max_seq_len || step->tokens < 1)
    return fail(error, size, "the %s step does not fit the cache", name);
  const int64_t s = step->tokens, t = step->slots;
  const int64_t ids_shape[2] = {1, s}, mask_shape[2] = {1, t + s}, logits_shape[3] = {1, s, info->vocab};
  const int64_t present_shape[4] = {1, info->kv_heads, t + s, info->head_size};
  if (check_tensor(&model->inputs[info->input_ids], QOPT_INT64, 2, ids_shape, name, error, size) ||
      (info->position_ids >= 0 &&
       check_tensor(&model->inputs[info->position_ids], QOPT_INT64, 2, ids_shape, name, error, size)) ||
      (info->attention_mask >= 0 &&
       check_tensor(&model->inputs[info->attention_mask], QOPT_INT64, 2, mask_shape, name, error, size)) ||
      check_tensor(&model->outputs[info->logits], QOPT_FLOAT32, 3, logits_shape, name, error, size))
    return -1;
  step->buffers = (void **)calloc((size_t)(model->num_inputs + model->num_outputs), sizeof(void *));
  if (!step->buffers)
    return fail(error, size, "out of memory");
  for (int layer = 0; layer < info->num_layers; ++layer)
    for (int role = 0; role < 2; ++role) {
      const int32_t inputs[NUM_PLANES] = {
          info->past[2 * layer + role], is_quantized(info) ? info->past_scale[2 * layer + role] : -1,
          is_quantized(info) ? info->past_offset[2 * layer + role] : -1};
      const int output = info->present[2 * layer + role];
      if (output < 0 || output >= model->num_outputs)
        return fail(error, size, "the %s step lacks a present output", name);
      if (check_tensor(&model->outputs[output], QOPT_FLOAT32, 4, present_shape, name, error, size))
        return -1;
      for (int p = 0; p < NUM_PLANES; ++p) {
        const cache_plane *plane = plane_of(g, layer, role, p);
        if (!plane->data)
          continue;
        const int input = inputs[p];
        const int64_t shape[4] = {1, info->kv_heads, plane_rows(plane, t), plane_width(info, role, p)};
        if (input < 0 || input >= model->num_inputs)
          return fail(error, size, "the %s step lacks a KV-cache input", name);
        if (check_tensor(&model->inputs[input], plane_type(info, p), 4, shape, name, error, size))
          return -1;
        step->buffers[input] = plane->data;
      }
    }
  for (int i = 0; i < model->num_inputs + model->num_outputs; ++i) {
    if (step->buffers[i])
      continue;
    const qopt_tensor_info *tensor = i < model->num_inputs ? &model->inputs[i] : &model->outputs[i - model->num_inputs];
    step->buffers[i] = calloc((size_t)qopt_num_elements(tensor) * qopt_element_size(tensor->element_type) + 1, 1);
    if (!step->buffers[i])
      return fail(error, size, "out of memory for the %s step's '%s'", name, tensor->name);
  }
  return 0;
}

static void free_step(qopt_generator *g, step_function *step) {
  if (!step->buffers)
    return;
  for (int i = 0; i < step->model->num_inputs + step->model->num_outputs; ++i) {
    int is_cache = 0; /* the cache's planes belong to the generator */
    for (int p = 0; i < step->model->num_inputs && p < 2 * g->info->num_layers * NUM_PLANES; ++p)
      is_cache |= g->planes[p].data && step->buffers[i] == g->planes[p].data;
    if (!is_cache)
      free(step->buffers[i]);
  }
  free(step->buffers);
}

qopt_generator *qopt_generator_create(char *error, size_t size) {
  qopt_generator *g = (qopt_generator *)calloc(1, sizeof(qopt_generator));
  if (!g) {
    fail(error, size, "out of memory");
    return NULL;
  }
  g->info = &qopt_decoder;
  g->layout = g->info->max_seq_len;
  g->logits = (float *)calloc((size_t)g->info->vocab + 1, sizeof(float));
  if (!g->logits) {
    fail(error, size, "out of memory");
    qopt_generator_free(g);
    return NULL;
  }
  if (create_planes(g, error, size)) {
    qopt_generator_free(g);
    return NULL;
  }
  g->steps = (step_function *)calloc((size_t)g->info->num_steps + 1, sizeof(step_function));
  if (!g->steps || g->info->num_steps < 2 || g->info->steps[0].tokens < 2) {
    fail(error, size, g->steps ? "the decoder has no prefill and decode steps" : "out of memory");
    qopt_generator_free(g);
    return NULL;
  }
  g->num_steps = g->info->num_steps;
  for (int i = 0; i < g->num_steps; ++i)
    if (init_step(g, &g->steps[i], &g->info->steps[i], error, size)) {
      qopt_generator_free(g);
      return NULL;
    }
  return g;
}

void qopt_generator_free(qopt_generator *g) {
  if (!g)
    return;
  for (int i = 0; g->steps && i < g->num_steps; ++i)
    free_step(g, &g->steps[i]);
  free(g->steps);
  free_planes(g);
  free(g->logits);
  free(g);
}

void qopt_generator_reset(qopt_generator *g) { g->length = 0; }

/* The decode step for the next token: the fewest slots above the length. */
static step_function *decode_step(qopt_generator *g) {
  for (int i = 1; i < g->num_steps; ++i)
    if (g->steps[i].slots > g->length)
      return &g->steps[i];
  return &g->steps[g->num_steps - 1];
}

const float *qopt_generator_logits(const qopt_generator *g) { return g->logits; }
int64_t qopt_generator_length(const qopt_generator *g) { return g->length; }
const qopt_decoder_info *qopt_generator_info(const qopt_generator *g) { return g->info; }

/* Runs `step` on tokens[0..count) (count <= step->tokens; the rest padded,
 * masked out) at the current length, stores their keys and values in the
 * cache and keeps the last token's logits. */
static void run_step(qopt_generator *g, step_function *step, const int64_t *tokens, int64_t count) {
  const qopt_decoder_info *info = g->info;
  set_layout(g, step->slots);
  const int64_t s = step->tokens, t = step->slots, p = g->length;
  int64_t *ids = (int64_t *)step->buffers[info->input_ids];
  for (int64_t i = 0; i < s; ++i)
    ids[i] = i < count ? tokens[i] : 0;
  if (info->position_ids >= 0) {
    int64_t *positions = (int64_t *)step->buffers[info->position_ids];
    for (int64_t i = 0; i < s; ++i)
      positions[i] = p + (i < count ? i : count - 1); /* padding: a position the model knows */
  }
  if (info->attention_mask >= 0) {
    int64_t *mask = (int64_t *)step->buffers[info->attention_mask];
    for (int64_t j = 0; j < t; ++j)
      mask[j] = j < p;
    for (int64_t i = 0; i < s; ++i)
      mask[t + i] = i < count;
  }
  step->run(step->buffers);
  const size_t row = (size_t)info->head_size;
  for (int layer = 0; layer < info->num_layers; ++layer)
    for (int role = 0; role < 2; ++role) {
      const float *present = (const float *)step->buffers[step->model->num_inputs + info->present[2 * layer + role]];
      for (int64_t h = 0; h < info->kv_heads; ++h)
        for (int64_t i = 0; i < count; ++i)
          store_entry(g, layer, role, h, p + i, present + ((size_t)h * (size_t)(t + s) + (size_t)(t + i)) * row);
    }
  const float *logits = (const float *)step->buffers[step->model->num_inputs + info->logits];
  memcpy(g->logits, logits + (size_t)(count - 1) * (size_t)info->vocab, (size_t)info->vocab * sizeof(float));
  g->length += count;
}

static int check_tokens(const qopt_generator *g, const int64_t *tokens, int64_t count, char *error, size_t size) {
  if (count < 1)
    return fail(error, size, "the prompt is empty");
  if (g->length + count > g->info->max_seq_len)
    return fail(error, size, "%lld tokens after %lld exceed the compiled --max-seq-len %lld",
                (long long)count, (long long)g->length, (long long)g->info->max_seq_len);
  for (int64_t i = 0; i < count; ++i)
    if (tokens[i] < 0 || tokens[i] >= g->info->vocab)
      return fail(error, size, "token %lld (at %lld) is outside the vocabulary [0, %lld)", (long long)tokens[i],
                  (long long)i, (long long)g->info->vocab);
  return 0;
}

int qopt_generator_prefill(qopt_generator *g, const int64_t *tokens, int64_t count, char *error, size_t size) {
  if (check_tokens(g, tokens, count, error, size))
    return -1;
  while (count > 0) {
    step_function *step = count == 1 ? decode_step(g) : &g->steps[0];
    int64_t chunk = count < step->tokens ? count : step->tokens;
    run_step(g, step, tokens, chunk);
    tokens += chunk;
    count -= chunk;
  }
  return 0;
}

int qopt_generator_step(qopt_generator *g, int64_t token, char *error, size_t size) {
  if (check_tokens(g, &token, 1, error, size))
    return -1;
  run_step(g, decode_step(g), &token, 1);
  return 0;
}

/* ------------------------------------------------------------ sampling */

uint64_t qopt_rng_seed(uint64_t seed) { return seed ^ 0x9e3779b97f4a7c15ull; }

/* splitmix64: a uniform double in [0, 1). */
static double next_uniform(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return (double)(z >> 11) * (1.0 / 9007199254740992.0);
}

typedef struct {
  float logit;
  int64_t token;
} candidate;

static int by_logit_descending(const void *a, const void *b) {
  const candidate *x = (const candidate *)a, *y = (const candidate *)b;
  if (x->logit != y->logit)
    return x->logit < y->logit ? 1 : -1;
  return (x->token > y->token) - (x->token < y->token);
}

static int64_t argmax(const float *logits, int64_t vocab) {
  int64_t best = 0;
  for (int64_t i = 1; i < vocab; ++i)
    if (logits[i] > logits[best])
      best = i;
  return best;
}

int64_t qopt_sample(const float *logits, int64_t vocab, const qopt_sampling *sampling, uint64_t *rng) {
  if (!sampling || sampling->temperature <= 0.0f || sampling->top_k == 1)
    return argmax(logits, vocab);
  candidate *c = (candidate *)malloc((size_t)vocab * sizeof(candidate));
  if (!c)
    return argmax(logits, vocab);
  for (int64_t i = 0; i < vocab; ++i) {
    c[i].logit = logits[i];
    c[i].token = i;
  }
  qsort(c, (size_t)vocab, sizeof(candidate), by_logit_descending);
  int64_t kept = sampling->top_k > 0 && sampling->top_k < vocab ? sampling->top_k : vocab;
  double total = 0.0, *weight = (double *)malloc((size_t)kept * sizeof(double));
  if (!weight) {
    int64_t best = c[0].token;
    free(c);
    return best;
  }
  for (int64_t i = 0; i < kept; ++i) {
    weight[i] = exp(((double)c[i].logit - (double)c[0].logit) / (double)sampling->temperature);
    total += weight[i];
  }
  if (sampling->top_p > 0.0f && sampling->top_p < 1.0f) {
    double mass = 0.0;
    int64_t nucleus = 0;
    while (nucleus < kept && mass < sampling->top_p * total)
      mass += weight[nucleus++];
    kept = nucleus ? nucleus : 1;
    total = mass;
  }
  double draw = next_uniform(rng) * total, cumulative = 0.0;
  int64_t token = c[kept - 1].token;
  for (int64_t i = 0; i < kept; ++i) {
    cumulative += weight[i];
    if (draw < cumulative) {
      token = c[i].token;
      break;
    }
  }
  free(weight);
  free(c);
  return token;
}

/* ---------------------------------------------------------- generation */

int qopt_generate(qopt_generator *g, const int64_t *prompt, int64_t prompt_count, int64_t max_new_tokens,
                  int64_t eos, const qopt_sampling *sampling, uint64_t seed, int64_t *generated, int64_t *count,
                  float *logits, qopt_generation_timing *timing, char *error, size_t size) {
  qopt_generation_timing clock = {0, 0, 0, 0};
  uint64_t rng = qopt_rng_seed(seed);
  *count = 0;
  if (max_new_tokens < 0)
    return fail(error, size, "max_new_tokens is negative");
  qopt_generator_reset(g);
  double start = qopt_now_ms();
  if (qopt_generator_prefill(g, prompt, prompt_count, error, size))
    return -1;
  clock.prefill_ms = qopt_now_ms() - start;
  const size_t vocab = (size_t)g->info->vocab;
  while (*count < max_new_tokens) {
    if (logits)
      memcpy(logits + (size_t)*count * vocab, g->logits, vocab * sizeof(float));
    int64_t token = qopt_sample(g->logits, g->info->vocab, sampling, &rng);
    generated[(*count)++] = token;
    if (*count == 1)
      clock.first_token_ms = qopt_now_ms() - start;
    if (token == eos || *count == max_new_tokens || g->length == g->info->max_seq_len)
      break;
    double step_start = qopt_now_ms();
    run_step(g, decode_step(g), &token, 1);
    clock.decode_ms += qopt_now_ms() - step_start;
    clock.decode_steps += 1;
  }
  if (timing)
    *timing = clock;
  return 0;
}
