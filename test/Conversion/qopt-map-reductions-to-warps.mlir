// RUN: qopt-opt %s --split-input-file --qopt-map-reductions-to-warps --canonicalize | FileCheck %s

// The sum of squares of a norm over rows of 256: a warp per row (2 rows:
// one block of 4 warps). Lanes start from 0, step through the row by 32,
// the body is cloned with the output argument as the lane's partial; 5 xor
// shuffles add the lanes; lane 0 adds the output's initial value. (One
// block: the warp is the row.)
// CHECK-LABEL: func.func @sum_of_squares
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[C256:.*]] = arith.constant 256 : index
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %c1{{.*}}) threads({{.*}}) in ({{.*}} = %c128
// CHECK: %[[LANE:.*]] = arith.remui %{{.*}}, %c32
// CHECK: %[[ROW:.*]] = arith.divui %{{.*}}, %c32
// CHECK: arith.cmpi ult, %[[ROW]], %[[C2]]
// CHECK: scf.for %[[K:.*]] = %[[LANE]] to %[[C256]] step %c32 iter_args(%[[ACC:.*]] = %[[ZERO]]) -> (f32)
// CHECK: %[[X:.*]] = memref.load %{{.*}}[%[[ROW]], %[[K]]] : memref<2x256xf32>
// CHECK: %[[SQ:.*]] = arith.mulf %[[X]], %[[X]]
// CHECK: %[[NEXT:.*]] = arith.addf %[[SQ]], %[[ACC]]
// CHECK: scf.yield %[[NEXT]]
// CHECK-COUNT-5: gpu.shuffle xor
// CHECK: arith.cmpi eq, %[[LANE]], %c0
// CHECK: %[[INIT:.*]] = memref.load %{{.*}}[%[[ROW]]] : memref<2xf32>
// CHECK: arith.addf %{{.*}}, %[[INIT]]
// CHECK: memref.store
// CHECK-NOT: linalg.generic
func.func @sum_of_squares(%x: memref<2x256xf32>, %out: memref<2xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<2x256xf32>) outs(%out : memref<2xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %sq = arith.mulf %a, %a : f32
    %sum = arith.addf %sq, %acc : f32
    linalg.yield %sum : f32
  }
  return
}

// -----

// A softmax's row maximum over 3 x 4 rows of 64 (a broadcast input and an
// index in the body): lanes start from -inf and combine with maxnumf; the
// warp's output (i, j) is delinearized from its number, j fastest.
// CHECK-LABEL: func.func @row_max
// CHECK-DAG: %[[NEG_INF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %c3{{.*}})
// CHECK: arith.remui %{{.*}}, %c4
// CHECK: arith.divui %{{.*}}, %c4
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[NEG_INF]]) -> (f32)
// CHECK: arith.index_cast
// CHECK-COUNT-5: arith.maxnumf
// CHECK: memref.store {{.*}} : memref<3x4xf32>
func.func @row_max(%x: memref<3x4x64xf32>, %bias: memref<64xf32>, %out: memref<3x4xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d2)>,
                                   affine_map<(d0, d1, d2) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %bias : memref<3x4x64xf32>, memref<64xf32>) outs(%out : memref<3x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %k = linalg.index 2 : index
    %ki = arith.index_cast %k : index to i32
    %kf = arith.sitofp %ki : i32 to f32
    %s = arith.addf %a, %b : f32
    %t = arith.addf %s, %kf : f32
    %m = arith.maxnumf %t, %acc : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// Left as they are: a reduction that is not the last loop, a short one, and
// one whose combiner is not a known one (a product).
// CHECK-LABEL: func.func @left
// CHECK-NOT: gpu.launch
// CHECK-COUNT-3: linalg.generic
func.func @left(%x: memref<64x8xf32>, %y: memref<8x16xf32>, %z: memref<8x64xf32>, %a: memref<8xf32>, %b: memref<8xf32>, %c: memref<8xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>],
                  iterator_types = ["reduction", "parallel"]}
      ins(%x : memref<64x8xf32>) outs(%a : memref<8xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %v, %acc : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%y : memref<8x16xf32>) outs(%b : memref<8xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %v, %acc : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%z : memref<8x64xf32>) outs(%c : memref<8xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.mulf %v, %acc : f32
    linalg.yield %s : f32
  }
  return
}
