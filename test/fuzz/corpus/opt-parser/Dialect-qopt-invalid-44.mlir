func.func @f(%x: tensor<2x172xf32>) -> tensor<2x172xf32> {
  %0 = qopt.hadamard %x {size = 172 : i64} : tensor<2x172xf32>
  return %0 : tensor<2x172xf32>
}
