func.func @uint8_dot(%x: tensor<1x6xf32>) -> tensor<1x2xf32> {
  %codes = arith.constant dense<[[1, 2, 3, 4, 5, 6], [11, 12, 13, 14, 15, 16]]> : tensor<2x6xi8>
  %scales = arith.constant dense<[[0.5], [0.25]]> : tensor<2x1xf32>
  %zeros = arith.constant dense<[[7], [9]]> : tensor<2x1xi8>
  %y = qopt.qlinear %x, %codes, %scales zeros(%zeros)
         {format = #qopt.format<uint8>, group = 6 : i64, act = #qopt.act<int8, per_token>}
         : (tensor<1x6xf32>, tensor<2x6xi8>, tensor<2x1xf32>, tensor<2x1xi8>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
