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

    `qopt.qlinear` over panel-packed weights (`qopt-pack-weights`) becomes
    instead a call of a kernel function declared for
    `qopt-generate-cpu-kernels`, over buffers of its operands.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::bufferization::BufferizationDialect"];
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

def GenerateCpuKernels : Pass<"qopt-generate-cpu-kernels", "::mlir::ModuleOp"> {
  let summary = "Write the bodies of the declared qopt.qlinear CPU kernels";
  let description = [{
    `qopt-lower-to-linalg` turns each `qopt.qlinear` over panel-packed
    weights (`qopt-pack-weights`) into a call of a private kernel function
    declared with its configuration (`qopt.kernel`). After bufferization,
    this pass writes each declaration's body on buffers: vector-dialect code
    for the selected instruction set, `scf.parallel` over panels of 16
    output columns (OpenMP after `convert-scf-to-openmp`), and for int8
    activations a parallel quantization of the input rows into a scratch
    buffer. See lib/Conversion/CpuKernels.h for the kernels.
  }];
  let options = [
    Option<"isa", "isa", "std::string", /*default=*/"\"avx2\"",
           "Instruction set: avx2, avx512 (F/BW/DQ/VL) or avx512-vnni">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
                           "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect", "::mlir::LLVM::LLVMDialect"];
}

def InlineAllocaScopes : Pass<"qopt-inline-alloca-scopes"> {
  let summary = "Inline memref.alloca_scope regions that contain no memref.alloca";
  let description = [{
    `convert-scf-to-openmp` wraps each parallel loop body in a
    `memref.alloca_scope`; canonicalization keeps the scope when the body
    holds an op of unknown memory effects (an `llvm.call_intrinsic`), and a
    scope cannot hold the blocks `convert-scf-to-cf` makes. A scope with no
    `memref.alloca` inside frees nothing and is inlined.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

#endif // QOPT_CONVERSION_PASSES_TD
