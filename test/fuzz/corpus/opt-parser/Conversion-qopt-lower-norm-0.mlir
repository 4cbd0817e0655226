func.func @rms(%x: tensor<1x8x64xf32>, %g: tensor<64xf32>) -> tensor<1x8x64xf32> {
  %0 = qopt.norm rms %x, %g {epsilon = 1.0e-6 : f32} : tensor<1x8x64xf32>, tensor<64xf32>
  return %0 : tensor<1x8x64xf32>
}

func.func @layer(%x: tensor<8x64xf32>, %g: tensor<64xf32>, %b: tensor<64xf32>) -> tensor<8x64xf32> {
  %0 = qopt.norm layer %x, %g, %b : tensor<8x64xf32>, tensor<64xf32>, tensor<64xf32>
  return %0 : tensor<8x64xf32>
}
