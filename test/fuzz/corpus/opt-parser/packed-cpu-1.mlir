module {
  func.func @uint8_dot(%arg0: tensor<1x6xf32>) -> tensor<1x2xf32> {
    %cst = arith.constant dense_resource<qscales> : tensor<1x1x16xf32>
    %cst_0 = arith.constant dense_resource<qzeros> : tensor<1x1x16xi8>
    %cst_1 = arith.constant dense_resource<qcodes> : tensor<1x128xi8>
    %0 = qopt.qlinear %arg0, %cst_1, %cst zeros(%cst_0) {act = #qopt.act<int8, per_token>, format = #qopt.format<uint8>, group = 6 : i64, layout = 2 : i32} : (tensor<1x6xf32>, tensor<1x128xi8>, tensor<1x1x16xf32>, tensor<1x1x16xi8>) -> tensor<1x2xf32>
    return %0 : tensor<1x2xf32>
  }
}

{-#
  dialect_resources: {
    builtin: {
      qscales: "0x080000000000003F0000803E0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
      qzeros: "0x0800000007090000000000000000000000000000",
      qcodes: "0x08000000010203040B0C0D0E0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000050600000F1000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    }
  }
#-}
