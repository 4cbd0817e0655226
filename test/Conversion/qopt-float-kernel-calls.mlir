// RUN: qopt-opt %s --split-input-file --qopt-float-kernel-calls | FileCheck %s --check-prefix=CALL
// RUN: qopt-opt %s --split-input-file --pass-pipeline="builtin.module(qopt-float-kernel-calls, qopt-lower-to-linalg, one-shot-bufferize{bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map}, qopt-generate-cpu-kernels{isa=avx512})" | FileCheck %s --check-prefix=KERNEL

// A linear with a constant [N, K] = [20, 3] weight: packed at compile time
// into [1, 2 panels, K, 16] (zeros past N), rows [1, 6, 3], bias per column.
// CALL-LABEL: func.func private @qopt_gemm_panel16_1x6x3x20(memref<1x6x3xf32>, memref<1x2x3x16xf32>, memref<20xf32>, memref<1x6x20xf32>) attributes {qopt.gemm_kernel = {b_layout = "panel16", bias = "column", epilogue = "none"}}
// CALL-LABEL: func.func @linear
// CALL: %[[PACKED:.*]] = arith.constant dense_resource<panel16_weight{{.*}}> : tensor<1x2x3x16xf32>
// CALL: tensor.expand_shape {{.*}} into tensor<1x6x3xf32>
// CALL: call @qopt_gemm_panel16_1x6x3x20(%{{.*}}, %{{.*}}, %{{.*}}, %[[OUT:.*]]) :
// CALL: bufferization.to_tensor %[[OUT]] restrict writable
// CALL-NOT: qopt.linear
// The kernel: (batch, 64-column tile) tasks (on the calling thread: 360
// multiply-adds); 6 rows of 2 accumulators (the 20 columns' two panels);
// the last 20 - 16 columns masked; the bias added in the epilogue.
// KERNEL-LABEL: func.func private @qopt_gemm_panel16_1x6x3x20
// KERNEL-NOT: scf.parallel
// KERNEL: scf.for {{.*}} iter_args
// KERNEL: vector.load {{.*}} : memref<1x2x3x16xf32>, vector<16xf32>
// KERNEL: vector.broadcast {{.*}} : f32 to vector<16xf32>
// KERNEL: arith.mulf {{.*}} fastmath<contract> : vector<16xf32>
// KERNEL: arith.addf {{.*}} fastmath<contract> : vector<16xf32>
// KERNEL: vector.maskedload {{.*}} : memref<20xf32>
// KERNEL: vector.maskedstore {{.*}} : memref<1x6x20xf32>
func.func @linear(%x: tensor<2x3x3xf32>, %b: tensor<20xf32>) -> tensor<2x3x20xf32> {
  %w = arith.constant dense<0.5> : tensor<20x3xf32>
  %0 = qopt.linear %x, %w, %b : tensor<2x3x3xf32>, tensor<20x3xf32>, tensor<20xf32> -> tensor<2x3x20xf32>
  return %0 : tensor<2x3x20xf32>
}

// -----

