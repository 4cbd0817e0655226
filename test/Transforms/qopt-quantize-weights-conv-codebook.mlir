// Convolutions take fitted codebooks (qopt.qconv2d codebook(...)), bias
// correction over the patch means, and no outliers (a warning says so);
// the reference lowering decodes the codebook.
// RUN: qopt-opt %s --split-input-file --pass-pipeline='builtin.module(qopt-quantize-weights{format=lut<4> group=0 outliers=0.1 correct-bias=true})' 2>&1 | FileCheck %s
// RUN: qopt-opt %s --split-input-file --pass-pipeline='builtin.module(qopt-quantize-weights{format=lut<4> group=0},qopt-lower-to-linalg)' | FileCheck %s --check-prefix=LOWERED

// A [2, 1, 2, 2] weight: rows of 4 values, 4 levels, so each row's codebook
// is its values, the quantization is exact, and the bias is unchanged.
// CHECK: warning: keeps no outliers: the CSR side table is taken by qopt.qlinear only
// CHECK-LABEL: func.func @conv
// CHECK: qopt.qconv2d %arg0, %{{.*}}, %{{.*}} codebook(%{{.*}}) bias(%{{.*}}) {dilations = array<i64: 1, 1>, format = #qopt.format<lut<4>>, group = 4 : i64
// CHECK-SAME: tensor<2x4xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
// CHECK: qcodebook: "0x08000000000080BF0000003F000000400000404000000000000080400000A0400000C040"
// CHECK: qbias: "0x080000000000803F00000040"
// LOWERED-LABEL: func.func @conv
// LOWERED: %[[CODEBOOK:.*]] = arith.constant dense_resource<qcodebook> : tensor<2x4xf32>
// LOWERED-NOT: qopt.qconv2d
// LOWERED: tensor.extract %[[CODEBOOK]][%{{.*}}, %{{.*}}] : tensor<2x4xf32>
// LOWERED-NOT: qopt.qconv2d
func.func @conv(%x: tensor<1x1x3x3xf32>) -> tensor<1x2x2x2xf32> {
  %w = arith.constant dense<[[[[3.0, -1.0], [0.5, 2.0]]], [[[0.0, 4.0], [5.0, 6.0]]]]> : tensor<2x1x2x2xf32>
  %b = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %y = qopt.conv2d %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>,
                               qopt.calib.channel_mean = dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>}
    : tensor<1x1x3x3xf32>, tensor<2x1x2x2xf32>, tensor<2xf32> -> tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}
