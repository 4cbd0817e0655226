func.func @f(%x: tensor<2x64xf32>, %g: tensor<64xf32>) -> tensor<2x64xf32> {
  %0 = qopt.norm rms %x, %g {epsilon = -1.0e-5 : f32} : tensor<2x64xf32>, tensor<64xf32>
  return %0 : tensor<2x64xf32>
}
