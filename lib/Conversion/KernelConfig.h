//===- KernelConfig.h - Declared qopt.qlinear kernels -----------*- C++ -*-===//
//
// qopt-lower-to-linalg turns a qopt.qlinear that a generated kernel covers
// into a call of a private function declared with the kernel's
// configuration (`qopt.kernel = {layout, format, group, has_zeros,
// has_bias, [has_codebook], [has_outliers], [act]}`) and buffer arguments
// (x [M, K], packed, scales, [zeros], [codebook], [bias], [outlier row_ptr,
// cols, values], out [M, N]). The CPU and GPU kernel generators read the
// declaration back through these, and build their constants with the
// helpers at the end.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_LIB_CONVERSION_KERNELCONFIG_H
#define QOPT_LIB_CONVERSION_KERNELCONFIG_H

#include "qopt/Dialect/QoptOps.h"
#include "qopt/Quant/PanelLayout.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

namespace qopt {

/// The attribute holding a kernel declaration's configuration.
inline constexpr llvm::StringLiteral kKernelConfigAttrName = "qopt.kernel";

/// What a kernel declaration computes, read from its attributes and types.
struct QLinearKernelConfig {
  PackedLayout layout;
  NumberFormat format;
  ActQuantAttr act; // null: float activations
  /// The shape of the code matrix (and, for panel layouts, its panels).
  PanelLayout panels;
  int64_t m = 0;
  bool hasZeros = false, hasBias = false;
  /// lut<N>: the codebook, [N_levels] or [N, N_levels]; outliers: CSR.
  bool hasCodebook = false, hasOutliers = false;
  mlir::Type scaleType;
};

mlir::FailureOr<QLinearKernelConfig> readKernelConfig(mlir::func::FuncOp kernel);

/// The kernel's arguments in declaration order.
struct QLinearKernelArgs {
  mlir::Value x, packed, scales, zeros, codebook, bias, outlierRowPtr, outlierCols, outlierValues, out;
};

/// The arguments of `config`'s kernel among `arguments` (its entry block's).
QLinearKernelArgs getKernelArgs(const QLinearKernelConfig &config, mlir::ValueRange arguments);

/// What writes one kernel body: the statements of the declaration's entry
/// block (the return is added after it).
using KernelBodyBuilder = llvm::function_ref<mlir::LogicalResult(
    mlir::OpBuilder &b, mlir::func::FuncOp kernel, const QLinearKernelConfig &config, const QLinearKernelArgs &args)>;

/// Gives every bodiless function of `module` marked with `configAttrName`
/// a body: `build` writes its entry block's statements (the return is added
/// after them), and the mark is removed.
mlir::LogicalResult defineMarkedKernels(
    mlir::ModuleOp module, llvm::StringRef configAttrName,
    llvm::function_ref<mlir::LogicalResult(mlir::OpBuilder &, mlir::func::FuncOp)> build);

/// Gives every still-bodiless kernel declaration of `module` a body: reads
/// its configuration, rejects layouts not in `layouts` with an error
/// ("..., which only <otherTarget>") naming where they are built, and calls
/// `build`; the
/// configuration attribute is removed once the body exists.
mlir::LogicalResult defineDeclaredKernels(mlir::ModuleOp module, llvm::ArrayRef<PackedLayout> layouts,
                                          llvm::StringRef otherTarget, KernelBodyBuilder build);

/// A call of the private kernel function `baseName` (a new declaration
/// carrying `config` under `configAttrName`, or an existing one with the
/// same configuration and types) over buffers of `tensors` (read-only) and a
/// fresh 64-byte-aligned output buffer of `resultType`, which is returned as
/// a tensor.
mlir::Value buildKernelCall(mlir::OpBuilder &builder, mlir::Location loc, llvm::StringRef baseName,
                            llvm::StringRef configAttrName, mlir::DictionaryAttr config,
                            mlir::ValueRange tensors, mlir::RankedTensorType resultType);

/// A readable, symbol-safe rendering of `text`.
std::string sanitizeSymbol(llvm::StringRef text);

/// Constants of kernel bodies: an index, and vectors of one float or
/// integer value.
mlir::Value indexConstant(mlir::OpBuilder &b, mlir::Location loc, int64_t value);
mlir::Value vectorSplat(mlir::OpBuilder &b, mlir::Location loc, mlir::VectorType type, double value);
mlir::Value vectorSplatInt(mlir::OpBuilder &b, mlir::Location loc, mlir::VectorType type, int64_t value);

} // namespace qopt

#endif // QOPT_LIB_CONVERSION_KERNELCONFIG_H
