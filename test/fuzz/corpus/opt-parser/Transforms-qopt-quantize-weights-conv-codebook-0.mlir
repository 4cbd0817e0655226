func.func @conv(%x: tensor<1x1x3x3xf32>) -> tensor<1x2x2x2xf32> {
  %w = arith.constant dense<[[[[3.0, -1.0], [0.5, 2.0]]], [[[0.0, 4.0], [5.0, 6.0]]]]> : tensor<2x1x2x2xf32>
  %b = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %y = qopt.conv2d %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>,
                               qopt.calib.channel_mean = dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>}
    : tensor<1x1x3x3xf32>, tensor<2x1x2x2xf32>, tensor<2xf32> -> tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}
