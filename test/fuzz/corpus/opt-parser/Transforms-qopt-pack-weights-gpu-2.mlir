func.func @kept(%x: tensor<16x32xf32>, %y: tensor<32x32xf32>, %z: tensor<32x24xf32>, %w: tensor<32x48xf32>)
    -> (tensor<16x4xf32>, tensor<32x4xf32>, tensor<32x4xf32>, tensor<32x4xf32>, tensor<32x4xf32>) {
  %codes4 = arith.constant dense<1> : tensor<4x16xi8>
  %codes3 = arith.constant dense<1> : tensor<4x12xi8>
  %codes24 = arith.constant dense<1> : tensor<4x12xi8>
  %codes48 = arith.constant dense<1> : tensor<4x24xi8>
  %scales = arith.constant dense<0.5> : tensor<4x1xf32>
  %scales2 = arith.constant dense<0.5> : tensor<4x2xf32>
  %a = qopt.qlinear %x, %codes4, %scales {format = #qopt.format<int4>, group = 32 : i64}
         : (tensor<16x32xf32>, tensor<4x16xi8>, tensor<4x1xf32>) -> tensor<16x4xf32>
  %b = qopt.qlinear %y, %codes3, %scales {format = #qopt.format<int3>, group = 32 : i64}
         : (tensor<32x32xf32>, tensor<4x12xi8>, tensor<4x1xf32>) -> tensor<32x4xf32>
  %c = qopt.qlinear %z, %codes24, %scales {format = #qopt.format<int4>, group = 24 : i64}
         : (tensor<32x24xf32>, tensor<4x12xi8>, tensor<4x1xf32>) -> tensor<32x4xf32>
  %d = qopt.qlinear %w, %codes48, %scales2 {format = #qopt.format<int4>, group = 32 : i64}
         : (tensor<32x48xf32>, tensor<4x24xi8>, tensor<4x2xf32>) -> tensor<32x4xf32>
  %e = qopt.qlinear %y, %codes4, %scales {format = #qopt.format<int4>, group = 32 : i64, act = #qopt.act<int8, per_token>}
         : (tensor<32x32xf32>, tensor<4x16xi8>, tensor<4x1xf32>) -> tensor<32x4xf32>
  return %a, %b, %c, %d, %e : tensor<16x4xf32>, tensor<32x4xf32>, tensor<32x4xf32>, tensor<32x4xf32>, tensor<32x4xf32>
}
