func.func @qlinear_int3_per_channel_w8a8_act(%x: tensor<1x64xf32>, %codes: tensor<16x24xi8>,
    %scales: tensor<16x1xf32>) -> tensor<1x16xf32> {
  %0 = qopt.qlinear %x, %codes, %scales {format = #qopt.format<int3>, group = 64 : i64, act = #qopt.act<int8, per_token>}
      : (tensor<1x64xf32>, tensor<16x24xi8>, tensor<16x1xf32>) -> tensor<1x16xf32>
  return %0 : tensor<1x16xf32>
}
