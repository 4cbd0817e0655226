func.func @f(%x: tensor<4x4611686018427387904xf32>, %codes: tensor<32x32xi8>, %scales: tensor<32x2xf16>) -> tensor<4x32xf32> {
  %0 = qopt.qlinear %x, %codes, %scales {format = #qopt.format<uint4>, group = 32 : i64, layout = 1 : i32}
      : (tensor<4x4611686018427387904xf32>, tensor<32x32xi8>, tensor<32x2xf16>) -> tensor<4x32xf32>
  return %0 : tensor<4x32xf32>
}
