// Smoothing folds 1/s into a qopt.norm's gamma (and beta) and s into its
// readers. With search=awq the scales come from AWQ's grid search: channel 0
// carries activations 8x the others (channel_absmax, Hessian), so a positive
// alpha beats plain RTN on the Hessian-weighted output error, and the remark
// says by how much.
// RUN: qopt-opt %s --qopt-smooth="search=awq format=int4 group=0" 2>&1 | FileCheck %s --check-prefix=AWQ
// RUN: qopt-opt %s --qopt-smooth=alpha=0.5 | FileCheck %s --check-prefix=SQ
// RUN: not qopt-opt %s --qopt-smooth=search=grid 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not qopt-opt %s --qopt-smooth="search=awq format=int99" 2>&1 | FileCheck %s --check-prefix=FORMAT

// AWQ: remark: AWQ scales for 1 readers: alpha {{[1-9]\.[0-9]+e-0[12]|1\.0+e\+00}}, output error [[E:.*]] (RTN
// AWQ: %[[G:.*]] = arith.constant dense_resource<smooth_gain> : tensor<4xf32>
// AWQ-NEXT: %[[B:.*]] = arith.constant dense_resource<smooth_offset> : tensor<4xf32>
// AWQ-NEXT: %[[N:.*]] = qopt.norm rms %arg0, %[[G]], %[[B]]
// AWQ: qopt.linear %[[N]], %{{.*}} {qopt.calib.absmax
// SQ: smooth_gain
// SmoothQuant with alpha 0.5: s = sqrt(max|X| / max|W|) = sqrt([8, 1, 1, 1] / [1, 1, 0.5, 2])
// = [2.828427, 1, 1.414214, 0.707107]; gamma / s with gamma = 1.
// SQ: smooth_gain: "0x08000000F304B53E0000803FF304353FF304B53F"
// BAD: error: qopt-smooth: search must be empty (SmoothQuant) or 'awq', not 'grid'
// FORMAT: error: 'qopt.linear' op qopt-smooth: integer formats have 2 to 8 bits, not 99
func.func @norm(%x: tensor<8x4xf32>) -> tensor<8x2xf32> {
  %gamma = arith.constant dense<1.0> : tensor<4xf32>
  %beta = arith.constant dense<0.5> : tensor<4xf32>
  %w = arith.constant dense<[[1.0, 0.25, -0.5, 2.0], [-0.75, 1.0, 0.125, -1.5]]> : tensor<2x4xf32>
  %n = qopt.norm rms %x, %gamma, %beta : tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>
  %y = qopt.linear %n, %w {qopt.calib.channel_absmax = dense<[8.0, 1.0, 1.0, 1.0]> : tensor<4xf32>,
                           qopt.calib.absmax = 8.0 : f32,
                           qopt.calib.hessian = dense<[[64.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0],
                                                       [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf32>}
      : tensor<8x4xf32>, tensor<2x4xf32> -> tensor<8x2xf32>
  return %y : tensor<8x2xf32>
}
