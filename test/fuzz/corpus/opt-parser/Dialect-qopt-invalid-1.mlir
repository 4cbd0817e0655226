func.func @f() attributes {a = #qopt.format<int9>} { return }
