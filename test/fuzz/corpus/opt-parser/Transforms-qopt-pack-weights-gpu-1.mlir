func.func @uint8_zeros(%x: tensor<32x16xf32>) -> tensor<32x1xf32> {
  %codes = arith.constant dense<[[10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25]]> : tensor<1x16xi8>
  %scales = arith.constant dense<0.5> : tensor<1x1xf32>
  %zeros = arith.constant dense<7> : tensor<1x1xi8>
  %y = qopt.qlinear %x, %codes, %scales zeros(%zeros) {format = #qopt.format<uint8>, group = 16 : i64}
         : (tensor<32x16xf32>, tensor<1x16xi8>, tensor<1x1xf32>, tensor<1x1xi8>) -> tensor<32x1xf32>
  return %y : tensor<32x1xf32>
}
