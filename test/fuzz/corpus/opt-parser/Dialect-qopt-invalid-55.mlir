func.func @f(%c: tensor<4x64xi8>, %s: tensor<4x1xf32>, %z: tensor<4x1xi8>) -> tensor<4x64xf32> {
  %0 = qopt.dequantize %c, %s zeros(%z : tensor<4x1xi8>) {format = #qopt.format<fp4_e2m1>} : tensor<4x64xi8>, tensor<4x1xf32> -> tensor<4x64xf32>
  return %0 : tensor<4x64xf32>
}
