func.func @dequantize_blocked(%codes: tensor<4x64xi8>, %scales: tensor<4x4xf32>) -> tensor<4x64xf32> {
  %0 = qopt.dequantize %codes, %scales {format = #qopt.format<int8>} : tensor<4x64xi8>, tensor<4x4xf32> -> tensor<4x64xf32>
  return %0 : tensor<4x64xf32>
}
