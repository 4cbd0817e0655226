func.func @main(%x: tensor<2x3xf32>) -> (tensor<2x3xf32> {onnx.name = "y"}) {
  %p = qopt.observe %x {id = 4 : i64, label = "fc.input"} : tensor<2x3xf32>
  %a = arith.addf %p, %p : tensor<2x3xf32>
  %q = qopt.observe %a {id = 5 : i64} : tensor<2x3xf32>
  %b = arith.mulf %q, %q : tensor<2x3xf32>
  return %b : tensor<2x3xf32>
}
