//===- FloatGemm.h - The generated f32 GEMM of float layers -----*- C++ -*-===//
//
// Float matrix products on the CPU (qopt.linear, qopt.conv2d through
// im2col, and the batched matmuls of attention) become calls of a private
// kernel function declared by qopt-float-kernel-calls:
//
//   func.func private @qopt_gemm_...(%a: memref<BAxMxKxf32>,
//       %b: memref<BBxPx K x16xf32> (panel16) | memref<BBxKxNxf32> (row_major),
//       [%bias: memref<Nxf32> (column) | memref<Mxf32> (row)],
//       [%epilogue_operand: memref<BxMxNxf32>...], %out: memref<BxMxNxf32>) attributes {qopt.gemm_kernel = {...}}
//
// out[b] = epilogue(a[b mod BA] * b[b mod BB] (+ bias)), the epilogue
// an elementwise function (KernelEpilogue.h) or nothing: BA and BB divide the batch B
// (1: one operand shared by every batch; in general NumPy broadcasting of
// the leading batch dimensions, flattened). A panel16 B holds the N columns in
// panels of 16, zero-padded, each panel K x 16 contiguous (constant weights
// are packed so at compile time). qopt-generate-cpu-kernels writes the body
// after bufferization (buildFloatGemmKernel).
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_LIB_CONVERSION_FLOATGEMM_H
#define QOPT_LIB_CONVERSION_FLOATGEMM_H

#include "CpuKernels.h"
#include "KernelEpilogue.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace qopt {

/// The attribute holding a GEMM kernel declaration's configuration:
/// {b_layout = "panel16" | "row_major", bias = "none" | "column" | "row",
///  epilogue = "none" | @epilogue_function}.
inline constexpr llvm::StringLiteral kGemmKernelAttrName = "qopt.gemm_kernel";

/// How B is laid out.
enum class GemmBLayout { Panel16, RowMajor };
/// What the bias is indexed by: none, the output column, the output row.
enum class GemmBias { None, Column, Row };

/// What a GEMM kernel declaration computes.
struct GemmKernelConfig {
  int64_t batch = 1, m = 0, k = 0, n = 0;
  /// The batches of A and B, each a divisor of `batch`.
  int64_t batchA = 1, batchB = 1;
  GemmBLayout bLayout = GemmBLayout::RowMajor;
  GemmBias bias = GemmBias::None;
  /// Applied to each result (after the bias) before it is stored.
  KernelEpilogue epilogue;

  /// The configuration attribute of a declaration.
  mlir::DictionaryAttr toAttribute(mlir::MLIRContext *context) const;
  /// The configuration of `kernel` from its attribute and argument types.
  static mlir::FailureOr<GemmKernelConfig> read(mlir::func::FuncOp kernel);
};

/// Writes the body of a GEMM kernel declaration (its entry block, before
/// the return).
void buildFloatGemmKernel(mlir::OpBuilder &b, mlir::Location loc, const GemmKernelConfig &config,
                          mlir::ValueRange arguments, const CpuIsa &isa);

/// Gives every bodiless GEMM declaration of `module` its body.
mlir::LogicalResult defineGemmKernels(mlir::ModuleOp module, const CpuIsa &isa);

//===----------------------------------------------------------------------===//
// Building blocks of the float GEMM and of the direct convolution
//===----------------------------------------------------------------------===//

/// Rows and 16-column vectors of one register tile.
struct GemmTiling {
  int64_t rows, panels;
};
GemmTiling chooseGemmTiling(int64_t m, const CpuIsa &isa);

using GemmEmitter = llvm::function_ref<void(mlir::OpBuilder &, mlir::Location)>;

/// `last` if `index` is the last of `count` (when `differs`), else
/// `other`: static shapes in both branches.
void buildIfLast(mlir::OpBuilder &b, mlir::Location loc, mlir::Value index, int64_t count, bool differs,
                 GemmEmitter last, GemmEmitter other);

using GemmTaskBody = llvm::function_ref<void(mlir::OpBuilder &, mlir::Location, mlir::Value pair,
                                             mlir::Value firstRow, int64_t rows)>;

/// Tasks over `pairs` (a kernel's independent column work) and blocks of
/// `rows` (whole tiles of `tileRows`): rows are split into blocks only when
/// the pairs are too few to share among threads; in parallel when `work`
/// (multiply-adds) pays for it. `body` gets the pair, the block's first row
/// and its (static) row count.
void forEachGemmTask(mlir::OpBuilder &b, mlir::Location loc, int64_t pairs, int64_t rows, int64_t tileRows,
                     int64_t work, GemmTaskBody body);

/// acc[r V + j] += broadcast(rowScalars[r]) * columnVectors[j] (V vectors).
llvm::SmallVector<mlir::Value> multiplyAccumulateTile(mlir::OpBuilder &b, mlir::Location loc,
                                                      llvm::ArrayRef<mlir::Value> rowScalars,
                                                      llvm::ArrayRef<mlir::Value> columnVectors,
                                                      mlir::ValueRange acc);

/// Stores 16 results (`lanes` of them) at out[indices]: plus the row's bias
/// (a scalar) or the columns' (a vector) when given, then the epilogue
/// (its operand buffers, laid out like out, read at the same indices).
void storeGemmVector(mlir::OpBuilder &b, mlir::Location loc, mlir::Value value, mlir::Value rowBias,
                     mlir::Value columnBias, const KernelEpilogue &epilogue, mlir::ValueRange epilogueOperands,
                     mlir::Value out, mlir::ValueRange indices, int64_t lanes);

/// The panel16 form of a constant [N, K] weight: [ceil(N / 16), K, 16],
/// panel p holding columns [16p, 16p + 16) (zeros past N), k-major.
std::vector<float> packPanel16(llvm::ArrayRef<float> weightNK, int64_t n, int64_t k);

} // namespace qopt

#endif // QOPT_LIB_CONVERSION_FLOATGEMM_H
