// qopt-allocate-bits picks one weight scheme per layer under the budget.
// Three [8, 64] layers; int8 per channel costs 8.5 bits per weight, int4-g32
// 5, so 6.2 on average affords one int8 layer: the one whose measured
// sensitivity drops most (b: 2.0 -> 0.0). With tie=inputs, a and b read one
// input and must share a scheme; two int8 layers do not fit, so c (0.5 ->
// 0.0) takes it. The JSON report lists every layer.
// RUN: qopt-opt %s --qopt-allocate-bits="budget=6.2 candidates=int8,int4-g32 report=%t.json" 2>%t.remarks | FileCheck %s
// RUN: FileCheck %s --check-prefix=REPORT < %t.json
// RUN: FileCheck %s --check-prefix=REMARK < %t.remarks
// RUN: qopt-opt %s --qopt-allocate-bits="budget=6.2 candidates=int8,int4-g32 tie=inputs" 2>/dev/null | FileCheck %s --check-prefix=TIED
// RUN: not qopt-opt %s --qopt-allocate-bits="budget=4.9 candidates=int8,int4-g32" 2>&1 | FileCheck %s --check-prefix=TIGHT
// RUN: not qopt-opt %s --qopt-allocate-bits="budget=5 candidates=int8,int4-g32 sensitivity=proxy" 2>&1 | FileCheck %s --check-prefix=PROXY
//
// A latency budget: int4-g32 kernels take 0.5 ms each, int8 ones 1, 3 and
// 1 ms. 2.5 ms affords 1 ms more than all-int4: a and c (sensitivity -0.9
// and -0.5) rather than b (-2.0, but 2.5 ms more). With the size budget too,
// only one int8 layer fits: a.
// RUN: qopt-opt %s --qopt-allocate-bits="latency-ms=2.5 candidates=int8,int4-g32 report=%t.latency.json" 2>%t.latency.remarks | FileCheck %s --check-prefix=LATENCY
// RUN: FileCheck %s --check-prefix=LATENCY-REMARK < %t.latency.remarks
// RUN: FileCheck %s --check-prefix=LATENCY-REPORT < %t.latency.json
// RUN: qopt-opt %s --qopt-allocate-bits="budget=6.2 latency-ms=2.5 candidates=int8,int4-g32" 2>/dev/null | FileCheck %s --check-prefix=BOTH
// RUN: not qopt-opt %s --qopt-allocate-bits="latency-ms=1.4 candidates=int8,int4-g32" 2>&1 | FileCheck %s --check-prefix=TOO-FAST
// RUN: not qopt-opt %s --qopt-allocate-bits="latency-ms=2 candidates=int8,int6-g128" 2>&1 | FileCheck %s --check-prefix=UNTIMED

// CHECK: qopt.linear %arg0, %{{.*}} {{{.*}}qopt.weight_scheme = "int4-g32"}
// CHECK: qopt.linear %arg0, %{{.*}} {{{.*}}qopt.weight_scheme = "int8"}
// CHECK: qopt.linear %arg1, %{{.*}} {{{.*}}qopt.weight_scheme = "int4-g32"}
// REPORT: "bits_per_weight": 6.1666
// REPORT: "name": "a"
// REPORT-NEXT: "scheme": "int4-g32"
// REPORT: "name": "b"
// REPORT-NEXT: "scheme": "int8"
// REPORT: "optimal": true
// REPORT: "solver": "GLPK
// REMARK: remark: qopt-allocate-bits: GLPK {{.*}} branch-and-cut, proven optimal in {{.*}} s, gap to the LP relaxation {{.*}}%; 6.167 bits per weight (budget 6.200) over 3 layers in 3 groups; measured loss 1.5000E+00
// TIED: qopt.linear %arg0, %{{.*}} {{{.*}}qopt.weight_scheme = "int4-g32"}
// TIED: qopt.linear %arg0, %{{.*}} {{{.*}}qopt.weight_scheme = "int4-g32"}
// TIED: qopt.linear %arg1, %{{.*}} {{{.*}}qopt.weight_scheme = "int8"}
// TIGHT: error: qopt-allocate-bits: no allocation fits: the smallest options need 7680 bits, the budget is 7526 (4.900 bits per weight over 3 layers)
// PROXY: error: loc("a"): 'qopt.linear' op needs its input Hessian ('qopt.calib.hessian', 64 x 64) for proxy sensitivities
// LATENCY: qopt.linear %arg0, %{{.*}} {{{.*}}qopt.weight_scheme = "int8"}
// LATENCY: qopt.linear %arg0, %{{.*}} {{{.*}}qopt.weight_scheme = "int4-g32"}
// LATENCY: qopt.linear %arg1, %{{.*}} {{{.*}}qopt.weight_scheme = "int8"}
// LATENCY-REMARK: (budget none), 2.5000 ms (latency budget 2.5000 ms) over 3 layers in 3 groups; measured loss 2.1000E+00
// LATENCY-REPORT: "latency_ms": 2.5
// LATENCY-REPORT: "latency_ms": 1
// LATENCY-REPORT: "latency_ms": 0.5
// LATENCY-REPORT: "latency_ms": 1
// BOTH: qopt.linear %arg0, %{{.*}} {{{.*}}qopt.weight_scheme = "int8"}
// BOTH: qopt.linear %arg0, %{{.*}} {{{.*}}qopt.weight_scheme = "int4-g32"}
// BOTH: qopt.linear %arg1, %{{.*}} {{{.*}}qopt.weight_scheme = "int4-g32"}
// TOO-FAST: error: qopt-allocate-bits: no allocation fits: the fastest options take 1.500000, the latency budget is 1.400000
// UNTIMED: error: loc("a"): 'qopt.linear' op has no measured kernel latency for int6-g128
func.func @three(%x: tensor<4x64xf32>, %y: tensor<4x64xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %wa = arith.constant dense<0.5> : tensor<8x64xf32>
  %wb = arith.constant dense<0.25> : tensor<8x64xf32>
  %wc = arith.constant dense<0.125> : tensor<8x64xf32>
  %a = qopt.linear %x, %wa {qopt.calib.sensitivity = {"int8" = 0.1 : f64, "int4-g32" = 1.0 : f64, "int6-g128" = 0.5 : f64},
                            qopt.calib.latency = {"int8" = 1.0 : f64, "int4-g32" = 0.5 : f64}}
      : tensor<4x64xf32>, tensor<8x64xf32> -> tensor<4x8xf32> loc("a")
  %b = qopt.linear %x, %wb {qopt.calib.sensitivity = {"int8" = 0.0 : f64, "int4-g32" = 2.0 : f64},
                            qopt.calib.latency = {"int8" = 3.0 : f64, "int4-g32" = 0.5 : f64}}
      : tensor<4x64xf32>, tensor<8x64xf32> -> tensor<4x8xf32> loc("b")
  %c = qopt.linear %y, %wc {qopt.calib.sensitivity = {"int8" = 0.0 : f64, "int4-g32" = 0.5 : f64},
                            qopt.calib.latency = {"int8" = 1.0 : f64, "int4-g32" = 0.5 : f64}}
      : tensor<4x64xf32>, tensor<8x64xf32> -> tensor<4x8xf32> loc("c")
  return %a, %b, %c : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}
