func.func @f(%c: tensor<4x64xi8>, %s: tensor<4x1xf32>) -> tensor<4x32xf32> {
  %0 = qopt.dequantize %c, %s {format = #qopt.format<int8>} : tensor<4x64xi8>, tensor<4x1xf32> -> tensor<4x32xf32>
  return %0 : tensor<4x32xf32>
}
