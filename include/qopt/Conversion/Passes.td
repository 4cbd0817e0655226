//===- Passes.td - qopt lowering passes --------------------*- tablegen -*-===//

#ifndef QOPT_CONVERSION_PASSES_TD
#define QOPT_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def LowerToLinalg : Pass<"qopt-lower-to-linalg"> {
  let summary = "Lower qopt ops to linalg on tensors (the reference lowering)";
  let description = [{
    `qopt.linear %x, %w, %b` becomes a linalg.matmul with transposed-B
    indexing maps over the input's rows (leading dimensions collapsed) into a
    zero-filled init, then a linalg.generic adding the bias broadcast along
    rows. The result is what the CPU pipeline bufferizes and lowers.

    `qopt.qlinear` over panel-packed weights (`qopt-pack-weights`) becomes
    instead a call of a kernel function declared for
    `qopt-generate-cpu-kernels`, over buffers of its operands. With
    `gpu-kernels`, a row_major qlinear that the GPU kernels cover (4- and
    8-bit integer codes, f32 scales, float activations) becomes a call of a
    kernel declared for `qopt-generate-gpu-kernels`.
  }];
  let options = [
    Option<"gpuKernels", "gpu-kernels", "bool", /*default=*/"false",
           "Declare GPU kernels for the row_major qlinears they cover">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
                           "::mlir::bufferization::BufferizationDialect"];
}

