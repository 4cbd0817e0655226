func.func @qlinear_bias(%x: tensor<1x4xf32>, %codes: tensor<2x4xi8>, %scales: tensor<2x1xf32>) -> tensor<1x2xf32> {
  %y = qopt.qlinear %x, %codes, %scales {format = #qopt.format<int8>, group = 4 : i64}
      : (tensor<1x4xf32>, tensor<2x4xi8>, tensor<2x1xf32>) -> tensor<1x2xf32>
  %b = arith.constant dense<[[1.0, 2.0]]> : tensor<1x2xf32>
  %z = arith.addf %y, %b : tensor<1x2xf32>
  return %z : tensor<1x2xf32>
}
