func.func @f(%x: tensor<4x64xf32>) {
  %c, %s = qopt.quantize %x {scheme = #qopt.act<int8, per_tensor>} : tensor<4x64xf32> -> tensor<4x64xi8>, tensor<4x1xf32>
  return
}
