// Smoothing without a norm: a linear whose output reaches the readers
// through a step that commutes with positive per-channel scales (ReLU here;
// SwiGLU's product in its up operand) takes 1/s in its rows and bias. With
// max|X| = [4, 1] and max|W_:j| = [1, 1], alpha 0.5 gives s = [2, 1]:
// P = [[2, 4], [6, 8]] -> [[1, 2], [6, 8]], b = [2, 3] -> [1, 3], the reader
// [[1, 1], [1, 1]] -> [[2, 1], [2, 1]]. exp(x) does not commute: untouched.
// RUN: qopt-opt %s --qopt-smooth | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>

// CHECK-LABEL: func.func @relu
// CHECK: %[[P:.*]] = qopt.linear %arg0, %{{.*}}, %{{.*}} :
// CHECK: linalg.generic {{.*}} ins(%[[P]]
// CHECK: func.func @exp
// CHECK-NOT: smooth_
// CHECK: return
// CHECK-DAG: smooth_producer_weight: "0x080000000000803F000000400000C04000000041"
// CHECK-DAG: smooth_producer_bias: "0x080000000000803F00004040"
// CHECK-DAG: smooth_weight: "0x08000000000000400000803F000000400000803F"
func.func @relu(%x: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %p = arith.constant dense<[[2.0, 4.0], [6.0, 8.0]]> : tensor<2x2xf32>
  %b = arith.constant dense<[2.0, 3.0]> : tensor<2xf32>
  %c = arith.constant dense<1.0> : tensor<2x2xf32>
  %zero = arith.constant 0.0 : f32
  %h = qopt.linear %x, %p, %b : tensor<4x2xf32>, tensor<2x2xf32>, tensor<2xf32> -> tensor<4x2xf32>
  %e = tensor.empty() : tensor<4x2xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%h : tensor<4x2xf32>) outs(%e : tensor<4x2xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<4x2xf32>
  %y = qopt.linear %r, %c {qopt.calib.channel_absmax = dense<[4.0, 1.0]> : tensor<2xf32>}
      : tensor<4x2xf32>, tensor<2x2xf32> -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

func.func @exp(%x: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %p = arith.constant dense<[[2.0, 4.0], [6.0, 8.0]]> : tensor<2x2xf32>
  %c = arith.constant dense<1.0> : tensor<2x2xf32>
  %h = qopt.linear %x, %p : tensor<4x2xf32>, tensor<2x2xf32> -> tensor<4x2xf32>
  %e = tensor.empty() : tensor<4x2xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%h : tensor<4x2xf32>) outs(%e : tensor<4x2xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = math.exp %in : f32
    linalg.yield %m : f32
  } -> tensor<4x2xf32>
  %y = qopt.linear %r, %c {qopt.calib.channel_absmax = dense<[4.0, 1.0]> : tensor<2xf32>}
      : tensor<4x2xf32>, tensor<2x2xf32> -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}
