func.func @qlinear_int4_asymmetric(%x: tensor<4x64xf32>, %codes: tensor<32x32xi8>,
    %scales: tensor<32x2xf16>, %zeros: tensor<32x2xi8>, %b: tensor<32xf32>) -> tensor<4x32xf32> {
  %0 = qopt.qlinear %x, %codes, %scales zeros(%zeros) bias(%b) {format = #qopt.format<uint4>, group = 32 : i64}
      : (tensor<4x64xf32>, tensor<32x32xi8>, tensor<32x2xf16>, tensor<32x2xi8>, tensor<32xf32>) -> tensor<4x32xf32>
  return %0 : tensor<4x32xf32>
}
