func.func @qlinear_act_static_fp8(%x: tensor<2x64xf32>, %c: tensor<8x32xi8>, %s: tensor<8x2xf32>) -> tensor<2x8xf32> {
  %0 = qopt.qlinear %x, %c, %s {format = #qopt.format<int4>, group = 32 : i64, act = #qopt.act<fp8_e4m3, per_tensor, scale = 0.5>} : (tensor<2x64xf32>, tensor<8x32xi8>, tensor<8x2xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}
