func.func @returned_probe(%x: tensor<2xf32>) -> tensor<2xf32> {
  %a = arith.negf %x : tensor<2xf32>
  %p = qopt.observe %a {id = 1 : i64} : tensor<2xf32>
  return %p : tensor<2xf32>
}
