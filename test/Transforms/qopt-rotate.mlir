// qopt-rotate on a one-block residual stream: the embedding table, the
// readers of each norm (q, the head) and the writer (o) get rotated weights;
// each norm keeps unit gain; the writer reads through an online
// qopt.hadamard. Calibrated Hessians rotate along; maxima are dropped.
// Per-head rotations (R2) are off here: qopt-rotate-heads.mlir tests them.
// RUN: qopt-opt %s --qopt-rotate="per-head=false" --split-input-file --verify-diagnostics | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>
#tok = affine_map<(d0, d1) -> (d0)>

// CHECK-LABEL: func.func @block
// CHECK: %[[E:.*]] = arith.constant dense_resource<rotated_embedding> : tensor<5x8xf32>
// CHECK: tensor.extract %[[E]]
// CHECK: %[[U1:.*]] = arith.constant dense_resource<unit_gamma{{.*}}> : tensor<8xf32>
// CHECK-NEXT: %[[N1:.*]] = qopt.norm rms %{{.*}}, %[[U1]]
// CHECK-NEXT: %[[WQ:.*]] = arith.constant dense_resource<rotated_weight{{.*}}> : tensor<8x8xf32>
// CHECK-NOT: qopt.calib.absmax
// CHECK-NEXT: %[[Q:.*]] = qopt.linear %[[N1]], %[[WQ]] {qopt.calib.hessian = dense<{{.*}}> : tensor<8x8xf32>} :
// CHECK-NEXT: %[[WO:.*]] = arith.constant dense_resource<rotated_weight{{.*}}> : tensor<8x8xf32>
// CHECK-NEXT: %[[H:.*]] = qopt.hadamard %[[Q]] {size = 8 : i64} : tensor<4x8xf32>
// CHECK-NEXT: %[[O:.*]] = qopt.linear %[[H]], %[[WO]] :
// CHECK: %[[U2:.*]] = arith.constant dense_resource<unit_gamma{{.*}}> : tensor<8xf32>
// CHECK-NEXT: qopt.norm rms %{{.*}}, %[[U2]]
// CHECK-NEXT: arith.constant dense_resource<rotated_weight{{.*}}> : tensor<3x8xf32>
// Embedding row 0, a unit vector, becomes a signed row of H / sqrt(8): every
// entry +-0.353553 (0x3EB504F3).
// CHECK: rotated_embedding: "0x08000000{{F304B5(3|B)EF304B5(3|B)EF304B5(3|B)EF304B5(3|B)EF304B5(3|B)EF304B5(3|B)EF304B5(3|B)EF304B5(3|B)E}}
func.func @block(%tokens: tensor<4xi64>) -> tensor<4x3xf32> {
  %table = arith.constant dense<[[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                                 [0.0, 0.0, 3.0, 0.0, 0.0, 0.0, 0.0, 1.0], [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
                                 [0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5]]> : tensor<5x8xf32>
  %g1 = arith.constant dense<[1.0, 2.0, 1.0, 0.5, 1.0, 1.0, 1.5, 1.0]> : tensor<8xf32>
  %g2 = arith.constant dense<[2.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5]> : tensor<8xf32>
  %wq = arith.constant dense<0.125> : tensor<8x8xf32>
  %wo = arith.constant dense<0.25> : tensor<8x8xf32>
  %head = arith.constant dense<1.0> : tensor<3x8xf32>
  %e = tensor.empty() : tensor<4x8xf32>
  %x = linalg.generic {indexing_maps = [#tok, #id], iterator_types = ["parallel", "parallel"]}
      ins(%tokens : tensor<4xi64>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%t: i64, %out: f32):
    %row = arith.index_cast %t : i64 to index
    %col = linalg.index 1 : index
    %v = tensor.extract %table[%row, %col] : tensor<5x8xf32>
    linalg.yield %v : f32
  } -> tensor<4x8xf32>
  %n1 = qopt.norm rms %x, %g1 : tensor<4x8xf32>, tensor<8xf32>
  %q = qopt.linear %n1, %wq {qopt.calib.hessian = dense<1.0> : tensor<8x8xf32>, qopt.calib.absmax = 2.0 : f32}
      : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
  %o = qopt.linear %q, %wo : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
  %e2 = tensor.empty() : tensor<4x8xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %o : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e2 : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  %n2 = qopt.norm rms %r, %g2 : tensor<4x8xf32>, tensor<8xf32>
  %logits = qopt.linear %n2, %head : tensor<4x8xf32>, tensor<3x8xf32> -> tensor<4x3xf32>
  return %logits : tensor<4x3xf32>
}

// -----

// The stream must not leave through anything but norms and residual adds.
func.func @escapes(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %g = arith.constant dense<1.0> : tensor<8xf32>
  %wq = arith.constant dense<0.125> : tensor<8x8xf32>
  %y = qopt.linear %x, %wq : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
  %n = qopt.norm rms %y, %g : tensor<4x8xf32>, tensor<8xf32>
  // expected-error @+1 {{'func.return' op reads the residual stream but is neither a norm nor a residual add}}
  return %n, %y : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// A stream read by LayerNorms becomes an RMSNorm stream: the writer's
// columns are centered over its outputs (then rotated), the norm turns RMS
// with unit gain, and its beta becomes the reader's bias.
// CHECK-LABEL: func.func @layer_norm
// CHECK: %[[W:.*]] = arith.constant dense_resource<rotated_weight{{.*}}> : tensor<8x8xf32>
// CHECK: %[[H:.*]] = qopt.hadamard %arg0
// CHECK-NEXT: qopt.linear %[[H]], %[[W]]
// CHECK: %[[N:.*]] = qopt.norm rms %{{.*}}, %{{[^,]*}} :
// CHECK: %[[B:.*]] = arith.constant dense_resource<rotated_bias{{.*}}> : tensor<8xf32>
// CHECK: qopt.linear %[[N]], %{{.*}}, %[[B]] :
// CHECK-NOT: qopt.norm layer
func.func @layer_norm(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %g = arith.constant dense<1.0> : tensor<8xf32>
  %b = arith.constant dense<0.5> : tensor<8xf32>
  %wq = arith.constant dense<0.125> : tensor<8x8xf32>
  %y = qopt.linear %x, %wq : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
  %n = qopt.norm layer %y, %g, %b : tensor<4x8xf32>, tensor<8xf32>, tensor<8xf32>
  %z = qopt.linear %n, %wq : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
  return %z : tensor<4x8xf32>
}

// -----

// 172 = 4 * 43 has no Hadamard matrix here: the online rotation of the
// writer's input is refused with the factorization (partial-online would
// rotate blocks of 4).
func.func @no_hadamard(%x: tensor<4x172xf32>) -> tensor<4x8xf32> {
  %g = arith.constant dense<1.0> : tensor<8xf32>
  %w = arith.constant dense<0.125> : tensor<8x172xf32>
  %wq = arith.constant dense<0.125> : tensor<8x8xf32>
  // expected-error @+1 {{online Hadamard on the 172 input channels: no Hadamard matrix of order 172 is constructed here: 172 = 2^2 * 43}}
  %y = qopt.linear %x, %w : tensor<4x172xf32>, tensor<8x172xf32> -> tensor<4x8xf32>
  %n = qopt.norm rms %y, %g : tensor<4x8xf32>, tensor<8xf32>
  %z = qopt.linear %n, %wq : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
  return %z : tensor<4x8xf32>
}