def FloatKernelCalls : Pass<"qopt-float-kernel-calls"> {
  let summary = "Float matrix products and convolutions -> calls of generated GEMM kernels (CPU)";
  let description = [{
    On tensors, before `qopt-lower-to-linalg`: `qopt.linear` with a
    constant weight (packed into 16-column panels at compile time),
    `qopt.conv2d` without groups (im2col, then the product by the
    [F, C*KH*KW] weight; 1x1 stride-1 convolutions read their input
    directly) and linalg.generic matrix products with batch dimensions
    ((batch..., m, k) x (batch..., k, n) into zeros, one operand possibly
    shared by all batches) become calls of private kernel functions declared
    with `qopt.gemm_kernel = {b_layout, bias}`, whose bodies
    `qopt-generate-cpu-kernels` writes after bufferization: register-tiled
    vector multiply-adds, the bias in the epilogue, OpenMP over (batch,
    column tile). See lib/Conversion/FloatGemm.h.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::bufferization::BufferizationDialect"];
}

def FuseElementwise : Pass<"qopt-fuse-elementwise"> {
  let summary = "Fuse elementwise producers into consumers without recomputation";
  let description = [{
    Upstream elementwise fusion, restricted to fusions that compute each
    producer element once: the producer must have a single use, and the
    consumer must read it through an indexing map that uses every loop (a
    permutation). An elementwise chain fuses into one loop nest, and so does
    an elementwise producer into a reduction over all of it (softmax's sum of
    exponentials); an exponential feeding a matmul stays apart, where fusing
    would recompute it once per output column.

    With `same-shape-chains-only`, only chains of elementwise ops over one
    shape fuse (producer and consumer all parallel, every indexing map the
    identity): the CPU pipeline runs it so before qopt-float-kernel-calls,
    so that a multi-op activation (HardSwish: x * HardSigmoid(x)) becomes a
    single reader of the kernel's result that its epilogue can take, while
    broadcasts, transposes and products keep the forms the kernel patterns
    match.
  }];
  let options = [
    Option<"sameShapeChainsOnly", "same-shape-chains-only", "bool", /*default=*/"false",
           "Fuse only elementwise chains over one shape (identity maps)">
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect"];
}

def ReassociateReductions : Pass<"qopt-reassociate-reductions"> {
  let summary = "Allow float reductions of linalg ops to be reordered (vectorized)";
  let description = [{
    Marks the floating-point arithmetic in the bodies of linalg ops that have
    reduction iterators (matmuls, reductions) with `fastmath<reassoc,contract>`,
    so that LLVM may split the accumulation into vector lanes and fuse
    multiply-adds. Without it a dot product is one serial chain of dependent
    adds. The summation order becomes implementation-defined, as it is in
    every BLAS and in ONNX Runtime; elementwise ops are left exact.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def GenerateCpuKernels : Pass<"qopt-generate-cpu-kernels", "::mlir::ModuleOp"> {
  let summary = "Write the bodies of the declared qopt.qlinear and float GEMM CPU kernels";
  let description = [{
    `qopt-lower-to-linalg` turns each `qopt.qlinear` over panel-packed
    weights (`qopt-pack-weights`) into a call of a private kernel function
    declared with its configuration (`qopt.kernel`). After bufferization,
    this pass writes each declaration's body on buffers: vector-dialect code
    for the selected instruction set, `scf.parallel` over panels of 16
    output columns (OpenMP after `convert-scf-to-openmp`), and for int8
    activations a parallel quantization of the input rows into a scratch
    buffer. See lib/Conversion/CpuKernels.h for the kernels. The float GEMM
    declarations of `qopt-float-kernel-calls` get theirs too
    (lib/Conversion/FloatGemm.h).
  }];
  let options = [
    Option<"isa", "isa", "std::string", /*default=*/"\"avx2\"",
           "Instruction set: avx2, avx512 (F/BW/DQ/VL) or avx512-vnni">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
                           "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect", "::mlir::LLVM::LLVMDialect"];
}

def ApproximateMath : Pass<"qopt-approximate-math"> {
  let summary = "f32 exp, expm1, erf, tanh, log, log1p, log2 -> upstream polynomial approximations";
  let description = [{
    Each would otherwise call scalar libm per element, which keeps the loops
    from vectorizing. Upstream's approximations (populateMathPolynomial-
    ApproximationPatterns) are within a few ulp of libm; the CPU pipeline
    runs this pass before lowering linalg to loops.
  }];
  let dependentDialects = ["::mlir::math::MathDialect", "::mlir::arith::ArithDialect",
                           "::mlir::vector::VectorDialect"];
}

def ParallelizeLinalg : Pass<"qopt-parallelize-linalg"> {
  let summary = "Tile large linalg ops on buffers along their outer parallel dimension into scf.parallel";
  let description = [{
    Ops with at least 2^16 iteration points, outside the kernels' parallel
    loops, are tiled (upstream `linalg::tileLinalgOp`, parallel loops)
    along their outermost parallel dimension of extent > 1 into at most 16
    tiles, equal where a divisor allows; `convert-scf-to-openmp` runs the
    tiles on threads, each lowered to sequential loops. Ops whose first
    dimension of extent > 1 is a reduction, dynamic ones and small ones are
    left alone.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect", "::mlir::memref::MemRefDialect",
                           "::mlir::affine::AffineDialect", "::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect"];
}

def VectorizeLinalg : Pass<"qopt-vectorize-linalg"> {
  let summary = "Linalg ops on buffers -> rows of 16-lane vectors";
  let description = [{
    Each linalg.generic or linalg.copy over buffers whose innermost loop
    (parallel or a reduction) is a static row of at least 8 elements, every
    operand reading or writing along it contiguously or not depending on it
    (a broadcast, a reduction's result), is tiled into rows of 16 (upstream `linalg::tileLinalgOp`,
    every other dimension 1) and each tile vectorized (upstream
    `linalg::vectorize`, vector sizes [1, ..., 1, 16], the row's last tile
    masked); the vectors' leading unit dimensions are cast away and masks
    folded into the transfers. The CPU pipeline runs it on what is left
    outside the generated kernels, where LLVM's loop vectorizer gave up on
    fully unrolled short rows.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect", "::mlir::memref::MemRefDialect",
                           "::mlir::affine::AffineDialect", "::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect", "::mlir::vector::VectorDialect"];
}

def FillPadBorders : Pass<"qopt-fill-pad-borders"> {
  let summary = "A padded buffer's whole fill before the copy of its interior -> fills of its border";
  let description = [{
    On buffers, where a tensor.pad bufferized into a fill of the whole
    statically shaped buffer (linalg.fill, or linalg.map yielding a value
    from above) and then a memref.copy into a static unit-stride subview of
    it, with only ops free of memory effects in between, the fill is
    replaced by fills of the slabs around the interior (per padded
    dimension, below and above it), so that the interior is written once.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::memref::MemRefDialect"];
}

def StridedCopiesToLoops : Pass<"qopt-strided-copies-to-loops"> {
  let summary = "memref.copy of statically shaped, non-contiguous views -> linalg.copy";
  let description = [{
    Contiguous copies lower to memcpy; the others would call the runtime's
    element-at-a-time `memrefCopy`. They become `linalg.copy`, lowered to
    loops with the rest of linalg (the CPU pipeline runs this after
    bufferization).
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::memref::MemRefDialect"];
}

def InlineAllocaScopes : Pass<"qopt-inline-alloca-scopes"> {
  let summary = "Inline memref.alloca_scope regions that contain no memref.alloca";
  let description = [{
    `convert-scf-to-openmp` wraps each parallel loop body in a
    `memref.alloca_scope`; canonicalization keeps the scope when the body
    holds an op of unknown memory effects (an `llvm.call_intrinsic`), and a
    scope cannot hold the blocks `convert-scf-to-cf` makes. A scope with no
    `memref.alloca` inside frees nothing and is inlined.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def GenerateGpuKernels : Pass<"qopt-generate-gpu-kernels", "::mlir::ModuleOp"> {
  let summary = "Write the bodies of the declared qopt.qlinear GPU kernels";
  let description = [{
    `qopt-lower-to-linalg{gpu-kernels}` turns each `qopt.qlinear` the GPU
    kernels cover (row_major or mma_sm80) into a call of a private kernel
    function declared with its configuration (`qopt.kernel`). After
    bufferization this pass writes each body as one `gpu.launch`:

    - row_major (GEMV, few rows): a warp per output column reads its weight
      row with 16-byte coalesced loads (32 int4 or 16 int8 codes per lane),
      dequantizes in registers (the codes become floats through the exponent
      bits of 2^23, no int-to-float conversion), multiplies with up to 8
      input rows at a time, and reduces across the warp with shuffles;
    - mma_sm80 (GEMM): tensor-core `nvgpu.mma.sync` m16n8k16 in f16 with
      f32 accumulators; each lane's 16-byte load of codes is its B
      fragments, dequantized to f16 in registers; 4 warps split K.

    See lib/Conversion/GpuKernels.h.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::gpu::GPUDialect",
                           "::mlir::memref::MemRefDialect", "::mlir::nvgpu::NVGPUDialect",
                           "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect"];
}

def MapReductionsToWarps : Pass<"qopt-map-reductions-to-warps"> {
  let summary = "Run reductions over the innermost dimension with a warp per output";
  let description = [{
    A `linalg.generic` on buffers whose last loop is its only reduction (the
    output does not index it), of at least `min-size` elements, with an f32
    output and a body `yield combine(f(inputs), out)` where `combine` is
    `arith.addf`, `maximumf`, `maxnumf`, `minimumf` or `minnumf`, becomes a
    `gpu.launch` with a warp per output element (4 warps a block): lanes
    compute the body over a strided share of the row from the combiner's
    identity, xor shuffles combine the lanes, and lane 0 combines the result
    with the output's initial value. Norms' and softmaxes' row reductions
    thus read their rows coalesced with 32 threads instead of one. Other
    linalg ops are left for `convert-linalg-to-parallel-loops`.
  }];
  let options = [
    Option<"minSize", "min-size", "int64_t", /*default=*/"32",
           "The shortest reduction worth a warp">,
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect", "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect", "::mlir::affine::AffineDialect",
                           "::mlir::memref::MemRefDialect"];
}

def MapParallelLoopsToGpu : Pass<"qopt-map-parallel-loops-to-gpu"> {
  let summary = "Linearize and tile outermost scf.parallel loops into blocks of threads";
  let description = [{
    Each outermost `scf.parallel` of a host function (what
    `convert-linalg-to-parallel-loops` makes of the parallel dimensions of a
    linalg op) is collapsed into one dimension, innermost dimension fastest,
    and tiled by `block-size`, so that upstream `gpu-map-parallel-loops`
    maps the tile loop to GPU blocks and the loop within a tile to threads
    (consecutive threads write consecutive elements). A `memref.copy` from
    or to a strided buffer becomes such a loop first (dense copies are left
    for `gpu.memcpy`).
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256", "Threads per block">,
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect", "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect", "::mlir::affine::AffineDialect",
                           "::mlir::memref::MemRefDialect"];
}

def PlaceOnDevice : Pass<"qopt-place-on-device", "::mlir::ModuleOp"> {
  let summary = "Move a host program's buffers and memory work onto the GPU";
  let description = [{
    Makes the host functions (outside `gpu.module`s) of a bufferized program
    touch device memory only through GPU ops:

    - Each memref argument of a public function gets a device buffer: the
      first `inputs` arguments are copied in at entry, the rest (outputs)
      are copied out before each return. With `inputs = -1`, every argument
      is copied both ways.
    - `memref.alloc`/`dealloc` become `gpu.alloc`/`dealloc`;
      `memref.copy` between identity-layout buffers becomes `gpu.memcpy`.
    - `memref.get_global` (weights and other constants) becomes the device
      copy that the runtime uploads once (`qoptGpuConstant`).
    - Any other host op that reads or writes memory (a loop left by a
      reduction without parallel dimensions, a load) is wrapped in a
      single-thread `gpu.launch`; an op whose results are used on the host
      cannot be, and is an error.
    - Constants that a kernel uses, and arith/vector computations on them,
      are recomputed inside the `gpu.launch` instead of becoming kernel
      arguments.
  }];
  let options = [
    Option<"inputs", "inputs", "int64_t", /*default=*/"-1",
           "Leading public-function arguments that are inputs (-1: all arguments both ways)">,
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect", "::mlir::memref::MemRefDialect",
                           "::mlir::LLVM::LLVMDialect", "::mlir::arith::ArithDialect",
                           "::mlir::vector::VectorDialect"];
}

def PlanDeviceMemory : Pass<"qopt-plan-device-memory", "::mlir::ModuleOp"> {
  let summary = "Plan a function's device buffers into one arena";
  let description = [{
    The static-shape `gpu.alloc`s in the entry block of each host function
    become `memref.view`s into one `gpu.alloc` of bytes (the arena), at
    offsets chosen so that buffers whose lifetimes overlap never share bytes
    (greedy by size, first fit, 256-byte aligned). A buffer lives from its
    allocation to its last use, through any view of it. Their deallocations
    are removed; the arena is freed before each return. A run thus makes one
    device allocation, which the runtime's allocation cache serves from the
    second run on.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect", "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}

def MergeGpuModules : Pass<"qopt-merge-gpu-modules", "::mlir::ModuleOp"> {
  let summary = "Move the kernels of all gpu.modules into one";
  let description = [{
    `gpu-kernel-outlining` outlines each kernel into a gpu.module of its
    own; this pass merges them into one gpu.module (`module-name`), so that
    the program's GPU code is one PTX file and one cubin or fatbin, loaded
    once. Each kernel is renamed after the module it came from (unique) and
    the `gpu.launch_func` ops are updated; helper functions that outlining
    cloned into several modules are kept once.
  }];
  let options = [
    Option<"moduleName", "module-name", "std::string", /*default=*/"\"qopt_kernels\"",
           "Name of the merged gpu.module">,
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

#endif // QOPT_CONVERSION_PASSES_TD
