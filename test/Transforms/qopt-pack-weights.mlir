// RUN: qopt-opt %s --split-input-file --qopt-pack-weights --canonicalize | FileCheck %s

// int4 with float activations -> panel16 (layout 1): panels of 16 rows; a
// step holds codes k, k+1 of every row in one byte (k in the low nibble).
// Row 0 = [1 2 3 4] (row_major bytes 0x21 0x43), row 1 = [15 15 0 1]
// (0xFF 0x10): step 0 = 21 FF 00.., step 1 = 43 10 00..; scales move to
// [P, G, 16], zero past N.
// CHECK-LABEL: func.func @int4_float
// CHECK: qopt.qlinear {{.*}} layout = 1 : i32} : (tensor<1x4xf32>, tensor<1x32xi8>, tensor<1x1x16xf32>)
// CHECK: qscales: "0x080000000000003F0000803E00000000
// CHECK: qcodes: "0x0800000021FF000000000000000000000000000043100000000000000000000000000000"
func.func @int4_float(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %codes = arith.constant dense<[[33, 67], [-1, 16]]> : tensor<2x2xi8>
  %scales = arith.constant dense<[[0.5], [0.25]]> : tensor<2x1xf32>
  %y = qopt.qlinear %x, %codes, %scales {format = #qopt.format<int4>, group = 4 : i64}
         : (tensor<1x4xf32>, tensor<2x2xi8>, tensor<2x1xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// uint8 with int8 activations -> panel16_dot (layout 2): each 32-bit lane
// holds 4 consecutive codes of its row; K = 6 in one group pads to 8 codes
// (two 64-byte steps); zero points follow the scales to [P, G, 16].
// CHECK-LABEL: func.func @uint8_dot
// CHECK: qopt.qlinear {{.*}} zeros({{.*}}) {act = #qopt.act<int8, per_token>, format = #qopt.format<uint8>, group = 6 : i64, layout = 2 : i32} : (tensor<1x6xf32>, tensor<1x128xi8>, tensor<1x1x16xf32>, tensor<1x1x16xi8>)
// CHECK: qzeros: "0x080000000709000000
// CHECK: qcodes: "0x08000000010203040B0C0D0E00000000
func.func @uint8_dot(%x: tensor<1x6xf32>) -> tensor<1x2xf32> {
  %codes = arith.constant dense<[[1, 2, 3, 4, 5, 6], [11, 12, 13, 14, 15, 16]]> : tensor<2x6xi8>
  %scales = arith.constant dense<[[0.5], [0.25]]> : tensor<2x1xf32>
  %zeros = arith.constant dense<[[7], [9]]> : tensor<2x1xi8>
  %y = qopt.qlinear %x, %codes, %scales zeros(%zeros)
         {format = #qopt.format<uint8>, group = 6 : i64, act = #qopt.act<int8, per_token>}
         : (tensor<1x6xf32>, tensor<2x6xi8>, tensor<2x1xf32>, tensor<2x1xi8>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// No kernel covers 3-bit codes, fp8 activations or a non-constant weight:
// they stay row_major (no layout attribute) for the reference lowering.
// CHECK-LABEL: func.func @unpacked
// CHECK-NOT: layout =
func.func @unpacked(%x: tensor<1x8xf32>, %w: tensor<2x4xi8>) -> (tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x2xf32>) {
  %codes3 = arith.constant dense<0> : tensor<2x3xi8>
  %codes4 = arith.constant dense<0> : tensor<2x4xi8>
  %scales = arith.constant dense<1.0> : tensor<2x1xf32>
  %a = qopt.qlinear %x, %codes3, %scales {format = #qopt.format<int3>, group = 8 : i64}
         : (tensor<1x8xf32>, tensor<2x3xi8>, tensor<2x1xf32>) -> tensor<1x2xf32>
  %b = qopt.qlinear %x, %codes4, %scales {format = #qopt.format<int4>, group = 8 : i64, act = #qopt.act<fp8_e4m3, per_token>}
         : (tensor<1x8xf32>, tensor<2x4xi8>, tensor<2x1xf32>) -> tensor<1x2xf32>
  %c = qopt.qlinear %x, %w, %scales {format = #qopt.format<int4>, group = 8 : i64}
         : (tensor<1x8xf32>, tensor<2x4xi8>, tensor<2x1xf32>) -> tensor<1x2xf32>
  return %a, %b, %c : tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x2xf32>
}

// -----

// uint4 codes whose zero points are all 8 (MatMulNBits without zero points)
// become int4 codes with the top bit flipped, and lose their zero points:
// codes [9 2 8 15] -> [1 10 0 7], read as int4 [1 -6 0 7] = [9 2 8 15] - 8.
// CHECK-LABEL: func.func @midpoint_zeros
// CHECK: qopt.qlinear %{{.*}}, %{{.*}}, %{{[^ ]*}} {format = #qopt.format<int4>, group = 4 : i64, layout = 1 : i32} : (tensor<1x4xf32>, tensor<1x32xi8>, tensor<1x1x16xf32>)
// CHECK: qcodes: "0x08000000A100000000000000000000000000000070
func.func @midpoint_zeros(%x: tensor<1x4xf32>) -> tensor<1x1xf32> {
  %codes = arith.constant dense<[[41, -8]]> : tensor<1x2xi8>
  %scales = arith.constant dense<0.5> : tensor<1x1xf32>
  %zeros = arith.constant dense<8> : tensor<1x1xi8>
  %y = qopt.qlinear %x, %codes, %scales zeros(%zeros) {format = #qopt.format<uint4>, group = 4 : i64}
         : (tensor<1x4xf32>, tensor<1x2xi8>, tensor<1x1xf32>, tensor<1x1xi8>) -> tensor<1x1xf32>
  return %y : tensor<1x1xf32>
}
