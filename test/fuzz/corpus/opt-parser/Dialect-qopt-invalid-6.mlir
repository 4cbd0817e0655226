func.func @f() attributes {a = #qopt.act<nf4, per_token>} { return }
