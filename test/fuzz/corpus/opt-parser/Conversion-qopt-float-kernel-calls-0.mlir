func.func @linear(%x: tensor<2x3x3xf32>, %b: tensor<20xf32>) -> tensor<2x3x20xf32> {
  %w = arith.constant dense<0.5> : tensor<20x3xf32>
  %0 = qopt.linear %x, %w, %b : tensor<2x3x3xf32>, tensor<20x3xf32>, tensor<20xf32> -> tensor<2x3x20xf32>
  return %0 : tensor<2x3x20xf32>
}
