func.func @f() attributes {a = #qopt.format<uint4, mx = 32>} { return }
