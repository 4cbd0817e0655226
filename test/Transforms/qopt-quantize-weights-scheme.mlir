// A layer's qopt.weight_scheme (written by qopt-allocate-bits) overrides the
// pass's format and group for that layer only; a bad scheme is an error at
// the layer.
// RUN: qopt-opt %s --qopt-quantize-weights="format=int4 group=32" --split-input-file --verify-diagnostics | FileCheck %s

// CHECK-LABEL: func.func @mixed
// CHECK: qopt.qlinear {{.*}}format = #qopt.format<int8>{{.*}}group = 64
// CHECK: qopt.qlinear {{.*}}format = #qopt.format<int4>{{.*}}group = 32
// CHECK: qopt.qlinear {{.*}}format = #qopt.format<int2>{{.*}}group = 16
func.func @mixed(%x: tensor<4x64xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %w = arith.constant dense<0.5> : tensor<8x64xf32>
  %a = qopt.linear %x, %w {qopt.weight_scheme = "int8"} : tensor<4x64xf32>, tensor<8x64xf32> -> tensor<4x8xf32>
  %b = qopt.linear %x, %w : tensor<4x64xf32>, tensor<8x64xf32> -> tensor<4x8xf32>
  %c = qopt.linear %x, %w {qopt.weight_scheme = "int2-g16"} : tensor<4x64xf32>, tensor<8x64xf32> -> tensor<4x8xf32>
  return %a, %b, %c : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

func.func @bad(%x: tensor<4x64xf32>) -> tensor<4x8xf32> {
  %w = arith.constant dense<0.5> : tensor<8x64xf32>
  // expected-error @+1 {{'qopt.weight_scheme': bad group in weight scheme 'int4-gx'}}
  %a = qopt.linear %x, %w {qopt.weight_scheme = "int4-gx"} : tensor<4x64xf32>, tensor<8x64xf32> -> tensor<4x8xf32>
  return %a : tensor<4x8xf32>
}
