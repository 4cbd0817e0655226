func.func @qconv2d(%x: tensor<1x4x9x9xf32>, %codes: tensor<6x9xi8>, %s: tensor<6x3xf32>) -> tensor<1x6x1x1xf32> {
  %0 = qopt.qconv2d %x, %codes, %s
         {format = #qopt.format<int4>, group = 8 : i64, kernel = array<i64: 4294967296, 4294967296>, strides = array<i64: 8589934592, 8589934592>,
          dilations = array<i64: 1, 1>, pads = array<i64: 4294967296, 4294967296, 4294967296, 4294967296>, groups = 2 : i64}
         : (tensor<1x4x9x9xf32>, tensor<6x9xi8>, tensor<6x3xf32>) -> tensor<1x6x1x1xf32>
  return %0 : tensor<1x6x1x1xf32>
}
