//===- KernelEpilogue.h - Elementwise functions fused into kernels -*- C++ -*-===//
//
// An elementwise linalg.generic that is the only reader of a generated
// kernel's result (ReLU, Clip/ReLU6, HardSigmoid, HardSwish, Sigmoid,
// SiLU, GELU, ...; a residual add, with ReLU or not: any body of arith and
// math ops over the value, other tensors of its shape, and constants) runs
// in the kernel's epilogue instead of as its own pass over memory.
// qopt-float-kernel-calls copies the generic's body into a private
// function
//
//   func.func private @qopt_epilogue_N(%x: f32, %other: f32...) -> f32 attributes {qopt.epilogue}
//
// (one per distinct body) and names it in the kernel declaration's
// configuration, `epilogue = @qopt_epilogue_N` ("none", or no entry, when
// there is none); the other tensors (its operands) become buffer arguments
// of the kernel, laid out like its output, right before the output. The
// kernel generators apply the function to each result vector before the
// store, the operands loaded at the same place, the body rebuilt op by op
// on vectors, and erase the functions once every kernel has its body.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_LIB_CONVERSION_KERNELEPILOGUE_H
#define QOPT_LIB_CONVERSION_KERNELEPILOGUE_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"

#include <optional>

namespace qopt {

/// The unit attribute marking an epilogue function.
inline constexpr llvm::StringLiteral kEpilogueFunctionAttrName = "qopt.epilogue";

/// The elementwise function a kernel applies to its results; empty: none.
class KernelEpilogue {
public:
  KernelEpilogue() = default;
  explicit KernelEpilogue(mlir::func::FuncOp function) : function(function) {}

  explicit operator bool() const { return bool(function); }

  /// The tensors (buffers, in the kernel) it reads beside the result.
  unsigned getNumOperands() const;

  /// The configuration entry naming it: the function's symbol, or "none".
  mlir::Attribute toAttribute(mlir::MLIRContext *context) const;
  /// A kernel declaration's argument types without the epilogue's operands
  /// (the ones before the last); std::nullopt unless they are there, typed
  /// like the last (the output).
  std::optional<llvm::SmallVector<mlir::Type>> withoutOperands(mlir::TypeRange arguments) const;
  /// The epilogue named by `dictionary`'s "epilogue" entry in `kernel`'s
  /// declaration (none when absent or "none"); std::nullopt when the entry
  /// names no epilogue function of the module.
  static std::optional<KernelEpilogue> read(mlir::func::FuncOp kernel, mlir::DictionaryAttr dictionary);

  /// The function applied to `value` (an f32 or a vector of f32) and the
  /// `operands` (values of the same type) lane by lane, built at `b`;
  /// `value` itself when there is no epilogue.
  mlir::Value apply(mlir::OpBuilder &b, mlir::Location loc, mlir::Value value,
                    mlir::ValueRange operands = {}) const;
  /// apply() to the 16-lane `value` headed for out[indices]: the operand
  /// buffers (laid out like out) read at the same indices (`lanes` of 16).
  mlir::Value applyAt(mlir::OpBuilder &b, mlir::Location loc, mlir::Value value, mlir::ValueRange operandBuffers,
                      mlir::ValueRange indices, int64_t lanes) const;

private:
  mlir::func::FuncOp function;
};

/// The elementwise linalg.generic that is the only reader of `result`
/// (identity maps, all parallel, every input of `result`'s type, `result`
/// among them, a body of scalar arith and math ops over its inputs and
/// constants), or null.
mlir::linalg::GenericOp getEpilogueReader(mlir::Value result);

/// A reader's body as an epilogue, and the tensors it reads beside the
/// result (in the generic's shape).
struct FusedEpilogue {
  KernelEpilogue epilogue;
  llvm::SmallVector<mlir::Value> operands;
};

/// The epilogue function of `reader`'s body (a reader getEpilogueReader
/// found for `result`): a new one, or an equal one already in the module.
FusedEpilogue declareEpilogue(mlir::RewriterBase &rewriter, mlir::linalg::GenericOp reader, mlir::Value result);

/// Erases the epilogue functions of `module` (once the kernels that named
/// them have their bodies).
void eraseEpilogueFunctions(mlir::ModuleOp module);

} // namespace qopt

#endif // QOPT_LIB_CONVERSION_KERNELEPILOGUE_H
