// RUN: not qopt-opt %s --split-input-file --qopt-smooth | FileCheck %s
// RUN: not qopt-opt %s --split-input-file --qopt-smooth=alpha=0 | FileCheck %s --check-prefix=ZERO
// RUN: not qopt-opt %s --split-input-file --qopt-smooth=alpha=2 2>&1 | FileCheck %s --check-prefix=ALPHA
// RUN: not qopt-opt %s --split-input-file --qopt-smooth 2>&1 | FileCheck %s --check-prefix=UNCALIBRATED

// A norm's gain (x * gamma[c]) read by two linears, one through a reshape.
// max|X| = [4, 1, 9, 0], max|W_:j| over both = [1, 4, 1, 2]; alpha = 0.5:
// s = sqrt(max|X|) / sqrt(max|W|) = [2, 0.5, 3, 1] (channel 3 is dead: 1).
// gamma / s = [0.5, 2, 1/3, 1]; W1 * s = [[2, 2, -3, 2], [1, 0.5, 3, -1]];
// the readers' statistics become max|X| / s = [2, 2, 3, 0], absmax 3,
// Hessian / (s_i s_j); the quantiles are dropped.
// CHECK-LABEL: func.func @norm_gain
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[GAIN:.*]] : tensor<2x4xf32>, tensor<4xf32>)
// CHECK: qopt.linear %{{.*}}, %{{.*}} {qopt.calib.absmax = 3.000000e+00 : f32, qopt.calib.channel_absmax = dense<[2.000000e+00, 2.000000e+00, 3.000000e+00, 0.000000e+00]> : tensor<4xf32>, qopt.calib.hessian = dense<{{\[}}[2.500000e-01, 2.000000e+00, 0.000000e+00, 0.000000e+00], [2.000000e+00, 4.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 1.000000e+00, 0.000000e+00]
// CHECK-NOT: abs_quantiles
// CHECK: qopt.linear %{{.*}}, %{{.*}} {qopt.calib.absmax = 3.000000e+00
// CHECK-DAG: smooth_gain: "0x080000000000003F00000040ABAAAA3E0000803F"
// CHECK-DAG: smooth_weight{{(_[0-9]+)?}}: "0x080000000000004000000040000040C0000000400000803F0000003F00004040000080BF"
// CHECK-DAG: smooth_weight{{(_[0-9]+)?}}: "0x080000000000003F000000000000C03F00000000"
// alpha = 0 moves everything: s = 1 / max|W| (dead channel 3 keeps 1).
// ZERO: smooth_gain: "0x080000000000803F000080400000803F0000803F"
// ALPHA: error: qopt-smooth: alpha must be in [0, 1], not 2
func.func @norm_gain(%x: tensor<2x4xf32>) -> (tensor<2x2xf32>, tensor<1x2x1xf32>) {
  %gamma = arith.constant dense<1.0> : tensor<4xf32>
  %init = tensor.empty() : tensor<2x4xf32>
  %n = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>,
                                        affine_map<(d0, d1) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%x, %gamma : tensor<2x4xf32>, tensor<4xf32>) outs(%init : tensor<2x4xf32>) {
  ^bb0(%a: f32, %g: f32, %o: f32):
    %m = arith.mulf %a, %g : f32
    linalg.yield %m : f32
  } -> tensor<2x4xf32>
  %w1 = arith.constant dense<[[1.0, 4.0, -1.0, 2.0], [0.5, 1.0, 1.0, -1.0]]> : tensor<2x4xf32>
  %y1 = qopt.linear %n, %w1 {qopt.calib.absmax = 9.0 : f32, qopt.calib.channel_absmax = dense<[4.0, 1.0, 9.0, 0.0]> : tensor<4xf32>,
                             qopt.calib.abs_quantiles = dense<[8.0, 9.0, 9.0]> : tensor<3xf32>,
                             qopt.calib.hessian = dense<[[1.0, 2.0, 0.0, 0.0], [2.0, 1.0, 0.0, 0.0], [0.0, 0.0, 9.0, 0.0], [0.0, 0.0, 0.0, 0.0]]> : tensor<4x4xf32>}
      : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x2xf32>
  %e = tensor.expand_shape %n [[0, 1], [2]] output_shape [1, 2, 4] : tensor<2x4xf32> into tensor<1x2x4xf32>
  %w2 = arith.constant dense<[[0.25, 0.0, 0.5, 0.0]]> : tensor<1x4xf32>
  %y2 = qopt.linear %e, %w2 {qopt.calib.absmax = 9.0 : f32, qopt.calib.channel_absmax = dense<[4.0, 1.0, 9.0, 0.0]> : tensor<4xf32>}
      : tensor<1x2x4xf32>, tensor<1x4xf32> -> tensor<1x2x1xf32>
  return %y1, %y2 : tensor<2x2xf32>, tensor<1x2x1xf32>
}

// -----

// Not smoothed: the gain's output is also read by an add (a residual), and
// a gain without calibration statistics on its readers is an error only
// when it would be smoothed.
// CHECK-LABEL: func.func @other_reader
// CHECK-NOT: smooth_
func.func @other_reader(%x: tensor<2x4xf32>) -> (tensor<2x2xf32>, tensor<2x4xf32>) {
  %gamma = arith.constant dense<1.0> : tensor<4xf32>
  %init = tensor.empty() : tensor<2x4xf32>
  %n = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>,
                                        affine_map<(d0, d1) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%x, %gamma : tensor<2x4xf32>, tensor<4xf32>) outs(%init : tensor<2x4xf32>) {
  ^bb0(%a: f32, %g: f32, %o: f32):
    %m = arith.mulf %a, %g : f32
    linalg.yield %m : f32
  } -> tensor<2x4xf32>
  %w = arith.constant dense<1.0> : tensor<2x4xf32>
  %y = qopt.linear %n, %w {qopt.calib.channel_absmax = dense<[4.0, 1.0, 9.0, 0.0]> : tensor<4xf32>}
      : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x2xf32>
  %r = arith.addf %n, %x : tensor<2x4xf32>
  return %y, %r : tensor<2x2xf32>, tensor<2x4xf32>
}

// -----


// UNCALIBRATED: error: 'qopt.linear' op needs calibration statistics ('qopt.calib.channel_absmax') to be smoothed: compile with --calib samples
func.func @uncalibrated(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  %gamma = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %init = tensor.empty() : tensor<2x4xf32>
  %n = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>,
                                        affine_map<(d0, d1) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%x, %gamma : tensor<2x4xf32>, tensor<4xf32>) outs(%init : tensor<2x4xf32>) {
  ^bb0(%a: f32, %g: f32, %o: f32):
    %m = arith.mulf %g, %a : f32
    linalg.yield %m : f32
  } -> tensor<2x4xf32>
  %w = arith.constant dense<1.0> : tensor<2x4xf32>
  %y = qopt.linear %n, %w : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}
