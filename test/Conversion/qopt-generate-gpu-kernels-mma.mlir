// RUN: qopt-opt %s --pass-pipeline="builtin.module(qopt-pack-weights{target=sm_80}, qopt-lower-to-linalg{gpu-kernels=true}, one-shot-bufferize{bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map}, qopt-generate-gpu-kernels, canonicalize)" | FileCheck %s
// RUN: qopt-opt %s --qopt-cuda-pipeline="chip=sm_80 format=isa" | FileCheck %s --check-prefix=PTX
// RUN: not qopt-opt %s --pass-pipeline="builtin.module(qopt-pack-weights{target=sm_80}, qopt-lower-to-linalg, one-shot-bufferize{bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map}, qopt-generate-cpu-kernels)" 2>&1 | FileCheck %s --check-prefix=CPU

// 40 rows of int4 codes (N = 70, K = 64, f16 scales, bias): the tensor-core
// kernel. Grid: 2 column tiles of 64 × 2 blocks of 32 rows; 4 warps split
// K (warp w takes k steps w, w + 4, ...) and hand their sums to warp 0
// through shared memory ([3 warps][64 values][32 lanes]).
// CHECK-LABEL: func.func private @qopt_qlinear_mma_sm80_int4_g32_40x64x70
// CHECK-SAME: memref<40x64xf32>, %{{.*}}: memref<2x2048xi8>, %{{.*}}: memref<2x2x64xf16>, %{{.*}}: memref<70xf32>, %{{.*}}: memref<40x70xf32>
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[C128:.*]] = arith.constant 128 : index
// CHECK-DAG: %[[C39:.*]] = arith.constant 39 : index
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %[[C2]], {{.*}} = %[[C2]], {{.*}}) threads({{.*}}) in ({{.*}} = %[[C128]], {{.*}}) module(@qopt_qlinear_mma_sm80_int4_g32_40x64x70) function(@qopt_qlinear_mma_sm80_int4_g32_40x64x70) workgroup(%[[PARTIALS:.*]] : memref<3x64x32xf32, #gpu.address_space<workgroup>>)
// CHECK: %[[WARP:.*]] = arith.divui %{{.*}}, %c32
// CHECK: scf.for %{{.*}} = %[[WARP]] to %c4 step %c4 iter_args({{.*}}) -> (vector<2x2xf32>, vector<2x2xf32>,
// A lane's 8 f16 scales, its 16 bytes of codes (sign bits flipped: int4),
// each nibble pair OR-ed into 0x64006400 (1677747200) as two f16 1024 + c,
// minus 1024 + 8, times the scales of the pair's subtiles.
// CHECK: vector.load %{{.*}} {alignment = 16 : i64} : memref<2x2x64xf16>, vector<8xf16>
// CHECK: vector.load %{{.*}} {alignment = 16 : i64} : memref<2x2048xi8>, vector<16xi8>
// CHECK: vector.bitcast %{{.*}} : vector<16xi8> to vector<4xi32>
// CHECK: arith.xori
// CHECK-COUNT-4: vector.bitcast %{{.*}} : vector<4xi32> to vector<8xf16>
// x rows g and g + 8 (clamped to row 39), k 2t and 2t + 8, rounded to f16.
// CHECK: arith.minui %{{.*}}, %[[C39]]
// CHECK-COUNT-4: vector.load %{{.*}} {alignment = 8 : i64} : memref<40x64xf32>, vector<2xf32>
// CHECK-COUNT-4: arith.truncf
// CHECK-COUNT-16: nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
// CHECK: scf.yield
// Split-K: warps 1.. store, a barrier, warp 0 adds the 3 partial sums and
// the bias, and stores the rows below 40 and columns below 70.
// CHECK: scf.if
// CHECK: } else {
// CHECK: memref.store %{{.*}}, %[[PARTIALS]]
// CHECK: gpu.barrier
// CHECK: scf.if
// CHECK-COUNT-3: memref.load %[[PARTIALS]]
// CHECK: arith.cmpi ult, %{{.*}}, %c40
// CHECK: arith.cmpi ult, %{{.*}}, %c70
// CHECK: memref.load {{.*}} : memref<70xf32>
// CHECK: memref.store {{.*}} : memref<40x70xf32>

// Through NVVM: the PTX has the tensor-core instruction.
// PTX: gpu.binary @qopt_kernels
// PTX-SAME: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32

// The CPU has no kernel for this layout.
// CPU: error: 'func.func' op declares a mma_sm80 kernel, which only the GPU has (qopt-generate-gpu-kernels)
func.func @int4_gemm(%x: tensor<40x64xf32>) -> tensor<40x70xf32> {
  %codes = arith.constant dense<17> : tensor<70x32xi8>
  %scales = arith.constant dense<0.5> : tensor<70x2xf16>
  %bias = arith.constant dense<1.0> : tensor<70xf32>
  %y = qopt.qlinear %x, %codes, %scales bias(%bias) {format = #qopt.format<int4>, group = 32 : i64}
      : (tensor<40x64xf32>, tensor<70x32xi8>, tensor<70x2xf16>, tensor<70xf32>) -> tensor<40x70xf32>
  return %y : tensor<40x70xf32>
}