// A weight that is not a constant stays a qopt.linear (the reference
// lowering's matmul).
// CALL-LABEL: func.func @linear_runtime_weight
// CALL: qopt.linear
// CALL-NOT: call
func.func @linear_runtime_weight(%x: tensor<2x3xf32>, %w: tensor<4x3xf32>) -> tensor<2x4xf32> {
  %0 = qopt.linear %x, %w : tensor<2x3xf32>, tensor<4x3xf32> -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// A 3x3 convolution: the padded input gathered by im2col into
// [N, C KH KW, OH OW] = [2, 18, 25], one stride-2 slice [N, C, OH, OW] per
// tap inserted at [:, :, i, j], times the [1, F, C KH KW] weight shared by
// both images, bias per row (output channel).
// CALL-LABEL: func.func private @qopt_gemm_row_major_2x6x18x25(memref<1x6x18xf32>, memref<2x18x25xf32>, memref<6xf32>, memref<2x6x25xf32>) attributes {qopt.gemm_kernel = {b_layout = "row_major", bias = "row", epilogue = "none"}}
// CALL-LABEL: func.func @conv2d
// CALL: %[[PADDED:.*]] = tensor.pad
// CALL: tensor.empty() : tensor<2x2x3x3x5x5xf32>
// CALL: tensor.extract_slice %[[PADDED]][0, 0, 0, 0] [2, 2, 5, 5] [1, 1, 2, 2]
// CALL: tensor.insert_slice {{.*}}[0, 0, 0, 0, 0, 0] [2, 2, 1, 1, 5, 5] [1, 1, 1, 1, 1, 1]
// CALL-COUNT-8: tensor.insert_slice
// CALL-NOT: linalg.generic
// CALL: into tensor<2x18x25xf32>
// CALL: call @qopt_gemm_row_major_2x6x18x25
// CALL: into tensor<2x6x5x5xf32>
// KERNEL-LABEL: func.func private @qopt_gemm_row_major_2x6x18x25
// KERNEL: vector.maskedload {{.*}} : memref<2x18x25xf32>, vector<16xi1>, vector<16xf32> into vector<16xf32>
func.func @conv2d(%x: tensor<2x2x9x9xf32>, %w: tensor<6x2x3x3xf32>, %b: tensor<6xf32>) -> tensor<2x6x5x5xf32> {
  %0 = qopt.conv2d %x, %w, %b {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, groups = 1 : i64}
      : tensor<2x2x9x9xf32>, tensor<6x2x3x3xf32>, tensor<6xf32> -> tensor<2x6x5x5xf32>
  return %0 : tensor<2x6x5x5xf32>
}

// -----

// Output rows that fill 16-wide vectors: the direct convolution kernel over
// the zero-padded input (no im2col), the weight as [F, C KH KW].
// CALL-LABEL: func.func private @qopt_conv_1x2x3x5x16_k3x3_s1x1(memref<1x2x7x18xf32>, memref<3x18xf32>, memref<3xf32>, memref<1x3x5x16xf32>) attributes {qopt.conv_kernel = {dilations = array<i64: 1, 1>, epilogue = "none", kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>}}
// CALL-LABEL: func.func @conv2d_direct
// CALL: tensor.pad %arg0 low[0, 0, 1, 1] high[0, 0, 1, 1]
// CALL-NOT: linalg.generic
// CALL: call @qopt_conv_1x2x3x5x16_k3x3_s1x1
// The kernel: tiles of 4 output rows (one 16-wide chunk each), the last of
// the 5 rows its own tile; a loop over the 2 channels with the 9 taps
// unrolled, each tap one 16-wide load per row.
// KERNEL-LABEL: func.func private @qopt_conv_1x2x3x5x16_k3x3_s1x1
// KERNEL: scf.if
// KERNEL: scf.for {{.*}} to %c2
// KERNEL-COUNT-36: vector.load {{.*}} : memref<1x2x7x18xf32>, vector<16xf32>
// KERNEL: vector.store {{.*}} : memref<1x3x5x16xf32>, vector<16xf32>
func.func @conv2d_direct(%x: tensor<1x2x5x16xf32>, %w: tensor<3x2x3x3xf32>, %b: tensor<3xf32>) -> tensor<1x3x5x16xf32> {
  %0 = qopt.conv2d %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, groups = 1 : i64}
      : tensor<1x2x5x16xf32>, tensor<3x2x3x3xf32>, tensor<3xf32> -> tensor<1x3x5x16xf32>
  return %0 : tensor<1x3x5x16xf32>
}

// -----

// Few output positions (a 1x1 map) and a constant weight: the positions as
// A's rows, the filters packed into panel16 at compile time, the product
// [N, OH OW, F] transposed back.
// CALL-LABEL: func.func @conv_positions_as_rows
// CALL: call @qopt_gemm_panel16_1x1x2x16
// CALL: linalg.transpose
// CALL-SAME: permutation = [0, 2, 1]
func.func @conv_positions_as_rows(%x: tensor<1x2x1x1xf32>) -> tensor<1x16x1x1xf32> {
  %w = arith.constant dense<0.5> : tensor<16x2x1x1xf32>
  %0 = qopt.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, groups = 1 : i64}
      : tensor<1x2x1x1xf32>, tensor<16x2x1x1xf32> -> tensor<1x16x1x1xf32>
  return %0 : tensor<1x16x1x1xf32>
}

