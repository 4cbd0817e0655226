func.func @f(%x: tensor<4x64xf32>, %codes: tensor<32x32xi8>, %scales: tensor<32x2xf16>) -> tensor<f32> {
  %0 = qopt.qlinear %x, %codes, %scales {format = #qopt.format<uint4>, group = 32 : i64}
      : (tensor<4x64xf32>, tensor<32x32xi8>, tensor<32x2xf16>) -> tensor<f32>
  return %0 : tensor<f32>
}
