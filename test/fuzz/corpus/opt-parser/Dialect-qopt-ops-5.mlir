func.func @qlinear_tail_group(%x: tensor<1x72xf32>, %codes: tensor<4x36xi8>, %scales: tensor<4x3xf32>) -> tensor<1x4xf32> {
  %0 = qopt.qlinear %x, %codes, %scales {format = #qopt.format<int4>, group = 32 : i64}
      : (tensor<1x72xf32>, tensor<4x36xi8>, tensor<4x3xf32>) -> tensor<1x4xf32>
  return %0 : tensor<1x4xf32>
}
