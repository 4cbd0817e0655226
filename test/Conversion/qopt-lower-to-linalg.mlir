// RUN: qopt-opt %s --split-input-file --qopt-lower-to-linalg --canonicalize | FileCheck %s

// A linear on [2, 4, 64] rows: collapse to [8, 64], matmul with the [N, K]
// weight under transposed-B maps into zeros, add the bias along rows, expand.
// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @linear_bias
// CHECK-SAME: (%[[X:.*]]: tensor<2x4x64xf32>, %[[W:.*]]: tensor<32x64xf32>, %[[BIAS:.*]]: tensor<32xf32>)
// CHECK: %[[ROWS:.*]] = tensor.collapse_shape %[[X]] {{\[\[}}0, 1], [2]] : tensor<2x4x64xf32> into tensor<8x64xf32>
// CHECK: %[[ZERO:.*]] = linalg.fill
// CHECK: %[[MM:.*]] = linalg.matmul indexing_maps = [#[[A]], #[[B]], #[[C]]] ins(%[[ROWS]], %[[W]] : tensor<8x64xf32>, tensor<32x64xf32>) outs(%[[ZERO]] : tensor<8x32xf32>)
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} ins(%[[MM]], %[[BIAS]] : tensor<8x32xf32>, tensor<32xf32>)
// CHECK: arith.addf
// CHECK: tensor.expand_shape %[[SUM]] {{\[\[}}0, 1], [2]] output_shape [2, 4, 32] : tensor<8x32xf32> into tensor<2x4x32xf32>
// CHECK-NOT: qopt.linear
func.func @linear_bias(%x: tensor<2x4x64xf32>, %w: tensor<32x64xf32>, %b: tensor<32xf32>) -> tensor<2x4x32xf32> {
  %0 = qopt.linear %x, %w, %b : tensor<2x4x64xf32>, tensor<32x64xf32>, tensor<32xf32> -> tensor<2x4x32xf32>
  return %0 : tensor<2x4x32xf32>
}

// -----

// Already 2-D and without bias: just the matmul.
// CHECK-LABEL: func.func @linear_2d
// CHECK: linalg.matmul
// CHECK-NOT: tensor.collapse_shape
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @linear_2d(%x: tensor<1x64xf32>, %w: tensor<16x64xf32>) -> tensor<1x16xf32> {
  %0 = qopt.linear %x, %w : tensor<1x64xf32>, tensor<16x64xf32> -> tensor<1x16xf32>
  return %0 : tensor<1x16xf32>
}

// -----

