// RUN: qopt-opt %s --qopt-plan-device-memory | FileCheck %s

// Three 256-byte buffers and a 16-byte one in one 512-byte arena: %c is
// allocated after %a's last use and takes its bytes (its views keep it
// alive through the second call), %b overlaps both and gets its own, and %d
// comes after %c's last use. The deallocations go; the arena is freed at
// the return.
// CHECK-LABEL: func.func @plan() attributes {qopt.device_arena_bytes = 512 : i64}
// CHECK: %[[ARENA:.*]] = gpu.alloc () : memref<512xi8>
// CHECK: %[[A:.*]] = memref.view %[[ARENA]][%c0{{.*}}][] : memref<512xi8> to memref<64xf32>
// CHECK: %[[C256:.*]] = arith.constant 256 : index
// CHECK: %[[B:.*]] = memref.view %[[ARENA]][%[[C256]]][] : memref<512xi8> to memref<64xf32>
// CHECK: call @use(%[[A]], %[[B]])
// CHECK-NOT: gpu.dealloc
// CHECK: %[[C:.*]] = memref.view %[[ARENA]][%c0{{.*}}][] : memref<512xi8> to memref<64xf32>
// CHECK: memref.expand_shape %[[C]]
// CHECK: call @use(%[[B]],
// CHECK: %[[D:.*]] = memref.view %[[ARENA]][%c0{{.*}}][] : memref<512xi8> to memref<16xi8>
// CHECK: call @use_small(%[[D]])
// CHECK-NEXT: gpu.dealloc %[[ARENA]] : memref<512xi8>
// CHECK-NEXT: return
func.func private @use(memref<64xf32>, memref<64xf32>)
func.func private @use_small(memref<16xi8>)
func.func @plan() {
  %a = gpu.alloc () : memref<64xf32>
  %b = gpu.alloc () : memref<64xf32>
  call @use(%a, %b) : (memref<64xf32>, memref<64xf32>) -> ()
  gpu.dealloc %a : memref<64xf32>
  %c = gpu.alloc () : memref<64xf32>
  %cv = memref.expand_shape %c [[0, 1]] output_shape [8, 8] : memref<64xf32> into memref<8x8xf32>
  %cc = memref.collapse_shape %cv [[0, 1]] : memref<8x8xf32> into memref<64xf32>
  call @use(%b, %cc) : (memref<64xf32>, memref<64xf32>) -> ()
  %d = gpu.alloc () : memref<16xi8>
  call @use_small(%d) : (memref<16xi8>) -> ()
  gpu.dealloc %b : memref<64xf32>
  gpu.dealloc %c : memref<64xf32>
  gpu.dealloc %d : memref<16xi8>
  return
}
