func.func @f(%x: tensor<2x64xf32>, %w: tensor<32x64xf32>) -> tensor<2x16xf32> {
  %0 = qopt.linear %x, %w : tensor<2x64xf32>, tensor<32x64xf32> -> tensor<2x16xf32>
  return %0 : tensor<2x16xf32>
}
