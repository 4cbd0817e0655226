// RUN: qopt-opt %s --split-input-file --qopt-vectorize-linalg | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// An elementwise op over rows of 20: each row in tiles of 16, one full and
// one masked (4 lanes), loads, arithmetic and stores on vector<16xf32>;
// the per-row scale read once per tile as a scalar and broadcast.
// CHECK-LABEL: func.func @scaled_add
// CHECK-NOT: linalg.generic
// CHECK: scf.for
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c16
// CHECK: %[[LANES:.*]] = affine.min
// CHECK: %[[MASKS:.*]] = vector.create_mask %{{.*}}, %[[LANES]] : vector<1x16xi1>
// CHECK: %[[MASK:.*]] = vector.extract %[[MASKS]][0] : vector<16xi1> from vector<1x16xi1>
// CHECK: vector.transfer_read %{{.*}}, %[[MASK]] {{.*}} vector<16xf32>
// CHECK: vector.transfer_read {{.*}} vector<16xf32>
// CHECK: memref.load
// CHECK: vector.broadcast %{{.*}} : f32 to vector<16xf32>
// CHECK: arith.mulf {{.*}} : vector<16xf32>
// CHECK: arith.addf {{.*}} : vector<16xf32>
// CHECK: vector.transfer_write {{.*}} : vector<16xf32>
func.func @scaled_add(%x: memref<3x20xf32>, %y: memref<3x20xf32>, %s: memref<3xf32>, %out: memref<3x20xf32>) {
  linalg.generic {indexing_maps = [#id, #id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %y, %s : memref<3x20xf32>, memref<3x20xf32>, memref<3xf32>) outs(%out : memref<3x20xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32, %o: f32):
    %m = arith.mulf %a, %c : f32
    %r = arith.addf %m, %b : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// The copy into a padded buffer's interior (strided rows of 14 in rows of
// 16): one masked vector per row.
// CHECK-LABEL: func.func @copy_into_padded
// CHECK-NOT: linalg.copy
// CHECK: vector.create_mask {{.*}} : vector<1x1x1x16xi1>
// CHECK: vector.transfer_read {{.*}} : memref<1x1x1x?xf32, strided<[392, 196, 14, 1], offset: ?>>, vector<16xf32>
// CHECK: vector.transfer_write {{.*}} : vector<16xf32>, memref<1x1x1x?xf32, strided<[512, 256, 16, 1], offset: ?>>
func.func @copy_into_padded(%x: memref<1x2x14x14xf32>, %padded: memref<1x2x16x16xf32>) {
  %interior = memref.subview %padded[0, 0, 1, 1] [1, 2, 14, 14] [1, 1, 1, 1]
      : memref<1x2x16x16xf32> to memref<1x2x14x14xf32, strided<[512, 256, 16, 1], offset: 17>>
  linalg.copy ins(%x : memref<1x2x14x14xf32>) outs(%interior : memref<1x2x14x14xf32, strided<[512, 256, 16, 1], offset: 17>>)
  return
}

// -----

#in = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#sum = affine_map<(d0, d1, d2, d3) -> (d0, d1, 0, 0)>

// A global average pool's sum over rows of 20: each tile of 16 (the last
// masked: its missing lanes zeros) added horizontally into the channel's
// running sum, a scalar.
// CHECK-LABEL: func.func @pool_sum
// CHECK-NOT: linalg.generic
// CHECK: vector.transfer_read {{.*}} vector<16xf32>
// CHECK: %[[SUM:.*]] = memref.load
// CHECK: %[[LANES:.*]] = arith.select %{{.*}}, %{{.*}}, %{{.*}} : vector<16xi1>, vector<16xf32>
// CHECK: vector.reduction <add>, %[[LANES]], %[[SUM]] : vector<16xf32> into f32
// CHECK: memref.store
func.func @pool_sum(%x: memref<1x4x5x20xf32>, %y: memref<1x4x1x1xf32>) {
  linalg.generic {indexing_maps = [#in, #sum], iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%x : memref<1x4x5x20xf32>) outs(%y : memref<1x4x1x1xf32>) {
  ^bb0(%a: f32, %s: f32):
    %r = arith.addf %s, %a : f32
    linalg.yield %r : f32
  }
  return
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#t = affine_map<(d0, d1) -> (d1, d0)>

// Left to the loops: rows shorter than 8, and an operand that runs across
// the innermost loop (a transpose: no contiguous row to load).
// CHECK-LABEL: func.func @left_alone
// CHECK: linalg.generic
// CHECK: linalg.generic
// CHECK-NOT: vector.
func.func @left_alone(%x: memref<16x4xf32>, %y: memref<16x4xf32>, %t: memref<16x32xf32>, %u: memref<32x16xf32>) {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<16x4xf32>) outs(%y : memref<16x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.negf %a : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [#t, #id], iterator_types = ["parallel", "parallel"]}
      ins(%t : memref<16x32xf32>) outs(%u : memref<32x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  return
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// A select over a buffer of i1 (a byte per element) stays scalar: a
// vector<16xi1> transfer would read 16 packed bits.
// CHECK-LABEL: func.func @select_on_bytes_of_i1
// CHECK: linalg.generic
// CHECK-NOT: vector.transfer_read
func.func @select_on_bytes_of_i1(%c: memref<2x32xi1>, %x: memref<2x32xf32>, %y: memref<2x32xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%c, %x : memref<2x32xi1>, memref<2x32xf32>) outs(%y : memref<2x32xf32>) {
  ^bb0(%p: i1, %a: f32, %o: f32):
    %r = arith.select %p, %a, %zero : f32
    linalg.yield %r : f32
  }
  return
}
