func.func @qlinear_uint4(%x: tensor<2x64xf32>, %codes: tensor<16x32xi8>, %scales: tensor<16x2xf32>,
                         %zeros: tensor<16x2xi8>) -> tensor<2x16xf32> {
  %0 = qopt.qlinear %x, %codes, %scales zeros(%zeros) {format = #qopt.format<uint4>, group = 32 : i64}
      : (tensor<2x64xf32>, tensor<16x32xi8>, tensor<16x2xf32>, tensor<16x2xi8>) -> tensor<2x16xf32>
  return %0 : tensor<2x16xf32>
}
