module {
  func.func @int4_float(%arg0: tensor<1x4xf32>) -> tensor<1x2xf32> {
    %cst = arith.constant dense_resource<qscales> : tensor<1x1x16xf32>
    %cst_0 = arith.constant dense_resource<qcodes> : tensor<1x32xi8>
    %0 = qopt.qlinear %arg0, %cst_0, %cst {format = #qopt.format<int4>, group = 4 : i64, layout = 1 : i32} : (tensor<1x4xf32>, tensor<1x32xi8>, tensor<1x1x16xf32>) -> tensor<1x2xf32>
    return %0 : tensor<1x2xf32>
  }
}

{-#
  dialect_resources: {
    builtin: {
      qscales: "0x080000000000003F0000803E0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
      qcodes: "0x0800000021FF000000000000000000000000000043100000000000000000000000000000"
    }
  }
#-}
