func.func @unpacked(%x: tensor<1x8xf32>, %w: tensor<2x4xi8>) -> (tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x2xf32>) {
  %codes3 = arith.constant dense<0> : tensor<2x3xi8>
  %codes4 = arith.constant dense<0> : tensor<2x4xi8>
  %scales = arith.constant dense<1.0> : tensor<2x1xf32>
  %a = qopt.qlinear %x, %codes3, %scales {format = #qopt.format<int3>, group = 8 : i64}
         : (tensor<1x8xf32>, tensor<2x3xi8>, tensor<2x1xf32>) -> tensor<1x2xf32>
  %b = qopt.qlinear %x, %codes4, %scales {format = #qopt.format<int4>, group = 8 : i64, act = #qopt.act<fp8_e4m3, per_token>}
         : (tensor<1x8xf32>, tensor<2x4xi8>, tensor<2x1xf32>) -> tensor<1x2xf32>
  %c = qopt.qlinear %x, %w, %scales {format = #qopt.format<int4>, group = 8 : i64}
         : (tensor<1x8xf32>, tensor<2x4xi8>, tensor<2x1xf32>) -> tensor<1x2xf32>
  return %a, %b, %c : tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x2xf32>
}
