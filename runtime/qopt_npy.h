/*===- qopt_npy.h - Reading and writing .npy tensors ------------*- C -*-===*/

#ifndef QOPT_NPY_H
#define QOPT_NPY_H

#include "qopt_runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A parsed .npy header. */
typedef struct {
  int32_t element_type; /* QOPT_FLOAT32, ...; 0 for a dtype the runtime lacks */
  char descr[8];        /* the numpy dtype string, e.g. "<f4" */
  int32_t rank;
  int64_t shape[16];
  size_t data_offset; /* bytes from the start of the file to the data */
} qopt_npy_header;

/* Parses the header at the start of `bytes` (`size` bytes, at least the
 * whole header). C order only. Returns 0 on success; otherwise writes a
 * message (prefixed by `name`) into `error` and returns -1. */
int qopt_npy_parse_header(const char *bytes, size_t size, const char *name, qopt_npy_header *header,
                          char *error, size_t error_size);

/* Reads `path` into `data`, which holds a tensor described by `info`. The
 * file's dtype and shape must match exactly. Returns 0 on success; otherwise
 * writes a message into `error` (of `error_size` bytes) and returns -1. */
int qopt_npy_read(const char *path, const qopt_tensor_info *info, void *data, char *error,
                  size_t error_size);

/* Writes `data` (a tensor described by `info`) to `path` as .npy v1.0. */
int qopt_npy_write(const char *path, const qopt_tensor_info *info, const void *data,
                   char *error, size_t error_size);

#ifdef __cplusplus
}
#endif

#endif /* QOPT_NPY_H */
