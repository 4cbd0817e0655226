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

def FuseElementwise : Pass<"qopt-fuse-elementwise"> {
  let summary = "Fuse elementwise producers into consumers without recomputation";
  let description = [{
    Upstream elementwise fusion, restricted to fusions that compute each
    producer element once: the producer must have a single use, and the
    consumer must read it through an indexing map that uses every loop (a
    permutation). An elementwise chain fuses into one loop nest, and so does
    an elementwise producer into a reduction over all of it (softmax's sum of
    exponentials); an exponential feeding a matmul stays apart, where fusing
    would recompute it once per output column.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect"];
}

def ReassociateReductions : Pass<"qopt-reassociate-reductions"> {
  let summary = "Allow float reductions of linalg ops to be reordered (vectorized)";
  let description = [{
    Marks the floating-point arithmetic in the bodies of linalg ops that have
    reduction iterators (matmuls, reductions) with `fastmath<reassoc,contract>`,
    so that LLVM may split the accumulation into vector lanes and fuse
    multiply-adds. Without it a dot product is one serial chain of dependent
    adds. The summation order becomes implementation-defined, as it is in
    every BLAS and in ONNX Runtime; elementwise ops are left exact.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

#endif // QOPT_CONVERSION_PASSES_TD
