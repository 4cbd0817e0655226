func.func @f(%x: tensor<2x96xf32>) -> tensor<2x96xf32> {
  %0 = qopt.hadamard %x {size = 64 : i64} : tensor<2x96xf32>
  return %0 : tensor<2x96xf32>
}
