func.func @formats() attributes {
  f00_i2 = #qopt.format<int2>,
  f01_i3 = #qopt.format<int3>,
  f02_i4 = #qopt.format<int4>,
  f03_i8 = #qopt.format<int8>,
  f04_u2 = #qopt.format<uint2>,
  f05_u4 = #qopt.format<uint4>,
  f06_u8 = #qopt.format<uint8>,
  f07_f8 = #qopt.format<fp8_e4m3>,
  f08_f6 = #qopt.format<fp6_e3m2>,
  f09_f4 = #qopt.format<fp4_e2m1>,
  f10_nf = #qopt.format<nf4>,
  f11_lut = #qopt.format<lut<16>>,
  f12_mxfp4 = #qopt.format<mxfp4>,
  f13_mxfp6 = #qopt.format<mxfp6_e3m2>,
  f14_mxfp8 = #qopt.format<mxfp8_e4m3>,
  f15_mxint8 = #qopt.format<mxint8>,
  f16_nvfp4_like = #qopt.format<fp4_e2m1, mx = 16>,
  f17_act_dynamic = #qopt.act<int8, per_token>,
  f18_act_int4 = #qopt.act<int4, per_token>,
  f19_act_static = #qopt.act<int8, per_tensor, scale = 0.125>
} {
  return
}
