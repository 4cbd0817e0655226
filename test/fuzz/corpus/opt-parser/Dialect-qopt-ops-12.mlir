func.func @qconv2d(%x: tensor<1x4x9x9xf32>, %codes: tensor<6x9xi8>, %s: tensor<6x3xf32>, %b: tensor<6xf32>) -> tensor<1x6x5x5xf32> {
  %0 = qopt.qconv2d %x, %codes, %s bias(%b)
         {format = #qopt.format<int4>, group = 8 : i64, kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>,
          dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, groups = 2 : i64, act = #qopt.act<int8, per_tensor>}
         : (tensor<1x4x9x9xf32>, tensor<6x9xi8>, tensor<6x3xf32>, tensor<6xf32>) -> tensor<1x6x5x5xf32>
  return %0 : tensor<1x6x5x5xf32>
}