// qlinear (reference lowering): a generic over [N, K] unpacks each code from
// the packed row (two bytes read, shifted, masked), subtracts the zero point
// and scales it by its group's scale (map (n, k floordiv 32)); then the
// float weight feeds the same matmul as qopt.linear.
// CHECK-DAG: #[[GROUP:.*]] = affine_map<(d0, d1) -> (d0, d1 floordiv 32)>
// CHECK-LABEL: func.func @qlinear_uint4
// CHECK: %[[W:.*]] = linalg.generic {indexing_maps = [#[[GROUP]], #[[GROUP]], #{{.*}}]
// CHECK: tensor.extract
// CHECK: arith.shrui
// CHECK: arith.andi
// CHECK: arith.uitofp
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK: } -> tensor<16x64xf32>
// CHECK: linalg.matmul {{.*}} ins(%{{.*}}, %[[W]] : tensor<2x64xf32>, tensor<16x64xf32>)
// CHECK-NOT: qopt.qlinear
func.func @qlinear_uint4(%x: tensor<2x64xf32>, %codes: tensor<16x32xi8>, %scales: tensor<16x2xf32>,
                         %zeros: tensor<16x2xi8>) -> tensor<2x16xf32> {
  %0 = qopt.qlinear %x, %codes, %scales zeros(%zeros) {format = #qopt.format<uint4>, group = 32 : i64}
      : (tensor<2x64xf32>, tensor<16x32xi8>, tensor<16x2xf32>, tensor<16x2xi8>) -> tensor<2x16xf32>
  return %0 : tensor<2x16xf32>
}

// -----

// dequantize with blocked scales: the scale map divides by the block.
// CHECK-LABEL: func.func @dequantize_blocked
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[BLOCK:.*]], #{{.*}}]
// CHECK: arith.sitofp
// CHECK: arith.mulf
func.func @dequantize_blocked(%codes: tensor<4x64xi8>, %scales: tensor<4x4xf32>) -> tensor<4x64xf32> {
  %0 = qopt.dequantize %codes, %scales {format = #qopt.format<int8>} : tensor<4x64xi8>, tensor<4x4xf32> -> tensor<4x64xf32>
  return %0 : tensor<4x64xf32>
}

// -----

// Activation quantization before the product: per token, the row's absmax
// (a reduction over K) over 127 is the scale; codes round half to even and
// saturate at [-128, 127]; the product reads the dequantized activations.
// CHECK-LABEL: func.func @qlinear_act_per_token
// CHECK: %[[ABSMAX:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}} ins(%[[X:.*]] : tensor<2x64xf32>) outs(%{{.*}} : tensor<2xf32>)
// CHECK: math.absf
// CHECK: arith.maximumf
// CHECK: %[[FAKE:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[ABSMAX]] : tensor<2x64xf32>, tensor<2xf32>)
// CHECK: arith.divf %{{.*}}, %{{.*}} : f32
// CHECK: math.roundeven
// CHECK: arith.maximumf %{{.*}}, %cst{{.*}} : f32
// CHECK: arith.minimumf
// CHECK: arith.mulf
// CHECK: linalg.matmul {{.*}} ins(%[[FAKE]], %{{.*}} : tensor<2x64xf32>, tensor<8x64xf32>)
func.func @qlinear_act_per_token(%x: tensor<2x64xf32>, %c: tensor<8x32xi8>, %s: tensor<8x2xf32>) -> tensor<2x8xf32> {
  %0 = qopt.qlinear %x, %c, %s {format = #qopt.format<int4>, group = 32 : i64, act = #qopt.act<int8, per_token>} : (tensor<2x64xf32>, tensor<8x32xi8>, tensor<8x2xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

// A static per-tensor fp8 scheme: no reduction, the scale is a constant,
// and the code is the nearest e4m3 value (binade quantum, max 448).
// CHECK-LABEL: func.func @qlinear_act_static_fp8
// CHECK-DAG: %[[MAX:.*]] = arith.constant 4.480000e+02 : f32
// CHECK-DAG: %[[SCALE:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-NOT: "reduction"
// CHECK: %[[FAKE:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<2x64xf32>)
// CHECK: arith.divf %{{.*}}, %[[SCALE]] : f32
// CHECK: arith.bitcast %{{.*}} : f32 to i32
// CHECK: math.roundeven
// CHECK: arith.minimumf %{{.*}}, %[[MAX]] : f32
// CHECK: math.copysign
// CHECK: linalg.matmul {{.*}} ins(%[[FAKE]], %{{.*}} : tensor<2x64xf32>, tensor<8x64xf32>)
func.func @qlinear_act_static_fp8(%x: tensor<2x64xf32>, %c: tensor<8x32xi8>, %s: tensor<8x2xf32>) -> tensor<2x8xf32> {
  %0 = qopt.qlinear %x, %c, %s {format = #qopt.format<int4>, group = 32 : i64, act = #qopt.act<fp8_e4m3, per_tensor, scale = 0.5>} : (tensor<2x64xf32>, tensor<8x32xi8>, tensor<8x2xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

// A grouped, strided, padded convolution: pad the input, split channels
// into [groups, C / groups] (and the weight into [groups, F / groups, ...]),
// one generic with the window reductions outside the output positions,
// then the bias along channels.
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d3, d6 * 2 + d4, d7 * 2 + d5)>
// CHECK-DAG: #[[FILTER:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d1, d2, d3, d4, d5)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d2, d6, d7)>
// CHECK-LABEL: func.func @conv2d
// CHECK: %[[PADDED:.*]] = tensor.pad %arg0 low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: %[[X:.*]] = tensor.expand_shape %[[PADDED]] {{\[\[}}0], [1, 2], [3], [4]] output_shape [1, 2, 2, 11, 11]
// CHECK: %[[W:.*]] = tensor.expand_shape %arg1 {{\[\[}}0, 1], [2], [3], [4]] output_shape [2, 3, 2, 3, 3]
// CHECK: %[[CONV:.*]] = linalg.generic {indexing_maps = [#[[IN]], #[[FILTER]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "parallel", "parallel"]} ins(%[[X]], %[[W]] :
// CHECK: %[[Y:.*]] = tensor.collapse_shape %[[CONV]] {{\[\[}}0], [1, 2], [3], [4]] : tensor<1x2x3x5x5xf32> into tensor<1x6x5x5xf32>
// CHECK: linalg.generic {{.*}} ins(%[[Y]], %arg2 : tensor<1x6x5x5xf32>, tensor<6xf32>)
// CHECK-NOT: qopt.conv2d
func.func @conv2d(%x: tensor<1x4x9x9xf32>, %w: tensor<6x2x3x3xf32>, %b: tensor<6xf32>) -> tensor<1x6x5x5xf32> {
  %0 = qopt.conv2d %x, %w, %b {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, groups = 2 : i64}
         : tensor<1x4x9x9xf32>, tensor<6x2x3x3xf32>, tensor<6xf32> -> tensor<1x6x5x5xf32>
  return %0 : tensor<1x6x5x5xf32>
}

// -----

// qconv2d: the [F, K] = [6, 18] weight dequantized (int4 in groups of 8),
// reshaped to [groups, F / groups, C / groups, KH, KW]; the input quantized
// with one dynamic scale (absmax over every dimension), then convolved.
// CHECK-LABEL: func.func @qconv2d
// CHECK: %[[WEIGHT:.*]] = linalg.generic {{.*}} ins(%arg2 : tensor<6x3xf32>) outs(%{{.*}} : tensor<6x18xf32>)
// CHECK: %[[ABSMAX:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "reduction", "reduction", "reduction"]} ins(%arg0 : tensor<1x4x9x9xf32>) outs(%{{.*}} : tensor<f32>)
// CHECK: %[[FAKEQ:.*]] = linalg.generic {{.*}} ins(%arg0, %[[ABSMAX]] : tensor<1x4x9x9xf32>, tensor<f32>)
// CHECK: math.roundeven
// CHECK: tensor.pad %[[FAKEQ]] low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: tensor.expand_shape %[[WEIGHT]] {{\[\[}}0, 1], [2, 3, 4]] output_shape [2, 3, 2, 3, 3] : tensor<6x18xf32> into tensor<2x3x2x3x3xf32>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "parallel", "parallel"]
// CHECK-NOT: qopt.qconv2d
func.func @qconv2d(%x: tensor<1x4x9x9xf32>, %codes: tensor<6x9xi8>, %s: tensor<6x3xf32>) -> tensor<1x6x5x5xf32> {
  %0 = qopt.qconv2d %x, %codes, %s
         {format = #qopt.format<int4>, group = 8 : i64, kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>,
          dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, groups = 2 : i64, act = #qopt.act<int8, per_tensor>}
         : (tensor<1x4x9x9xf32>, tensor<6x9xi8>, tensor<6x3xf32>) -> tensor<1x6x5x5xf32>
  return %0 : tensor<1x6x5x5xf32>
}
