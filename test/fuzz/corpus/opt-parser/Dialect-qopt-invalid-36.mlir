func.func @f(%x: tensor<1x64xf64>, %c: tensor<8x32xi8>, %s: tensor<8x2xf32>) -> tensor<1x8xf64> {
  %0 = qopt.qlinear %x, %c, %s {format = #qopt.format<int4>, group = 32 : i64, act = #qopt.act<int8, per_token>} : (tensor<1x64xf64>, tensor<8x32xi8>, tensor<8x2xf32>) -> tensor<1x8xf64>
  return %0 : tensor<1x8xf64>
}
