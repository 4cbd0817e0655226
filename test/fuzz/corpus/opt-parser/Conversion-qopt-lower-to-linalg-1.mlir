func.func @linear_2d(%x: tensor<1x64xf32>, %w: tensor<16x64xf32>) -> tensor<1x16xf32> {
  %0 = qopt.linear %x, %w : tensor<1x64xf32>, tensor<16x64xf32> -> tensor<1x16xf32>
  return %0 : tensor<1x16xf32>
}
