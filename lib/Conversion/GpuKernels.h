//===- GpuKernels.h - Generated GPU kernels of quantized ops ----*- C++ -*-===//
//
// The GPU kernel of qopt.qlinear over row_major weights with float
// activations (W4A16, W8A16), generated as one gpu.launch (NVVM after
// convert-gpu-to-nvvm):
//
// - a warp per output column n, 4 warps per block; the warp reads weight
//   row n front to back, each lane 16 bytes (32 int4 or 16 int8 codes) per
//   step, so a step of the warp is one coalesced 512-byte read;
// - codes are dequantized in registers: an unsigned code u becomes the
//   float 2^23 + u by OR-ing it into the exponent bits of 2^23 (no
//   int-to-float conversion, which runs at a quarter of the FMA rate), the
//   zero point (with 2^23) is subtracted exactly, then the group's scale
//   multiplies; signed codes are offset by 2^(b-1) with an XOR first;
// - each lane multiplies its codes with the matching inputs of up to 8 rows
//   of x, and the 8 partial sums are reduced across the warp by shuffles.
//
// Row_major storage is already this kernel's layout: a weight row is
// contiguous, 16-byte aligned when K is a multiple of 32 codes. No float
// copy of the weight exists.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_LIB_CONVERSION_GPUKERNELS_H
#define QOPT_LIB_CONVERSION_GPUKERNELS_H

#include "KernelConfig.h"

#include "mlir/IR/Builders.h"

#include <string>

namespace qopt {

/// Whether the GPU kernel covers `op` (a row_major qopt.qlinear); if not,
/// why, in `reason`.
bool isCoveredByGpuKernel(QLinearOp op, std::string *reason = nullptr);

/// Writes the body of a row_major kernel declaration: one gpu.launch, to be
/// outlined as the GPU kernel `name`.
void buildGpuQLinearKernel(mlir::OpBuilder &b, mlir::Location loc, llvm::StringRef name,
                           const QLinearKernelConfig &config, const QLinearKernelArgs &args);

} // namespace qopt

#endif // QOPT_LIB_CONVERSION_GPUKERNELS_H
