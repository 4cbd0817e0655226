// qopt.hadamard lowers to log2(2^k) butterfly stages, each one elementwise
// generic reading both halves of a pair, and for size = 2^k * m (m > 1) one
// contraction with the m x m Paley core; never a size x size matrix.
// RUN: qopt-opt %s --qopt-lower-to-linalg | FileCheck %s

// 64 = 2^6: six stages over [rows, blocks, 1, pairs, 2, half].
// CHECK-LABEL: func.func @pow2
// CHECK-COUNT-6: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]}
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @pow2(%x: tensor<1x8x128xf32>) -> tensor<1x8x128xf32> {
  %0 = qopt.hadamard %x {size = 64 : i64} : tensor<1x8x128xf32>
  return %0 : tensor<1x8x128xf32>
}

// 48 = 4 * 12: two stages, then the 12 x 12 core.
// CHECK-LABEL: func.func @paley
// CHECK: arith.constant dense_resource<hadamard_core> : tensor<12x12xf32>
// CHECK-COUNT-2: linalg.generic {{.*}}"parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @paley(%x: tensor<3x48xf32>) -> tensor<3x48xf32> {
  %0 = qopt.hadamard %x {size = 48 : i64} : tensor<3x48xf32>
  return %0 : tensor<3x48xf32>
}
