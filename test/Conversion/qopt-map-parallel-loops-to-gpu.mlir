// RUN: qopt-opt %s --qopt-map-parallel-loops-to-gpu --gpu-map-parallel-loops --convert-parallel-loops-to-gpu --canonicalize | FileCheck %s
// RUN: not qopt-opt %s --qopt-map-parallel-loops-to-gpu=block-size=100 2>&1 | FileCheck %s --check-prefix=BAD

// A 4x100 loop becomes 400 iterations: 2 blocks of 256 threads, the guard
// for the last block's tail, the indices recovered innermost fastest.
// CHECK-LABEL: func.func @two_d
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[C256:.*]] = arith.constant 256 : index
// CHECK-DAG: %[[C400:.*]] = arith.constant 400 : index
// CHECK-DAG: %[[C100:.*]] = arith.constant 100 : index
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %[[C2]], {{.*}}) threads({{.*}}) in ({{.*}} = %[[C256]],
// CHECK: arith.cmpi ult, %{{.*}}, %[[C400]]
// CHECK: %[[J:.*]] = arith.remui %[[L:.*]], %[[C100]]
// CHECK: %[[I:.*]] = arith.divui %[[L]], %[[C100]]
// CHECK: memref.load %{{.*}}[%[[I]], %[[J]]]

// Ten iterations: one block of one warp.
// CHECK-LABEL: func.func @small
// CHECK: %[[C32:.*]] = arith.constant 32 : index
// CHECK: gpu.launch {{.*}} threads({{.*}}) in ({{.*}} = %[[C32]],

// A copy out of a strided view: a parallel loop of loads and stores.
// CHECK-LABEL: func.func @strided_copy
// CHECK-NOT: memref.copy
// CHECK: gpu.launch
// CHECK: memref.load %{{.*}} : memref<4x4xf32, strided<[8, 1], offset: 2>>
// CHECK: memref.store

// BAD: block-size must be a multiple of 32 in [32, 1024], not 100
func.func @two_d(%a: memref<4x100xf32>, %b: memref<4x100xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c100 = arith.constant 100 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c100) step (%c1, %c1) {
    %v = memref.load %a[%i, %j] : memref<4x100xf32>
    memref.store %v, %b[%i, %j] : memref<4x100xf32>
    scf.reduce
  }
  return
}
func.func @small(%a: memref<10xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c10 = arith.constant 10 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%i) = (%c0) to (%c10) step (%c1) {
    memref.store %f, %a[%i] : memref<10xf32>
    scf.reduce
  }
  return
}
func.func @strided_copy(%a: memref<4x8xf32>, %b: memref<4x4xf32>) {
  %s = memref.subview %a[0, 2] [4, 4] [1, 1] : memref<4x8xf32> to memref<4x4xf32, strided<[8, 1], offset: 2>>
  memref.copy %s, %b : memref<4x4xf32, strided<[8, 1], offset: 2>> to memref<4x4xf32>
  return
}
