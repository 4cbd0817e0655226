func.func @no_hadamard(%x: tensor<4x172xf32>) -> tensor<4x8xf32> {
  %g = arith.constant dense<1.0> : tensor<8xf32>
  %w = arith.constant dense<0.125> : tensor<8x172xf32>
  %wq = arith.constant dense<0.125> : tensor<8x8xf32>
  %y = qopt.linear %x, %w : tensor<4x172xf32>, tensor<8x172xf32> -> tensor<4x8xf32>
  %n = qopt.norm rms %y, %g : tensor<4x8xf32>, tensor<8xf32>
  %z = qopt.linear %n, %wq : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
  return %z : tensor<4x8xf32>
}
