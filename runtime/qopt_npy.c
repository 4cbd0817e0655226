/*===- qopt_npy.c - Reading and writing .npy tensors --------------------===*
 *
 * The NumPy format: "\x93NUMPY", major/minor version, a little-endian header
 * length (2 bytes in v1, 4 in v2/v3), then a Python dict literal
 * {'descr': '<f4', 'fortran_order': False, 'shape': (1, 8), } padded so that
 * the data starts on a 64-byte boundary.
 *
 *===--------------------------------------------------------------------===*/

#include "qopt_npy.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *error, size_t error_size, const char *format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(error, error_size, format, args);
  va_end(args);
  return -1;
}

static const char *descr_of(int32_t element_type) {
  switch (element_type) {
  case QOPT_FLOAT32: return "<f4";
  case QOPT_FLOAT64: return "<f8";
  case QOPT_FLOAT16: return "<f2";
  case QOPT_INT8: return "|i1";
  case QOPT_UINT8: return "|u1";
  case QOPT_INT16: return "<i2";
  case QOPT_UINT16: return "<u2";
  case QOPT_UINT32: return "<u4";
  case QOPT_UINT64: return "<u8";
  case QOPT_INT32: return "<i4";
  case QOPT_INT64: return "<i8";
  case QOPT_BOOL: return "|b1";
  default: return NULL;
  }
}

/* Headers longer than this are refused before anything is allocated: numpy
 * writes a few hundred bytes for the dtypes the runtime reads (and refuses
 * over 10000 bytes itself by default). */
#define QOPT_NPY_MAX_HEADER 65536

/* The value of `key` (a bare name; quoted with ' or " in the header dict),
 * with leading spaces skipped. */
static const char *find_value(const char *header, const char *key) {
  char quoted[32];
  const char *at = NULL;
  for (int quote = 0; quote < 2 && !at; ++quote) {
    snprintf(quoted, sizeof(quoted), quote ? "\"%s\"" : "'%s'", key);
    at = strstr(header, quoted);
    if (at)
      at += strlen(quoted);
  }
  if (!at)
    return NULL;
  while (*at == ' ')
    ++at;
  if (*at != ':')
    return NULL;
  ++at;
  while (*at == ' ')
    ++at;
  return at;
}

/* The offset of the data, from the preamble ("\x93NUMPY", version, header
 * length): 0 with a message in `error` if it is not one the runtime reads.
 * `size` bytes are there (at least 10). */
static size_t data_offset_of(const unsigned char *p, size_t size, const char *name, char *error,
                             size_t error_size) {
  if (p[6] < 1 || p[6] > 3) {
    fail(error, error_size, "%s: .npy format version %d.%d is not one of 1.0, 2.0, 3.0", name, p[6],
         p[7]);
    return 0;
  }
  size_t start = p[6] == 1 ? 10 : 12;
  if (size < start) {
    fail(error, error_size, "%s: the file is truncated", name);
    return 0;
  }
  size_t length = p[6] == 1 ? ((size_t)p[8] | ((size_t)p[9] << 8))
                            : ((size_t)p[8] | ((size_t)p[9] << 8) | ((size_t)p[10] << 16) |
                               ((size_t)p[11] << 24));
  if (length > QOPT_NPY_MAX_HEADER) {
    fail(error, error_size, "%s: the header is %zu bytes long; headers over %d bytes are not read",
         name, length, QOPT_NPY_MAX_HEADER);
    return 0;
  }
  return start + length;
}

/* How much of the header text at `at` to quote in a message: `length` bytes
 * if given, else up to a closing parenthesis; never past a line end or 48
 * bytes. */
static int span_of(const char *at, size_t length) {
  size_t n = 0;
  while (n < 48 && at[n] && at[n] != '\n' && (length ? n < length : (n == 0 || at[n - 1] != ')')))
    ++n;
  while (n > 0 && at[n - 1] == ' ')
    --n;
  return (int)n;
}

static void format_shape(const int64_t *shape, int rank, char *out, size_t size) {
  size_t used = (size_t)snprintf(out, size, "(");
  for (int i = 0; i < rank && used < size; ++i)
    used += (size_t)snprintf(out + used, size - used, "%s%lld", i ? ", " : "", (long long)shape[i]);
  if (used < size)
    snprintf(out + used, size - used, "%s)", rank == 1 ? "," : "");
}

