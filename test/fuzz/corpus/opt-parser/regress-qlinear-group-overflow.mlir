func.func @f(%x: tensor<4x9223372036854775807xf32>, %codes: tensor<32x32xi8>, %scales: tensor<32x2xf16>) -> tensor<4x32xf32> {
  %0 = qopt.qlinear %x, %codes, %scales {format = #qopt.format<uint4>, group = 9223372036854775807 : i64}
      : (tensor<4x9223372036854775807xf32>, tensor<32x32xi8>, tensor<32x2xf16>) -> tensor<4x32xf32>
  return %0 : tensor<4x32xf32>
}
