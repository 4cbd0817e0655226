func.func @f() attributes {a = #qopt.format<lut<12>>} { return }
