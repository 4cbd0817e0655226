// RUN: qopt-opt %s --qopt-float-kernel-calls --cse | FileCheck %s

// Two kernel calls reading one tensor keep their own to_buffer ops through
// CSE: one-shot bufferization takes each to_buffer as the tensor's last
// read before its call, and lets later ops overwrite the buffer in place
// after it, so a merged to_buffer would hand the second call an overwritten
// buffer (this miscompiled the q and k projections of a transformer block).
// CHECK-LABEL: func.func @two_projections
// CHECK: %[[A:.*]] = bufferization.to_buffer %[[X:.*]] read_only {qopt.kernel_call = [[FIRST:[0-9]+]] : i64}
// CHECK: call @qopt_gemm_panel16_1x4x8x8(%[[A]],
// CHECK: %[[B:.*]] = bufferization.to_buffer %[[X]] read_only {qopt.kernel_call = {{[0-9]+}} : i64}
// CHECK: call @qopt_gemm_panel16_1x4x8x8(%[[B]],
func.func @two_projections(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %wq = arith.constant dense<0.5> : tensor<8x8xf32>
  %wk = arith.constant dense<0.25> : tensor<8x8xf32>
  %q = qopt.linear %x, %wq : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
  %k = qopt.linear %x, %wk : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
  return %q, %k : tensor<4x8xf32>, tensor<4x8xf32>
}
