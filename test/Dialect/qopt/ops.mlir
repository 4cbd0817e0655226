// Round trip of every qopt op through the custom assembly and through the
// generic form.
// RUN: qopt-opt %s --split-input-file | qopt-opt --split-input-file | FileCheck %s
// RUN: qopt-opt %s --split-input-file --mlir-print-op-generic | qopt-opt --split-input-file | FileCheck %s

// CHECK-LABEL: func.func @linear
// CHECK-SAME: (%[[X:.*]]: tensor<2x4x64xf32>, %[[W:.*]]: tensor<32x64xf32>, %[[B:.*]]: tensor<32xf32>)
// CHECK: qopt.linear %[[X]], %[[W]], %[[B]] : tensor<2x4x64xf32>, tensor<32x64xf32>, tensor<32xf32> -> tensor<2x4x32xf32>
// CHECK: qopt.linear %[[X]], %[[W]] : tensor<2x4x64xf32>, tensor<32x64xf32> -> tensor<2x4x32xf32>
func.func @linear(%x: tensor<2x4x64xf32>, %w: tensor<32x64xf32>, %b: tensor<32xf32>)
    -> (tensor<2x4x32xf32>, tensor<2x4x32xf32>) {
  %0 = qopt.linear %x, %w, %b : tensor<2x4x64xf32>, tensor<32x64xf32>, tensor<32xf32> -> tensor<2x4x32xf32>
  %1 = qopt.linear %x, %w : tensor<2x4x64xf32>, tensor<32x64xf32> -> tensor<2x4x32xf32>
  return %0, %1 : tensor<2x4x32xf32>, tensor<2x4x32xf32>
}

// -----