// -----

// A 1x1 stride-1 convolution reads its input as B directly.
// CALL-LABEL: func.func @conv1x1
// CALL-NOT: tensor.pad
// CALL-NOT: linalg.generic
// CALL: into tensor<1x4x15xf32>
// CALL: call @qopt_gemm_row_major_1x8x4x15
func.func @conv1x1(%x: tensor<1x4x3x5xf32>, %w: tensor<8x4x1x1xf32>) -> tensor<1x8x3x5xf32> {
  %0 = qopt.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, groups = 1 : i64}
      : tensor<1x4x3x5xf32>, tensor<8x4x1x1xf32> -> tensor<1x8x3x5xf32>
  return %0 : tensor<1x8x3x5xf32>
}

// -----

// A depthwise convolution (groups = C = F): the depthwise kernel over the
// zero-padded input, the weight as [C, KH KW] taps.
// CALL-LABEL: func.func private @qopt_depthwise_1x4x3x3_k3x3_s2x2(memref<1x4x7x7xf32>, memref<4x9xf32>, memref<4xf32>, memref<1x4x3x3xf32>) attributes {qopt.depthwise_kernel = {dilations = array<i64: 1, 1>, epilogue = "none", kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>}}
// CALL-LABEL: func.func @depthwise
// CALL: tensor.pad %arg0 low[0, 0, 1, 1] high[0, 0, 1, 1]
// CALL: call @qopt_depthwise_1x4x3x3_k3x3_s2x2
// The kernel: per plane, the 9 taps broadcast once; each row's 3 outputs
// one masked vector of 9 multiply-adds, each tap's stride-2 inputs one
// masked load of the 5 spanned values and an even-lane shuffle (no gather).
// KERNEL-LABEL: func.func private @qopt_depthwise_1x4x3x3_k3x3_s2x2
// KERNEL-NOT: vector.gather
// KERNEL-COUNT-9: vector.shuffle {{.*}} [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30]
// KERNEL: vector.maskedstore
func.func @depthwise(%x: tensor<1x4x5x5xf32>, %w: tensor<4x1x3x3xf32>, %b: tensor<4xf32>) -> tensor<1x4x3x3xf32> {
  %0 = qopt.conv2d %x, %w, %b {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, groups = 4 : i64}
      : tensor<1x4x5x5xf32>, tensor<4x1x3x3xf32>, tensor<4xf32> -> tensor<1x4x3x3xf32>
  return %0 : tensor<1x4x3x3xf32>
}

// -----

// Groups of several channels take the reference lowering.
// CALL-LABEL: func.func @grouped
// CALL: qopt.conv2d
// CALL-NOT: call
func.func @grouped(%x: tensor<1x4x5x5xf32>, %w: tensor<4x2x3x3xf32>) -> tensor<1x4x3x3xf32> {
  %0 = qopt.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, groups = 2 : i64}
      : tensor<1x4x5x5xf32>, tensor<4x2x3x3xf32> -> tensor<1x4x3x3xf32>
  return %0 : tensor<1x4x3x3xf32>
}

// -----

// An attention product (batch, heads) x (m, k) x (k, n); B broadcast over
// the leading batch dimension: A [6, 7, 8], B [3, 8, 9] read as b mod 3.
#a = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
#b = affine_map<(d0, d1, d2, d3, d4) -> (d1, d3, d4)>
#c = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
// CALL-LABEL: func.func private @qopt_gemm_row_major_6x7x8x9(memref<6x7x8xf32>, memref<3x8x9xf32>, memref<6x7x9xf32>) attributes {qopt.gemm_kernel = {b_layout = "row_major", bias = "none", epilogue = "none"}}
// CALL-LABEL: func.func @batch_matmul
// CALL-NOT: linalg.generic
// CALL: call @qopt_gemm_row_major_6x7x8x9
// KERNEL-LABEL: func.func private @qopt_gemm_row_major_6x7x8x9
// KERNEL: arith.remui %{{.*}}, %c3
func.func @batch_matmul(%a: tensor<2x3x7x8xf32>, %b: tensor<3x8x9xf32>) -> tensor<2x3x7x9xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3x7x9xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<2x3x7x9xf32>) -> tensor<2x3x7x9xf32>
  %0 = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]}
      ins(%a, %b : tensor<2x3x7x8xf32>, tensor<3x8x9xf32>) outs(%init : tensor<2x3x7x9xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<2x3x7x9xf32>
  return %0 : tensor<2x3x7x9xf32>
}

