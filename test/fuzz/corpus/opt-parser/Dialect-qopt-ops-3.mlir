func.func @qlinear_mxfp4(%x: tensor<2x64xbf16>, %codes: tensor<8x32xi8>,
    %scales: tensor<8x2xf8E8M0FNU>) -> tensor<2x8xbf16> {
  %0 = qopt.qlinear %x, %codes, %scales {format = #qopt.format<mxfp4>, group = 32 : i64}
      : (tensor<2x64xbf16>, tensor<8x32xi8>, tensor<8x2xf8E8M0FNU>) -> tensor<2x8xbf16>
  return %0 : tensor<2x8xbf16>
}
