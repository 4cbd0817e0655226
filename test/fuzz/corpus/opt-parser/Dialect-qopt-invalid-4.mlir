func.func @f() attributes {a = #qopt.format<fp4_e2m1, mx = 24>} { return }
