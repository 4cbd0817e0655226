// RUN: qopt-opt %s --split-input-file --qopt-pack-weights --qopt-lower-to-linalg | FileCheck %s --check-prefix=CALL
// RUN: qopt-opt %s --split-input-file --pass-pipeline="builtin.module(qopt-pack-weights, qopt-lower-to-linalg, one-shot-bufferize{bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map}, qopt-generate-cpu-kernels{isa=avx512-vnni})" | FileCheck %s --check-prefix=VNNI
// RUN: qopt-opt %s --split-input-file --pass-pipeline="builtin.module(qopt-pack-weights, qopt-lower-to-linalg, one-shot-bufferize{bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map}, qopt-generate-cpu-kernels{isa=avx2})" | FileCheck %s --check-prefix=AVX2

// A packed qlinear becomes a call of a kernel declared with its
// configuration, over buffers of the [M, K] input rows and a fresh output.
// CALL-LABEL: func.func private @qopt_qlinear_panel16_uint4_g32_3x40x20(memref<3x40xf32>, memref<2x320xi8>, memref<2x2x16xf32>, memref<2x2x16xi8>, memref<20xf32>, memref<3x20xf32>) attributes {qopt.kernel = {format = #qopt.format<uint4>, group = 32 : i64, has_bias = true, has_zeros = true, layout = 1 : i32}}
// CALL: %[[OUT:.*]] = memref.alloc() {alignment = 64 : i64} : memref<3x20xf32>
// CALL: call @qopt_qlinear_panel16_uint4_g32_3x40x20({{.*}}, %[[OUT]])
// CALL: bufferization.to_tensor %[[OUT]] restrict writable

// The float-activation kernel: a parallel loop over panels of 16 columns;
// 4-bit codes decoded by a 16-entry permute (AVX-512) or two 8-entry ones
// (AVX2); zero points folded into the scaled weights; the partial last
// panel stored under a mask.
// VNNI-LABEL: func.func private @qopt_qlinear_panel16_uint4_g32_3x40x20
// VNNI: scf.parallel
// VNNI: vector.load {{.*}} : memref<2x320xi8>, vector<16xi8>
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.permvar.sf.512"
// VNNI: vector.fma
// VNNI: vector.maskedstore
// AVX2-LABEL: func.func private @qopt_qlinear_panel16_uint4_g32_3x40x20
// AVX2: llvm.call_intrinsic "llvm.x86.avx2.permps"
// AVX2-NOT: avx512
func.func @float_activations(%x: tensor<3x40xf32>) -> tensor<3x20xf32> {
  %codes = arith.constant dense<17> : tensor<20x20xi8>
  %scales = arith.constant dense<0.5> : tensor<20x2xf32>
  %zeros = arith.constant dense<7> : tensor<20x2xi8>
  %bias = arith.constant dense<1.0> : tensor<20xf32>
  %y = qopt.qlinear %x, %codes, %scales zeros(%zeros) bias(%bias) {format = #qopt.format<uint4>, group = 32 : i64}
         : (tensor<3x40xf32>, tensor<20x20xi8>, tensor<20x2xf32>, tensor<20x2xi8>, tensor<20xf32>) -> tensor<3x20xf32>
  return %y : tensor<3x20xf32>
}

// -----

// int8 activations: the rows are quantized into a scratch buffer (one
// parallel loop), then int32 dot products per group (vpdpbusd with VNNI;
// widened multiplies without), corrected for the unsigned code offset.
// CALL-LABEL: func.func private @qopt_qlinear_panel16_dot_int8_g64_1x64x16
// VNNI-LABEL: func.func private @qopt_qlinear_panel16_dot_int8_g64_1x64x16
// VNNI: memref.alloc() {alignment = 64 : i64} : memref<1x64xi8>
// VNNI: scf.parallel
// VNNI: math.roundeven
// VNNI: scf.parallel
// VNNI: arith.xori {{.*}} : vector<64xi8>
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// VNNI: memref.dealloc
// AVX2-LABEL: func.func private @qopt_qlinear_panel16_dot_int8_g64_1x64x16
// AVX2-NOT: vpdpbusd
// AVX2: arith.muli {{.*}} : vector<64xi32>
func.func @int8_activations(%x: tensor<1x64xf32>) -> tensor<1x16xf32> {
  %codes = arith.constant dense<3> : tensor<16x64xi8>
  %scales = arith.constant dense<0.5> : tensor<16x1xf32>
  %y = qopt.qlinear %x, %codes, %scales {format = #qopt.format<int8>, group = 64 : i64, act = #qopt.act<int8, per_token>}
         : (tensor<1x64xf32>, tensor<16x64xi8>, tensor<16x1xf32>) -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}
