func.func @sparse(%x: tensor<2x8xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<[[1.0, -2.0, 3.0, -4.0, 0.5, 0.25, 9.0, 0.0],
                             [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8],
                             [-1.0, -1.0, 2.0, 2.0, 3.0, 3.0, 4.0, 4.0],
                             [8.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]]> : tensor<4x8xf32>
  %b = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %y = qopt.linear %x, %w, %b {qopt.calib.channel_mean = dense<[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0]> : tensor<8xf32>,
                               qopt.calib.hessian = dense<1.0> : tensor<8x8xf32>}
    : tensor<2x8xf32>, tensor<4x8xf32>, tensor<4xf32> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}
