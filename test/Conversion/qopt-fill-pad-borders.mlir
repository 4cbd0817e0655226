// RUN: qopt-opt %s --split-input-file --qopt-fill-pad-borders | FileCheck %s

// A padded NCHW buffer as tensor.pad bufferizes (the whole buffer filled,
// then the source copied into the interior [0, 0, 1, 2] [1, 3, 4, 5]):
// only the border slabs are filled, rows 0 and 5, columns 0-1 and 7-8.
// CHECK-LABEL: func.func @pad_border
// CHECK: %[[BUF:.*]] = memref.alloc() {{.*}} : memref<1x3x6x9xf32>
// CHECK-NOT: linalg.map
// CHECK: %[[TOP:.*]] = memref.subview %[[BUF]][0, 0, 0, 0] [1, 3, 1, 9] [1, 1, 1, 1]
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[TOP]]
// CHECK: %[[BOTTOM:.*]] = memref.subview %[[BUF]][0, 0, 5, 0] [1, 3, 1, 9] [1, 1, 1, 1]
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[BOTTOM]]
// CHECK: %[[LEFT:.*]] = memref.subview %[[BUF]][0, 0, 0, 0] [1, 3, 6, 2] [1, 1, 1, 1]
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[LEFT]]
// CHECK: %[[RIGHT:.*]] = memref.subview %[[BUF]][0, 0, 0, 7] [1, 3, 6, 2] [1, 1, 1, 1]
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[RIGHT]]
// CHECK-NOT: linalg.fill
// CHECK: %[[INTERIOR:.*]] = memref.subview %[[BUF]][0, 0, 1, 2] [1, 3, 4, 5] [1, 1, 1, 1]
// CHECK: memref.copy %{{.*}}, %[[INTERIOR]]
func.func @pad_border(%x: memref<1x3x4x5xf32>) -> memref<1x3x6x9xf32> {
  %zero = arith.constant 0.0 : f32
  %buffer = memref.alloc() {alignment = 64 : i64} : memref<1x3x6x9xf32>
  linalg.map outs(%buffer : memref<1x3x6x9xf32>)
    (%init: f32) {
      linalg.yield %zero : f32
    }
  %interior = memref.subview %buffer[0, 0, 1, 2] [1, 3, 4, 5] [1, 1, 1, 1]
      : memref<1x3x6x9xf32> to memref<1x3x4x5xf32, strided<[162, 54, 9, 1], offset: 11>>
  memref.copy %x, %interior : memref<1x3x4x5xf32> to memref<1x3x4x5xf32, strided<[162, 54, 9, 1], offset: 11>>
  return %buffer : memref<1x3x6x9xf32>
}

// -----

// Left alone: the buffer read between the fill and the copy (the fill's
// values are observed), and a copy into a strided view.
// CHECK-LABEL: func.func @observed_fill
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : memref<4x8xf32>)
// CHECK: memref.load
// CHECK-LABEL: func.func @strided_interior
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : memref<4x8xf32>)
func.func @observed_fill(%x: memref<2x4xf32>) -> f32 {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %buffer = memref.alloc() : memref<4x8xf32>
  linalg.fill ins(%zero : f32) outs(%buffer : memref<4x8xf32>)
  %v = memref.load %buffer[%c0, %c0] : memref<4x8xf32>
  %interior = memref.subview %buffer[1, 2] [2, 4] [1, 1] : memref<4x8xf32> to memref<2x4xf32, strided<[8, 1], offset: 10>>
  memref.copy %x, %interior : memref<2x4xf32> to memref<2x4xf32, strided<[8, 1], offset: 10>>
  return %v : f32
}

func.func @strided_interior(%x: memref<2x4xf32>) -> memref<4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %buffer = memref.alloc() : memref<4x8xf32>
  linalg.fill ins(%zero : f32) outs(%buffer : memref<4x8xf32>)
  %interior = memref.subview %buffer[0, 0] [2, 4] [2, 2] : memref<4x8xf32> to memref<2x4xf32, strided<[16, 2]>>
  memref.copy %x, %interior : memref<2x4xf32> to memref<2x4xf32, strided<[16, 2]>>
  return %buffer : memref<4x8xf32>
}