// -----

// A product of 2^18 multiply-adds: its (batch, column tile) tasks run in
// parallel (OpenMP after scf-to-openmp), 6-row tiles of 4 panels (24
// accumulators), a 4-row tail.
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d2, d1)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
// KERNEL-LABEL: func.func private @qopt_gemm_row_major_1x64x64x64
// KERNEL: scf.parallel
// KERNEL-COUNT-24: arith.addf {{.*}} fastmath<contract> : vector<16xf32>
func.func @parallel(%a: tensor<64x64xf32>, %b: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x64xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<64x64xf32>) -> tensor<64x64xf32>
  %0 = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<64x64xf32>, tensor<64x64xf32>) outs(%init : tensor<64x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

// Not into zeros: left alone (the kernel starts from zero accumulators).
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d2, d1)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
// CALL-LABEL: func.func @accumulate
// CALL: linalg.generic
// CALL-NOT: call
func.func @accumulate(%a: tensor<4x8xf32>, %b: tensor<8x5xf32>, %c: tensor<4x5xf32>) -> tensor<4x5xf32> {
  %0 = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<4x8xf32>, tensor<8x5xf32>) outs(%c : tensor<4x5xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x5xf32>
  return %0 : tensor<4x5xf32>
}

// -----

// A ReLU that is the only reader of a convolution folds into the GEMM's
// epilogue: its body becomes an epilogue function the declaration names,
// applied to each result vector (after the bias) before the store; no
// separate pass. The function is gone once the kernel has its body.
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CALL: func.func private @qopt_gemm_row_major_1x8x4x15({{.*}}) attributes {qopt.gemm_kernel = {b_layout = "row_major", bias = "row", epilogue = @[[EPILOGUE:qopt_epilogue[_0-9]*]]}}
// CALL: func.func private @[[EPILOGUE]](%[[X:.*]]: f32) -> f32 attributes {qopt.epilogue}
// CALL-NEXT: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CALL-NEXT: %[[MAX:.*]] = arith.maximumf %[[X]], %[[ZERO]] : f32
// CALL-NEXT: return %[[MAX]] : f32
// CALL-LABEL: func.func @conv_relu
// CALL: call @qopt_gemm_row_major_1x8x4x15
// CALL-NOT: arith.maximumf
// CALL: return
// KERNEL-NOT: qopt.epilogue
// KERNEL-LABEL: func.func private @qopt_gemm_row_major_1x8x4x15
// KERNEL: arith.maximumf {{.*}} : vector<16xf32>
func.func @conv_relu(%x: tensor<1x4x3x5xf32>, %w: tensor<8x4x1x1xf32>, %b: tensor<8xf32>) -> tensor<1x8x3x5xf32> {
  %zero = arith.constant 0.0 : f32
  %0 = qopt.conv2d %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, groups = 1 : i64}
      : tensor<1x4x3x5xf32>, tensor<8x4x1x1xf32>, tensor<8xf32> -> tensor<1x8x3x5xf32>
  %e = tensor.empty() : tensor<1x8x3x5xf32>
  %1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%0 : tensor<1x8x3x5xf32>) outs(%e : tensor<1x8x3x5xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  } -> tensor<1x8x3x5xf32>
  return %1 : tensor<1x8x3x5xf32>
}

// -----

