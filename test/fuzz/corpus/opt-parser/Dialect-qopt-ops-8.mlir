func.func @quantize_dequantize(%x: tensor<4x64xf32>, %s: tensor<1x4xf32>, %z: tensor<1x4xi8>)
    -> (tensor<4x64xf32>, tensor<4x64xf8E4M3FN>, tensor<4x64xf32>) {
  %codes, %scales = qopt.quantize %x {scheme = #qopt.act<int8, per_token>} : tensor<4x64xf32> -> tensor<4x64xi8>, tensor<4x1xf32>
  %0 = qopt.dequantize %codes, %scales {format = #qopt.format<int8>} : tensor<4x64xi8>, tensor<4x1xf32> -> tensor<4x64xf32>
  %c8, %s8 = qopt.quantize %x {scheme = #qopt.act<fp8_e4m3, per_tensor, scale = 0.25>} : tensor<4x64xf32> -> tensor<4x64xf8E4M3FN>, tensor<1x1xf32>
  %1 = qopt.dequantize %codes, %s zeros(%z : tensor<1x4xi8>) {format = #qopt.format<uint8>} : tensor<4x64xi8>, tensor<1x4xf32> -> tensor<4x64xf32>
  return %0, %c8, %1 : tensor<4x64xf32>, tensor<4x64xf8E4M3FN>, tensor<4x64xf32>
}
