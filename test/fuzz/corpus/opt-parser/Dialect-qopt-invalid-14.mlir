func.func @f(%x: tensor<2x64xf32>, %w: tensor<32x64xf32>, %b: tensor<16xf32>) -> tensor<2x32xf32> {
  %0 = qopt.linear %x, %w, %b : tensor<2x64xf32>, tensor<32x64xf32>, tensor<16xf32> -> tensor<2x32xf32>
  return %0 : tensor<2x32xf32>
}
