// qopt-quantize-kv-cache on one decoder step with grouped-query attention
// (4 query heads over 2 key/value heads of 8 channels, 64 cache slots, one
// new token): the cache arguments' storage formats and R3.
// RUN: qopt-opt %s --qopt-quantize-kv-cache="format=f16" | FileCheck %s --check-prefix=F16
// RUN: qopt-opt %s --qopt-quantize-kv-cache="format=int8" | FileCheck %s --check-prefix=INT8
// RUN: qopt-opt %s --qopt-quantize-kv-cache="format=int4 hadamard=true" | FileCheck %s --check-prefix=INT4
// RUN: qopt-opt %s --qopt-quantize-kv-cache="format=f32 hadamard=true" | FileCheck %s --check-prefix=R3
// RUN: not qopt-opt %s --qopt-quantize-kv-cache="format=int8 group=48" 2>&1 | FileCheck %s --check-prefix=GROUP
// RUN: not qopt-opt %s --qopt-quantize-kv-cache="format=int3" 2>&1 | FileCheck %s --check-prefix=FORMAT

// f16: the arguments become f16 and are widened once, on entry.
// F16-LABEL: func.func @step
// F16-SAME: %[[PK:[a-z0-9]+]]: tensor<1x2x64x8xf16> {onnx.element_type = 10 : i32, onnx.name = "past_key_values.0.key"}
// F16-SAME: %[[PV:[a-z0-9]+]]: tensor<1x2x64x8xf16> {onnx.element_type = 10 : i32
// F16-SAME: -> (tensor<1x4x1x8xf32>, tensor<1x2x65x8xf32>, tensor<1x2x65x8xf32>)
// F16: %[[WV:.*]] = linalg.generic {{.*}} ins(%[[PV]] : tensor<1x2x64x8xf16>)
// F16: arith.extf %{{.*}} : f16 to f32
// F16: %[[WK:.*]] = linalg.generic {{.*}} ins(%[[PK]] : tensor<1x2x64x8xf16>)
// F16: tensor.insert_slice %[[WK]] into
// F16: tensor.insert_slice %[[WV]] into
// F16-NOT: qopt.hadamard

// int8: codes (onnx uint8) plus scale and offset arguments; keys per channel
// over groups of 32 slots ([1, 2, 2, 8]), values per slot over groups of 4
// channels (min(32, 8 / 2): [1, 2, 64, 2]).
// INT8-LABEL: func.func @step
// INT8-SAME: %[[PK:[a-z0-9]+]]: tensor<1x2x64x8xi8> {onnx.element_type = 2 : i32, onnx.name = "past_key_values.0.key"
// INT8-SAME: %[[PV:[a-z0-9]+]]: tensor<1x2x64x8xi8> {onnx.element_type = 2 : i32, onnx.name = "past_key_values.0.value"
// INT8-SAME: %[[KS:[a-z0-9]+]]: tensor<1x2x2x8xf32> {onnx.element_type = 1 : i32, onnx.name = "past_key_values.0.key.scale"}
// INT8-SAME: %[[KO:[a-z0-9]+]]: tensor<1x2x2x8xf32> {onnx.element_type = 1 : i32, onnx.name = "past_key_values.0.key.offset"}
// INT8-SAME: %{{[a-z0-9]+}}: tensor<1x2x64x2xf32> {onnx.element_type = 1 : i32, onnx.name = "past_key_values.0.value.scale"}
// INT8-SAME: %{{[a-z0-9]+}}: tensor<1x2x64x2xf32> {onnx.element_type = 1 : i32, onnx.name = "past_key_values.0.value.offset"}
// INT8: %[[CODES:.*]] = tensor.expand_shape %[[PK]] {{\[}}[0], [1], [2, 3], [4]] output_shape [1, 2, 2, 32, 8]
// INT8: %[[SCALES:.*]] = tensor.expand_shape %[[KS]] {{\[}}[0], [1], [2], [3, 4]] output_shape [1, 2, 2, 1, 8]
// INT8: linalg.generic {{.*}} ins(%[[CODES]], %[[SCALES]], %{{.*}} : tensor<1x2x2x32x8xi8>, tensor<1x2x2x1x8xf32>, tensor<1x2x2x1x8xf32>)
// INT8: arith.extui %{{.*}} : i8 to i32
// INT8-NOT: arith.shrui
// INT8: arith.uitofp
// INT8: arith.mulf
// INT8: arith.addf
// INT8: %[[KEYS:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0], [1], [2, 3], [4, 5]] : tensor<1x2x2x32x1x8xf32> into tensor<1x2x64x8xf32>
// INT8: tensor.insert_slice %[[KEYS]] into

// int4 together with R3 -- two codes a byte (plane p = bits 4p..4p+3), the new keys and
// the queries rotated by the Hadamard matrix of size 8.
// INT4-LABEL: func.func @step
// INT4-SAME: %[[Q:[a-z0-9]+]]: tensor<1x4x1x8xf32>, %[[KNEW:[a-z0-9]+]]: tensor<1x2x1x8xf32>
// INT4-SAME: tensor<1x2x64x4xi8> {onnx.element_type = 2 : i32, onnx.name = "past_key_values.0.key"
// INT4-SAME: tensor<1x2x64x4xi8>
// INT4-SAME: tensor<1x2x2x8xf32> {{.*}}"past_key_values.0.key.scale"
// INT4-SAME: tensor<1x2x64x2xf32> {{.*}}"past_key_values.0.value.scale"
// INT4: linalg.index 3
// INT4: arith.shrui
// INT4: arith.andi
// INT4: linalg.index 4
// INT4: %[[RK:.*]] = qopt.hadamard %[[KNEW]] {size = 8 : i64} : tensor<1x2x1x8xf32>
// INT4-NEXT: tensor.insert_slice %[[RK]] into %{{.*}}[0, 0, 64, 0]
// INT4: %[[RQ:.*]] = qopt.hadamard %[[Q]] {size = 8 : i64} : tensor<1x4x1x8xf32>
// INT4-NEXT: linalg.generic {{.*}} ins(%[[RQ]], %{{.*}} : tensor<1x4x1x8xf32>, tensor<1x4x8x65xf32>)
// INT4-NOT: qopt.hadamard

