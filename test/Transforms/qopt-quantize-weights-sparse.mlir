// Fitted codebooks, dense-and-sparse outliers and bias correction in
// qopt-quantize-weights, with values worked by hand.
// The last function has no calibration: bias correction fails there (and
// only there), so these runs are `not` and read stdout and stderr apart.
// RUN: not qopt-opt %s --split-input-file --pass-pipeline='builtin.module(qopt-quantize-weights{format=lut<4> group=0 outliers=0.0625 correct-bias=true},canonicalize)' 2>/dev/null | FileCheck %s
// RUN: not qopt-opt %s --split-input-file --pass-pipeline='builtin.module(qopt-quantize-weights{format=int4 group=0 correct-bias=true},canonicalize)' 2>/dev/null | FileCheck %s --check-prefix=INT
// RUN: not qopt-opt %s --split-input-file --pass-pipeline='builtin.module(qopt-quantize-weights{format=int4 group=0 correct-bias=true})' 2>&1 >/dev/null | FileCheck %s --check-prefix=UNCALIBRATED
// RUN: not qopt-opt %s --split-input-file --pass-pipeline='builtin.module(qopt-quantize-weights{method=gptq format=lut<16> group=0})' 2>&1 | FileCheck %s --check-prefix=GPTQ
// RUN: not qopt-opt %s --split-input-file --pass-pipeline='builtin.module(qopt-quantize-weights{outliers=1.5})' 2>&1 | FileCheck %s --check-prefix=FRACTION

// 2 outliers of 32 weights: the largest magnitudes, 9 at (0, 6) and 8 at
// (3, 0). Row 0 without its outlier, [1, -2, 3, -4, 0.5, 0.25, 0, 0], fits
// the codebook [-3, 1/12, 0.75, 3] (clusters {-4, -2}, {0.25, 0, 0},
// {1, 0.5}, {3}); its outlier holds 9 - 1/12 = 8.91667, so that weight is
// exact. Row 3 is [0 x 6, 1] plus its outlier 8 - 0. Bias correction with
// E[x] = [1, 0 x 6, 2]: row 0 loses (1 - 0.75) * 1 + (0 - 1/12) * 2 =
// 1/12, so its bias 1 becomes 1.08333 (0x3F8AAAAB).
// CHECK-LABEL: func.func @sparse
// CHECK: qopt.qlinear %arg0, %{{.*}}, %{{.*}} codebook(%{{.*}}) bias(%{{.*}}) outliers(%{{.*}}, %{{.*}}, %{{.*}}) {format = #qopt.format<lut<4>>, group = 8 : i64
// CHECK-SAME: (tensor<2x8xf32>, tensor<4x2xi8>, tensor<4x1xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<5xi32>, tensor<2xi32>, tensor<2xf32>) -> tensor<2x4xf32>
// CHECK: qcodebook: "0x08000000000040C0ABAAAA3D0000403F00004040
// CHECK: qoutlier_rows: "0x080000000000000001000000010000000100000002000000"
// CHECK: qoutlier_cols: "0x080000000600000000000000"
// CHECK: qoutlier_values: "0x08000000ABAA0E4100000041"
// CHECK: qbias: "0x08000000ABAA8A3F

// int4 per channel, row 0 (absmax 9): scale 9/7, codes of [1, -2, 3, -4,
// 0.5, 0.25, 9, 0] are [1, -2, 2, -3, 0, 0, 7, 0]; the error at columns 0
// and 7 is 1 - 9/7 = -2/7 and 0: the bias moves by -2/7 to 0.714286
// (0x3F36DB6E). Without a bias of its own a layer gets one: -2/7.
// INT-LABEL: func.func @sparse
// INT: qopt.qlinear %arg0, %{{.*}}, %{{.*}} bias(%{{.*}}) {format = #qopt.format<int4>, group = 8 : i64
// INT: qbias: "0x080000006EDB363F
// INT-LABEL: func.func @no_bias
// INT: qopt.qlinear %arg0, %{{.*}}, %{{.*}} bias(%{{.*}}) {format = #qopt.format<int4>, group = 8 : i64
// INT: qbias: "0x08000000244992BE"
// UNCALIBRATED-NOT: error
// UNCALIBRATED: error: 'qopt.linear' op bias correction needs the input mean 'qopt.calib.channel_mean' of 8 channels that calibration leaves
// UNCALIBRATED-NOT: error
// GPTQ: error: 'qopt.linear' op cannot be quantized: GPTQ rounds onto a fixed grid; lookup-table codebooks are fitted by method=rtn
// FRACTION: error: qopt-quantize-weights: outliers=1.500000e+00 is not a fraction in [0, 1)
func.func @sparse(%x: tensor<2x8xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<[[1.0, -2.0, 3.0, -4.0, 0.5, 0.25, 9.0, 0.0],
                             [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8],
                             [-1.0, -1.0, 2.0, 2.0, 3.0, 3.0, 4.0, 4.0],
                             [8.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]]> : tensor<4x8xf32>
  %b = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %y = qopt.linear %x, %w, %b {qopt.calib.channel_mean = dense<[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0]> : tensor<8xf32>,
                               qopt.calib.hessian = dense<1.0> : tensor<8x8xf32>}
    : tensor<2x8xf32>, tensor<4x8xf32>, tensor<4xf32> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

func.func @no_bias(%x: tensor<2x8xf32>) -> tensor<2x1xf32> {
  %w = arith.constant dense<[[1.0, -2.0, 3.0, -4.0, 0.5, 0.25, 9.0, 0.0]]> : tensor<1x8xf32>
  %y = qopt.linear %x, %w {qopt.calib.channel_mean = dense<[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0]> : tensor<8xf32>}
    : tensor<2x8xf32>, tensor<1x8xf32> -> tensor<2x1xf32>
  return %y : tensor<2x1xf32>
}

// -----

// Bias correction without calibration is an error at the layer.
func.func @uncalibrated(%x: tensor<2x8xf32>) -> tensor<2x1xf32> {
  %w = arith.constant dense<1.0> : tensor<1x8xf32>
  %y = qopt.linear %x, %w : tensor<2x8xf32>, tensor<1x8xf32> -> tensor<2x1xf32>
  return %y : tensor<2x1xf32>
}
