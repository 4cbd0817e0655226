func.func @norm(%x: tensor<8x4xf32>) -> tensor<8x2xf32> {
  %gamma = arith.constant dense<1.0> : tensor<4xf32>
  %beta = arith.constant dense<0.5> : tensor<4xf32>
  %w = arith.constant dense<[[1.0, 0.25, -0.5, 2.0], [-0.75, 1.0, 0.125, -1.5]]> : tensor<2x4xf32>
  %n = qopt.norm rms %x, %gamma, %beta : tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>
  %y = qopt.linear %n, %w {qopt.calib.channel_absmax = dense<[8.0, 1.0, 1.0, 1.0]> : tensor<4xf32>,
                           qopt.calib.absmax = 8.0 : f32,
                           qopt.calib.hessian = dense<[[64.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0],
                                                       [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf32>}
      : tensor<8x4xf32>, tensor<2x4xf32> -> tensor<8x2xf32>
  return %y : tensor<8x2xf32>
}
