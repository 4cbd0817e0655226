func.func @f(%x: tensor<f32>) {
  %c, %s = qopt.quantize %x {scheme = #qopt.act<int8, per_token>} : tensor<f32> -> tensor<i8>, tensor<f32>
  return
}
