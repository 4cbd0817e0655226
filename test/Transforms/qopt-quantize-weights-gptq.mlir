// RUN: qopt-opt %s --split-input-file --qopt-quantize-weights="method=gptq format=int4 group=4" | FileCheck %s
// RUN: qopt-opt %s --split-input-file --qopt-quantize-weights="method=rtn format=int4 group=4" | FileCheck %s --check-prefix=RTN
// RUN: not qopt-opt %S/Inputs/linear-without-hessian.mlir --qopt-quantize-weights="method=gptq" 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not qopt-opt %s --split-input-file --qopt-quantize-weights="method=awq" 2>&1 | FileCheck %s --check-prefix=METHOD

// GPTQ reads the input Hessian calibration left on the layer and carries
// the calibration attributes over to the qopt.qlinear. With a diagonal
// Hessian no error can be compensated and GPTQ is RTN, code for code.
// CHECK-LABEL: func.func @diagonal_hessian
// CHECK: qopt.qlinear {{.*}}format = #qopt.format<int4>, group = 4 : i64, qopt.calib.absmax = 3.000000e+00 : f32, qopt.calib.hessian = dense
// CHECK: qcodes: "0x08000000E752194042399026"
// RTN: qcodes: "0x08000000E752194042399026"
// MISSING: error: 'qopt.linear' op cannot be quantized: GPTQ needs the input Hessian 'qopt.calib.hessian' that calibration leaves (qopt compile --calib samples)
// METHOD: unknown method 'awq' (available: rtn, gptq)
func.func @diagonal_hessian(%x: tensor<2x8xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense<[[0.9, -0.3, 0.25, 0.7, -1.0, 0.1, 0.05, 0.6], [0.2, 0.4, -0.8, 0.33, 0.0, -0.5, 0.45, 0.15]]> : tensor<2x8xf32>
  %y = qopt.linear %x, %w {qopt.calib.absmax = 3.0 : f32, qopt.calib.hessian = dense<[[2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0]]> : tensor<8x8xf32>} : tensor<2x8xf32>, tensor<2x8xf32> -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// Correlated inputs: GPTQ moves codes of the second group of row 0 and
// chooses that group's scale from the updated weights, unlike RTN.
// CHECK-LABEL: func.func @correlated_hessian
// CHECK: qcodes: "0x08000000E752194032399026"
// CHECK: qscales: "0x080000003AA8033E0615123EA10EEA3DCF63913D"
// RTN: qcodes: "0x08000000E752194042399026"
func.func @correlated_hessian(%x: tensor<2x8xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense<[[0.9, -0.3, 0.25, 0.7, -1.0, 0.1, 0.05, 0.6], [0.2, 0.4, -0.8, 0.33, 0.0, -0.5, 0.45, 0.15]]> : tensor<2x8xf32>
  %y = qopt.linear %x, %w {qopt.calib.absmax = 3.0 : f32, qopt.calib.hessian = dense<[[1.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9], [0.9, 1.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9], [0.9, 0.9, 1.9, 0.9, 0.9, 0.9, 0.9, 0.9], [0.9, 0.9, 0.9, 1.9, 0.9, 0.9, 0.9, 0.9], [0.9, 0.9, 0.9, 0.9, 1.9, 0.9, 0.9, 0.9], [0.9, 0.9, 0.9, 0.9, 0.9, 1.9, 0.9, 0.9], [0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 1.9, 0.9], [0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 1.9]]> : tensor<8x8xf32>} : tensor<2x8xf32>, tensor<2x8xf32> -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}
