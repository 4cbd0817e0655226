/*===- qopt_runtime.h - The C ABI of qopt-compiled models -------*- C -*-===*
 *
 * An object compiled by `qopt compile --emit obj|lib|exe` defines:
 *
 *   const qopt_model_info qopt_model;      names, element types, shapes
 *   void qopt_model_run(void **buffers);   buffers: inputs, then outputs
 *
 * Buffers are dense row-major arrays of the tensors' static shapes; the
 * caller allocates outputs. The runtime library adds .npy I/O, timing and a
 * main() for standalone executables; it needs only libc and libm.
 *
 *===--------------------------------------------------------------------===*/

#ifndef QOPT_RUNTIME_H
#define QOPT_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Element types, numbered as ONNX TensorProto.DataType numbers them. */
enum {
  QOPT_FLOAT32 = 1,
  QOPT_UINT8 = 2,
  QOPT_INT8 = 3,
  QOPT_UINT16 = 4,
  QOPT_INT16 = 5,
  QOPT_INT32 = 6,
  QOPT_INT64 = 7,
  QOPT_BOOL = 9,
  QOPT_FLOAT16 = 10,
  QOPT_FLOAT64 = 11,
  QOPT_UINT32 = 12,
  QOPT_UINT64 = 13,
  QOPT_BFLOAT16 = 16,
};

typedef struct {
  const char *name;
  int32_t element_type; /* QOPT_FLOAT32, ... */
  int32_t rank;
  const int64_t *shape;
} qopt_tensor_info;

typedef struct {
  int32_t num_inputs;
  int32_t num_outputs;
  const qopt_tensor_info *inputs;
  const qopt_tensor_info *outputs;
} qopt_model_info;

extern const qopt_model_info qopt_model;
void qopt_model_run(void **buffers);

/* Bytes of one element of `element_type`; 0 if unknown. */
size_t qopt_element_size(int32_t element_type);
/* Elements of a tensor. */
int64_t qopt_num_elements(const qopt_tensor_info *info);

#ifdef __cplusplus
}
#endif

#endif /* QOPT_RUNTIME_H */
