// RUN: qopt-opt %s --split-input-file --verify-diagnostics --qopt-place-on-device=inputs=1 | FileCheck %s
// RUN: qopt-opt %s --split-input-file --verify-diagnostics --qopt-place-on-device | FileCheck %s --check-prefix=BOTH

// The input is copied to a device buffer, the output copied back from one;
// the weight becomes the runtime's device copy (a memref over the pointer
// qoptGpuConstant returns); the host loop runs as a one-thread kernel on
// device buffers; the dense copy is a gpu.memcpy.
// CHECK: func.func private @qoptGpuConstant(i64, i64) -> i64
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[X:.*]]: memref<4xf32>, %[[Y:.*]]: memref<4xf32>)
// CHECK: %[[G:.*]] = memref.get_global @weights
// CHECK: %[[P:.*]] = memref.extract_aligned_pointer_as_index %[[G]]
// CHECK: %[[A:.*]] = arith.index_cast %[[P]] : index to i64
// CHECK: %[[BYTES:.*]] = arith.constant 16 : i64
// CHECK: %[[D:.*]] = call @qoptGpuConstant(%[[A]], %[[BYTES]])
// CHECK: llvm.inttoptr %[[D]]
// CHECK: %[[W:.*]] = builtin.unrealized_conversion_cast {{.*}} to memref<4xf32>
// CHECK: %[[DX:.*]] = gpu.alloc () : memref<4xf32>
// CHECK-NEXT: gpu.memcpy %[[DX]], %[[X]]
// CHECK-NEXT: %[[DY:.*]] = gpu.alloc () : memref<4xf32>
// CHECK-NEXT: %[[T:.*]] = gpu.alloc () : memref<4xf32>
// CHECK: gpu.launch
// CHECK: scf.for
// CHECK: memref.load %[[DX]]
// CHECK: memref.load %[[W]]
// CHECK: memref.store {{.*}}, %[[T]]
// CHECK: gpu.terminator
// CHECK: gpu.memcpy %[[DY]], %[[T]]
// CHECK: gpu.dealloc %[[T]]
// CHECK-NOT: gpu.memcpy %[[X]]
// CHECK: gpu.memcpy %[[Y]], %[[DY]]
// CHECK: return

// With every argument both ways (inputs = -1): the input is copied back too.
// BOTH-LABEL: func.func @main
// BOTH: gpu.memcpy %[[DX:.*]], %arg0
// BOTH: gpu.memcpy %[[DY:.*]], %arg1
// BOTH: gpu.memcpy %arg0, %[[DX]]
// BOTH: gpu.memcpy %arg1, %[[DY]]
memref.global "private" constant @weights : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]>
func.func @main(%x: memref<4xf32>, %y: memref<4xf32>) {
  %w = memref.get_global @weights : memref<4xf32>
  %t = memref.alloc() {alignment = 64 : i64} : memref<4xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.for %i = %c0 to %c4 step %c1 {
    %a = memref.load %x[%i] : memref<4xf32>
    %b = memref.load %w[%i] : memref<4xf32>
    %s = arith.addf %a, %b : f32
    memref.store %s, %t[%i] : memref<4xf32>
  }
  memref.copy %t, %y : memref<4xf32> to memref<4xf32>
  memref.dealloc %t : memref<4xf32>
  return
}

// -----

// A host op whose result the host uses cannot become a kernel.
func.func @host_read(%x: memref<4xf32>, %y: memref<f32>) {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{reads or writes memory on the host and its results are used there}}
  %v = memref.load %x[%c0] : memref<4xf32>
  %w = arith.addf %v, %v : f32
  memref.store %w, %y[] : memref<f32>
  return
}
