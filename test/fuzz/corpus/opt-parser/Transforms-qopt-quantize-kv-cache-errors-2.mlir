func.func @not_a_cache(%pv: tensor<2x64x8xf32> {qopt.kv_cache = "value"}) -> tensor<2x64x8xf32> {
  return %pv : tensor<2x64x8xf32>
}
