// RUN: qopt-opt %s --qopt-quantize-activations | FileCheck %s --check-prefix=TOKEN
// RUN: qopt-opt %s --qopt-quantize-activations="granularity=per_tensor range=absmax" | FileCheck %s --check-prefix=ABSMAX
// RUN: qopt-opt %s --qopt-quantize-activations="granularity=per_tensor range=q9999" | FileCheck %s --check-prefix=QUANTILE
// RUN: qopt-opt %s --qopt-quantize-activations="format=fp8_e4m3" | FileCheck %s --check-prefix=FP8
// RUN: not qopt-opt %s --qopt-quantize-activations="format=uint8" 2>&1 | FileCheck %s --check-prefix=BADFORMAT
// RUN: not qopt-opt %s --qopt-quantize-activations="range=p50" 2>&1 | FileCheck %s --check-prefix=BADRANGE

// RUN: not qopt-opt %S/Inputs/uncalibrated-qlinear.mlir --qopt-quantize-activations="granularity=per_tensor" 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: qopt-opt %S/Inputs/uncalibrated-qlinear.mlir --qopt-quantize-activations | FileCheck %s --check-prefix=FLOAT

// Dynamic per-token needs nothing from calibration; the static scale is
// the chosen range over 127.
// TOKEN-LABEL: func.func @calibrated
// TOKEN: qopt.qlinear {{.*}}act = #qopt.act<int8, per_token>
// ABSMAX: qopt.qlinear {{.*}}act = #qopt.act<int8, per_tensor, scale = 2.000000e-02>
// QUANTILE: qopt.qlinear {{.*}}act = #qopt.act<int8, per_tensor, scale = 0.00999999977>
// FP8: qopt.qlinear {{.*}}act = #qopt.act<fp8_e4m3, per_token>
// BADFORMAT: activation format must be a signed integer or fp8_e4m3
// BADRANGE: range must be absmax, q999, q9999 or q99999, not 'p50'
// MISSING: error: 'qopt.qlinear' op needs calibration statistics for a static activation scale
// FLOAT: qopt.qlinear {{.*}}act = #qopt.act<int8, per_token>
// FLOAT: qopt.linear
// FLOAT-NOT: act
func.func @calibrated(%x: tensor<2x8xf32>) -> tensor<2x4xf32> {
  %codes = arith.constant dense<17> : tensor<4x4xi8>
  %scales = arith.constant dense<0.5> : tensor<4x1xf32>
  %y = qopt.qlinear %x, %codes, %scales {format = #qopt.format<int4>, group = 8 : i64,
         qopt.calib.absmax = 2.54 : f32,
         qopt.calib.abs_quantiles = dense<[1.0, 1.27, 2.0]> : tensor<3xf32>}
     : (tensor<2x8xf32>, tensor<4x4xi8>, tensor<4x1xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}


// Convolutions take per-tensor scales: dynamic when per-token is asked for,
// calibrated otherwise.
// TOKEN-LABEL: func.func @conv
// TOKEN: qopt.qconv2d {{.*}}act = #qopt.act<int8, per_tensor>,
// ABSMAX-LABEL: func.func @conv
// ABSMAX: qopt.qconv2d {{.*}}act = #qopt.act<int8, per_tensor, scale = 0.0393700786>
// FP8-LABEL: func.func @conv
// FP8: qopt.qconv2d {{.*}}act = #qopt.act<fp8_e4m3, per_tensor>,
func.func @conv(%x: tensor<1x1x3x3xf32>) -> tensor<1x2x2x2xf32> {
  %codes = arith.constant dense<17> : tensor<2x2xi8>
  %scales = arith.constant dense<0.5> : tensor<2x1xf32>
  %y = qopt.qconv2d %x, %codes, %scales {format = #qopt.format<int4>, group = 4 : i64, kernel = array<i64: 2, 2>,
         strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>,
         qopt.calib.absmax = 5.0 : f32, qopt.calib.abs_quantiles = dense<[1.0, 1.27, 2.0]> : tensor<3xf32>}
     : (tensor<1x1x3x3xf32>, tensor<2x2xi8>, tensor<2x1xf32>) -> tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}