// CHECK-LABEL: func.func @qlinear_int4_asymmetric
// CHECK: qopt.qlinear %{{.*}}, %{{.*}}, %{{.*}} zeros(%{{.*}}) bias(%{{.*}}) {format = #qopt.format<uint4>, group = 32 : i64}
// CHECK-SAME: : (tensor<4x64xf32>, tensor<32x32xi8>, tensor<32x2xf16>, tensor<32x2xi8>, tensor<32xf32>) -> tensor<4x32xf32>
func.func @qlinear_int4_asymmetric(%x: tensor<4x64xf32>, %codes: tensor<32x32xi8>,
    %scales: tensor<32x2xf16>, %zeros: tensor<32x2xi8>, %b: tensor<32xf32>) -> tensor<4x32xf32> {
  %0 = qopt.qlinear %x, %codes, %scales zeros(%zeros) bias(%b) {format = #qopt.format<uint4>, group = 32 : i64}
      : (tensor<4x64xf32>, tensor<32x32xi8>, tensor<32x2xf16>, tensor<32x2xi8>, tensor<32xf32>) -> tensor<4x32xf32>
  return %0 : tensor<4x32xf32>
}

// -----

// int3 codes pack 64 * 3 / 8 = 24 bytes per row; per-channel group = K.
// CHECK-LABEL: func.func @qlinear_int3_per_channel_w8a8_act
// CHECK: {act = #qopt.act<int8, per_token>, format = #qopt.format<int3>, group = 64 : i64}
func.func @qlinear_int3_per_channel_w8a8_act(%x: tensor<1x64xf32>, %codes: tensor<16x24xi8>,
    %scales: tensor<16x1xf32>) -> tensor<1x16xf32> {
  %0 = qopt.qlinear %x, %codes, %scales {format = #qopt.format<int3>, group = 64 : i64, act = #qopt.act<int8, per_token>}
      : (tensor<1x64xf32>, tensor<16x24xi8>, tensor<16x1xf32>) -> tensor<1x16xf32>
  return %0 : tensor<1x16xf32>
}

// -----

// CHECK-LABEL: func.func @qlinear_mxfp4
// CHECK: {format = #qopt.format<fp4_e2m1, mx = 32>, group = 32 : i64}
func.func @qlinear_mxfp4(%x: tensor<2x64xbf16>, %codes: tensor<8x32xi8>,
    %scales: tensor<8x2xf8E8M0FNU>) -> tensor<2x8xbf16> {
  %0 = qopt.qlinear %x, %codes, %scales {format = #qopt.format<mxfp4>, group = 32 : i64}
      : (tensor<2x64xbf16>, tensor<8x32xi8>, tensor<8x2xf8E8M0FNU>) -> tensor<2x8xbf16>
  return %0 : tensor<2x8xbf16>
}

// -----

// A 3-bit lookup table with per-channel codebooks and dense-and-sparse outliers.
// CHECK-LABEL: func.func @qlinear_lut_outliers
// CHECK: qopt.qlinear %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} codebook(%{{[a-z0-9_]+}}) outliers(%{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}})
// CHECK-SAME: format = #qopt.format<lut<8>>
func.func @qlinear_lut_outliers(%x: tensor<1x64xf32>, %codes: tensor<4x24xi8>, %scales: tensor<4x1xf32>,
    %codebook: tensor<4x8xf32>, %rows: tensor<5xi32>, %cols: tensor<3xi32>, %values: tensor<3xf32>)
    -> tensor<1x4xf32> {
  %0 = qopt.qlinear %x, %codes, %scales codebook(%codebook) outliers(%rows, %cols, %values)
      {format = #qopt.format<lut<8>>, group = 64 : i64}
      : (tensor<1x64xf32>, tensor<4x24xi8>, tensor<4x1xf32>, tensor<4x8xf32>, tensor<5xi32>, tensor<3xi32>, tensor<3xf32>) -> tensor<1x4xf32>
  return %0 : tensor<1x4xf32>
}

// -----

// A tail group: K = 72 in groups of 32 gives ceil(72 / 32) = 3 scales per row.
// CHECK-LABEL: func.func @qlinear_tail_group
// CHECK: {format = #qopt.format<int4>, group = 32 : i64}
func.func @qlinear_tail_group(%x: tensor<1x72xf32>, %codes: tensor<4x36xi8>, %scales: tensor<4x3xf32>) -> tensor<1x4xf32> {
  %0 = qopt.qlinear %x, %codes, %scales {format = #qopt.format<int4>, group = 32 : i64}
      : (tensor<1x72xf32>, tensor<4x36xi8>, tensor<4x3xf32>) -> tensor<1x4xf32>
  return %0 : tensor<1x4xf32>
}

// -----

// CHECK-LABEL: func.func @norms
// The default epsilon (1e-5) is not printed.
// CHECK: qopt.norm rms %{{.*}}, %{{.*}} {epsilon = 9.99999997E-7 : f32} : tensor<1x8x64xf32>, tensor<64xf32>
// CHECK: qopt.norm layer %{{.*}}, %{{.*}}, %{{.*}} : tensor<1x8x64xf32>, tensor<64xf32>, tensor<64xf32>
func.func @norms(%x: tensor<1x8x64xf32>, %g: tensor<64xf32>, %b: tensor<64xf32>)
    -> (tensor<1x8x64xf32>, tensor<1x8x64xf32>) {
  %0 = qopt.norm rms %x, %g {epsilon = 1.0e-6 : f32} : tensor<1x8x64xf32>, tensor<64xf32>
  %1 = qopt.norm layer %x, %g, %b : tensor<1x8x64xf32>, tensor<64xf32>, tensor<64xf32>
  return %0, %1 : tensor<1x8x64xf32>, tensor<1x8x64xf32>
}

// -----

// CHECK-LABEL: func.func @hadamard
// CHECK: qopt.hadamard %{{.*}} {size = 64 : i64} : tensor<1x8x128xf32>
func.func @hadamard(%x: tensor<1x8x128xf32>) -> tensor<1x8x128xf32> {
  %0 = qopt.hadamard %x {size = 64 : i64} : tensor<1x8x128xf32>
  return %0 : tensor<1x8x128xf32>
}

// -----

// CHECK-LABEL: func.func @quantize_dequantize
// CHECK: %[[C:.*]], %[[S:.*]] = qopt.quantize %{{.*}} {scheme = #qopt.act<int8, per_token>} : tensor<4x64xf32> -> tensor<4x64xi8>, tensor<4x1xf32>
// CHECK: qopt.dequantize %[[C]], %[[S]] {format = #qopt.format<int8>} : tensor<4x64xi8>, tensor<4x1xf32> -> tensor<4x64xf32>
// CHECK: qopt.quantize %{{.*}} {scheme = #qopt.act<fp8_e4m3, per_tensor, scale = 2.500000e-01>} : tensor<4x64xf32> -> tensor<4x64xf8E4M3FN>, tensor<1x1xf32>
// CHECK: qopt.dequantize %{{.*}}, %{{.*}} zeros(%{{.*}} : tensor<1x4xi8>) {format = #qopt.format<uint8>} : tensor<4x64xi8>, tensor<1x4xf32> -> tensor<4x64xf32>
func.func @quantize_dequantize(%x: tensor<4x64xf32>, %s: tensor<1x4xf32>, %z: tensor<1x4xi8>)
    -> (tensor<4x64xf32>, tensor<4x64xf8E4M3FN>, tensor<4x64xf32>) {
  %codes, %scales = qopt.quantize %x {scheme = #qopt.act<int8, per_token>} : tensor<4x64xf32> -> tensor<4x64xi8>, tensor<4x1xf32>
  %0 = qopt.dequantize %codes, %scales {format = #qopt.format<int8>} : tensor<4x64xi8>, tensor<4x1xf32> -> tensor<4x64xf32>
  %c8, %s8 = qopt.quantize %x {scheme = #qopt.act<fp8_e4m3, per_tensor, scale = 0.25>} : tensor<4x64xf32> -> tensor<4x64xf8E4M3FN>, tensor<1x1xf32>
  // Blocked: one scale and zero point per 16 consecutive codes of a row.
  %1 = qopt.dequantize %codes, %s zeros(%z : tensor<1x4xi8>) {format = #qopt.format<uint8>} : tensor<4x64xi8>, tensor<1x4xf32> -> tensor<4x64xf32>
  return %0, %c8, %1 : tensor<4x64xf32>, tensor<4x64xf8E4M3FN>, tensor<4x64xf32>
}

// -----

// CHECK-LABEL: func.func @observe
// CHECK: qopt.observe %{{.*}} {id = 3 : i64, label = "layers.0.wq.input"} : tensor<1x8x64xf32>
func.func @observe(%x: tensor<1x8x64xf32>) -> tensor<1x8x64xf32> {
  %0 = qopt.observe %x {id = 3 : i64, label = "layers.0.wq.input"} : tensor<1x8x64xf32>
  return %0 : tensor<1x8x64xf32>
}

// -----

// An unused probe survives canonicalization: calibration relies on it.
// CHECK-LABEL: func.func @observe_is_kept
// CHECK: qopt.observe
func.func @observe_is_kept(%x: tensor<4xf32>) {
  %0 = qopt.observe %x {id = 0 : i64} : tensor<4xf32>
  return
}

// -----

// Stride 2, padding 1 on every side, 2 groups: [1, 4, 9, 9] -> [1, 6, 5, 5].
// CHECK-LABEL: func.func @conv2d
// CHECK: qopt.conv2d %{{.*}}, %{{.*}}, %{{.*}} {dilations = array<i64: 1, 1>, groups = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : tensor<1x4x9x9xf32>, tensor<6x2x3x3xf32>, tensor<6xf32> -> tensor<1x6x5x5xf32>
// CHECK: qopt.conv2d %{{.*}}, %{{.*}} {dilations = array<i64: 2, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<1x4x9x9xf32>, tensor<3x4x3x3xf32> -> tensor<1x3x5x7xf32>
func.func @conv2d(%x: tensor<1x4x9x9xf32>, %w: tensor<6x2x3x3xf32>, %b: tensor<6xf32>, %w1: tensor<3x4x3x3xf32>)
    -> (tensor<1x6x5x5xf32>, tensor<1x3x5x7xf32>) {
  %0 = qopt.conv2d %x, %w, %b {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, groups = 2 : i64}
         : tensor<1x4x9x9xf32>, tensor<6x2x3x3xf32>, tensor<6xf32> -> tensor<1x6x5x5xf32>
  %1 = qopt.conv2d %x, %w1 {strides = array<i64: 1, 1>, dilations = array<i64: 2, 1>, pads = array<i64: 0, 0, 0, 0>}
         : tensor<1x4x9x9xf32>, tensor<3x4x3x3xf32> -> tensor<1x3x5x7xf32>
  return %0, %1 : tensor<1x6x5x5xf32>, tensor<1x3x5x7xf32>
}

// -----

// K = 4 / 2 * 3 * 3 = 18 codes per output channel, int4 in groups of 8
// (8, 8 and a tail of 2): 9 bytes and 3 scales per row.
// CHECK-LABEL: func.func @qconv2d
// CHECK: qopt.qconv2d %{{.*}}, %{{.*}}, %{{.*}} bias(%{{.*}}) {act = #qopt.act<int8, per_tensor>, dilations = array<i64: 1, 1>, format = #qopt.format<int4>, group = 8 : i64, groups = 2 : i64, kernel = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x4x9x9xf32>, tensor<6x9xi8>, tensor<6x3xf32>, tensor<6xf32>) -> tensor<1x6x5x5xf32>
func.func @qconv2d(%x: tensor<1x4x9x9xf32>, %codes: tensor<6x9xi8>, %s: tensor<6x3xf32>, %b: tensor<6xf32>) -> tensor<1x6x5x5xf32> {
  %0 = qopt.qconv2d %x, %codes, %s bias(%b)
         {format = #qopt.format<int4>, group = 8 : i64, kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>,
          dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, groups = 2 : i64, act = #qopt.act<int8, per_tensor>}
         : (tensor<1x4x9x9xf32>, tensor<6x9xi8>, tensor<6x3xf32>, tensor<6xf32>) -> tensor<1x6x5x5xf32>
  return %0 : tensor<1x6x5x5xf32>
}
