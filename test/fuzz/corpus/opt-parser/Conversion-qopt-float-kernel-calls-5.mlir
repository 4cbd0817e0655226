func.func @conv1x1(%x: tensor<1x4x3x5xf32>, %w: tensor<8x4x1x1xf32>) -> tensor<1x8x3x5xf32> {
  %0 = qopt.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, groups = 1 : i64}
      : tensor<1x4x3x5xf32>, tensor<8x4x1x1xf32> -> tensor<1x8x3x5xf32>
  return %0 : tensor<1x8x3x5xf32>
}
