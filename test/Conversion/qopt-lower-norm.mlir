// qopt.norm lowers to a row reduction of squares, one rsqrt per row and the
// scaling by gamma (+ beta); LayerNorm centers first.
// RUN: qopt-opt %s --qopt-lower-to-linalg | FileCheck %s

// CHECK-LABEL: func.func @rms
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: arith.mulf %in, %in
// CHECK: math.rsqrt
// CHECK: linalg.generic {{.*}}ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<1x8x64xf32>, tensor<1x8x1xf32>, tensor<64xf32>)
// CHECK-NOT: qopt.norm
func.func @rms(%x: tensor<1x8x64xf32>, %g: tensor<64xf32>) -> tensor<1x8x64xf32> {
  %0 = qopt.norm rms %x, %g {epsilon = 1.0e-6 : f32} : tensor<1x8x64xf32>, tensor<64xf32>
  return %0 : tensor<1x8x64xf32>
}

// CHECK-LABEL: func.func @layer
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK: arith.subf
// CHECK: arith.mulf %in, %in
// CHECK: math.rsqrt
// CHECK: linalg.generic {{.*}}ins(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<8x64xf32>, tensor<8x1xf32>, tensor<64xf32>, tensor<64xf32>)
// CHECK: arith.addf
func.func @layer(%x: tensor<8x64xf32>, %g: tensor<64xf32>, %b: tensor<64xf32>) -> tensor<8x64xf32> {
  %0 = qopt.norm layer %x, %g, %b : tensor<8x64xf32>, tensor<64xf32>, tensor<64xf32>
  return %0 : tensor<8x64xf32>
}
