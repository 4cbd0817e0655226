// RUN: qopt-opt %s --split-input-file --qopt-fuse-elementwise | FileCheck %s
// RUN: qopt-opt %s --split-input-file --qopt-fuse-elementwise=same-shape-chains-only=1 | FileCheck %s --check-prefix=CHAINS

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// An elementwise chain and the sum over all of its elements fuse: each
// exponential is computed once, inside the reduction.
// CHECK-LABEL: func.func @chain_into_reduction
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK: math.exp
// CHECK: arith.addf
// CHECK-NOT: linalg.generic
// Chains only: the reduction stays apart.
// CHAINS-LABEL: func.func @chain_into_reduction
// CHAINS: math.exp
// CHAINS: linalg.yield
// CHAINS: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
func.func @chain_into_reduction(%x: tensor<4x8xf32>, %acc: tensor<4xf32>) -> tensor<4xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %exp = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.exp %a : f32
    linalg.yield %r : f32
  } -> tensor<4x8xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%exp : tensor<4x8xf32>) outs(%acc : tensor<4xf32>) {
  ^bb0(%a: f32, %s: f32):
    %r = arith.addf %s, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  return %sum : tensor<4xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// An exponential feeding a matmul is not fused: the matmul reads each
// element once per output column.
// CHECK-LABEL: func.func @not_into_matmul
// CHECK: math.exp
// CHECK: linalg.yield
// CHECK: linalg.matmul
func.func @not_into_matmul(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>, %acc: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %exp = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.exp %a : f32
    linalg.yield %r : f32
  } -> tensor<4x8xf32>
  %y = linalg.matmul ins(%exp, %w : tensor<4x8xf32>, tensor<8x16xf32>) outs(%acc : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>

// HardSwish as ONNX writes it, HardSigmoid then Mul: with chains only, one
// generic over one input (the two reads of x merged), so that it can be a
// kernel's epilogue; the broadcast add after it stays apart.
// CHAINS-LABEL: func.func @hard_swish
// CHAINS: linalg.generic {{.*}} ins(%{{[a-z0-9]*}} : tensor<4x8xf32>)
// CHAINS: arith.minimumf
// CHAINS: arith.mulf
// CHAINS: linalg.yield
// CHAINS: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<4x8xf32>, tensor<8xf32>)
// CHAINS: arith.addf
func.func @hard_swish(%x: tensor<4x8xf32>, %bias: tensor<8xf32>) -> tensor<4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %half = arith.constant 0.5 : f32
  %sixth = arith.constant 0.16666667 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %hs = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %sixth : f32
    %s = arith.addf %m, %half : f32
    %lo = arith.maximumf %s, %zero : f32
    %hi = arith.minimumf %lo, %one : f32
    linalg.yield %hi : f32
  } -> tensor<4x8xf32>
  %swish = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %hs : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.mulf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<4x8xf32>
  %shifted = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%swish, %bias : tensor<4x8xf32>, tensor<8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<4x8xf32>
  return %shifted : tensor<4x8xf32>
}
