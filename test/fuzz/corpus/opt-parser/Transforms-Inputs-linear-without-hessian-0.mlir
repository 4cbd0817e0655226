func.func @uncalibrated(%x: tensor<2x8xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense<0.5> : tensor<2x8xf32>
  %y = qopt.linear %x, %w : tensor<2x8xf32>, tensor<2x8xf32> -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}
