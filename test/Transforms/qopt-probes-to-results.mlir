// RUN: qopt-opt %s --split-input-file --verify-diagnostics --qopt-probes-to-results | FileCheck %s

// Each probe's input becomes an extra result, named by its label (or id),
// after the function's own results; the probes are gone.
// CHECK-LABEL: func.func @main
// CHECK-SAME: -> (tensor<2x3xf32> {onnx.name = "y"}, tensor<2x3xf32> {onnx.name = "fc.input", qopt.probe = 4 : i64}, tensor<2x3xf32> {onnx.name = "probe5", qopt.probe = 5 : i64})
// CHECK-NOT: qopt.observe
// CHECK: %[[A:.*]] = arith.addf %[[X:.*]], %[[X]]
// CHECK: %[[B:.*]] = arith.mulf %[[A]], %[[A]]
// CHECK: return %[[B]], %[[X]], %[[A]]
func.func @main(%x: tensor<2x3xf32>) -> (tensor<2x3xf32> {onnx.name = "y"}) {
  %p = qopt.observe %x {id = 4 : i64, label = "fc.input"} : tensor<2x3xf32>
  %a = arith.addf %p, %p : tensor<2x3xf32>
  %q = qopt.observe %a {id = 5 : i64} : tensor<2x3xf32>
  %b = arith.mulf %q, %q : tensor<2x3xf32>
  return %b : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @no_probes
// CHECK-SAME: -> tensor<2xf32>
func.func @no_probes(%x: tensor<2xf32>) -> tensor<2xf32> {
  return %x : tensor<2xf32>
}

// -----

// A probe on the returned value: the function returns the probed tensor as
// its own result and a copy of it as the probe's.
// CHECK-LABEL: func.func @returned_probe
// CHECK-SAME: -> (tensor<2xf32>, tensor<2xf32> {onnx.name = "probe1", qopt.probe = 1 : i64})
// CHECK: %[[A:.*]] = arith.negf
// CHECK: %[[C:.*]] = linalg.copy ins(%[[A]] : tensor<2xf32>)
// CHECK: return %[[A]], %[[C]]
func.func @returned_probe(%x: tensor<2xf32>) -> tensor<2xf32> {
  %a = arith.negf %x : tensor<2xf32>
  %p = qopt.observe %a {id = 1 : i64} : tensor<2xf32>
  return %p : tensor<2xf32>
}
