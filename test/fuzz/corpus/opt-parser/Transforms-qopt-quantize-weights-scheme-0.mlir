func.func @mixed(%x: tensor<4x64xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %w = arith.constant dense<0.5> : tensor<8x64xf32>
  %a = qopt.linear %x, %w {qopt.weight_scheme = "int8"} : tensor<4x64xf32>, tensor<8x64xf32> -> tensor<4x8xf32>
  %b = qopt.linear %x, %w : tensor<4x64xf32>, tensor<8x64xf32> -> tensor<4x8xf32>
  %c = qopt.linear %x, %w {qopt.weight_scheme = "int2-g16"} : tensor<4x64xf32>, tensor<8x64xf32> -> tensor<4x8xf32>
  return %a, %b, %c : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}
