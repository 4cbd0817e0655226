func.func @float_activations(%x: tensor<3x40xf32>) -> tensor<3x20xf32> {
  %codes = arith.constant dense<17> : tensor<20x20xi8>
  %scales = arith.constant dense<0.5> : tensor<20x2xf32>
  %zeros = arith.constant dense<7> : tensor<20x2xi8>
  %bias = arith.constant dense<1.0> : tensor<20xf32>
  %y = qopt.qlinear %x, %codes, %scales zeros(%zeros) bias(%bias) {format = #qopt.format<uint4>, group = 32 : i64}
         : (tensor<3x40xf32>, tensor<20x20xi8>, tensor<20x2xf32>, tensor<20x2xi8>, tensor<20xf32>) -> tensor<3x20xf32>
  return %y : tensor<3x20xf32>
}
