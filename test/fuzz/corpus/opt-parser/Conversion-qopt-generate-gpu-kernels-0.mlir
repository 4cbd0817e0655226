func.func @int4_bias(%x: tensor<3x64xf32>) -> tensor<3x8xf32> {
  %codes = arith.constant dense<17> : tensor<8x32xi8>
  %scales = arith.constant dense<0.5> : tensor<8x2xf16>
  %bias = arith.constant dense<1.0> : tensor<8xf32>
  %y = qopt.qlinear %x, %codes, %scales bias(%bias) {format = #qopt.format<int4>, group = 32 : i64}
      : (tensor<3x64xf32>, tensor<8x32xi8>, tensor<8x2xf16>, tensor<8xf32>) -> tensor<3x8xf32>
  return %y : tensor<3x8xf32>
}
