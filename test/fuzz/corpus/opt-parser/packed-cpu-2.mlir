module {
  func.func @unpacked(%arg0: tensor<1x8xf32>, %arg1: tensor<2x4xi8>) -> (tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x2xf32>) {
    %cst = arith.constant dense<0> : tensor<2x3xi8>
    %cst_0 = arith.constant dense<0> : tensor<2x4xi8>
    %cst_1 = arith.constant dense<1.000000e+00> : tensor<2x1xf32>
    %0 = qopt.qlinear %arg0, %cst, %cst_1 {format = #qopt.format<int3>, group = 8 : i64} : (tensor<1x8xf32>, tensor<2x3xi8>, tensor<2x1xf32>) -> tensor<1x2xf32>
    %1 = qopt.qlinear %arg0, %cst_0, %cst_1 {act = #qopt.act<fp8_e4m3, per_token>, format = #qopt.format<int4>, group = 8 : i64} : (tensor<1x8xf32>, tensor<2x4xi8>, tensor<2x1xf32>) -> tensor<1x2xf32>
    %2 = qopt.qlinear %arg0, %arg1, %cst_1 {format = #qopt.format<int4>, group = 8 : i64} : (tensor<1x8xf32>, tensor<2x4xi8>, tensor<2x1xf32>) -> tensor<1x2xf32>
    return %0, %1, %2 : tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x2xf32>
  }
}
