// Ops without a lowering yet are reported at the op.
// RUN: qopt-opt %s --qopt-lower-to-linalg --verify-diagnostics

func.func @norm(%x: tensor<1x8x64xf32>, %g: tensor<64xf32>) -> tensor<1x8x64xf32> {
  // expected-error @+1 {{'qopt.norm' op has no lowering to linalg yet}}
  %0 = qopt.norm rms %x, %g {epsilon = 1.0e-6 : f32} : tensor<1x8x64xf32>, tensor<64xf32>
  return %0 : tensor<1x8x64xf32>
}
