func.func @f() attributes {a = #qopt.act<int8, per_tensor, scale = -0.5>} { return }
