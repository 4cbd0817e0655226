func.func @int4_gemm(%x: tensor<40x64xf32>) -> tensor<40x70xf32> {
  %codes = arith.constant dense<17> : tensor<70x32xi8>
  %scales = arith.constant dense<0.5> : tensor<70x2xf16>
  %bias = arith.constant dense<1.0> : tensor<70xf32>
  %y = qopt.qlinear %x, %codes, %scales bias(%bias) {format = #qopt.format<int4>, group = 32 : i64}
      : (tensor<40x64xf32>, tensor<70x32xi8>, tensor<70x2xf16>, tensor<70xf32>) -> tensor<40x70xf32>
  return %y : tensor<40x70xf32>
}
