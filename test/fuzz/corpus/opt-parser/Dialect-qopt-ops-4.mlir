func.func @qlinear_lut_outliers(%x: tensor<1x64xf32>, %codes: tensor<4x24xi8>, %scales: tensor<4x1xf32>,
    %codebook: tensor<4x8xf32>, %rows: tensor<5xi32>, %cols: tensor<3xi32>, %values: tensor<3xf32>)
    -> tensor<1x4xf32> {
  %0 = qopt.qlinear %x, %codes, %scales codebook(%codebook) outliers(%rows, %cols, %values)
      {format = #qopt.format<lut<8>>, group = 64 : i64}
      : (tensor<1x64xf32>, tensor<4x24xi8>, tensor<4x1xf32>, tensor<4x8xf32>, tensor<5xi32>, tensor<3xi32>, tensor<3xf32>) -> tensor<1x4xf32>
  return %0 : tensor<1x4xf32>
}