// HardSwish, x * clamp(x / 6 + 1/2, 0, 1), after two depthwise
// convolutions: one epilogue function for both (equal bodies), applied by
// the depthwise kernel to each row vector before its store. A sigmoid
// after a linear: the GEMM's epilogue, its exponential on vectors.
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
// CALL-DAG: func.func private @qopt_gemm_panel16_1x2x3x4({{.*}}) attributes {qopt.gemm_kernel = {b_layout = "panel16", bias = "none", epilogue = @[[SIGMOID:qopt_epilogue[_0-9]*]]}}
// CALL-DAG: func.func private @qopt_depthwise_1x4x5x5_k3x3_s1x1({{.*}}) attributes {qopt.depthwise_kernel = {dilations = array<i64: 1, 1>, epilogue = @[[HARDSWISH:qopt_epilogue[_0-9]*]], kernel
// CALL-DAG: func.func private @qopt_depthwise_1x4x5x5_k3x3_s1x1_1({{.*}}) attributes {qopt.depthwise_kernel = {dilations = array<i64: 1, 1>, epilogue = "none", kernel
// CALL-LABEL: func.func @activations
// CALL: call @qopt_depthwise_1x4x5x5_k3x3_s1x1_1(
// CALL-COUNT-2: call @qopt_depthwise_1x4x5x5_k3x3_s1x1(
// CALL-NOT: linalg.generic
// CALL: call @qopt_gemm_panel16_1x2x3x4
// CALL-NOT: linalg.generic
// CALL: return
// The epilogues' bodies, in the kernels, on vectors; the functions erased.
// KERNEL-NOT: qopt.epilogue
// KERNEL-LABEL: func.func private @qopt_depthwise_1x4x5x5_k3x3_s1x1(
// KERNEL: arith.minimumf {{.*}} : vector<16xf32>
// KERNEL: arith.mulf {{.*}} : vector<16xf32>
// KERNEL: vector.maskedstore
// KERNEL-LABEL: func.func private @qopt_gemm_panel16_1x2x3x4(
// KERNEL: math.exp {{.*}} : vector<16xf32>
// KERNEL: arith.divf {{.*}} : vector<16xf32>
// KERNEL-LABEL: func.func @activations
func.func @activations(%x: tensor<1x4x5x5xf32>, %w: tensor<4x1x3x3xf32>, %v: tensor<2x3xf32>)
    -> (tensor<1x4x5x5xf32>, tensor<1x4x5x5xf32>, tensor<2x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %half = arith.constant 0.5 : f32
  %sixth = arith.constant 0.16666667 : f32
  %c0 = qopt.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, groups = 4 : i64}
      : tensor<1x4x5x5xf32>, tensor<4x1x3x3xf32> -> tensor<1x4x5x5xf32>
  %c1 = qopt.conv2d %c0, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, groups = 4 : i64}
      : tensor<1x4x5x5xf32>, tensor<4x1x3x3xf32> -> tensor<1x4x5x5xf32>
  %e = tensor.empty() : tensor<1x4x5x5xf32>
  %h0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c1 : tensor<1x4x5x5xf32>) outs(%e : tensor<1x4x5x5xf32>) {
  ^bb0(%in: f32, %out: f32):
    %a = arith.mulf %in, %sixth : f32
    %b = arith.addf %a, %half : f32
    %c = arith.maximumf %b, %zero : f32
    %d = arith.minimumf %c, %one : f32
    %r = arith.mulf %in, %d : f32
    linalg.yield %r : f32
  } -> tensor<1x4x5x5xf32>
  %c2 = qopt.conv2d %h0, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, groups = 4 : i64}
      : tensor<1x4x5x5xf32>, tensor<4x1x3x3xf32> -> tensor<1x4x5x5xf32>
  %h1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c2 : tensor<1x4x5x5xf32>) outs(%e : tensor<1x4x5x5xf32>) {
  ^bb0(%in: f32, %out: f32):
    %a = arith.mulf %in, %sixth : f32
    %b = arith.addf %a, %half : f32
    %c = arith.maximumf %b, %zero : f32
    %d = arith.minimumf %c, %one : f32
    %r = arith.mulf %in, %d : f32
    linalg.yield %r : f32
  } -> tensor<1x4x5x5xf32>
  %wl = arith.constant dense<0.25> : tensor<4x3xf32>
  %l = qopt.linear %v, %wl : tensor<2x3xf32>, tensor<4x3xf32> -> tensor<2x4xf32>
  %el = tensor.empty() : tensor<2x4xf32>
  %s = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%l : tensor<2x4xf32>) outs(%el : tensor<2x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    %x1 = math.exp %n : f32
    %d = arith.addf %x1, %one : f32
    %r = arith.divf %one, %d : f32
    linalg.yield %r : f32
  } -> tensor<2x4xf32>
  return %c0, %h1, %s : tensor<1x4x5x5xf32>, tensor<1x4x5x5xf32>, tensor<2x4xf32>
}

