module {
  func.func @kept(%arg0: tensor<16x32xf32>, %arg1: tensor<32x32xf32>, %arg2: tensor<32x24xf32>, %arg3: tensor<32x48xf32>) -> (tensor<16x4xf32>, tensor<32x4xf32>, tensor<32x4xf32>, tensor<32x4xf32>, tensor<32x4xf32>) {
    %cst = arith.constant dense<1> : tensor<4x16xi8>
    %cst_0 = arith.constant dense<1> : tensor<4x12xi8>
    %cst_1 = arith.constant dense<1> : tensor<4x24xi8>
    %cst_2 = arith.constant dense<5.000000e-01> : tensor<4x1xf32>
    %cst_3 = arith.constant dense<5.000000e-01> : tensor<4x2xf32>
    %0 = qopt.qlinear %arg0, %cst, %cst_2 {format = #qopt.format<int4>, group = 32 : i64} : (tensor<16x32xf32>, tensor<4x16xi8>, tensor<4x1xf32>) -> tensor<16x4xf32>
    %1 = qopt.qlinear %arg1, %cst_0, %cst_2 {format = #qopt.format<int3>, group = 32 : i64} : (tensor<32x32xf32>, tensor<4x12xi8>, tensor<4x1xf32>) -> tensor<32x4xf32>
    %2 = qopt.qlinear %arg2, %cst_0, %cst_2 {format = #qopt.format<int4>, group = 24 : i64} : (tensor<32x24xf32>, tensor<4x12xi8>, tensor<4x1xf32>) -> tensor<32x4xf32>
    %3 = qopt.qlinear %arg3, %cst_1, %cst_3 {format = #qopt.format<int4>, group = 32 : i64} : (tensor<32x48xf32>, tensor<4x24xi8>, tensor<4x2xf32>) -> tensor<32x4xf32>
    %4 = qopt.qlinear %arg1, %cst, %cst_2 {act = #qopt.act<int8, per_token>, format = #qopt.format<int4>, group = 32 : i64} : (tensor<32x32xf32>, tensor<4x16xi8>, tensor<4x1xf32>) -> tensor<32x4xf32>
    return %0, %1, %2, %3, %4 : tensor<16x4xf32>, tensor<32x4xf32>, tensor<32x4xf32>, tensor<32x4xf32>, tensor<32x4xf32>
  }
}
