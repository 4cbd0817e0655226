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
