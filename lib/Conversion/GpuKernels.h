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
// Rows M >= 17 (qopt-pack-weights{target=sm_80|sm_90}) take the
// tensor-core GEMM over the mma_sm80 layout (qopt/Quant/MmaLayout.h):
//
// - mma.sync m16n8k16 (nvgpu.mma.sync -> nvvm.mma.sync), f16 operands, f32
//   accumulators; a block is one column tile (64 columns for 4-bit codes,
//   32 for 8-bit) of 32 or 64 rows: 16 mma tiles per warp;
// - the block's 4 warps split K (every 4th k step of 16), so that the
//   weight, read once, streams through 4 warps per tile; warp 0 adds the
//   others' sums from shared memory and stores;
// - a k step loads 16 bytes of codes per lane (the warp reads 512
//   contiguous bytes), which are the lane's B fragments: fields are masked
//   into f16 1024 + c (OR with 0x6400, two per 32-bit word), the zero
//   point offset subtracted and the scale multiplied as f16x2;
// - A fragments come from f32 x in global memory, rounded to f16.
//
// Row_major storage is already the GEMV kernel's layout: a weight row is
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

/// `value` combined over the 32 lanes of a warp by 5 xor shuffles; every
/// lane gets the result.
mlir::Value buildWarpAllReduce(
    mlir::OpBuilder &b, mlir::Location loc, mlir::Value value,
    llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location, mlir::Value, mlir::Value)> combine);

/// Writes the body of an mma_sm80 kernel declaration: one gpu.launch (with
/// nvgpu.mma.sync), to be outlined as the GPU kernel `name`.
void buildGpuMmaKernel(mlir::OpBuilder &b, mlir::Location loc, llvm::StringRef name,
                       const QLinearKernelConfig &config, const QLinearKernelArgs &args);

} // namespace qopt

#endif // QOPT_LIB_CONVERSION_GPUKERNELS_H
