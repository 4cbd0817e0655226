// Every number format's syntax, and the mx short names parsed into their
// canonical form.
// RUN: qopt-opt %s | FileCheck %s
// RUN: qopt-opt %s | qopt-opt | FileCheck %s

// CHECK-LABEL: func.func @formats
func.func @formats() attributes {
  // CHECK-SAME: f00_i2 = #qopt.format<int2>
  f00_i2 = #qopt.format<int2>,
  // CHECK-SAME: f01_i3 = #qopt.format<int3>
  f01_i3 = #qopt.format<int3>,
  // CHECK-SAME: f02_i4 = #qopt.format<int4>
  f02_i4 = #qopt.format<int4>,
  // CHECK-SAME: f03_i8 = #qopt.format<int8>
  f03_i8 = #qopt.format<int8>,
  // CHECK-SAME: f04_u2 = #qopt.format<uint2>
  f04_u2 = #qopt.format<uint2>,
  // CHECK-SAME: f05_u4 = #qopt.format<uint4>
  f05_u4 = #qopt.format<uint4>,
  // CHECK-SAME: f06_u8 = #qopt.format<uint8>
  f06_u8 = #qopt.format<uint8>,
  // CHECK-SAME: f07_f8 = #qopt.format<fp8_e4m3>
  f07_f8 = #qopt.format<fp8_e4m3>,
  // CHECK-SAME: f08_f6 = #qopt.format<fp6_e3m2>
  f08_f6 = #qopt.format<fp6_e3m2>,
  // CHECK-SAME: f09_f4 = #qopt.format<fp4_e2m1>
  f09_f4 = #qopt.format<fp4_e2m1>,
  // CHECK-SAME: f10_nf = #qopt.format<nf4>
  f10_nf = #qopt.format<nf4>,
  // CHECK-SAME: f11_lut = #qopt.format<lut<16>>
  f11_lut = #qopt.format<lut<16>>,
  // CHECK-SAME: f12_mxfp4 = #qopt.format<fp4_e2m1, mx = 32>
  f12_mxfp4 = #qopt.format<mxfp4>,
  // CHECK-SAME: f13_mxfp6 = #qopt.format<fp6_e3m2, mx = 32>
  f13_mxfp6 = #qopt.format<mxfp6_e3m2>,
  // CHECK-SAME: f14_mxfp8 = #qopt.format<fp8_e4m3, mx = 32>
  f14_mxfp8 = #qopt.format<mxfp8_e4m3>,
  // CHECK-SAME: f15_mxint8 = #qopt.format<int8, mx = 32>
  f15_mxint8 = #qopt.format<mxint8>,
  // CHECK-SAME: f16_nvfp4_like = #qopt.format<fp4_e2m1, mx = 16>
  f16_nvfp4_like = #qopt.format<fp4_e2m1, mx = 16>,
  // CHECK-SAME: f17_act_dynamic = #qopt.act<int8, per_token>
  f17_act_dynamic = #qopt.act<int8, per_token>,
  // CHECK-SAME: f18_act_int4 = #qopt.act<int4, per_token>
  f18_act_int4 = #qopt.act<int4, per_token>,
  // CHECK-SAME: f19_act_static = #qopt.act<int8, per_tensor, scale = 1.250000e-01>
  f19_act_static = #qopt.act<int8, per_tensor, scale = 0.125>
} {
  return
}
