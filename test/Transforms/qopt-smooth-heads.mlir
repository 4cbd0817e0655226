// Smoothing v -> o through attention's value path: v's output reaches o
// only head by head (2 heads of 2: split, transposed, mixed over tokens by
// P.V, merged), so one scale per position in a head, shared by the heads,
// moves from o's columns into v's rows. o's calibrated max|X| = [4, 1, 1, 9]
// ties to [4, 9] per position, max|W_:j| = 1, alpha 0.5 gives s = [2, 3]:
// v's rows diag(2, 3, 4, 6) -> diag(1, 1, 2, 2), o's ones -> [2, 3, 2, 3].
// RUN: qopt-opt %s --qopt-smooth | FileCheck %s

#p = affine_map<(h, i, j, d) -> (h, i, j)>
#v = affine_map<(h, i, j, d) -> (h, j, d)>
#o = affine_map<(h, i, j, d) -> (h, i, d)>

// CHECK-LABEL: func.func @values
// CHECK: %[[WV:.*]] = arith.constant dense_resource<smooth_producer_weight> : tensor<4x4xf32>
// CHECK-NEXT: qopt.linear %arg0, %[[WV]]
// CHECK: %[[WO:.*]] = arith.constant dense_resource<smooth_weight> : tensor<4x4xf32>
// CHECK-NEXT: qopt.linear %{{.*}}, %[[WO]] {qopt.calib.absmax = 3.000000e+00 : f32, qopt.calib.channel_absmax = dense<[2.000000e+00, 0.333333343, 5.000000e-01, 3.000000e+00]>
func.func @values(%x: tensor<3x4xf32>, %p: tensor<2x3x3xf32>) -> tensor<3x4xf32> {
  %wv = arith.constant dense<[[2.0, 0.0, 0.0, 0.0], [0.0, 3.0, 0.0, 0.0], [0.0, 0.0, 4.0, 0.0], [0.0, 0.0, 0.0, 6.0]]>
      : tensor<4x4xf32>
  %wo = arith.constant dense<1.0> : tensor<4x4xf32>
  %zero = arith.constant 0.0 : f32
  %v = qopt.linear %x, %wv : tensor<3x4xf32>, tensor<4x4xf32> -> tensor<3x4xf32>
  %heads = tensor.expand_shape %v [[0], [1, 2]] output_shape [3, 2, 2] : tensor<3x4xf32> into tensor<3x2x2xf32>
  %te = tensor.empty() : tensor<2x3x2xf32>
  %vt = linalg.transpose ins(%heads : tensor<3x2x2xf32>) outs(%te : tensor<2x3x2xf32>) permutation = [1, 0, 2]
  %init = tensor.empty() : tensor<2x3x2xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%init : tensor<2x3x2xf32>) -> tensor<2x3x2xf32>
  %pv = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "reduction", "parallel"]}
      ins(%p, %vt : tensor<2x3x3xf32>, tensor<2x3x2xf32>) outs(%acc : tensor<2x3x2xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %out, %m : f32
    linalg.yield %s : f32
  } -> tensor<2x3x2xf32>
  %me = tensor.empty() : tensor<3x2x2xf32>
  %merged = linalg.transpose ins(%pv : tensor<2x3x2xf32>) outs(%me : tensor<3x2x2xf32>) permutation = [1, 0, 2]
  %flat = tensor.collapse_shape %merged [[0], [1, 2]] : tensor<3x2x2xf32> into tensor<3x4xf32>
  %o = qopt.linear %flat, %wo {qopt.calib.channel_absmax = dense<[4.0, 1.0, 1.0, 9.0]> : tensor<4xf32>}
      : tensor<3x4xf32>, tensor<4x4xf32> -> tensor<3x4xf32>
  return %o : tensor<3x4xf32>
}

// A nonzero accumulator start (P.V + C) is not linear in v: untouched.
// CHECK-LABEL: func.func @offset
// CHECK-NOT: smooth_
// CHECK: return
// The blobs, after both functions:
// CHECK-DAG: smooth_producer_weight: "0x080000000000803F000000000000000000000000000000000000803F00000000000000000000000000000000000000400000000000000000000000000000000000000040"
// CHECK-DAG: smooth_weight: "0x0800000000000040000040400000004000004040000000400000404000000040000040400000004000004040000000400000404000000040000040400000004000004040"
func.func @offset(%x: tensor<3x4xf32>, %p: tensor<2x3x3xf32>) -> tensor<3x4xf32> {
  %wv = arith.constant dense<2.0> : tensor<4x4xf32>
  %wo = arith.constant dense<1.0> : tensor<4x4xf32>
  %one = arith.constant 1.0 : f32
  %v = qopt.linear %x, %wv : tensor<3x4xf32>, tensor<4x4xf32> -> tensor<3x4xf32>
  %heads = tensor.expand_shape %v [[0], [1, 2]] output_shape [3, 2, 2] : tensor<3x4xf32> into tensor<3x2x2xf32>
  %te = tensor.empty() : tensor<2x3x2xf32>
  %vt = linalg.transpose ins(%heads : tensor<3x2x2xf32>) outs(%te : tensor<2x3x2xf32>) permutation = [1, 0, 2]
  %init = tensor.empty() : tensor<2x3x2xf32>
  %acc = linalg.fill ins(%one : f32) outs(%init : tensor<2x3x2xf32>) -> tensor<2x3x2xf32>
  %pv = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "reduction", "parallel"]}
      ins(%p, %vt : tensor<2x3x3xf32>, tensor<2x3x2xf32>) outs(%acc : tensor<2x3x2xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %out, %m : f32
    linalg.yield %s : f32
  } -> tensor<2x3x2xf32>
  %me = tensor.empty() : tensor<3x2x2xf32>
  %merged = linalg.transpose ins(%pv : tensor<2x3x2xf32>) outs(%me : tensor<3x2x2xf32>) permutation = [1, 0, 2]
  %flat = tensor.collapse_shape %merged [[0], [1, 2]] : tensor<3x2x2xf32> into tensor<3x4xf32>
  %o = qopt.linear %flat, %wo {qopt.calib.channel_absmax = dense<[4.0, 1.0, 1.0, 9.0]> : tensor<4xf32>}
      : tensor<3x4xf32>, tensor<4x4xf32> -> tensor<3x4xf32>
  return %o : tensor<3x4xf32>
}
