// RMSNorm written with the squaring fused into the reduction and rsqrt in
// one row step becomes qopt.norm, with eps recovered and the gain generic
// that follows absorbed as gamma; x / (mean(x²) + eps), without the square
// root, is left alone.
// RUN: qopt-opt %s --qopt-recognize-norms --canonicalize | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0, 0)>
#ch = affine_map<(d0, d1) -> (d1)>

// CHECK-LABEL: func.func @fused_rms
// CHECK-SAME: (%[[X:.*]]: tensor<4x16xf32>)
// CHECK: %[[G:.*]] = arith.constant dense_resource<norm_gamma> : tensor<16xf32>
// CHECK-NEXT: %[[N:.*]] = qopt.norm rms %[[X]], %[[G]] {epsilon = 9.99999997E-7 : f32}
// CHECK-NEXT: return %[[N]]
func.func @fused_rms(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %zero = arith.constant 0.0 : f32
  %inv = arith.constant 0.0625 : f32
  %eps = arith.constant 1.0e-6 : f32
  %gain = arith.constant dense<[1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0, 4.0]> : tensor<16xf32>
  %e1 = tensor.empty() : tensor<4x1xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e1 : tensor<4x1xf32>) -> tensor<4x1xf32>
  %s = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x16xf32>) outs(%z : tensor<4x1xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %sq = arith.mulf %in, %in : f32
    %sum = arith.addf %acc, %sq : f32
    linalg.yield %sum : f32
  } -> tensor<4x1xf32>
  %e2 = tensor.empty() : tensor<4x1xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%s : tensor<4x1xf32>) outs(%e2 : tensor<4x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %in, %inv : f32
    %a = arith.addf %m, %eps : f32
    %q = math.rsqrt %a : f32
    linalg.yield %q : f32
  } -> tensor<4x1xf32>
  %e3 = tensor.empty() : tensor<4x16xf32>
  %n = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %r : tensor<4x16xf32>, tensor<4x1xf32>) outs(%e3 : tensor<4x16xf32>) {
  ^bb0(%in: f32, %in1: f32, %out: f32):
    %p = arith.mulf %in, %in1 : f32
    linalg.yield %p : f32
  } -> tensor<4x16xf32>
  %e4 = tensor.empty() : tensor<4x16xf32>
  %y = linalg.generic {indexing_maps = [#ch, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%gain, %n : tensor<16xf32>, tensor<4x16xf32>) outs(%e4 : tensor<4x16xf32>) {
  ^bb0(%g: f32, %in: f32, %out: f32):
    %p = arith.mulf %g, %in : f32
    linalg.yield %p : f32
  } -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// CHECK-LABEL: func.func @no_square_root
// CHECK-NOT: qopt.norm
// CHECK: return
func.func @no_square_root(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %zero = arith.constant 0.0 : f32
  %inv = arith.constant 0.0625 : f32
  %eps = arith.constant 1.0e-6 : f32
  %e1 = tensor.empty() : tensor<4x1xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e1 : tensor<4x1xf32>) -> tensor<4x1xf32>
  %s = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x16xf32>) outs(%z : tensor<4x1xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %sq = arith.mulf %in, %in : f32
    %sum = arith.addf %acc, %sq : f32
    linalg.yield %sum : f32
  } -> tensor<4x1xf32>
  %e3 = tensor.empty() : tensor<4x16xf32>
  %n = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %s : tensor<4x16xf32>, tensor<4x1xf32>) outs(%e3 : tensor<4x16xf32>) {
  ^bb0(%in: f32, %in1: f32, %out: f32):
    %m = arith.mulf %in1, %inv : f32
    %a = arith.addf %m, %eps : f32
    %p = arith.divf %in, %a : f32
    linalg.yield %p : f32
  } -> tensor<4x16xf32>
  return %n : tensor<4x16xf32>
}
