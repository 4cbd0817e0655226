func.func @attention_inputs(%x: tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  %x0 = qopt.observe %x {id = 7 : i64} : tensor<1x4x8xf32>
  %w = arith.constant dense<0.5> : tensor<8x8xf32>
  %q = qopt.linear %x0, %w : tensor<1x4x8xf32>, tensor<8x8xf32> -> tensor<1x4x8xf32> loc("wq")
  %k = qopt.linear %x0, %w : tensor<1x4x8xf32>, tensor<8x8xf32> -> tensor<1x4x8xf32> loc("wk")
  %s = arith.addf %q, %k : tensor<1x4x8xf32>
  %o = qopt.linear %s, %w : tensor<1x4x8xf32>, tensor<8x8xf32> -> tensor<1x4x8xf32> loc("wo")
  return %o : tensor<1x4x8xf32>
}

func.func @conv(%x: tensor<1x1x3x3xf32>) -> tensor<1x2x2x2xf32> {
  %w = arith.constant dense<0.5> : tensor<2x1x2x2xf32>
  %y = qopt.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>}
         : tensor<1x1x3x3xf32>, tensor<2x1x2x2xf32> -> tensor<1x2x2x2xf32> loc("conv1")
  return %y : tensor<1x2x2x2xf32>
}
