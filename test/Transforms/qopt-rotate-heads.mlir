// qopt-rotate's per-head rotation (SpinQuant R2) on one attention block:
// v's output reaches o only head by head (split into 2 heads of 4, moved to
// [heads, tokens, 4], mixed over tokens by P.V, merged back), so v's rows
// and o's columns take one randomized Hadamard of size 4 per head. q's path
// goes through a nonlinear step (exp) and is left alone. Online Hadamards
// (R4) are off to isolate R2 from them.
// RUN: qopt-opt %s --qopt-rotate="online=false" --split-input-file --verify-diagnostics | FileCheck %s

#id2 = affine_map<(d0, d1) -> (d0, d1)>
#p = affine_map<(h, i, j, d) -> (h, i, j)>
#v = affine_map<(h, i, j, d) -> (h, j, d)>
#o = affine_map<(h, i, j, d) -> (h, i, d)>

// CHECK-LABEL: func.func @attention
// CHECK: %[[PLAIN:.*]] = arith.constant dense<2.500000e-01> : tensor<8x8xf32>
// CHECK: %[[WQ:.*]] = arith.constant dense_resource<rotated_weight{{.*}}> : tensor<8x8xf32>
// CHECK-NEXT: %[[Q:.*]] = qopt.linear %{{.*}}, %[[WQ]]
// CHECK: %[[WV:.*]] = arith.constant dense_resource<head_rotated_weight{{.*}}> : tensor<8x8xf32>
// CHECK-NEXT: %[[V:.*]] = qopt.linear %{{.*}}, %[[WV]]
// CHECK: tensor.expand_shape %[[V]] {{\[}}[0], [1, 2]] output_shape [4, 2, 4]
// CHECK: %[[WO:.*]] = arith.constant dense_resource<head_rotated_weight{{.*}}> : tensor<8x8xf32>
// CHECK-NEXT: qopt.linear %{{.*}}, %[[WO]]
// CHECK-NEXT: qopt.linear %{{.*}}, %[[PLAIN]]
func.func @attention(%input: tensor<4x8xf32>, %p: tensor<2x4x4xf32>) -> tensor<4x8xf32> {
  %g = arith.constant dense<1.0> : tensor<8xf32>
  %win = arith.constant dense<0.5> : tensor<8x8xf32>
  // The residual stream, written by a linear.
  %x = qopt.linear %input, %win : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
  %wq = arith.constant dense<0.125> : tensor<8x8xf32>
  %wv = arith.constant dense<[[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                              [0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0],
                              [0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0],
                              [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]]> : tensor<8x8xf32>
  %wo = arith.constant dense<0.25> : tensor<8x8xf32>
  %zero = arith.constant 0.0 : f32
  %n = qopt.norm rms %x, %g : tensor<4x8xf32>, tensor<8xf32>
  // q: a linear followed by exp, then o2: not linear, no R2.
  %q = qopt.linear %n, %wq : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
  %qe = tensor.empty() : tensor<4x8xf32>
  %qexp = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%q : tensor<4x8xf32>) outs(%qe : tensor<4x8xf32>) {
  ^bb0(%a: f32, %out: f32):
    %e = math.exp %a : f32
    linalg.yield %e : f32
  } -> tensor<4x8xf32>
  %v = qopt.linear %n, %wv : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
  %heads = tensor.expand_shape %v [[0], [1, 2]] output_shape [4, 2, 4] : tensor<4x8xf32> into tensor<4x2x4xf32>
  %te = tensor.empty() : tensor<2x4x4xf32>
  %vt = linalg.transpose ins(%heads : tensor<4x2x4xf32>) outs(%te : tensor<2x4x4xf32>) permutation = [1, 0, 2]
  %init = tensor.empty() : tensor<2x4x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%init : tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %pv = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "reduction", "parallel"]}
      ins(%p, %vt : tensor<2x4x4xf32>, tensor<2x4x4xf32>) outs(%acc : tensor<2x4x4xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %out, %m : f32
    linalg.yield %s : f32
  } -> tensor<2x4x4xf32>
  %me = tensor.empty() : tensor<4x2x4xf32>
  %merged = linalg.transpose ins(%pv : tensor<2x4x4xf32>) outs(%me : tensor<4x2x4xf32>) permutation = [1, 0, 2]
  %flat = tensor.collapse_shape %merged [[0], [1, 2]] : tensor<4x2x4xf32> into tensor<4x8xf32>
  %o = qopt.linear %flat, %wo : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
  %o2 = qopt.linear %qexp, %wo : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
  %re = tensor.empty() : tensor<4x8xf32>
  %r = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%o, %o2 : tensor<4x8xf32>, tensor<4x8xf32>) outs(%re : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}
