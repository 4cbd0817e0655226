func.func @bad(%x: tensor<4x64xf32>) -> tensor<4x8xf32> {
  %w = arith.constant dense<0.5> : tensor<8x64xf32>
  %a = qopt.linear %x, %w {qopt.weight_scheme = "int4-gx"} : tensor<4x64xf32>, tensor<8x64xf32> -> tensor<4x8xf32>
  return %a : tensor<4x8xf32>
}