// -----

// A residual block's add and ReLU after a convolution: the epilogue reads
// the block's input as its second operand, a buffer laid out like the
// output right before it in the direct kernel's arguments; the kernel
// loads it at each store's indices.
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CALL: func.func private @qopt_conv_1x4x4x6x16_k3x3_s1x1(memref<1x4x8x18xf32>, memref<4x36xf32>, memref<1x4x6x16xf32>, memref<1x4x6x16xf32>) attributes {qopt.conv_kernel = {dilations = array<i64: 1, 1>, epilogue = @[[RESIDUAL:qopt_epilogue[_0-9]*]], kernel
// CALL: func.func private @[[RESIDUAL]](%[[SUM:.*]]: f32, %[[SKIP:.*]]: f32) -> f32 attributes {qopt.epilogue}
// CALL: arith.addf %[[SKIP]], %[[SUM]] : f32
// CALL: arith.maximumf
// CALL-LABEL: func.func @residual_block
// CALL: call @qopt_conv_1x4x4x6x16_k3x3_s1x1(%{{.*}}, %{{.*}}, %[[INPUT:.*]], %{{.*}})
// CALL-NOT: linalg.generic
// CALL: return
// KERNEL-LABEL: func.func private @qopt_conv_1x4x4x6x16_k3x3_s1x1(
// KERNEL-SAME: %[[SKIPBUF:arg2]]: memref<1x4x6x16xf32>
// KERNEL: vector.load %[[SKIPBUF]]
// KERNEL: arith.addf {{.*}} : vector<16xf32>
// KERNEL: arith.maximumf {{.*}} : vector<16xf32>
func.func @residual_block(%x: tensor<1x4x6x16xf32>, %w: tensor<4x4x3x3xf32>) -> tensor<1x4x6x16xf32> {
  %zero = arith.constant 0.0 : f32
  %0 = qopt.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, groups = 1 : i64}
      : tensor<1x4x6x16xf32>, tensor<4x4x3x3xf32> -> tensor<1x4x6x16xf32>
  %e = tensor.empty() : tensor<1x4x6x16xf32>
  %1 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %0 : tensor<1x4x6x16xf32>, tensor<1x4x6x16xf32>) outs(%e : tensor<1x4x6x16xf32>) {
  ^bb0(%skip: f32, %sum: f32, %out: f32):
    %a = arith.addf %skip, %sum : f32
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  } -> tensor<1x4x6x16xf32>
  return %1 : tensor<1x4x6x16xf32>
}

// -----

// The residual computed after the convolution (a feature pyramid's
// upsampled map): the kernel call is built where the add was, after it.
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CALL-LABEL: func.func @residual_after_product
// CALL: %[[LATE:.*]] = linalg.generic
// CALL: math.exp
// CALL: bufferization.to_buffer %[[LATE]]
// CALL: call @qopt_conv_1x4x4x6x16_k3x3_s1x1(
// CALL-NOT: linalg.generic
func.func @residual_after_product(%x: tensor<1x4x6x16xf32>, %w: tensor<4x4x3x3xf32>, %y: tensor<1x4x6x16xf32>) -> tensor<1x4x6x16xf32> {
  %0 = qopt.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, groups = 1 : i64}
      : tensor<1x4x6x16xf32>, tensor<4x4x3x3xf32> -> tensor<1x4x6x16xf32>
  %e = tensor.empty() : tensor<1x4x6x16xf32>
  %late = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y : tensor<1x4x6x16xf32>) outs(%e : tensor<1x4x6x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = math.exp %in : f32
    linalg.yield %r : f32
  } -> tensor<1x4x6x16xf32>
  %1 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%0, %late : tensor<1x4x6x16xf32>, tensor<1x4x6x16xf32>) outs(%e : tensor<1x4x6x16xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x4x6x16xf32>
  return %1 : tensor<1x4x6x16xf32>
}

