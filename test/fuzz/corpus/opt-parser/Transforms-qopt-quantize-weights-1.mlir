func.func @mx(%x: tensor<1x64xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<0.25> : tensor<2x64xf32>
  %y = qopt.linear %x, %w : tensor<1x64xf32>, tensor<2x64xf32> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
