func.func @escapes(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %g = arith.constant dense<1.0> : tensor<8xf32>
  %wq = arith.constant dense<0.125> : tensor<8x8xf32>
  %y = qopt.linear %x, %wq : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
  %n = qopt.norm rms %y, %g : tensor<4x8xf32>, tensor<8xf32>
  return %n, %y : tensor<4x8xf32>, tensor<4x8xf32>
}
