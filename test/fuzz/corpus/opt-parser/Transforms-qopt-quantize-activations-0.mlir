func.func @calibrated(%x: tensor<2x8xf32>) -> tensor<2x4xf32> {
  %codes = arith.constant dense<17> : tensor<4x4xi8>
  %scales = arith.constant dense<0.5> : tensor<4x1xf32>
  %y = qopt.qlinear %x, %codes, %scales {format = #qopt.format<int4>, group = 8 : i64,
         qopt.calib.absmax = 2.54 : f32,
         qopt.calib.abs_quantiles = dense<[1.0, 1.27, 2.0]> : tensor<3xf32>}
     : (tensor<2x8xf32>, tensor<4x4xi8>, tensor<4x1xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}


func.func @conv(%x: tensor<1x1x3x3xf32>) -> tensor<1x2x2x2xf32> {
  %codes = arith.constant dense<17> : tensor<2x2xi8>
  %scales = arith.constant dense<0.5> : tensor<2x1xf32>
  %y = qopt.qconv2d %x, %codes, %scales {format = #qopt.format<int4>, group = 4 : i64, kernel = array<i64: 2, 2>,
         strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>,
         qopt.calib.absmax = 5.0 : f32, qopt.calib.abs_quantiles = dense<[1.0, 1.27, 2.0]> : tensor<3xf32>}
     : (tensor<1x1x3x3xf32>, tensor<2x2xi8>, tensor<2x1xf32>) -> tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}
