func.func @f(%x: tensor<4x64xf32>, %codes: tensor<32x32xi8>, %scales: tensor<32x2xf16>, %rp: tensor<33xi32>, %c: tensor<5xi32>, %v: tensor<5xf32>) -> tensor<4x9223372036854775807xf32> {
  %0 = qopt.qlinear %x, %codes, %scales outliers(%rp, %c, %v) {format = #qopt.format<uint4>, group = 32 : i64}
      : (tensor<4x64xf32>, tensor<32x32xi8>, tensor<32x2xf16>, tensor<33xi32>, tensor<5xi32>, tensor<5xf32>) -> tensor<4x9223372036854775807xf32>
  return %0 : tensor<4x9223372036854775807xf32>
}
