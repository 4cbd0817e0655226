func.func @conv(%x: tensor<1x1x3x3xf32>) -> tensor<1x2x2x2xf32> {
  %w = arith.constant dense<[[[[1.0, -2.0], [4.0, 8.0]]], [[[0.0, 0.0], [-1.0, 1.0]]]]> : tensor<2x1x2x2xf32>
  %b = arith.constant dense<[0.5, -0.5]> : tensor<2xf32>
  %y = qopt.conv2d %x, %w, %b {strides = array<i64: 1, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 1, 0, 1>,
                                qopt.calib.absmax = 3.0 : f32,
                                qopt.calib.hessian = dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf32>}
         : tensor<1x1x3x3xf32>, tensor<2x1x2x2xf32>, tensor<2xf32> -> tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}
