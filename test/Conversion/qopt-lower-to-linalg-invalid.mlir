// Ops without a lowering yet are reported at the op.
// RUN: qopt-opt %s --qopt-lower-to-linalg --verify-diagnostics

func.func @observe(%x: tensor<1x8x64xf32>) -> tensor<1x8x64xf32> {
  // expected-error @+1 {{'qopt.observe' op has no lowering to linalg yet}}
  %0 = qopt.observe %x {id = 0 : i64, label = "x"} : tensor<1x8x64xf32>
  return %0 : tensor<1x8x64xf32>
}
