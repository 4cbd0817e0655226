func.func @f(%x: tensor<4x64xf32>) {
  %c, %s = qopt.quantize %x {scheme = #qopt.act<fp8_e4m3, per_token>} : tensor<4x64xf32> -> tensor<4x64xi8>, tensor<4x1xf32>
  return
}
