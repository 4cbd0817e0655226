// RUN: qopt-opt %s --qopt-merge-gpu-modules | FileCheck %s
// RUN: not qopt-opt %s --qopt-merge-gpu-modules=module-name=run 2>&1 | FileCheck %s --check-prefix=TAKEN

// One gpu.module: kernels named after their modules, the helper once, the
// launches updated.
// CHECK: gpu.module @qopt_kernels {
// CHECK-COUNT-1: func.func @helper
// CHECK: gpu.func @first({{.*}}) kernel
// CHECK: gpu.func @second({{.*}}) kernel
// CHECK-NOT: gpu.module
// CHECK: gpu.launch_func @qopt_kernels::@first
// CHECK: gpu.launch_func @qopt_kernels::@second

// TAKEN: error: qopt-merge-gpu-modules: the symbol @run exists already
module attributes {gpu.container_module} {
  gpu.module @first {
    func.func @helper(%x: f32) -> f32 {
      return %x : f32
    }
    gpu.func @main_kernel(%a: memref<4xf32>) kernel {
      gpu.return
    }
  }
  gpu.module @second {
    func.func @helper(%x: f32) -> f32 {
      return %x : f32
    }
    gpu.func @main_kernel(%a: memref<4xf32>) kernel {
      gpu.return
    }
  }
  func.func @run(%a: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @first::@main_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>)
    gpu.launch_func @second::@main_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>)
    return
  }
}
