// RUN: qopt-opt %s --qopt-strided-copies-to-loops | FileCheck %s

// A copy into the interior of a padded buffer (a strided view) becomes a
// linalg.copy; a copy between contiguous buffers stays (it lowers to memcpy).
// CHECK-LABEL: func.func @copies
// CHECK: linalg.copy ins(%arg0 : memref<2x3xf32>) outs(%{{.*}} : memref<2x3xf32, strided<[5, 1], offset: 6>>)
// CHECK: memref.copy %arg0, %arg1 : memref<2x3xf32> to memref<2x3xf32>
func.func @copies(%x: memref<2x3xf32>, %y: memref<2x3xf32>, %padded: memref<4x5xf32>) {
  %interior = memref.subview %padded[1, 1] [2, 3] [1, 1] : memref<4x5xf32> to memref<2x3xf32, strided<[5, 1], offset: 6>>
  memref.copy %x, %interior : memref<2x3xf32> to memref<2x3xf32, strided<[5, 1], offset: 6>>
  memref.copy %x, %y : memref<2x3xf32> to memref<2x3xf32>
  return
}
