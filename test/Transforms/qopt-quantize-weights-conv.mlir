// RUN: qopt-opt %s --split-input-file --qopt-quantize-weights="format=int4 group=2" | FileCheck %s
// RUN: qopt-opt %s --split-input-file --qopt-quantize-weights="method=gptq format=int4 group=2" 2>&1 | FileCheck %s --check-prefix=GPTQ

// A convolution's [F, C, KH, KW] = [2, 1, 2, 2] weight is the [2, 4] matrix
// of its rows: the same codes as qopt-quantize-weights.mlir's linear
// (row 0 = [1, -2 | 4, 8]: 0x93 0x73; row 1 = [0, 0 | -1, 1]: 0x00 0x79),
// with the geometry, bias and calibration statistics carried over.
// CHECK-LABEL: func.func @conv
// CHECK-DAG: %[[CODES:.*]] = arith.constant dense_resource<[[C:.*]]> : tensor<2x2xi8>
// CHECK-DAG: %[[SCALES:.*]] = arith.constant dense_resource<{{.*}}> : tensor<2x2xf32>
// CHECK: qopt.qconv2d %arg0, %[[CODES]], %[[SCALES]] bias(%{{.*}}) {dilations = array<i64: 1, 1>, format = #qopt.format<int4>, group = 2 : i64, kernel = array<i64: 2, 2>, pads = array<i64: 0, 1, 0, 1>, qopt.calib.absmax = 3.000000e+00 : f32, qopt.calib.hessian = dense<{{.*}}> : tensor<4x4xf32>, strides = array<i64: 1, 2>}
// CHECK-SAME: (tensor<1x1x3x3xf32>, tensor<2x2xi8>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
// CHECK-NOT: qopt.conv2d
// CHECK: [[C]]: "0x0800000093730079"

// GPTQ with an identity Hessian makes no error-feedback updates: RTN's
// codes. (The grouped convolution below warns first: diagnostics precede
// the output.)
// GPTQ: warning: is quantized by RTN: GPTQ needs one input Hessian for all rows, and a grouped convolution has one per group
// GPTQ-LABEL: func.func @conv
// GPTQ: qopt.qconv2d %arg0, %[[CODES:.*]], %{{.*}} bias
// GPTQ: "0x0800000093730079"
func.func @conv(%x: tensor<1x1x3x3xf32>) -> tensor<1x2x2x2xf32> {
  %w = arith.constant dense<[[[[1.0, -2.0], [4.0, 8.0]]], [[[0.0, 0.0], [-1.0, 1.0]]]]> : tensor<2x1x2x2xf32>
  %b = arith.constant dense<[0.5, -0.5]> : tensor<2xf32>
  %y = qopt.conv2d %x, %w, %b {strides = array<i64: 1, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 1, 0, 1>,
                                qopt.calib.absmax = 3.0 : f32,
                                qopt.calib.hessian = dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf32>}
         : tensor<1x1x3x3xf32>, tensor<2x1x2x2xf32>, tensor<2xf32> -> tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}

// -----

// A grouped convolution has a Hessian per group: GPTQ falls back to RTN
// and says so.
// GPTQ-LABEL: func.func @grouped
// GPTQ: qopt.qconv2d {{.*}} groups = 2 : i64
// CHECK-LABEL: func.func @grouped
// CHECK: qopt.qconv2d %arg0, %{{.*}}, %{{.*}} {{{.*}}group = 2 : i64, groups = 2 : i64, kernel = array<i64: 1, 1>{{.*}}} : (tensor<1x4x2x2xf32>, tensor<2x1xi8>, tensor<2x1xf32>) -> tensor<1x2x2x2xf32>
func.func @grouped(%x: tensor<1x4x2x2xf32>) -> tensor<1x2x2x2xf32> {
  %w = arith.constant dense<[[[[1.0]], [[-1.0]]], [[[0.5]], [[2.0]]]]> : tensor<2x2x1x1xf32>
  %y = qopt.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, groups = 2 : i64}
         : tensor<1x4x2x2xf32>, tensor<2x2x1x1xf32> -> tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}

// -----

// A weight that is not a constant stays in float.
// CHECK-LABEL: func.func @dynamic_weight
// CHECK: qopt.conv2d
func.func @dynamic_weight(%x: tensor<1x1x3x3xf32>, %w: tensor<2x1x2x2xf32>) -> tensor<1x2x2x2xf32> {
  %y = qopt.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>}
         : tensor<1x1x3x3xf32>, tensor<2x1x2x2xf32> -> tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}
