func.func @pow2(%x: tensor<1x8x128xf32>) -> tensor<1x8x128xf32> {
  %0 = qopt.hadamard %x {size = 64 : i64} : tensor<1x8x128xf32>
  return %0 : tensor<1x8x128xf32>
}

func.func @paley(%x: tensor<3x48xf32>) -> tensor<3x48xf32> {
  %0 = qopt.hadamard %x {size = 48 : i64} : tensor<3x48xf32>
  return %0 : tensor<3x48xf32>
}
