func.func @uint8_zeros(%x: tensor<1x32xf32>) -> tensor<1x5xf32> {
  %codes = arith.constant dense<200> : tensor<5x32xi8>
  %scales = arith.constant dense<0.5> : tensor<5x2xf32>
  %zeros = arith.constant dense<128> : tensor<5x2xi8>
  %y = qopt.qlinear %x, %codes, %scales zeros(%zeros) {format = #qopt.format<uint8>, group = 16 : i64}
      : (tensor<1x32xf32>, tensor<5x32xi8>, tensor<5x2xf32>, tensor<5x2xi8>) -> tensor<1x5xf32>
  return %y : tensor<1x5xf32>
}
