func.func @f(%x: tensor<1x64xf32>, %c: tensor<1x64xi8>, %s: tensor<1x1x16xf32>) -> tensor<1x16xf32> {
  %0 = qopt.qlinear %x, %c, %s {format = #qopt.format<int3>, group = 64 : i64, layout = 1 : i32} : (tensor<1x64xf32>, tensor<1x64xi8>, tensor<1x1x16xf32>) -> tensor<1x16xf32>
  return %0 : tensor<1x16xf32>
}
