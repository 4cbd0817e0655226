// RUN: qopt-opt %s --split-input-file --qopt-fuse-linear | FileCheck %s

// tosa.matmul with a [1, K, N] constant and a tosa.add bias: the weight is
// transposed to [N, K] into a resource blob, the [1, 1, N] bias reshaped to [N].
// CHECK-LABEL: func.func @tosa_matmul_bias
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x2xf32>)
// CHECK-DAG: %[[W:.*]] = arith.constant dense_resource<[[BLOB:.*_nk]]> : tensor<3x2xf32>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<[5.000000e-01, 1.500000e+00, 2.500000e+00]> : tensor<3xf32>
// CHECK: %[[Y:.*]] = qopt.linear %[[X]], %[[W]], %[[B]] : tensor<1x4x2xf32>, tensor<3x2xf32>, tensor<3xf32> -> tensor<1x4x3xf32>
// CHECK-NOT: tosa.
// CHECK: return %[[Y]]
func.func @tosa_matmul_bias(%x: tensor<1x4x2xf32>) -> tensor<1x4x3xf32> {
  %w = "tosa.const"() <{values = dense<[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]]> : tensor<1x2x3xf32>}> : () -> tensor<1x2x3xf32>
  %b = "tosa.const"() <{values = dense<[[[0.5, 1.5, 2.5]]]> : tensor<1x1x3xf32>}> : () -> tensor<1x1x3xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %0 = tosa.matmul %x, %w, %zp, %zp : (tensor<1x4x2xf32>, tensor<1x2x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x3xf32>
  %1 = tosa.add %0, %b : (tensor<1x4x3xf32>, tensor<1x1x3xf32>) -> tensor<1x4x3xf32>
  return %1 : tensor<1x4x3xf32>
}
// The transposed weight [[1, 4], [2, 5], [3, 6]] as little-endian f32 after
// the blob's alignment word.
// CHECK: [[BLOB]]: "0x080000000000803F00008040000000400000A040000040400000C040"

// -----

// A tosa.matmul whose weight is an argument is not a linear layer.
// CHECK-LABEL: func.func @tosa_matmul_dynamic_weight
// CHECK: tosa.matmul
// CHECK-NOT: qopt.linear
func.func @tosa_matmul_dynamic_weight(%x: tensor<1x4x2xf32>, %w: tensor<1x2x3xf32>) -> tensor<1x4x3xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %0 = tosa.matmul %x, %w, %zp, %zp : (tensor<1x4x2xf32>, tensor<1x2x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x3xf32>
  return %0 : tensor<1x4x3xf32>
}

// -----

// linalg.matmul into a zero fill, with a [K, N] resource weight and a bias
// through linalg.broadcast + linalg.add.
// CHECK-LABEL: func.func @linalg_matmul_broadcast_bias
// CHECK-SAME: (%[[X:.*]]: tensor<4x2xf32>)
// CHECK-DAG: %[[W:.*]] = arith.constant dense_resource<[[BLOB:.*_nk]]> : tensor<3x2xf32>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00]> : tensor<3xf32>
// CHECK: %[[Y:.*]] = qopt.linear %[[X]], %[[W]], %[[B]] : tensor<4x2xf32>, tensor<3x2xf32>, tensor<3xf32> -> tensor<4x3xf32>
// CHECK-NOT: linalg.
// CHECK: return %[[Y]]
func.func @linalg_matmul_broadcast_bias(%x: tensor<4x2xf32>) -> tensor<4x3xf32> {
  %w = arith.constant dense_resource<kn_weight> : tensor<2x3xf32>
  %b = arith.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<4x3xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%empty : tensor<4x3xf32>) -> tensor<4x3xf32>
  %0 = linalg.matmul ins(%x, %w : tensor<4x2xf32>, tensor<2x3xf32>) outs(%acc : tensor<4x3xf32>) -> tensor<4x3xf32>
  %bb = linalg.broadcast ins(%b : tensor<3xf32>) outs(%empty : tensor<4x3xf32>) dimensions = [0]
  %1 = linalg.add ins(%bb, %0 : tensor<4x3xf32>, tensor<4x3xf32>) outs(%empty : tensor<4x3xf32>) -> tensor<4x3xf32>
  return %1 : tensor<4x3xf32>
}
// CHECK: [[BLOB]]: "0x080000000000803F00008040000000400000A040000040400000C040"
{-#
  dialect_resources: {
    builtin: {
      // [[1, 2, 3], [4, 5, 6]]
      kn_weight: "0x040000000000803F0000004000004040000080400000A0400000C040"
    }
  }
#-}

// -----

// Transposed-B indexing maps: the [N, K] constant is used as it is. A
// decode-shaped (M = 1) bias add through arith.addf, operands swapped.
// CHECK-LABEL: func.func @linalg_matmul_transpose_b
// CHECK-SAME: (%[[X:.*]]: tensor<1x2xf32>)
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[\[}}1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00], [5.000000e+00, 6.000000e+00]]> : tensor<3x2xf32>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<1.000000e+00> : tensor<3xf32>
// CHECK: %[[Y:.*]] = qopt.linear %[[X]], %[[W]], %[[B]] : tensor<1x2xf32>, tensor<3x2xf32>, tensor<3xf32> -> tensor<1x3xf32>
// CHECK: return %[[Y]]
func.func @linalg_matmul_transpose_b(%x: tensor<1x2xf32>) -> tensor<1x3xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>
  %b = arith.constant dense<1.0> : tensor<1x3xf32>
  %zero = arith.constant dense<0.0> : tensor<1x3xf32>
  %0 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : tensor<1x2xf32>, tensor<3x2xf32>) outs(%zero : tensor<1x3xf32>) -> tensor<1x3xf32>
  %1 = arith.addf %b, %0 : tensor<1x3xf32>
  return %1 : tensor<1x3xf32>
}