static int32_t element_type_of(const char *descr) {
  static const int32_t types[] = {QOPT_FLOAT32, QOPT_FLOAT64, QOPT_FLOAT16, QOPT_INT8, QOPT_UINT8,
                                  QOPT_INT16,   QOPT_UINT16,  QOPT_UINT32,  QOPT_UINT64, QOPT_INT32,
                                  QOPT_INT64,   QOPT_BOOL};
  for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); ++i)
    if (strcmp(descr_of(types[i]), descr) == 0)
      return types[i];
  return 0;
}

int qopt_npy_parse_header(const char *bytes, size_t size, const char *name, qopt_npy_header *header,
                          char *error, size_t error_size) {
  if (size < 10 || memcmp(bytes, "\x93NUMPY", 6) != 0)
    return fail(error, error_size, "%s: not a .npy file", name);
  const unsigned char *p = (const unsigned char *)bytes;
  size_t offset = data_offset_of(p, size, name, error, error_size);
  if (!offset)
    return -1;
  size_t start = p[6] == 1 ? 10 : 12, length = offset - start;
  if (size < offset)
    return fail(error, error_size, "%s: the file is truncated", name);
  char *text = (char *)malloc(length + 1);
  if (!text)
    return fail(error, error_size, "%s: out of memory", name);
  memcpy(text, bytes + start, length);
  text[length] = '\0';
  int status = -1;
  const char *descr = find_value(text, "descr");
  if (!descr) {
    fail(error, error_size, "%s: no dtype in the header", name);
    goto done;
  }
  const char *close = *descr == '\'' || *descr == '"' ? strchr(descr + 1, *descr) : NULL;
  if (!close || close - descr - 1 >= (ptrdiff_t)sizeof(header->descr) || close == descr + 1) {
    fail(error, error_size, "%s: dtype %.*s is not one the runtime reads", name,
         span_of(descr, close ? (size_t)(close - descr + 1) : 0), descr);
    goto done;
  }
  memcpy(header->descr, descr + 1, (size_t)(close - descr - 1));
  header->descr[close - descr - 1] = '\0';
  header->element_type = element_type_of(header->descr);
  const char *fortran = find_value(text, "fortran_order");
  if (!fortran || (strncmp(fortran, "False", 5) != 0 && strncmp(fortran, "True", 4) != 0)) {
    fail(error, error_size, "%s: no fortran_order in the header", name);
    goto done;
  }
  if (*fortran == 'T') {
    fail(error, error_size, "%s: Fortran-ordered arrays are not supported", name);
    goto done;
  }
  const char *shape_text = find_value(text, "shape");
  if (!shape_text || *shape_text != '(') {
    fail(error, error_size, "%s: no shape in the header", name);
    goto done;
  }
  /* A tuple of non-negative integers: "()", "(5,)", "(1, 8)". The byte size
   * of the data must fit in 63 bits (numpy's limit too). */
  header->rank = 0;
  const char *q = shape_text + 1;
  for (;;) {
    while (*q == ' ')
      ++q;
    if (*q == ')')
      break;
    if (*q < '0' || *q > '9') {
      fail(error, error_size, "%s: the shape %.*s is not a tuple of non-negative integers", name,
           span_of(shape_text, 0), shape_text);
      goto done;
    }
    if (header->rank == 16) {
      fail(error, error_size, "%s: a rank over 16", name);
      goto done;
    }
    int64_t dim = 0;
    for (; *q >= '0' && *q <= '9'; ++q) {
      if (dim > (INT64_MAX - 9) / 10) {
        fail(error, error_size, "%s: a dimension of the shape %.*s is too large", name,
             span_of(shape_text, 0), shape_text);
        goto done;
      }
      dim = dim * 10 + (*q - '0');
    }
    header->shape[header->rank++] = dim;
    while (*q == ' ')
      ++q;
    if (*q == ',')
      ++q;
    else if (*q != ')') {
      fail(error, error_size, "%s: the shape %.*s is not a tuple of non-negative integers", name,
           span_of(shape_text, 0), shape_text);
      goto done;
    }
  }
  int empty = 0;
  for (int i = 0; i < header->rank; ++i)
    empty |= header->shape[i] == 0;
  int64_t bytes_total = header->element_type ? (int64_t)qopt_element_size(header->element_type) : 1;
  for (int i = 0; i < header->rank && !empty; ++i) {
    if (bytes_total > INT64_MAX / header->shape[i]) {
      fail(error, error_size, "%s: the shape %.*s holds more bytes than can be addressed", name,
           span_of(shape_text, 0), shape_text);
      goto done;
    }
    bytes_total *= header->shape[i];
  }
  header->data_offset = offset;
  status = 0;
done:
  free(text);
  return status;
}

