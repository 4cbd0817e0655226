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

/* The value of `key` in the header dict, as text up to the next top-level
 * comma (or the closing parenthesis of a tuple). */
static const char *find_value(const char *header, const char *key) {
  const char *at = strstr(header, key);
  if (!at)
    return NULL;
  at = strchr(at + strlen(key), ':');
  if (!at)
    return NULL;
  ++at;
  while (*at == ' ')
    ++at;
  return at;
}

static void format_shape(const int64_t *shape, int rank, char *out, size_t size) {
  size_t used = (size_t)snprintf(out, size, "(");
  for (int i = 0; i < rank && used < size; ++i)
    used += (size_t)snprintf(out + used, size - used, "%s%lld", i ? ", " : "", (long long)shape[i]);
  if (used < size)
    snprintf(out + used, size - used, "%s)", rank == 1 ? "," : "");
}

int qopt_npy_read(const char *path, const qopt_tensor_info *info, void *data, char *error,
                  size_t error_size) {
  FILE *file = fopen(path, "rb");
  if (!file)
    return fail(error, error_size, "%s: cannot open for reading", path);
  unsigned char preamble[10];
  int status = -1;
  char *header = NULL;
  if (fread(preamble, 1, 8, file) != 8 || memcmp(preamble, "\x93NUMPY", 6) != 0) {
    fail(error, error_size, "%s: not a .npy file", path);
    goto done;
  }
  size_t header_length;
  if (preamble[6] == 1) {
    if (fread(preamble + 8, 1, 2, file) != 2)
      goto truncated;
    header_length = (size_t)preamble[8] | ((size_t)preamble[9] << 8);
  } else {
    unsigned char length[4];
    if (fread(length, 1, 4, file) != 4)
      goto truncated;
    header_length = (size_t)length[0] | ((size_t)length[1] << 8) | ((size_t)length[2] << 16) |
                    ((size_t)length[3] << 24);
  }
  header = (char *)malloc(header_length + 1);
  if (!header || fread(header, 1, header_length, file) != header_length)
    goto truncated;
  header[header_length] = '\0';

  const char *descr = find_value(header, "'descr'");
  const char *expected_descr = descr_of(info->element_type);
  if (!descr || !expected_descr || strncmp(descr + 1, expected_descr, 3) != 0) {
    fail(error, error_size, "%s: input '%s' needs dtype %s, the file has %.6s", path, info->name,
         expected_descr ? expected_descr : "?", descr ? descr : "none");
    goto done;
  }
  const char *fortran = find_value(header, "'fortran_order'");
  if (!fortran || strncmp(fortran, "False", 5) != 0) {
    fail(error, error_size, "%s: Fortran-ordered arrays are not supported", path);
    goto done;
  }
  const char *shape_text = find_value(header, "'shape'");
  int64_t shape[16];
  int rank = 0;
  if (!shape_text || *shape_text != '(') {
    fail(error, error_size, "%s: no shape in the header", path);
    goto done;
  }
  for (const char *p = shape_text + 1; *p && *p != ')';) {
    char *end;
    long long dim = strtoll(p, &end, 10);
    if (end == p) {
      ++p;
      continue;
    }
    if (rank == 16) {
      fail(error, error_size, "%s: rank over 16", path);
      goto done;
    }
    shape[rank++] = dim;
    p = end;
  }
  int matches = rank == info->rank;
  for (int i = 0; matches && i < rank; ++i)
    matches = shape[i] == info->shape[i];
  if (!matches) {
    char want[256], got[256];
    format_shape(info->shape, info->rank, want, sizeof(want));
    format_shape(shape, rank, got, sizeof(got));
    fail(error, error_size, "%s: input '%s' needs shape %s, the file has %s", path, info->name,
         want, got);
    goto done;
  }
  size_t bytes = (size_t)qopt_num_elements(info) * qopt_element_size(info->element_type);
  if (fread(data, 1, bytes, file) != bytes)
    goto truncated;
  status = 0;
  goto done;
truncated:
  fail(error, error_size, "%s: the file is truncated", path);
done:
  free(header);
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
