func.func @int4_gemm(%x: tensor<17x16xf32>) -> tensor<17x8xf32> {
  %codes = arith.constant dense<[[33, 67, 101, -121, -87, -53, -19, 15], [0, 0, 0, 0, 0, 0, 0, 0],
                                 [0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0],
                                 [0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0],
                                 [0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0]]> : tensor<8x8xi8>
  %scales = arith.constant dense<[[0.5], [0.25], [1.0], [1.0], [1.0], [1.0], [1.0], [1.0]]> : tensor<8x1xf32>
  %y = qopt.qlinear %x, %codes, %scales {format = #qopt.format<int4>, group = 16 : i64}
         : (tensor<17x16xf32>, tensor<8x8xi8>, tensor<8x1xf32>) -> tensor<17x8xf32>
  return %y : tensor<17x8xf32>
}
