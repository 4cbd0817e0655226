// RUN: qopt-opt %s --split-input-file --qopt-lower-to-linalg=gpu-kernels=true | FileCheck %s --check-prefix=CALL
// RUN: qopt-opt %s --split-input-file --pass-pipeline="builtin.module(qopt-lower-to-linalg{gpu-kernels=true}, one-shot-bufferize{bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map}, qopt-generate-gpu-kernels, canonicalize)" | FileCheck %s --check-prefix=GEMV
// RUN: qopt-opt %s --split-input-file --qopt-lower-to-linalg | FileCheck %s --check-prefix=CPU

// A row_major int4 qlinear with f16 scales and a bias becomes a call of a
// GPU kernel declared with its configuration; without gpu-kernels it takes
// the reference lowering.
// CALL-LABEL: func.func private @qopt_qlinear_row_major_int4_g32_3x64x8
// CALL-SAME: (memref<3x64xf32>, memref<8x32xi8>, memref<8x2xf16>, memref<8xf32>, memref<3x8xf32>)
// CALL-SAME: qopt.kernel = {format = #qopt.format<int4>, group = 32 : i64, has_bias = true, has_zeros = false, layout = 0 : i32}
// CALL: call @qopt_qlinear_row_major_int4_g32_3x64x8
// CPU-NOT: call @qopt_qlinear
// CPU: linalg.matmul

// The body: one launch, 4 warps a block (8 columns: 2 blocks), named for
// outlining; a lane reads 16 bytes of codes (aligned), flips the sign bits
// (0x88: signed nibbles + 8), splits the nibbles, turns them into floats
// through 2^23's exponent (0x4B000000 = 1258291200), subtracts 2^23 + 8,
// scales; x's 32 inputs are split into even and odd codes; the warp sums
// with 5 xor shuffles; lane 0 adds the bias and stores.
// GEMV-LABEL: func.func private @qopt_qlinear_row_major_int4_g32_3x64x8
// GEMV-DAG: %[[C2:.*]] = arith.constant 2 : index
// GEMV-DAG: %[[C128:.*]] = arith.constant 128 : index
// GEMV: gpu.launch blocks({{.*}}) in ({{.*}} = %[[C2]], {{.*}}) threads({{.*}}) in ({{.*}} = %[[C128]], {{.*}}) module(@qopt_qlinear_row_major_int4_g32_3x64x8) function(@qopt_qlinear_row_major_int4_g32_3x64x8)
// GEMV: vector.load %{{.*}} {alignment = 16 : i64} : memref<8x32xi8>, vector<16xi8>
// GEMV: arith.xori %{{.*}}, %{{.*}} : vector<16xi32>
// GEMV: arith.andi
// GEMV: arith.shrui
// GEMV: memref.load {{.*}} : memref<8x2xf16>
// GEMV: arith.extf
// GEMV: arith.ori %{{.*}}, %{{.*}} : vector<16xi32>
// GEMV: arith.bitcast %{{.*}} : vector<16xi32> to vector<16xf32>
// GEMV: arith.subf
// GEMV: arith.mulf
// GEMV: vector.load %{{.*}} {alignment = 16 : i64} : memref<3x64xf32>, vector<32xf32>
// GEMV: vector.shuffle {{.*}} [0, 2, 4,
// GEMV: vector.shuffle {{.*}} [1, 3, 5,
// GEMV: vector.fma
// GEMV: vector.reduction <add>
// GEMV-COUNT-15: gpu.shuffle xor
// GEMV: memref.store {{.*}} : memref<3x8xf32>
// GEMV: gpu.terminator
func.func @int4_bias(%x: tensor<3x64xf32>) -> tensor<3x8xf32> {
  %codes = arith.constant dense<17> : tensor<8x32xi8>
  %scales = arith.constant dense<0.5> : tensor<8x2xf16>
  %bias = arith.constant dense<1.0> : tensor<8xf32>
  %y = qopt.qlinear %x, %codes, %scales bias(%bias) {format = #qopt.format<int4>, group = 32 : i64}
      : (tensor<3x64xf32>, tensor<8x32xi8>, tensor<8x2xf16>, tensor<8xf32>) -> tensor<3x8xf32>
  return %y : tensor<3x8xf32>
}

// -----

// uint8 codes with zero points: no sign flip; the zero point joins 2^23.
// GEMV-LABEL: func.func private @qopt_qlinear_row_major_uint8_g16_1x32x5
// GEMV-NOT: arith.xori
// GEMV: memref.load {{.*}} : memref<5x2xi8>
// GEMV: arith.uitofp {{.*}} : i8 to f32
// GEMV: arith.addf {{.*}} : f32
func.func @uint8_zeros(%x: tensor<1x32xf32>) -> tensor<1x5xf32> {
  %codes = arith.constant dense<200> : tensor<5x32xi8>
  %scales = arith.constant dense<0.5> : tensor<5x2xf32>
  %zeros = arith.constant dense<128> : tensor<5x2xi8>
  %y = qopt.qlinear %x, %codes, %scales zeros(%zeros) {format = #qopt.format<uint8>, group = 16 : i64}
      : (tensor<1x32xf32>, tensor<5x32xi8>, tensor<5x2xf32>, tensor<5x2xi8>) -> tensor<1x5xf32>
  return %y : tensor<1x5xf32>
}

// -----

// Not covered: 3-bit codes, and K not a multiple of 32 int4 codes. Both take
// the reference lowering.
// CALL-LABEL: func.func @uncovered
// CALL-NOT: call @qopt_qlinear
// CALL: return
func.func @uncovered(%x: tensor<2x64xf32>, %z: tensor<2x48xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %codes3 = arith.constant dense<1> : tensor<4x24xi8>
  %scales = arith.constant dense<0.5> : tensor<4x2xf32>
  %y = qopt.qlinear %x, %codes3, %scales {format = #qopt.format<int3>, group = 32 : i64}
      : (tensor<2x64xf32>, tensor<4x24xi8>, tensor<4x2xf32>) -> tensor<2x4xf32>
  %codes4 = arith.constant dense<1> : tensor<4x24xi8>
  %scales48 = arith.constant dense<0.5> : tensor<4x3xf32>
  %w = qopt.qlinear %z, %codes4, %scales48 {format = #qopt.format<int4>, group = 16 : i64}
      : (tensor<2x48xf32>, tensor<4x24xi8>, tensor<4x3xf32>) -> tensor<2x4xf32>
  return %y, %w : tensor<2x4xf32>, tensor<2x4xf32>
}
