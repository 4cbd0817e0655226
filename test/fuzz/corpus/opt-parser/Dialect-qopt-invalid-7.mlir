func.func @f() attributes {a = #qopt.act<int8, per_row>} { return }
