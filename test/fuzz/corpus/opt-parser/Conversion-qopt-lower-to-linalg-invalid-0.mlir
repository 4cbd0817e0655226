func.func @observe(%x: tensor<1x8x64xf32>) -> tensor<1x8x64xf32> {
  %0 = qopt.observe %x {id = 0 : i64, label = "x"} : tensor<1x8x64xf32>
  return %0 : tensor<1x8x64xf32>
}
