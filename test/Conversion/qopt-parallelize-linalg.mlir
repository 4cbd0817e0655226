// RUN: qopt-opt %s --split-input-file --qopt-parallelize-linalg | FileCheck %s

// An elementwise op of 2^17 points over [1, 128, 1024]: tiled along the
// first dimension of extent > 1 (128) into 16 tiles of 8 rows.
#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @elementwise
// CHECK: scf.parallel (%[[I:.*]]) = (%{{.*}}) to (%c128) step (%c8{{.*}})
// CHECK: memref.subview %arg0[0, %[[I]], 0] [1, 8, 1024] [1, 1, 1]
// CHECK: linalg.generic
// CHECK-SAME: memref<1x8x1024xf32, strided<[131072, 1024, 1], offset: ?>>
func.func @elementwise(%x: memref<1x128x1024xf32>, %y: memref<1x128x1024xf32>) {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x : memref<1x128x1024xf32>) outs(%y : memref<1x128x1024xf32>) {
  ^bb0(%a: f32, %b: f32):
    %e = math.exp %a : f32
    linalg.yield %e : f32
  }
  return
}

// -----

// A row reduction of 2^16 points: rows in parallel (7 tiles of the 7 rows:
// 7 is its own largest divisor under 16), the reduction inside each tile.
#in = affine_map<(d0, d1) -> (d0, d1)>
#out = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @rows
// CHECK: scf.parallel {{.*}} to (%c7) step (%c1{{.*}})
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
func.func @rows(%x: memref<7x9363xf32>, %y: memref<7xf32>) {
  linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<7x9363xf32>) outs(%y : memref<7xf32>) {
  ^bb0(%a: f32, %b: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Small ops and ops starting with a reduction stay as they are.
#in = affine_map<(d0, d1) -> (d0, d1)>
#out = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: scf.parallel
func.func @left_alone(%x: memref<64x64xf32>, %y: memref<64x64xf32>, %big: memref<512x512xf32>, %col: memref<512xf32>) {
  linalg.copy ins(%x : memref<64x64xf32>) outs(%y : memref<64x64xf32>)
  linalg.generic {indexing_maps = [#in, #out], iterator_types = ["reduction", "parallel"]}
      ins(%big : memref<512x512xf32>) outs(%col : memref<512xf32>) {
  ^bb0(%a: f32, %b: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  }
  return
}