// -----

// A ReLU beside another reader stays a separate op.
#id = affine_map<(d0, d1) -> (d0, d1)>
// CALL-LABEL: func.func @linear_relu_and_raw
// CALL: call @qopt_gemm_panel16
// CALL: arith.maximumf
func.func @linear_relu_and_raw(%x: tensor<2x3xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %w = arith.constant dense<0.5> : tensor<4x3xf32>
  %0 = qopt.linear %x, %w : tensor<2x3xf32>, tensor<4x3xf32> -> tensor<2x4xf32>
  %e = tensor.empty() : tensor<2x4xf32>
  %1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%0 : tensor<2x4xf32>) outs(%e : tensor<2x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  } -> tensor<2x4xf32>
  return %0, %1 : tensor<2x4xf32>, tensor<2x4xf32>
}

// -----

// Grouped-query attention: K [1, 2 kv heads, 5 keys, 8] repeated for 4
// query heads (broadcast along a unit dim, heads merged) and transposed for
// QK^T. The product reads the unrepeated heads (transposed: a copy of the
// small tensor only), the 2 query heads of each group stacked as rows:
// [2 batches, 2 x 3 rows, 8] x [2, 8, 5].
#q = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
#k = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3, d4)>
#s = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
#rep_in = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, 0, d3, d4)>
#rep_out = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>
// CALL-LABEL: func.func private @qopt_gemm_row_major_2x6x8x5(memref<2x6x8xf32>, memref<2x8x5xf32>, memref<2x6x5xf32>)
// CALL-LABEL: func.func @grouped_query_scores
// CALL: linalg.transpose ins(%{{.*}} : tensor<1x2x1x5x8xf32>) outs(%{{.*}} : tensor<1x2x1x8x5xf32>) permutation = [0, 1, 2, 4, 3]
// CALL-NOT: tensor<1x2x2x5x8xf32>
// CALL: call @qopt_gemm_row_major_2x6x8x5
func.func @grouped_query_scores(%q: tensor<1x4x3x8xf32>, %k: tensor<1x2x5x8xf32>) -> tensor<1x4x3x5xf32> {
  %unit = tensor.expand_shape %k [[0], [1], [2, 3], [4]] output_shape [1, 2, 1, 5, 8] : tensor<1x2x5x8xf32> into tensor<1x2x1x5x8xf32>
  %e = tensor.empty() : tensor<1x2x2x5x8xf32>
  %rep = linalg.generic {indexing_maps = [#rep_in, #rep_out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%unit : tensor<1x2x1x5x8xf32>) outs(%e : tensor<1x2x2x5x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x2x2x5x8xf32>
  %heads = tensor.collapse_shape %rep [[0], [1, 2], [3], [4]] : tensor<1x2x2x5x8xf32> into tensor<1x4x5x8xf32>
  %te = tensor.empty() : tensor<1x4x8x5xf32>
  %kt = linalg.transpose ins(%heads : tensor<1x4x5x8xf32>) outs(%te : tensor<1x4x8x5xf32>) permutation = [0, 1, 3, 2]
  %zero = arith.constant 0.0 : f32
  %se = tensor.empty() : tensor<1x4x3x5xf32>
  %init = linalg.fill ins(%zero : f32) outs(%se : tensor<1x4x3x5xf32>) -> tensor<1x4x3x5xf32>
  %scores = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]} ins(%q, %kt : tensor<1x4x3x8xf32>, tensor<1x4x8x5xf32>) outs(%init : tensor<1x4x3x5xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x3x5xf32>
  return %scores : tensor<1x4x3x5xf32>
}