int qopt_npy_read(const char *path, const qopt_tensor_info *info, void *data, char *error,
                  size_t error_size) {
  FILE *file = fopen(path, "rb");
  if (!file)
    return fail(error, error_size, "%s: cannot open for reading", path);
  /* The preamble tells the header's length; then parse preamble + header. */
  unsigned char preamble[12];
  char *bytes = NULL;
  int status = -1;
  size_t got = fread(preamble, 1, sizeof(preamble), file);
  if (got < 10 || memcmp(preamble, "\x93NUMPY", 6) != 0) {
    fail(error, error_size, "%s: not a .npy file", path);
    goto done;
  }
  size_t total = data_offset_of(preamble, got, path, error, error_size);
  if (!total)
    goto done;
  bytes = (char *)malloc(total);
  if (!bytes || fseek(file, 0, SEEK_SET) != 0 || fread(bytes, 1, total, file) != total) {
    fail(error, error_size, "%s: the file is truncated", path);
    goto done;
  }
  qopt_npy_header header;
  if (qopt_npy_parse_header(bytes, total, path, &header, error, error_size) != 0)
    goto done;
  const char *expected_descr = descr_of(info->element_type);
  if (!expected_descr || strcmp(header.descr, expected_descr) != 0) {
    fail(error, error_size, "%s: input '%s' needs dtype %s, the file has '%s'", path, info->name,
         expected_descr ? expected_descr : "?", header.descr);
    goto done;
  }
  int matches = header.rank == info->rank;
  for (int i = 0; matches && i < header.rank; ++i)
    matches = header.shape[i] == info->shape[i];
  if (!matches) {
    char want[256], have[256];
    format_shape(info->shape, info->rank, want, sizeof(want));
    format_shape(header.shape, header.rank, have, sizeof(have));
    fail(error, error_size, "%s: input '%s' needs shape %s, the file has %s", path, info->name,
         want, have);
    goto done;
  }
  size_t size = (size_t)qopt_num_elements(info) * qopt_element_size(info->element_type);
  if (fread(data, 1, size, file) != size) {
    fail(error, error_size, "%s: the file is truncated", path);
    goto done;
  }
  if (fgetc(file) != EOF) {
    fail(error, error_size, "%s: the file has bytes after the %zu of its %s array", path, size,
         header.descr);
    goto done;
  }
  status = 0;
done:
  free(bytes);
  fclose(file);
  return status;
}

int qopt_npy_write(const char *path, const qopt_tensor_info *info, const void *data, char *error,
                   size_t error_size) {
  const char *descr = descr_of(info->element_type);
  if (!descr)
    return fail(error, error_size, "output '%s': element type %d has no .npy dtype", info->name,
                info->element_type);
  char shape[256], header[512];
  format_shape(info->shape, info->rank, shape, sizeof(shape));
  int length = snprintf(header, sizeof(header), "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                        descr, shape);
  /* Pad with spaces and a newline so that magic + 4 + header is a multiple of 64. */
  int total = 10 + length + 1;
  int padding = (64 - total % 64) % 64;
  memset(header + length, ' ', (size_t)padding);
  header[length + padding] = '\n';
  int header_length = length + padding + 1;
  /* Written beside the target and renamed: no half-written file on failure. */
  char temporary[4096];
  if (snprintf(temporary, sizeof(temporary), "%s.tmp", path) >= (int)sizeof(temporary))
    return fail(error, error_size, "%s: path too long", path);
  FILE *file = fopen(temporary, "wb");
  if (!file)
    return fail(error, error_size, "%s: cannot open for writing", path);
  unsigned char preamble[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                                (unsigned char)(header_length & 0xff),
                                (unsigned char)(header_length >> 8)};
  size_t bytes = (size_t)qopt_num_elements(info) * qopt_element_size(info->element_type);
  int ok = fwrite(preamble, 1, 10, file) == 10 &&
           fwrite(header, 1, (size_t)header_length, file) == (size_t)header_length &&
           fwrite(data, 1, bytes, file) == bytes;
  if (fclose(file) != 0 || !ok || rename(temporary, path) != 0) {
    remove(temporary);
    return fail(error, error_size, "%s: write failed", path);
  }
  return 0;
}
