func.func @uncovered(%x: tensor<2x64xf32>, %z: tensor<2x48xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %codes3 = arith.constant dense<1> : tensor<4x24xi8>
  %scales = arith.constant dense<0.5> : tensor<4x2xf32>
  %y = qopt.qlinear %x, %codes3, %scales {format = #qopt.format<int3>, group = 32 : i64}
      : (tensor<2x64xf32>, tensor<4x24xi8>, tensor<4x2xf32>) -> tensor<2x4xf32>
  %codes4 = arith.constant dense<1> : tensor<4x24xi8>
  %scales48 = arith.constant dense<0.5> : tensor<4x3xf32>
  %w = qopt.qlinear %z, %codes4, %scales48 {format = #qopt.format<int4>, group = 16 : i64}
      : (tensor<2x48xf32>, tensor<4x24xi8>, tensor<4x3xf32>) -> tensor<2x4xf32>
  return %y, %w : tensor<2x4xf32>, tensor<2x4xf32>
}
