// Every verifier and attribute-parser message of the qopt dialect.
// RUN: qopt-opt %s --split-input-file --verify-diagnostics

//===----------------------------------------------------------------------===//
// #qopt.format and #qopt.act
//===----------------------------------------------------------------------===//

// expected-error @+1 {{unknown number format 'int4x'}}
func.func @f() attributes {a = #qopt.format<int4x>} { return }

// -----

// expected-error @+1 {{integer formats have 2 to 8 bits, not 9}}
func.func @f() attributes {a = #qopt.format<int9>} { return }

// -----

// expected-error @+1 {{lut<N> needs N a power of two in [2, 256], not '12'}}
func.func @f() attributes {a = #qopt.format<lut<12>>} { return }

// -----

// expected-error @+1 {{microscaling (shared e8m0 scales) applies to signed integer and fp8/fp6/fp4 formats only}}
func.func @f() attributes {a = #qopt.format<uint4, mx = 32>} { return }

// -----

// expected-error @+1 {{microscaling block must be a power of two in [2, 1024], not 24}}
func.func @f() attributes {a = #qopt.format<fp4_e2m1, mx = 24>} { return }

// -----

// expected-error @+1 {{'mxfp4' already names a microscaled format}}
func.func @f() attributes {a = #qopt.format<mxfp4, mx = 16>} { return }

// -----

// expected-error @+1 {{activation format must be a signed integer or fp8_e4m3 without microscaling, not nf4}}
func.func @f() attributes {a = #qopt.act<nf4, per_token>} { return }

// -----

// expected-error @+1 {{expected per_token or per_tensor, got 'per_row'}}
func.func @f() attributes {a = #qopt.act<int8, per_row>} { return }

// -----

// expected-error @+1 {{a static activation scale applies per_tensor only}}
func.func @f() attributes {a = #qopt.act<int8, per_token, scale = 0.5>} { return }

// -----

// expected-error @+1 {{static activation scale must be finite and positive, not -5.000000e-01}}
func.func @f() attributes {a = #qopt.act<int8, per_tensor, scale = -0.5>} { return }

//===----------------------------------------------------------------------===//
// qopt.linear
//===----------------------------------------------------------------------===//

// -----

func.func @f(%x: tensor<f32>, %w: tensor<4x4xf32>) -> tensor<f32> {
  // expected-error @+1 {{input must have at least one dimension (the reduction K)}}
  %0 = qopt.linear %x, %w : tensor<f32>, tensor<4x4xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @f(%x: tensor<2x4xf32>, %w: tensor<4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{weight must be 2-D [N, K], not of rank 1}}
  %0 = qopt.linear %x, %w : tensor<2x4xf32>, tensor<4xf32> -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @f(%x: tensor<2x64xf32>, %w: tensor<32x48xf32>) -> tensor<2x32xf32> {
  // expected-error @+1 {{weight [N, K] = [32, 48] does not match the input's last dimension K = 64}}
  %0 = qopt.linear %x, %w : tensor<2x64xf32>, tensor<32x48xf32> -> tensor<2x32xf32>
  return %0 : tensor<2x32xf32>
}

// -----

func.func @f(%x: tensor<2x64xf32>, %w: tensor<32x64xf16>) -> tensor<2x32xf32> {
  // expected-error @+1 {{weight element type 'f16' differs from the input's 'f32'}}
  %0 = qopt.linear %x, %w : tensor<2x64xf32>, tensor<32x64xf16> -> tensor<2x32xf32>
  return %0 : tensor<2x32xf32>
}

// -----

func.func @f(%x: tensor<2x64xf32>, %w: tensor<32x64xf32>, %b: tensor<16xf32>) -> tensor<2x32xf32> {
  // expected-error @+1 {{expected bias of shape [32] for N = 32 outputs, got [16]}}
  %0 = qopt.linear %x, %w, %b : tensor<2x64xf32>, tensor<32x64xf32>, tensor<16xf32> -> tensor<2x32xf32>
  return %0 : tensor<2x32xf32>
}

// -----

func.func @f(%x: tensor<2x64xf32>, %w: tensor<32x64xf32>) -> tensor<2x32xf16> {
  // expected-error @+1 {{result element type 'f16' differs from the input's 'f32'}}
  %0 = qopt.linear %x, %w : tensor<2x64xf32>, tensor<32x64xf32> -> tensor<2x32xf16>
  return %0 : tensor<2x32xf16>
}

// -----

func.func @f(%x: tensor<2x64xf32>, %w: tensor<32x64xf32>) -> tensor<2x16xf32> {
  // expected-error @+1 {{expected result of shape [2, 32] for an input of shape [2, 64] and N = 32 outputs, got [2, 16]}}
  %0 = qopt.linear %x, %w : tensor<2x64xf32>, tensor<32x64xf32> -> tensor<2x16xf32>
  return %0 : tensor<2x16xf32>
}

//===----------------------------------------------------------------------===//
// qopt.qlinear
//===----------------------------------------------------------------------===//

// -----

func.func @f(%x: tensor<f32>, %c: tensor<8x32xi8>, %s: tensor<8x2xf32>) -> tensor<f32> {
  // expected-error @+1 {{input must have at least one dimension (the reduction K)}}
  %0 = qopt.qlinear %x, %c, %s {format = #qopt.format<int4>, group = 32 : i64} : (tensor<f32>, tensor<8x32xi8>, tensor<8x2xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @f(%x: tensor<1x64xf32>, %c: tensor<?x32xi8>, %s: tensor<8x2xf32>) -> tensor<1x8xf32> {
  // expected-error @+1 {{packed weight must be a static 2-D tensor, not [?, 32]}}
  %0 = qopt.qlinear %x, %c, %s {format = #qopt.format<int4>, group = 32 : i64} : (tensor<1x64xf32>, tensor<?x32xi8>, tensor<8x2xf32>) -> tensor<1x8xf32>
  return %0 : tensor<1x8xf32>
}

// -----

func.func @f(%x: tensor<1x?xf32>, %c: tensor<8x32xi8>, %s: tensor<8x2xf32>) -> tensor<1x8xf32> {
  // expected-error @+1 {{the input's last dimension (the reduction K) must be static}}
  %0 = qopt.qlinear %x, %c, %s {format = #qopt.format<int4>, group = 32 : i64} : (tensor<1x?xf32>, tensor<8x32xi8>, tensor<8x2xf32>) -> tensor<1x8xf32>
  return %0 : tensor<1x8xf32>
}

// -----

func.func @f(%x: tensor<1x64xf32>, %c: tensor<8x32xi8>, %s: tensor<8x2xf32>) -> tensor<1x8xf32> {
  // expected-error @+1 {{group size 96 exceeds the reduction size K = 64}}
  %0 = qopt.qlinear %x, %c, %s {format = #qopt.format<int4>, group = 96 : i64} : (tensor<1x64xf32>, tensor<8x32xi8>, tensor<8x2xf32>) -> tensor<1x8xf32>
  return %0 : tensor<1x8xf32>
}

// -----

func.func @f(%x: tensor<1x64xf32>, %c: tensor<8x32xi8>, %s: tensor<8x4xf8E8M0FNU>) -> tensor<1x8xf32> {
  // expected-error @+1 {{microscaled format fp4_e2m1, mx = 32 shares one scale per 32 codes, but group = 16}}
  %0 = qopt.qlinear %x, %c, %s {format = #qopt.format<mxfp4>, group = 16 : i64} : (tensor<1x64xf32>, tensor<8x32xi8>, tensor<8x4xf8E8M0FNU>) -> tensor<1x8xf32>
  return %0 : tensor<1x8xf32>
}

// -----

func.func @f(%x: tensor<1x64xf32>, %c: tensor<8x64xi8>, %s: tensor<8x2xf32>) -> tensor<1x8xf32> {
  // expected-error @+1 {{expected packed weight of shape [8, 32] for format int4 with N = 8, K = 64 (4 bits per code, row_major), got [8, 64]}}
  %0 = qopt.qlinear %x, %c, %s {format = #qopt.format<int4>, group = 32 : i64} : (tensor<1x64xf32>, tensor<8x64xi8>, tensor<8x2xf32>) -> tensor<1x8xf32>
  return %0 : tensor<1x8xf32>
}

// -----

func.func @f(%x: tensor<1x64xf32>, %c: tensor<8x32xi8>, %s: tensor<8x4xf32>) -> tensor<1x8xf32> {
  // expected-error @+1 {{expected scales of shape [8, 2] for N = 8 rows of ceil(K / group) = ceil(64 / 32) = 2 groups, got [8, 4]}}
  %0 = qopt.qlinear %x, %c, %s {format = #qopt.format<int4>, group = 32 : i64} : (tensor<1x64xf32>, tensor<8x32xi8>, tensor<8x4xf32>) -> tensor<1x8xf32>
  return %0 : tensor<1x8xf32>
}

// -----

func.func @f(%x: tensor<1x64xf32>, %c: tensor<8x32xi8>, %s: tensor<8x2xf32>) -> tensor<1x8xf32> {
  // expected-error @+1 {{scales of microscaled format fp4_e2m1, mx = 32 must be f8E8M0FNU, not 'f32'}}
  %0 = qopt.qlinear %x, %c, %s {format = #qopt.format<mxfp4>, group = 32 : i64} : (tensor<1x64xf32>, tensor<8x32xi8>, tensor<8x2xf32>) -> tensor<1x8xf32>
  return %0 : tensor<1x8xf32>
}

// -----

func.func @f(%x: tensor<1x64xf32>, %c: tensor<8x32xi8>, %s: tensor<8x2xf64>) -> tensor<1x8xf32> {
  // expected-error @+1 {{scales must be f16, bf16 or f32, not 'f64'}}
  %0 = qopt.qlinear %x, %c, %s {format = #qopt.format<int4>, group = 32 : i64} : (tensor<1x64xf32>, tensor<8x32xi8>, tensor<8x2xf64>) -> tensor<1x8xf32>
  return %0 : tensor<1x8xf32>
}

// -----

func.func @f(%x: tensor<1x64xf32>, %c: tensor<8x32xi8>, %s: tensor<8x2xf32>, %z: tensor<8x2xi8>) -> tensor<1x8xf32> {
  // expected-error @+1 {{zero points need a non-microscaled integer format, not nf4}}
  %0 = qopt.qlinear %x, %c, %s zeros(%z) {format = #qopt.format<nf4>, group = 32 : i64} : (tensor<1x64xf32>, tensor<8x32xi8>, tensor<8x2xf32>, tensor<8x2xi8>) -> tensor<1x8xf32>
  return %0 : tensor<1x8xf32>
}

// -----

func.func @f(%x: tensor<1x64xf32>, %c: tensor<8x32xi8>, %s: tensor<8x2xf32>, %z: tensor<8x1xi8>) -> tensor<1x8xf32> {
  // expected-error @+1 {{expected zeros of shape [8, 2] for N = 8 rows of ceil(K / group) = ceil(64 / 32) = 2 groups, got [8, 1]}}
  %0 = qopt.qlinear %x, %c, %s zeros(%z) {format = #qopt.format<uint4>, group = 32 : i64} : (tensor<1x64xf32>, tensor<8x32xi8>, tensor<8x2xf32>, tensor<8x1xi8>) -> tensor<1x8xf32>
  return %0 : tensor<1x8xf32>
}

// -----

func.func @f(%x: tensor<1x64xf32>, %c: tensor<8x32xi8>, %s: tensor<8x2xf32>) -> tensor<1x8xf32> {
  // expected-error @+1 {{format lut<16> needs a codebook operand}}
  %0 = qopt.qlinear %x, %c, %s {format = #qopt.format<lut<16>>, group = 32 : i64} : (tensor<1x64xf32>, tensor<8x32xi8>, tensor<8x2xf32>) -> tensor<1x8xf32>
  return %0 : tensor<1x8xf32>
}

// -----

func.func @f(%x: tensor<1x64xf32>, %c: tensor<8x32xi8>, %s: tensor<8x2xf32>, %cb: tensor<16xf32>) -> tensor<1x8xf32> {
  // expected-error @+1 {{format int4 has fixed code values and takes no codebook}}
  %0 = qopt.qlinear %x, %c, %s codebook(%cb) {format = #qopt.format<int4>, group = 32 : i64} : (tensor<1x64xf32>, tensor<8x32xi8>, tensor<8x2xf32>, tensor<16xf32>) -> tensor<1x8xf32>
  return %0 : tensor<1x8xf32>
}

// -----

func.func @f(%x: tensor<1x64xf32>, %c: tensor<8x32xi8>, %s: tensor<8x2xf32>, %cb: tensor<8x8xf32>) -> tensor<1x8xf32> {
  // expected-error @+1 {{expected codebook of shape [8, 16] for lut<16> (per tensor [L], per channel [N, L] or per group [N, G, L], L = levels), got [8, 8]}}
  %0 = qopt.qlinear %x, %c, %s codebook(%cb) {format = #qopt.format<lut<16>>, group = 32 : i64} : (tensor<1x64xf32>, tensor<8x32xi8>, tensor<8x2xf32>, tensor<8x8xf32>) -> tensor<1x8xf32>
  return %0 : tensor<1x8xf32>
}

// -----

func.func @f(%x: tensor<1x64xf32>, %c: tensor<8x32xi8>, %s: tensor<8x2xf32>, %b: tensor<4xf32>) -> tensor<1x8xf32> {
  // expected-error @+1 {{expected bias of shape [8] for N = 8 outputs, got [4]}}
  %0 = qopt.qlinear %x, %c, %s bias(%b) {format = #qopt.format<int4>, group = 32 : i64} : (tensor<1x64xf32>, tensor<8x32xi8>, tensor<8x2xf32>, tensor<4xf32>) -> tensor<1x8xf32>
  return %0 : tensor<1x8xf32>
}

// -----

func.func @f(%x: tensor<1x64xf32>, %c: tensor<8x32xi8>, %s: tensor<8x2xf32>, %r: tensor<9xi32>, %v: tensor<3xf32>) -> tensor<1x8xf32> {
  // expected-error @+1 {{outliers need all of row_ptr, cols and values}}
  %0 = "qopt.qlinear"(%x, %c, %s, %r, %v) <{format = #qopt.format<int4>, group = 32 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 1, 0, 1>}> : (tensor<1x64xf32>, tensor<8x32xi8>, tensor<8x2xf32>, tensor<9xi32>, tensor<3xf32>) -> tensor<1x8xf32>
  return %0 : tensor<1x8xf32>
}

// -----

func.func @f(%x: tensor<1x64xf32>, %c: tensor<8x32xi8>, %s: tensor<8x2xf32>, %r: tensor<8xi32>, %ci: tensor<3xi32>, %v: tensor<3xf32>) -> tensor<1x8xf32> {
  // expected-error @+1 {{expected outlier row_ptr of shape [9] for CSR over N = 8 rows, got [8]}}
  %0 = qopt.qlinear %x, %c, %s outliers(%r, %ci, %v) {format = #qopt.format<int4>, group = 32 : i64} : (tensor<1x64xf32>, tensor<8x32xi8>, tensor<8x2xf32>, tensor<8xi32>, tensor<3xi32>, tensor<3xf32>) -> tensor<1x8xf32>
  return %0 : tensor<1x8xf32>
}

// -----

func.func @f(%x: tensor<1x64xf32>, %c: tensor<8x32xi8>, %s: tensor<8x2xf32>, %r: tensor<9xi32>, %ci: tensor<3xi32>, %v: tensor<4xf32>) -> tensor<1x8xf32> {
  // expected-error @+1 {{outlier cols [3] and values [4] must be 1-D of the same length}}
  %0 = qopt.qlinear %x, %c, %s outliers(%r, %ci, %v) {format = #qopt.format<int4>, group = 32 : i64} : (tensor<1x64xf32>, tensor<8x32xi8>, tensor<8x2xf32>, tensor<9xi32>, tensor<3xi32>, tensor<4xf32>) -> tensor<1x8xf32>
  return %0 : tensor<1x8xf32>
}

// -----

func.func @f(%x: tensor<1x64xf32>, %c: tensor<8x32xi8>, %s: tensor<8x2xf32>, %r: tensor<9xi64>, %ci: tensor<3xi32>, %v: tensor<3xf32>) -> tensor<1x8xf32> {
  // expected-error @+1 {{outlier row_ptr and cols must have the same index type}}
  %0 = qopt.qlinear %x, %c, %s outliers(%r, %ci, %v) {format = #qopt.format<int4>, group = 32 : i64} : (tensor<1x64xf32>, tensor<8x32xi8>, tensor<8x2xf32>, tensor<9xi64>, tensor<3xi32>, tensor<3xf32>) -> tensor<1x8xf32>
  return %0 : tensor<1x8xf32>
}

// -----

func.func @f(%x: tensor<1x64xf64>, %c: tensor<8x32xi8>, %s: tensor<8x2xf32>) -> tensor<1x8xf64> {
  // expected-error @+1 {{quantized activations need an f32, f16 or bf16 input}}
  %0 = qopt.qlinear %x, %c, %s {format = #qopt.format<int4>, group = 32 : i64, act = #qopt.act<int8, per_token>} : (tensor<1x64xf64>, tensor<8x32xi8>, tensor<8x2xf32>) -> tensor<1x8xf64>
  return %0 : tensor<1x8xf64>
}

// -----

func.func @f(%x: tensor<1x64xf32>, %c: tensor<8x32xi8>, %s: tensor<8x2xf32>) -> tensor<1x4xf32> {
  // N comes from the result; the packed rows must match it.
  // expected-error @+1 {{expected packed weight of shape [4, 32] for format int4 with N = 4, K = 64 (4 bits per code, row_major), got [8, 32]}}
  %0 = qopt.qlinear %x, %c, %s {format = #qopt.format<int4>, group = 32 : i64} : (tensor<1x64xf32>, tensor<8x32xi8>, tensor<8x2xf32>) -> tensor<1x4xf32>
  return %0 : tensor<1x4xf32>
}

// -----

func.func @f(%x: tensor<1x64xf32>, %c: tensor<1x512xi8>, %s: tensor<1x2x16xf32>) -> tensor<1x20xf32> {
  // expected-error @+1 {{expected packed weight of shape [2, 512] for N = 20, K = 64, group 32 in panels of 16 rows, got [1, 512]}}
  %0 = qopt.qlinear %x, %c, %s {format = #qopt.format<int4>, group = 32 : i64, layout = 1 : i32} : (tensor<1x64xf32>, tensor<1x512xi8>, tensor<1x2x16xf32>) -> tensor<1x20xf32>
  return %0 : tensor<1x20xf32>
}

// -----

func.func @f(%x: tensor<1x64xf32>, %c: tensor<1x64xi8>, %s: tensor<1x1x16xf32>) -> tensor<1x16xf32> {
  // expected-error @+1 {{panel layouts hold 4- or 8-bit codes (codebooks: panel16 only), not int3}}
  %0 = qopt.qlinear %x, %c, %s {format = #qopt.format<int3>, group = 64 : i64, layout = 1 : i32} : (tensor<1x64xf32>, tensor<1x64xi8>, tensor<1x1x16xf32>) -> tensor<1x16xf32>
  return %0 : tensor<1x16xf32>
}

//===----------------------------------------------------------------------===//
// qopt.norm
//===----------------------------------------------------------------------===//

// -----

func.func @f(%x: tensor<f32>, %g: tensor<1xf32>) -> tensor<f32> {
  // expected-error @+1 {{input must have at least one dimension to normalize}}
  %0 = qopt.norm rms %x, %g : tensor<f32>, tensor<1xf32>
  return %0 : tensor<f32>
}

// -----

func.func @f(%x: tensor<2x64xf32>, %g: tensor<32xf32>) -> tensor<2x64xf32> {
  // expected-error @+1 {{expected gamma of shape [64] for the normalized (last) dimension of size 64, got [32]}}
  %0 = qopt.norm rms %x, %g : tensor<2x64xf32>, tensor<32xf32>
  return %0 : tensor<2x64xf32>
}

// -----

func.func @f(%x: tensor<2x64xf32>, %g: tensor<64xf32>, %b: tensor<2x64xf32>) -> tensor<2x64xf32> {
  // expected-error @+1 {{expected beta of shape [64] for the normalized (last) dimension of size 64, got [2, 64]}}
  %0 = qopt.norm layer %x, %g, %b : tensor<2x64xf32>, tensor<64xf32>, tensor<2x64xf32>
  return %0 : tensor<2x64xf32>
}

// -----

func.func @f(%x: tensor<2x64xf32>, %g: tensor<64xf32>) -> tensor<2x64xf32> {
  // expected-error @+1 {{epsilon must be finite and non-negative, not -1.000000e-05}}
  %0 = qopt.norm rms %x, %g {epsilon = -1.0e-5 : f32} : tensor<2x64xf32>, tensor<64xf32>
  return %0 : tensor<2x64xf32>
}

//===----------------------------------------------------------------------===//
// qopt.hadamard
//===----------------------------------------------------------------------===//

// -----

func.func @f(%x: tensor<2x172xf32>) -> tensor<2x172xf32> {
  // expected-error @+1 {{size 172 has no Hadamard matrix here: no Hadamard matrix of order 172 is constructed here: 172 = 2^2 * 43}}
  %0 = qopt.hadamard %x {size = 172 : i64} : tensor<2x172xf32>
  return %0 : tensor<2x172xf32>
}

// -----

func.func @f(%x: tensor<2x?xf32>) -> tensor<2x?xf32> {
  // expected-error @+1 {{input needs a static last dimension to rotate}}
  %0 = qopt.hadamard %x {size = 64 : i64} : tensor<2x?xf32>
  return %0 : tensor<2x?xf32>
}

// -----

func.func @f(%x: tensor<2x96xf32>) -> tensor<2x96xf32> {
  // expected-error @+1 {{size 64 does not divide the last dimension 96}}
  %0 = qopt.hadamard %x {size = 64 : i64} : tensor<2x96xf32>
  return %0 : tensor<2x96xf32>
}

//===----------------------------------------------------------------------===//
// qopt.quantize / qopt.dequantize
//===----------------------------------------------------------------------===//

// -----

func.func @f(%x: tensor<f32>) {
  // expected-error @+1 {{input must have at least one dimension}}
  %c, %s = qopt.quantize %x {scheme = #qopt.act<int8, per_token>} : tensor<f32> -> tensor<i8>, tensor<f32>
  return
}

// -----

func.func @f(%x: tensor<4x64xf32>) {
  // expected-error @+1 {{expected codes of shape [4, 64] for the input's shape, got [4, 32]}}
  %c, %s = qopt.quantize %x {scheme = #qopt.act<int8, per_token>} : tensor<4x64xf32> -> tensor<4x32xi8>, tensor<4x1xf32>
  return
}

// -----

func.func @f(%x: tensor<4x64xf32>) {
  // expected-error @+1 {{codes of format fp8_e4m3 are stored as 'f8E4M3FN', not 'i8'}}
  %c, %s = qopt.quantize %x {scheme = #qopt.act<fp8_e4m3, per_token>} : tensor<4x64xf32> -> tensor<4x64xi8>, tensor<4x1xf32>
  return
}

// -----

func.func @f(%x: tensor<4x64xf32>) {
  // expected-error @+1 {{expected scales of shape [1, 1] for quantizing per_tensor an input of shape [4, 64], got [4, 1]}}
  %c, %s = qopt.quantize %x {scheme = #qopt.act<int8, per_tensor>} : tensor<4x64xf32> -> tensor<4x64xi8>, tensor<4x1xf32>
  return
}

// -----

func.func @f(%c: tensor<4x64xi8>, %s: tensor<4x1xf32>) -> tensor<4x64xf32> {
  // expected-error @+1 {{format lut<16> needs a codebook; use qopt.qlinear for lookup-table codes}}
  %0 = qopt.dequantize %c, %s {format = #qopt.format<lut<16>>} : tensor<4x64xi8>, tensor<4x1xf32> -> tensor<4x64xf32>
  return %0 : tensor<4x64xf32>
}

// -----

func.func @f(%c: tensor<4x64xi16>, %s: tensor<4x1xf32>) -> tensor<4x64xf32> {
  // expected-error @+1 {{codes of format int8 are stored as 'i8', not 'i16'}}
  %0 = qopt.dequantize %c, %s {format = #qopt.format<int8>} : tensor<4x64xi16>, tensor<4x1xf32> -> tensor<4x64xf32>
  return %0 : tensor<4x64xf32>
}

// -----

func.func @f(%c: tensor<4x64xi8>, %s: tensor<4x2xf32>) -> tensor<4x64xf32> {
  // expected-error @+1 {{scales of microscaled format int8, mx = 32 must be f8E8M0FNU, not 'f32'}}
  %0 = qopt.dequantize %c, %s {format = #qopt.format<mxint8>} : tensor<4x64xi8>, tensor<4x2xf32> -> tensor<4x64xf32>
  return %0 : tensor<4x64xf32>
}

// -----

func.func @f(%c: tensor<4x64xi8>, %s: tensor<4x3xf32>) -> tensor<4x64xf32> {
  // expected-error @+1 {{scales of shape [4, 3] do not broadcast over codes of shape [4, 64] (each dimension must be 1, equal, or a divisor for blocks)}}
  %0 = qopt.dequantize %c, %s {format = #qopt.format<int8>} : tensor<4x64xi8>, tensor<4x3xf32> -> tensor<4x64xf32>
  return %0 : tensor<4x64xf32>
}

// -----

func.func @f(%c: tensor<4x64xi8>, %s: tensor<4x1xf32>, %z: tensor<4x1xi8>) -> tensor<4x64xf32> {
  // expected-error @+1 {{zero points need a non-microscaled integer format, not fp4_e2m1}}
  %0 = qopt.dequantize %c, %s zeros(%z : tensor<4x1xi8>) {format = #qopt.format<fp4_e2m1>} : tensor<4x64xi8>, tensor<4x1xf32> -> tensor<4x64xf32>
  return %0 : tensor<4x64xf32>
}

// -----

func.func @f(%c: tensor<4x64xi8>, %s: tensor<4x1xf32>, %z: tensor<1x1xi8>) -> tensor<4x64xf32> {
  // expected-error @+1 {{expected zeros of shape [4, 1] for the scales' shape, got [1, 1]}}
  %0 = qopt.dequantize %c, %s zeros(%z : tensor<1x1xi8>) {format = #qopt.format<uint8>} : tensor<4x64xi8>, tensor<4x1xf32> -> tensor<4x64xf32>
  return %0 : tensor<4x64xf32>
}

// -----

func.func @f(%c: tensor<4x64xi8>, %s: tensor<4x1xf32>) -> tensor<4x32xf32> {
  // expected-error @+1 {{expected result of shape [4, 64] for the codes' shape, got [4, 32]}}
  %0 = qopt.dequantize %c, %s {format = #qopt.format<int8>} : tensor<4x64xi8>, tensor<4x1xf32> -> tensor<4x32xf32>
  return %0 : tensor<4x32xf32>
}

//===----------------------------------------------------------------------===//
// conv2d / qconv2d
//===----------------------------------------------------------------------===//

// -----

func.func @f(%x: tensor<1x4x9x9xf32>, %w: tensor<6x3x3x3xf32>) -> tensor<1x6x7x7xf32> {
  // expected-error @+1 {{C = 4 input and F = 6 output channels do not split into 1 groups of 3 weight channels}}
  %0 = qopt.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>}
         : tensor<1x4x9x9xf32>, tensor<6x3x3x3xf32> -> tensor<1x6x7x7xf32>
  return %0 : tensor<1x6x7x7xf32>
}

// -----

func.func @f(%x: tensor<1x4x9x9xf32>, %w: tensor<6x4x3x3xf32>) -> tensor<1x6x9x9xf32> {
  // expected-error @+1 {{expected result of shape [1, 6, 7, 7] for this convolution geometry, got [1, 6, 9, 9]}}
  %0 = qopt.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>}
         : tensor<1x4x9x9xf32>, tensor<6x4x3x3xf32> -> tensor<1x6x9x9xf32>
  return %0 : tensor<1x6x9x9xf32>
}

// -----

func.func @f(%x: tensor<1x4x9x9xf32>, %w: tensor<6x4x3x3xf32>) -> tensor<1x6x7x7xf32> {
  // expected-error @+1 {{needs 2 kernel sizes, strides and dilations and 4 pads [top, left, bottom, right]}}
  %0 = qopt.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0>}
         : tensor<1x4x9x9xf32>, tensor<6x4x3x3xf32> -> tensor<1x6x7x7xf32>
  return %0 : tensor<1x6x7x7xf32>
}

// -----

func.func @f(%x: tensor<1x4x9x9xf32>, %codes: tensor<6x9xi8>, %s: tensor<6x1xf32>) -> tensor<1x6x7x7xf32> {
  // expected-error @+1 {{expected packed weight of shape [6, 18] for format int4 with N = 6, K = 36 (4 bits per code, row_major), got [6, 9]}}
  %0 = qopt.qconv2d %x, %codes, %s {format = #qopt.format<int4>, group = 36 : i64, kernel = array<i64: 3, 3>,
         strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>}
         : (tensor<1x4x9x9xf32>, tensor<6x9xi8>, tensor<6x1xf32>) -> tensor<1x6x7x7xf32>
  return %0 : tensor<1x6x7x7xf32>
}

// -----

func.func @f(%x: tensor<1x4x9x9xf32>, %codes: tensor<6x36xi8>, %s: tensor<6x1xf32>) -> tensor<1x6x7x7xf32> {
  // expected-error @+1 {{convolutions take per-tensor activation scales}}
  %0 = qopt.qconv2d %x, %codes, %s {format = #qopt.format<int8>, group = 36 : i64, kernel = array<i64: 3, 3>,
         strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>,
         act = #qopt.act<int8, per_token>}
         : (tensor<1x4x9x9xf32>, tensor<6x36xi8>, tensor<6x1xf32>) -> tensor<1x6x7x7xf32>
  return %0 : tensor<1x6x7x7xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Sizes at the edges of int64 (found by qopt-fuzz-opt-parser): diagnostics,
// no overflow or crash.
//===----------------------------------------------------------------------===//

func.func @qlinear_scalar_result(%x: tensor<4x64xf32>, %codes: tensor<32x32xi8>, %scales: tensor<32x2xf16>) -> tensor<f32> {
  // expected-error @+1 {{the result's last dimension (the output features N) must be static}}
  %0 = qopt.qlinear %x, %codes, %scales {format = #qopt.format<uint4>, group = 32 : i64}
      : (tensor<4x64xf32>, tensor<32x32xi8>, tensor<32x2xf16>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @qlinear_huge_n(%x: tensor<4x64xf32>, %codes: tensor<32x32xi8>, %scales: tensor<32x2xf16>) -> tensor<4x9223372036854775807xf32> {
  // expected-error @+1 {{a weight of N = 9223372036854775807 rows and K = 64 columns: both must be at most 2^32}}
  %0 = qopt.qlinear %x, %codes, %scales {format = #qopt.format<uint4>, group = 32 : i64}
      : (tensor<4x64xf32>, tensor<32x32xi8>, tensor<32x2xf16>) -> tensor<4x9223372036854775807xf32>
  return %0 : tensor<4x9223372036854775807xf32>
}

// -----

func.func @conv2d_dilation_overflow(%x: tensor<1x4x9x9xf32>, %w: tensor<3x4x3x3xf32>) -> tensor<1x3x5x7xf32> {
  // expected-error @+1 {{the window or the padded input of spatial dimension 0 overflows 64-bit sizes}}
  %0 = qopt.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 9223372036854775807, 1>, pads = array<i64: 0, 0, 0, 0>}
         : tensor<1x4x9x9xf32>, tensor<3x4x3x3xf32> -> tensor<1x3x5x7xf32>
  return %0 : tensor<1x3x5x7xf32>
}
