/*===- qopt_runtime.c - Support code linked into compiled models --------===*
 *
 * Functions the generated code may call (memrefCopy) and tensor helpers.
 * No MLIR or LLVM runtime library is needed by emitted binaries.
 *
 *===--------------------------------------------------------------------===*/

#include "qopt_runtime.h"

#include <string.h>

size_t qopt_element_size(int32_t element_type) {
  switch (element_type) {
  case QOPT_FLOAT32:
  case QOPT_INT32:
  case QOPT_UINT32:
    return 4;
  case QOPT_UINT8:
  case QOPT_INT8:
  case QOPT_BOOL:
    return 1;
  case QOPT_INT64:
  case QOPT_UINT64:
  case QOPT_FLOAT64:
    return 8;
  case QOPT_FLOAT16:
  case QOPT_BFLOAT16:
  case QOPT_INT16:
  case QOPT_UINT16:
    return 2;
  default:
    return 0;
  }
}

int64_t qopt_num_elements(const qopt_tensor_info *info) {
  int64_t n = 1;
  for (int32_t i = 0; i < info->rank; ++i)
    n *= info->shape[i];
  return n;
}

/* MLIR's memref.copy for layouts it cannot lower to a memcpy calls
 * memrefCopy(elementSize, UnrankedMemRefType *src, UnrankedMemRefType *dst).
 * An unranked memref is {int64 rank; void *descriptor}; a ranked descriptor is
 * {T *allocated; T *aligned; int64 offset; int64 sizes[rank]; int64 strides[rank]}. */
typedef struct {
  int64_t rank;
  void *descriptor;
} qopt_unranked_memref;

typedef struct {
  char *allocated;
  char *aligned;
  int64_t offset;
  int64_t sizes_and_strides[];
} qopt_strided_memref;

void memrefCopy(int64_t element_size, qopt_unranked_memref *src_unranked,
                qopt_unranked_memref *dst_unranked) {
  const int64_t rank = src_unranked->rank;
  const qopt_strided_memref *src = (const qopt_strided_memref *)src_unranked->descriptor;
  const qopt_strided_memref *dst = (const qopt_strided_memref *)dst_unranked->descriptor;
  const int64_t *sizes = src->sizes_and_strides;
  const int64_t *src_strides = src->sizes_and_strides + rank;
  const int64_t *dst_strides = dst->sizes_and_strides + rank;
  int64_t total = 1;
  for (int64_t d = 0; d < rank; ++d)
    total *= sizes[d];
  if (total == 0)
    return;
  /* Odometer over the index space, one element at a time. */
  int64_t index[rank > 0 ? rank : 1];
  memset(index, 0, sizeof(index));
  for (int64_t n = 0; n < total; ++n) {
    int64_t src_offset = src->offset, dst_offset = dst->offset;
    for (int64_t d = 0; d < rank; ++d) {
      src_offset += index[d] * src_strides[d];
      dst_offset += index[d] * dst_strides[d];
    }
    memcpy(dst->aligned + dst_offset * element_size, src->aligned + src_offset * element_size,
           (size_t)element_size);
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++index[d] < sizes[d])
        break;
      index[d] = 0;
    }
  }
}
