func.func @f(%x: tensor<1x64xf32>, %c: tensor<8x32xi8>, %s: tensor<8x2xf32>, %r: tensor<9xi32>, %v: tensor<3xf32>) -> tensor<1x8xf32> {
  %0 = "qopt.qlinear"(%x, %c, %s, %r, %v) <{format = #qopt.format<int4>, group = 32 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 1, 0, 1>}> : (tensor<1x64xf32>, tensor<8x32xi8>, tensor<8x2xf32>, tensor<9xi32>, tensor<3xf32>) -> tensor<1x8xf32>
  return %0 : tensor<1x8xf32>
}
