func.func @f(%x: tensor<2x64xf32>, %g: tensor<32xf32>) -> tensor<2x64xf32> {
  %0 = qopt.norm rms %x, %g : tensor<2x64xf32>, tensor<32xf32>
  return %0 : tensor<2x64xf32>
}
