//===- Passes.h - qopt lowering passes --------------------------*- C++ -*-===//

#ifndef QOPT_CONVERSION_PASSES_H
#define QOPT_CONVERSION_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir {
class OpPassManager;
namespace arith {
class ArithDialect;
} // namespace arith
namespace linalg {
class LinalgDialect;
} // namespace linalg
namespace tensor {
class TensorDialect;
} // namespace tensor
namespace bufferization {
class BufferizationDialect;
} // namespace bufferization
namespace func {
class FuncDialect;
} // namespace func
namespace math {
class MathDialect;
} // namespace math
namespace memref {
class MemRefDialect;
} // namespace memref
namespace scf {
class SCFDialect;
} // namespace scf
namespace vector {
class VectorDialect;
} // namespace vector
namespace LLVM {
class LLVMDialect;
} // namespace LLVM
namespace gpu {
class GPUDialect;
} // namespace gpu
namespace nvgpu {
class NVGPUDialect;
} // namespace nvgpu
namespace affine {
class AffineDialect;
} // namespace affine
} // namespace mlir

namespace qopt {

#define GEN_PASS_DECL
#include "qopt/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "qopt/Conversion/Passes.h.inc"

/// The CPU pipeline from tensor-level IR (linalg/tensor/arith/math and qopt)
/// to the LLVM dialect: qopt -> linalg, elementwise fusion, one-shot
/// bufferization with results as out-parameters, loops, LLVM. The entry
/// function takes bare pointers (static shapes): inputs, then outputs.
struct CpuPipelineOptions {
  /// Instructions of the quantized kernels: avx2, avx512 or avx512-vnni
  /// (qopt-generate-cpu-kernels).
  std::string isa = "avx2";
  /// Repack quantized weights for the generated kernels; off, every
  /// quantized layer takes the reference lowering (dequantize, matmul).
  bool generatedKernels = true;
};
void buildCpuLoweringPipeline(mlir::OpPassManager &pm, const CpuPipelineOptions &options = {});

/// The CUDA pipeline from tensor-level IR to the LLVM dialect: the host
/// program (bare-pointer entry taking host buffers, as for the CPU) drives
/// kernels compiled to a fatbin (or cubin/PTX) embedded in the module as a
/// gpu.binary. Quantized linears run generated GEMV kernels
/// (qopt-generate-gpu-kernels); the rest of the linalg program runs as
/// parallel loops mapped to blocks of threads.
struct CudaPipelineOptions {
  std::string chip = "sm_80";
  /// PTX ISA version and other NVPTX features ("+ptx80").
  std::string features = "+ptx80";
  /// What gpu-module-to-binary embeds: "fatbin", "bin" (cubin) or "isa"
  /// (PTX, JIT-compiled by the driver; needs no toolkit).
  std::string format = "fatbin";
  /// The CUDA toolkit (ptxas, fatbinary, libdevice).
  std::string toolkitPath = "/usr/local/cuda";
  /// Leading entry arguments that are inputs (qopt-place-on-device).
  int64_t inputs = -1;
  /// Quantized linears through the generated GPU kernels; off, through the
  /// reference lowering (dequantize, then matmul loops).
  bool generatedKernels = true;
};
void buildCudaLoweringPipeline(mlir::OpPassManager &pm, const CudaPipelineOptions &options = {});

} // namespace qopt

#endif // QOPT_CONVERSION_PASSES_H
