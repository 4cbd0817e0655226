// RUN: qopt-opt %s --qopt-insert-probes | FileCheck %s
// RUN: qopt-opt %s --qopt-insert-probes=outputs=true | FileCheck %s --check-prefix=OUT

// q and k read the same tensor: one probe, named after the first layer; the
// o projection reads another. Ids continue after the existing probe (7).
// CHECK-LABEL: func.func @attention_inputs
// CHECK: %[[P0:.*]] = qopt.observe %[[X:.*]] {id = 8 : i64, label = "wq.input"} : tensor<1x4x8xf32>
// CHECK: %[[Q:.*]] = qopt.linear %[[P0]], %{{.*}} : {{.*}} -> tensor<1x4x8xf32>
// CHECK: %[[K:.*]] = qopt.linear %[[P0]], %{{.*}} : {{.*}} -> tensor<1x4x8xf32>
// CHECK: %[[S:.*]] = arith.addf %[[Q]], %[[K]]
// CHECK: %[[P1:.*]] = qopt.observe %[[S]] {id = 9 : i64, label = "wo.input"}
// CHECK: qopt.linear %[[P1]]
// CHECK-NOT: qopt.observe

// OUT-LABEL: func.func @attention_inputs
// OUT: %[[Q:.*]] = qopt.linear
// OUT-NEXT: %[[QO:.*]] = qopt.observe %[[Q]] {id = 9 : i64, label = "wq.output"}
// OUT: %[[K:.*]] = qopt.linear
// OUT-NEXT: %[[KO:.*]] = qopt.observe %[[K]] {id = 10 : i64, label = "wk.output"}
// OUT: arith.addf %[[QO]], %[[KO]]
// OUT: %[[O:.*]] = qopt.linear
// OUT-NEXT: %[[OO:.*]] = qopt.observe %[[O]] {id = 12 : i64, label = "wo.output"}
// OUT: return %[[OO]]
func.func @attention_inputs(%x: tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  %x0 = qopt.observe %x {id = 7 : i64} : tensor<1x4x8xf32>
  %w = arith.constant dense<0.5> : tensor<8x8xf32>
  %q = qopt.linear %x0, %w : tensor<1x4x8xf32>, tensor<8x8xf32> -> tensor<1x4x8xf32> loc("wq")
  %k = qopt.linear %x0, %w : tensor<1x4x8xf32>, tensor<8x8xf32> -> tensor<1x4x8xf32> loc("wk")
  %s = arith.addf %q, %k : tensor<1x4x8xf32>
  %o = qopt.linear %s, %w : tensor<1x4x8xf32>, tensor<8x8xf32> -> tensor<1x4x8xf32> loc("wo")
  return %o : tensor<1x4x8xf32>
}

// Convolutions are layers too.
// CHECK-LABEL: func.func @conv
// CHECK: %[[P:.*]] = qopt.observe %arg0 {id = {{[0-9]+}} : i64, label = "conv1.input"} : tensor<1x1x3x3xf32>
// CHECK: qopt.conv2d %[[P]]
// OUT-LABEL: func.func @conv
// OUT: %[[C:.*]] = qopt.conv2d
// OUT-NEXT: qopt.observe %[[C]] {id = {{[0-9]+}} : i64, label = "conv1.output"}
func.func @conv(%x: tensor<1x1x3x3xf32>) -> tensor<1x2x2x2xf32> {
  %w = arith.constant dense<0.5> : tensor<2x1x2x2xf32>
  %y = qopt.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>}
         : tensor<1x1x3x3xf32>, tensor<2x1x2x2xf32> -> tensor<1x2x2x2xf32> loc("conv1")
  return %y : tensor<1x2x2x2xf32>
}
