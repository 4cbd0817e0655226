//===- Passes.td - qopt transformation passes --------------*- tablegen -*-===//
//
// Every qopt pass is declared here; its implementation is one .cpp file in
// lib/Transforms/ that starts with GEN_PASS_DEF_<NAME>, and its lit test is
// test/Transforms/<flag>.mlir.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_TRANSFORMS_PASSES_TD
#define QOPT_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def FuseLinear : Pass<"qopt-fuse-linear"> {
  let summary = "Rewrite matmuls with a constant weight (+ bias add) into qopt.linear";
  let description = [{
    Finds the linear layers of an imported graph and makes them `qopt.linear`
    ops, the unit every quantization pass acts on:

    - `tosa.matmul %x, %w` with a constant weight of shape [1, K, N] and zero
      zero-points;
    - `linalg.matmul` with a constant [K, N] weight, or a constant [N, K]
      weight under transposed-B indexing maps, accumulating into zeros;
    - then a following add of a constant bias that broadcasts along N
      (`tosa.add`, `arith.addf`, `linalg.add`, or a `linalg.generic` whose
      body is one addf and which reads the bias along the last dimension only;
      either operand order, the bias optionally through `linalg.broadcast`)
      folds into the linear.

    - `linalg.matmul` whose weight is `qopt.dequantize` of constant integer
      codes [K, N] (ONNX DequantizeLinear of an initializer) becomes
      `qopt.qlinear`: codes transposed to [N, K] and packed row_major,
      scales and zero points (per tensor, per output channel or per block
      along K) laid out [N, K / group].

    The weight is stored [N, K] (out, in); a [K, N] constant is transposed
    once into a new resource blob. Constants reshaped from resource blobs
    share their data. Matmuls whose weight is not constant are left alone.
  }];
  let dependentDialects = ["::qopt::QoptDialect", "::mlir::arith::ArithDialect"];
  let statistics = [
    Statistic<"numLinears", "linears", "Number of matmuls rewritten into qopt.linear">,
    Statistic<"numQLinears", "qlinears", "Number of matmuls of dequantized weights rewritten into qopt.qlinear">,
    Statistic<"numBiases", "biases", "Number of bias adds folded into qopt.linear">,
  ];
}

#endif // QOPT_TRANSFORMS_PASSES_TD
