// qopt-quantize-kv-cache: what it cannot convert is an error at the op.
// RUN: qopt-opt %s --qopt-quantize-kv-cache="format=int8 hadamard=true" --split-input-file --verify-diagnostics

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// R3 cannot follow the keys through a nonlinear op.
func.func @nonlinear(%knew: tensor<1x2x1x8xf32>,
                     %pk: tensor<1x2x64x8xf32> {qopt.kv_cache = "key"}) -> (tensor<1x2x65x8xf32>, tensor<1x2x65x8xf32>) {
  %ek = tensor.empty() : tensor<1x2x65x8xf32>
  %k0 = tensor.insert_slice %pk into %ek[0, 0, 0, 0] [1, 2, 64, 8] [1, 1, 1, 1] : tensor<1x2x64x8xf32> into tensor<1x2x65x8xf32>
  %k = tensor.insert_slice %knew into %k0[0, 0, 64, 0] [1, 2, 1, 8] [1, 1, 1, 1] : tensor<1x2x1x8xf32> into tensor<1x2x65x8xf32>
  %e = tensor.empty() : tensor<1x2x65x8xf32>
  // expected-error @+1 {{R3 follows the cached keys' 8 channels to the products with the queries, but an op other than a reshape, transpose, head repeat or product reads them}}
  %x = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%k : tensor<1x2x65x8xf32>) outs(%e : tensor<1x2x65x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %y = math.exp %in : f32
    linalg.yield %y : f32
  } -> tensor<1x2x65x8xf32>
  return %k, %x : tensor<1x2x65x8xf32>, tensor<1x2x65x8xf32>
}

// -----

// Keys read directly, never concatenated with the step's new ones.
// expected-error @+1 {{argument 0 (keys) is not concatenated with the step's new keys into present}}
func.func @no_concat(%pk: tensor<1x2x64x8xf32> {qopt.kv_cache = "key"}) -> tensor<1x2x64x8xf32> {
  return %pk : tensor<1x2x64x8xf32>
}

// -----

// A marked argument that is not [1, heads, slots, head_size] f32.
// expected-error @+1 {{argument 0 is marked qopt.kv_cache but is not a key or value cache}}
func.func @not_a_cache(%pv: tensor<2x64x8xf32> {qopt.kv_cache = "value"}) -> tensor<2x64x8xf32> {
  return %pv : tensor<2x64x8xf32>
}
