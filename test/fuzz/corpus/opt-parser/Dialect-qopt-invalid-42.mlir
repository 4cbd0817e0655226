func.func @f(%x: tensor<2x64xf32>, %g: tensor<64xf32>, %b: tensor<2x64xf32>) -> tensor<2x64xf32> {
  %0 = qopt.norm layer %x, %g, %b : tensor<2x64xf32>, tensor<64xf32>, tensor<2x64xf32>
  return %0 : tensor<2x64xf32>
}
