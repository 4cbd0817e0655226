func.func @observe_is_kept(%x: tensor<4xf32>) {
  %0 = qopt.observe %x {id = 0 : i64} : tensor<4xf32>
  return
}
