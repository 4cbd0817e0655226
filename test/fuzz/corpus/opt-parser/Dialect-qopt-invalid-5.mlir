func.func @f() attributes {a = #qopt.format<mxfp4, mx = 16>} { return }
