//===- KernelEpilogue.h - Elementwise functions fused into kernels -*- C++ -*-===//
//
// An elementwise linalg.generic that is the only reader of a generated
// kernel's result (ReLU, Clip/ReLU6, HardSigmoid, HardSwish, Sigmoid,
// SiLU, GELU, ...: any body of arith and math ops over the value and
// constants) runs in the kernel's epilogue instead of as its own pass over
// memory. qopt-float-kernel-calls copies the generic's body into a private
// function
//
//   func.func private @qopt_epilogue_N(%x: f32) -> f32 attributes {qopt.epilogue}
//
// (one per distinct body) and names it in the kernel declaration's
// configuration, `epilogue = @qopt_epilogue_N` ("none", or no entry, when
// there is none). The kernel generators apply it to each result vector
// before the store, the body rebuilt op by op on vectors, and erase the
// functions once every kernel has its body.
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

  /// The configuration entry naming it: the function's symbol, or "none".
  mlir::Attribute toAttribute(mlir::MLIRContext *context) const;
  /// The epilogue named by `dictionary`'s "epilogue" entry in `kernel`'s
  /// declaration (none when absent or "none"); std::nullopt when the entry
  /// names no epilogue function of the module.
  static std::optional<KernelEpilogue> read(mlir::func::FuncOp kernel, mlir::DictionaryAttr dictionary);

  /// The function applied to `value` (an f32 or a vector of f32) lane by
  /// lane, built at `b`; `value` itself when there is no epilogue.
  mlir::Value apply(mlir::OpBuilder &b, mlir::Location loc, mlir::Value value) const;

private:
  mlir::func::FuncOp function;
};

/// The elementwise linalg.generic that is the only reader of `result`
/// (one input, identity maps, all parallel, the same type, a body of
/// scalar arith and math ops over its input and constants), or null.
mlir::linalg::GenericOp getEpilogueReader(mlir::Value result);

/// The epilogue function of `reader`'s body (a reader getEpilogueReader
/// found): a new one, or an equal one already in the module.
KernelEpilogue declareEpilogue(mlir::RewriterBase &rewriter, mlir::linalg::GenericOp reader);

/// Erases the epilogue functions of `module` (once the kernels that named
/// them have their bodies).
void eraseEpilogueFunctions(mlir::ModuleOp module);

} // namespace qopt

#endif // QOPT_LIB_CONVERSION_KERNELEPILOGUE_H
