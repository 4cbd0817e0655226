// Ops without a lowering yet are reported at the op.
// RUN: qopt-opt %s --qopt-lower-to-linalg --verify-diagnostics

func.func @act(%x: tensor<1x64xf32>, %c: tensor<8x32xi8>, %s: tensor<8x2xf32>) -> tensor<1x8xf32> {
  // expected-error @+1 {{'qopt.qlinear' op has no lowering to linalg yet}}
  %0 = qopt.qlinear %x, %c, %s {format = #qopt.format<int4>, group = 32 : i64, act = #qopt.act<int8, per_token>} : (tensor<1x64xf32>, tensor<8x32xi8>, tensor<8x2xf32>) -> tensor<1x8xf32>
  return %0 : tensor<1x8xf32>
}
