func.func @f(%x: tensor<f32>, %w: tensor<4x4xf32>) -> tensor<f32> {
  %0 = qopt.linear %x, %w : tensor<f32>, tensor<4x4xf32> -> tensor<f32>
  return %0 : tensor<f32>
}
