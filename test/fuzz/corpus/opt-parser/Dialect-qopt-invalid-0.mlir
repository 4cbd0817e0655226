func.func @f() attributes {a = #qopt.format<int4x>} { return }
