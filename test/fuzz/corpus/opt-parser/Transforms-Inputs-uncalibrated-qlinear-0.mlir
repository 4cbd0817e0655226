func.func @uncalibrated(%x: tensor<2x8xf32>, %w: tensor<4x8xf32>) -> tensor<2x4xf32> {
  %codes = arith.constant dense<17> : tensor<4x4xi8>
  %scales = arith.constant dense<0.5> : tensor<4x1xf32>
  %y = qopt.qlinear %x, %codes, %scales {format = #qopt.format<int4>, group = 8 : i64}
     : (tensor<2x8xf32>, tensor<4x4xi8>, tensor<4x1xf32>) -> tensor<2x4xf32>
  %z = qopt.linear %x, %w : tensor<2x8xf32>, tensor<4x8xf32> -> tensor<2x4xf32>
  %s = arith.addf %y, %z : tensor<2x4xf32>
  return %s : tensor<2x4xf32>
}
