//===- Passes.td - qopt lowering passes --------------------*- tablegen -*-===//

#ifndef QOPT_CONVERSION_PASSES_TD
#define QOPT_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def LowerToLinalg : Pass<"qopt-lower-to-linalg"> {
  let summary = "Lower qopt ops to linalg on tensors (the reference lowering)";
  let description = [{
    `qopt.linear %x, %w, %b` becomes a linalg.matmul with transposed-B
    indexing maps over the input's rows (leading dimensions collapsed) into a
    zero-filled init, then a linalg.generic adding the bias broadcast along
    rows. The result is what the CPU pipeline bufferizes and lowers.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
}

#endif // QOPT_CONVERSION_PASSES_TD
