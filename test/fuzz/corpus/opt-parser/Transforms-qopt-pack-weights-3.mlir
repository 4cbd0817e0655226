func.func @midpoint_zeros(%x: tensor<1x4xf32>) -> tensor<1x1xf32> {
  %codes = arith.constant dense<[[41, -8]]> : tensor<1x2xi8>
  %scales = arith.constant dense<0.5> : tensor<1x1xf32>
  %zeros = arith.constant dense<8> : tensor<1x1xi8>
  %y = qopt.qlinear %x, %codes, %scales zeros(%zeros) {format = #qopt.format<uint4>, group = 4 : i64}
         : (tensor<1x4xf32>, tensor<1x2xi8>, tensor<1x1xf32>, tensor<1x1xi8>) -> tensor<1x1xf32>
  return %y : tensor<1x1xf32>
}