// Rotation alone keeps f32 storage; P.V is not rotated.
// R3-LABEL: func.func @step
// R3-SAME: tensor<1x2x64x8xf32> {onnx.name = "past_key_values.0.key"}
// R3-COUNT-2: qopt.hadamard
// R3-NOT: qopt.hadamard

// GROUP: error: 'func.func' op qopt-quantize-kv-cache: 64 cache slots are not whole groups of 48
// FORMAT: error: qopt-quantize-kv-cache: format 'int3' is not one of f32, f16, int8, int4

#bcast_in = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, 0, d3, d4)>
#id5 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>
#lhs = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
#rhs = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3, d4)>
#res = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>

func.func @step(%q: tensor<1x4x1x8xf32>, %knew: tensor<1x2x1x8xf32>, %vnew: tensor<1x2x1x8xf32>,
                %pk: tensor<1x2x64x8xf32> {qopt.kv_cache = "key", onnx.name = "past_key_values.0.key"},
                %pv: tensor<1x2x64x8xf32> {qopt.kv_cache = "value", onnx.name = "past_key_values.0.value"})
    -> (tensor<1x4x1x8xf32>, tensor<1x2x65x8xf32>, tensor<1x2x65x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %ek = tensor.empty() : tensor<1x2x65x8xf32>
  %k0 = tensor.insert_slice %pk into %ek[0, 0, 0, 0] [1, 2, 64, 8] [1, 1, 1, 1] : tensor<1x2x64x8xf32> into tensor<1x2x65x8xf32>
  %k = tensor.insert_slice %knew into %k0[0, 0, 64, 0] [1, 2, 1, 8] [1, 1, 1, 1] : tensor<1x2x1x8xf32> into tensor<1x2x65x8xf32>
  %ev = tensor.empty() : tensor<1x2x65x8xf32>
  %v0 = tensor.insert_slice %pv into %ev[0, 0, 0, 0] [1, 2, 64, 8] [1, 1, 1, 1] : tensor<1x2x64x8xf32> into tensor<1x2x65x8xf32>
  %v = tensor.insert_slice %vnew into %v0[0, 0, 64, 0] [1, 2, 1, 8] [1, 1, 1, 1] : tensor<1x2x1x8xf32> into tensor<1x2x65x8xf32>
  // Grouped-query attention: each key head serves two query heads.
  %kx = tensor.expand_shape %k [[0], [1], [2, 3], [4]] output_shape [1, 2, 1, 65, 8] : tensor<1x2x65x8xf32> into tensor<1x2x1x65x8xf32>
  %kr0 = tensor.empty() : tensor<1x2x2x65x8xf32>
  %kr = linalg.generic {indexing_maps = [#bcast_in, #id5], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%kx : tensor<1x2x1x65x8xf32>) outs(%kr0 : tensor<1x2x2x65x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x2x2x65x8xf32>
  %kc = tensor.collapse_shape %kr [[0], [1, 2], [3], [4]] : tensor<1x2x2x65x8xf32> into tensor<1x4x65x8xf32>
  %kt0 = tensor.empty() : tensor<1x4x8x65xf32>
  %kt = linalg.transpose ins(%kc : tensor<1x4x65x8xf32>) outs(%kt0 : tensor<1x4x8x65xf32>) permutation = [0, 1, 3, 2]
  %s0 = tensor.empty() : tensor<1x4x1x65xf32>
  %s1 = linalg.fill ins(%zero : f32) outs(%s0 : tensor<1x4x1x65xf32>) -> tensor<1x4x1x65xf32>
  %s = linalg.generic {indexing_maps = [#lhs, #rhs, #res], iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]} ins(%q, %kt : tensor<1x4x1x8xf32>, tensor<1x4x8x65xf32>) outs(%s1 : tensor<1x4x1x65xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x1x65xf32>
  %vx = tensor.expand_shape %v [[0], [1], [2, 3], [4]] output_shape [1, 2, 1, 65, 8] : tensor<1x2x65x8xf32> into tensor<1x2x1x65x8xf32>
  %vr0 = tensor.empty() : tensor<1x2x2x65x8xf32>
  %vr = linalg.generic {indexing_maps = [#bcast_in, #id5], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%vx : tensor<1x2x1x65x8xf32>) outs(%vr0 : tensor<1x2x2x65x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x2x2x65x8xf32>
  %vc = tensor.collapse_shape %vr [[0], [1, 2], [3], [4]] : tensor<1x2x2x65x8xf32> into tensor<1x4x65x8xf32>
  %o0 = tensor.empty() : tensor<1x4x1x8xf32>
  %o1 = linalg.fill ins(%zero : f32) outs(%o0 : tensor<1x4x1x8xf32>) -> tensor<1x4x1x8xf32>
  %o = linalg.generic {indexing_maps = [#lhs, #rhs, #res], iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]} ins(%s, %vc : tensor<1x4x1x65xf32>, tensor<1x4x65x8xf32>) outs(%o1 : tensor<1x4x1x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x1x8xf32>
  return %o, %k, %v : tensor<1x4x1x8xf32>, tensor<1x2x65x8xf32>, tensor<1x2x65x8xf32>
}
