func.func @conv_positions_as_rows(%x: tensor<1x2x1x1xf32>) -> tensor<1x16x1x1xf32> {
  %w = arith.constant dense<0.5> : tensor<16x2x1x1xf32>
  %0 = qopt.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, groups = 1 : i64}
      : tensor<1x2x1x1xf32>, tensor<16x2x1x1xf32> -> tensor<1x16x1x1xf32>
  return %0 : tensor<1x16x1x1xf32>
}
