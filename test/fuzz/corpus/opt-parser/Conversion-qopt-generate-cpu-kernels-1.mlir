func.func @int8_activations(%x: tensor<1x64xf32>) -> tensor<1x16xf32> {
  %codes = arith.constant dense<3> : tensor<16x64xi8>
  %scales = arith.constant dense<0.5> : tensor<16x1xf32>
  %y = qopt.qlinear %x, %codes, %scales {format = #qopt.format<int8>, group = 64 : i64, act = #qopt.act<int8, per_token>}
         : (tensor<1x64xf32>, tensor<16x64xi8>, tensor<16x1xf32>) -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}
