/*===- qopt_npy.h - Reading and writing .npy tensors ------------*- C -*-===*/

#ifndef QOPT_NPY_H
#define QOPT_NPY_H

#include "qopt_runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

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
