func.func @f(%x: tensor<2x?xf32>) -> tensor<2x?xf32> {
  %0 = qopt.hadamard %x {size = 64 : i64} : tensor<2x?xf32>
  return %0 : tensor<2x?xf32>
}
