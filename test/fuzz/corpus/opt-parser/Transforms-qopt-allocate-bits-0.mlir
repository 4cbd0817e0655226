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
