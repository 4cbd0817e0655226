func.func @f(%x: tensor<f32>, %g: tensor<1xf32>) -> tensor<f32> {
  %0 = qopt.norm rms %x, %g : tensor<f32>, tensor<1xf32>
  return %0 : tensor<f32>
}
