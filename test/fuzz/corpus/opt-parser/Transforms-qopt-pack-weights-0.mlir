func.func @int4_float(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %codes = arith.constant dense<[[33, 67], [-1, 16]]> : tensor<2x2xi8>
  %scales = arith.constant dense<[[0.5], [0.25]]> : tensor<2x1xf32>
  %y = qopt.qlinear %x, %codes, %scales {format = #qopt.format<int4>, group = 4 : i64}
         : (tensor<1x4xf32>, tensor<2x2xi8>, tensor<2x1xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
