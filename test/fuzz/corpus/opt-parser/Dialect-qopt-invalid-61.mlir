func.func @f(%x: tensor<1x4x9x9xf32>, %codes: tensor<6x9xi8>, %s: tensor<6x1xf32>) -> tensor<1x6x7x7xf32> {
  %0 = qopt.qconv2d %x, %codes, %s {format = #qopt.format<int4>, group = 36 : i64, kernel = array<i64: 3, 3>,
         strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>}
         : (tensor<1x4x9x9xf32>, tensor<6x9xi8>, tensor<6x1xf32>) -> tensor<1x6x7x7xf32>
  return %0 : tensor<1x6x7x7xf32>
}
