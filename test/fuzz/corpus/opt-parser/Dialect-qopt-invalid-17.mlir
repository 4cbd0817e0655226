func.func @f(%x: tensor<f32>, %c: tensor<8x32xi8>, %s: tensor<8x2xf32>) -> tensor<f32> {
  %0 = qopt.qlinear %x, %c, %s {format = #qopt.format<int4>, group = 32 : i64} : (tensor<f32>, tensor<8x32xi8>, tensor<8x2xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}