// -----

// A matmul that accumulates into a non-zero tensor is not a plain linear; a
// bias that varies along M is not a bias.
// CHECK-LABEL: func.func @not_linear
// CHECK: linalg.matmul
// CHECK: %[[Y:.*]] = qopt.linear
// CHECK: arith.addf %[[Y]]
func.func @not_linear(%x: tensor<2x2xf32>, %acc: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %w = arith.constant dense<1.0> : tensor<2x3xf32>
  %0 = linalg.matmul ins(%x, %w : tensor<2x2xf32>, tensor<2x3xf32>) outs(%acc : tensor<2x3xf32>) -> tensor<2x3xf32>
  %zero = arith.constant dense<0.0> : tensor<2x3xf32>
  %1 = linalg.matmul ins(%x, %w : tensor<2x2xf32>, tensor<2x3xf32>) outs(%zero : tensor<2x3xf32>) -> tensor<2x3xf32>
  %rows = arith.constant dense<[[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]]> : tensor<2x3xf32>
  %2 = arith.addf %1, %rows : tensor<2x3xf32>
  return %0, %2 : tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// A matmul of dequantized constant codes [K, N] = [4, 2] with per-channel
// scales and zero points becomes qopt.qlinear: codes transposed to [N, K]
// and packed, scales and zeros laid out [N, 1] (group = K).
// CHECK-LABEL: func.func @dequantized_matmul
// CHECK-DAG: %[[CODES:.*]] = arith.constant dense_resource<[[CODEBLOB:.*]]> : tensor<2x4xi8>
// CHECK-DAG: %[[SCALES:.*]] = arith.constant dense_resource<{{.*}}> : tensor<2x1xf32>
// CHECK-DAG: %[[ZEROS:.*]] = arith.constant dense_resource<{{.*}}> : tensor<2x1xi8>
// CHECK: qopt.qlinear %arg0, %[[CODES]], %[[SCALES]] zeros(%[[ZEROS]]) {format = #qopt.format<int8>, group = 4 : i64}
// CHECK-NOT: linalg.matmul
func.func @dequantized_matmul(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %codes = arith.constant dense<[[1, 2], [3, 4], [5, 6], [7, 8]]> : tensor<4x2xi8>
  %scales = arith.constant dense<[[0.5, 0.25]]> : tensor<1x2xf32>
  %zeros = arith.constant dense<[[1, -1]]> : tensor<1x2xi8>
  %w = qopt.dequantize %codes, %scales zeros(%zeros : tensor<1x2xi8>) {format = #qopt.format<int8>} : tensor<4x2xi8>, tensor<1x2xf32> -> tensor<4x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x2xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<3x2xf32>) -> tensor<3x2xf32>
  %y = linalg.matmul ins(%x, %w : tensor<3x4xf32>, tensor<4x2xf32>) outs(%acc : tensor<3x2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}
// Codes [N, K] = [[1, 3, 5, 7], [2, 4, 6, 8]] after the alignment word.
// CHECK: [[CODEBLOB]]: "0x0800000001030507020406

// -----

// A bias add after a qopt.qlinear folds into it too.
// CHECK-LABEL: func.func @qlinear_bias
// CHECK: %[[B:.*]] = arith.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK: %[[Y:.*]] = qopt.qlinear %arg0, %arg1, %arg2 bias(%[[B]]) {format = #qopt.format<int8>, group = 4 : i64}
// CHECK-NEXT: return %[[Y]]
func.func @qlinear_bias(%x: tensor<1x4xf32>, %codes: tensor<2x4xi8>, %scales: tensor<2x1xf32>) -> tensor<1x2xf32> {
  %y = qopt.qlinear %x, %codes, %scales {format = #qopt.format<int8>, group = 4 : i64}
      : (tensor<1x4xf32>, tensor<2x4xi8>, tensor<2x1xf32>) -> tensor<1x2xf32>
  %b = arith.constant dense<[[1.0, 2.0]]> : tensor<1x2xf32>
  %z = arith.addf %y, %b : tensor<1x2xf32>
  return %z : tensor<1x2xf32>
}
