module {
  func.func @midpoint_zeros(%arg0: tensor<1x4xf32>) -> tensor<1x1xf32> {
    %cst = arith.constant dense_resource<qscales> : tensor<1x1x16xf32>
    %cst_0 = arith.constant dense_resource<qcodes> : tensor<1x32xi8>
    %0 = qopt.qlinear %arg0, %cst_0, %cst {format = #qopt.format<int4>, group = 4 : i64, layout = 1 : i32} : (tensor<1x4xf32>, tensor<1x32xi8>, tensor<1x1x16xf32>) -> tensor<1x1xf32>
    return %0 : tensor<1x1xf32>
  }
}

{-#
  dialect_resources: {
    builtin: {
      qscales: "0x080000000000003F000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
      qcodes: "0x08000000A100000000000000000000000000000070000000000000000000000000000000"
    }
  }
#-}
