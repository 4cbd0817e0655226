// RUN: qopt-opt %s --split-input-file --qopt-quantize-weights="format=int4 group=2" | FileCheck %s
// RUN: qopt-opt %s --split-input-file --qopt-quantize-weights="format=uint4 group=0 symmetric=false" | FileCheck %s --check-prefix=ASYM
// RUN: qopt-opt %s --split-input-file --qopt-quantize-weights="format=mxfp4" 2>&1 | FileCheck %s --check-prefix=MX
// RUN: qopt-opt %s --split-input-file --qopt-quantize-weights="format=lut<4> group=0" 2>&1 | FileCheck %s --check-prefix=LUT
// RUN: not qopt-opt %s --split-input-file --qopt-quantize-weights="method=obq" 2>&1 | FileCheck %s --check-prefix=METHOD

// A [2, 4] weight in groups of 2: row 0 = [1, -2 | 4, 8] gives scales
// 2/7 and 8/7 (as f32, a hair above) and codes [3, -7 | 3, 7]: packed int4
// bytes 0x93 0x73; row 1 = [0, 0 | -1, 1]: scale 1 for the all-zero group,
// 1/7 and codes [-7, 7] for the other: 0x00 0x79.
// CHECK-LABEL: func.func @linear
// CHECK-DAG: %[[CODES:.*]] = arith.constant dense_resource<[[C:.*]]> : tensor<2x2xi8>
// CHECK-DAG: %[[SCALES:.*]] = arith.constant dense_resource<{{.*}}> : tensor<2x2xf32>
// CHECK: qopt.qlinear %arg0, %[[CODES]], %[[SCALES]] bias(%{{.*}}) {format = #qopt.format<int4>, group = 2 : i64}
// CHECK-NOT: qopt.linear
// CHECK: [[C]]: "0x0800000093730079"
// MX: warning: stays in float: K = 4 is smaller than the 32-element microscaling block
// ASYM: qopt.qlinear %arg0, %{{.*}}, %{{.*}} zeros(%{{.*}}) bias(%{{.*}}) {format = #qopt.format<uint4>, group = 4 : i64}
// ASYM-SAME: (tensor<3x4xf32>, tensor<2x2xi8>, tensor<2x1xf32>, tensor<2x1xi8>, tensor<2xf32>)
// Four values per row, four levels: the fitted per-channel codebooks are the rows' values.
// LUT-LABEL: func.func @linear
// LUT: qopt.qlinear %arg0, %{{.*}}, %{{.*}} codebook(%{{.*}}) bias(%{{.*}}) {format = #qopt.format<lut<4>>, group = 4 : i64}
// LUT-SAME: tensor<2x4xf32>, tensor<2xf32>) -> tensor<3x2xf32>
// METHOD: error: qopt-quantize-weights: unknown method 'obq' (available: rtn, gptq)
func.func @linear(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<[[1.0, -2.0, 4.0, 8.0], [0.0, 0.0, -1.0, 1.0]]> : tensor<2x4xf32>
  %b = arith.constant dense<[0.5, -0.5]> : tensor<2xf32>
  %y = qopt.linear %x, %w, %b : tensor<3x4xf32>, tensor<2x4xf32>, tensor<2xf32> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// mxfp4 over K = 64: one e8m0 scale per 32 codes.
// MX-LABEL: func.func @mx
// MX: qopt.qlinear {{.*}} {format = #qopt.format<fp4_e2m1, mx = 32>, group = 32 : i64} : (tensor<1x64xf32>, tensor<2x32xi8>, tensor<2x2xf8E8M0FNU>) -> tensor<1x2xf32>
func.func @mx(%x: tensor<1x64xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<0.25> : tensor<2x64xf32>
  %y = qopt.linear %x, %w : tensor<1x64xf32>, tensor<2x64xf32> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
