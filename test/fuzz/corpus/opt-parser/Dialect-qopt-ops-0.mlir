func.func @linear(%x: tensor<2x4x64xf32>, %w: tensor<32x64xf32>, %b: tensor<32xf32>)
    -> (tensor<2x4x32xf32>, tensor<2x4x32xf32>) {
  %0 = qopt.linear %x, %w, %b : tensor<2x4x64xf32>, tensor<32x64xf32>, tensor<32xf32> -> tensor<2x4x32xf32>
  %1 = qopt.linear %x, %w : tensor<2x4x64xf32>, tensor<32x64xf32> -> tensor<2x4x32xf32>
  return %0, %1 : tensor<2x4x32xf32>, tensor<2x4x32xf32>
}
