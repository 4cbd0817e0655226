// RUN: qopt-opt %s --split-input-file --qopt-pack-weights=target=sm_80 --canonicalize | FileCheck %s
// RUN: qopt-opt %s --split-input-file --qopt-pack-weights=target=sm_90 --canonicalize | FileCheck %s
// RUN: qopt-opt %s --split-input-file --qopt-pack-weights="target=sm_80 gemm-min-rows=64" --canonicalize | FileCheck %s --check-prefix=FEW
// RUN: not qopt-opt %s --qopt-pack-weights=target=sm_70 2>&1 | FileCheck %s --check-prefix=BAD

// 17 rows take the tensor-core layout (layout 3): one tile of 64 columns, K
// = 16 in one 512-byte k step; lane 4g + t holds, of column 8j + g, codes
// (2t, 2t+1) and (2t+8, 2t+9) of the k step, paired across the halves of a
// 32-bit word. Column 0's codes are k + 1 (k < 15):
//   lane 0: word 0 = 1 | 9 << 4 | 2 << 16 | 10 << 20 = 0x00A20091
//   lane 1: word 0 = 3 | 11 << 4 | 4 << 16 | 12 << 20 = 0x00C400B3
// Scales move to [tiles, G, 64]: column 8j + g at g * 8 + j, so column 1's
// 0.25 is at index 8 and the columns past N = 8 (indices 1..7, 9..15) are zero.
// CHECK-LABEL: func.func @int4_gemm
// CHECK: qopt.qlinear {{.*}} {format = #qopt.format<int4>, group = 16 : i64, layout = 3 : i32} : (tensor<17x16xf32>, tensor<1x512xi8>, tensor<1x1x64xf32>)
// CHECK: qscales: "0x080000000000003F000000000000000000000000000000000000000000000000000000000000803E00000000
// CHECK: qcodes: "0x080000009100A200000000000000000000000000B300C400000000000000000000000000
// FEW-LABEL: func.func @int4_gemm
// FEW-NOT: layout =
func.func @int4_gemm(%x: tensor<17x16xf32>) -> tensor<17x8xf32> {
  %codes = arith.constant dense<[[33, 67, 101, -121, -87, -53, -19, 15], [0, 0, 0, 0, 0, 0, 0, 0],
                                 [0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0],
                                 [0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0],
                                 [0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0]]> : tensor<8x8xi8>
  %scales = arith.constant dense<[[0.5], [0.25], [1.0], [1.0], [1.0], [1.0], [1.0], [1.0]]> : tensor<8x1xf32>
  %y = qopt.qlinear %x, %codes, %scales {format = #qopt.format<int4>, group = 16 : i64}
         : (tensor<17x16xf32>, tensor<8x8xi8>, tensor<8x1xf32>) -> tensor<17x8xf32>
  return %y : tensor<17x8xf32>
}

// -----

// 8-bit codes with zero points: 32-column tiles; lane 0's word 0 is column
// 0's codes k = 0, 8, 1, 9 (bytes 0 and 2 are b01, 1 and 3 are b23); zero
// points move with the scales.
// CHECK-LABEL: func.func @uint8_zeros
// CHECK: qopt.qlinear {{.*}} zeros({{.*}}) {format = #qopt.format<uint8>, group = 16 : i64, layout = 3 : i32} : (tensor<32x16xf32>, tensor<1x512xi8>, tensor<1x1x32xf32>, tensor<1x1x32xi8>)
// CHECK: qzeros: "0x0800000007
// CHECK: qcodes: "0x080000000A120B13
func.func @uint8_zeros(%x: tensor<32x16xf32>) -> tensor<32x1xf32> {
  %codes = arith.constant dense<[[10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25]]> : tensor<1x16xi8>
  %scales = arith.constant dense<0.5> : tensor<1x1xf32>
  %zeros = arith.constant dense<7> : tensor<1x1xi8>
  %y = qopt.qlinear %x, %codes, %scales zeros(%zeros) {format = #qopt.format<uint8>, group = 16 : i64}
         : (tensor<32x16xf32>, tensor<1x16xi8>, tensor<1x1xf32>, tensor<1x1xi8>) -> tensor<32x1xf32>
  return %y : tensor<32x1xf32>
}

// -----

// Few rows (the GEMV kernel's), 3-bit codes, K not whole k steps, a group
// that does not divide K, and activation quantization keep row_major.
// CHECK-LABEL: func.func @kept
// CHECK-NOT: layout =
func.func @kept(%x: tensor<16x32xf32>, %y: tensor<32x32xf32>, %z: tensor<32x24xf32>, %w: tensor<32x48xf32>)
    -> (tensor<16x4xf32>, tensor<32x4xf32>, tensor<32x4xf32>, tensor<32x4xf32>, tensor<32x4xf32>) {
  %codes4 = arith.constant dense<1> : tensor<4x16xi8>
  %codes3 = arith.constant dense<1> : tensor<4x12xi8>
  %codes24 = arith.constant dense<1> : tensor<4x12xi8>
  %codes48 = arith.constant dense<1> : tensor<4x24xi8>
  %scales = arith.constant dense<0.5> : tensor<4x1xf32>
  %scales2 = arith.constant dense<0.5> : tensor<4x2xf32>
  %a = qopt.qlinear %x, %codes4, %scales {format = #qopt.format<int4>, group = 32 : i64}
         : (tensor<16x32xf32>, tensor<4x16xi8>, tensor<4x1xf32>) -> tensor<16x4xf32>
  %b = qopt.qlinear %y, %codes3, %scales {format = #qopt.format<int3>, group = 32 : i64}
         : (tensor<32x32xf32>, tensor<4x12xi8>, tensor<4x1xf32>) -> tensor<32x4xf32>
  %c = qopt.qlinear %z, %codes24, %scales {format = #qopt.format<int4>, group = 24 : i64}
         : (tensor<32x24xf32>, tensor<4x12xi8>, tensor<4x1xf32>) -> tensor<32x4xf32>
  %d = qopt.qlinear %w, %codes48, %scales2 {format = #qopt.format<int4>, group = 32 : i64}
         : (tensor<32x48xf32>, tensor<4x24xi8>, tensor<4x2xf32>) -> tensor<32x4xf32>
  %e = qopt.qlinear %y, %codes4, %scales {format = #qopt.format<int4>, group = 32 : i64, act = #qopt.act<int8, per_token>}
         : (tensor<32x32xf32>, tensor<4x16xi8>, tensor<4x1xf32>) -> tensor<32x4xf32>
  return %a, %b, %c, %d, %e : tensor<16x4xf32>, tensor<32x4xf32>, tensor<32x4xf32>, tensor<32x4xf32>, tensor<32x4xf32>
}

// BAD: unknown target 'sm_70' (available: cpu, sm_80, sm_90)
