func.func @no_concat(%pk: tensor<1x2x64x8xf32> {qopt.kv_cache = "key"}) -> tensor<1x2x64x8xf32> {
  return %pk : tensor<1x2x64x8xf32>
}
