func.func @no_bias(%x: tensor<2x8xf32>) -> tensor<2x1xf32> {
  %w = arith.constant dense<[[1.0, -2.0, 3.0, -4.0, 0.5, 0.25, 9.0, 0.0]]> : tensor<1x8xf32>
  %y = qopt.linear %x, %w {qopt.calib.channel_mean = dense<[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0]> : tensor<8xf32>}
    : tensor<2x8xf32>, tensor<1x8xf32> -> tensor<2x1xf32>
  return %y : tensor<2x1xf32>
}
