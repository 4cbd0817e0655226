func.func @conv2d_direct(%x: tensor<1x2x5x16xf32>, %w: tensor<3x2x3x3xf32>, %b: tensor<3xf32>) -> tensor<1x3x5x16xf32> {
  %0 = qopt.conv2d %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, groups = 1 : i64}
      : tensor<1x2x5x16xf32>, tensor<3x2x3x3xf32>, tensor<3xf32> -> tensor<1x3x5x16xf32>
  return %0 : tensor<1x3x5x16xf32>
}
