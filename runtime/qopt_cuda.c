/*===- qopt_cuda.c - The GPU runtime of qopt-compiled CUDA models -------===*
 *
 * Host code lowered by MLIR's gpu-to-llvm calls the `mgpu*` functions below
 * (the ABI of MLIR's CudaRuntimeWrappers, which Debian's MLIR does not
 * ship). They are implemented on the CUDA driver API, loaded at run time
 * with dlopen("libcuda.so.1"): a CUDA model links on any machine, and where
 * no driver or GPU exists it stops with a clear message and exit status 77
 * (QOPT_EXIT_NO_GPU) instead of a crash.
 *
 * - Modules: the embedded fatbin is registered by a global constructor
 *   (mgpuModuleLoad) but loaded into the context only at its first launch,
 *   so that loading a model never touches the driver.
 * - Memory: the compiler plans all intermediate buffers of a run into one
 *   arena (qopt-plan-device-memory); device allocations are cached by size,
 *   so from the second run on no cuMemAlloc happens.
 * - Constants: weights are uploaded once, at their first use
 *   (qoptGpuConstant), and stay on the device for the process's lifetime.
 *
 *===--------------------------------------------------------------------===*/

#include <dlfcn.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QOPT_EXIT_NO_GPU 77

/* The few driver API types and entry points used (cuda.h, CUDA 12+ ABI). */
typedef int CUresult;
typedef int CUdevice;
typedef struct CUctx_st *CUcontext;
typedef struct CUmod_st *CUmodule;
typedef struct CUfunc_st *CUfunction;
typedef struct CUstream_st *CUstream;
typedef unsigned long long CUdeviceptr;

static struct {
  void *library;
  CUcontext context;
  CUresult (*cuInit)(unsigned);
  CUresult (*cuDeviceGetCount)(int *);
  CUresult (*cuDeviceGet)(CUdevice *, int);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*cuCtxSetCurrent)(CUcontext);
  CUresult (*cuGetErrorString)(CUresult, const char **);
  CUresult (*cuModuleLoadData)(CUmodule *, const void *);
  CUresult (*cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned,
                             unsigned, unsigned, CUstream, void **, void **);
  CUresult (*cuStreamCreate)(CUstream *, unsigned);
  CUresult (*cuStreamDestroy)(CUstream);
  CUresult (*cuStreamSynchronize)(CUstream);
  CUresult (*cuMemAlloc)(CUdeviceptr *, size_t);
  CUresult (*cuMemAllocManaged)(CUdeviceptr *, size_t, unsigned);
  CUresult (*cuMemcpyAsync)(CUdeviceptr, CUdeviceptr, size_t, CUstream);
  CUresult (*cuMemcpyHtoD)(CUdeviceptr, const void *, size_t);
  CUresult (*cuMemsetD32Async)(CUdeviceptr, unsigned, size_t, CUstream);
  CUresult (*cuMemsetD16Async)(CUdeviceptr, unsigned short, size_t, CUstream);
} cuda;

static void no_gpu(const char *why) {
  fprintf(stderr,
          "qopt: this model was compiled for an NVIDIA GPU (--target cuda), but %s.\n"
          "qopt: run it on a machine with an NVIDIA GPU and driver, or compile with --target cpu.\n",
          why);
  exit(QOPT_EXIT_NO_GPU);
}

static void check(CUresult result, const char *call) {
  if (result == 0)
    return;
  const char *text = NULL;
  if (cuda.cuGetErrorString)
    cuda.cuGetErrorString(result, &text);
  fprintf(stderr, "qopt: CUDA error in %s: %s (%d)\n", call, text ? text : "unknown error", result);
  exit(1);
}

static void *symbol(const char *name) {
  void *address = dlsym(cuda.library, name);
  if (!address) {
    char why[256];
    snprintf(why, sizeof(why), "the CUDA driver lacks %s (driver too old?)", name);
    no_gpu(why);
  }
  return address;
}

/* Loads the driver and makes the primary context of device 0 current. */
static void ensure_context(void) {
  if (cuda.context)
    return;
  cuda.library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!cuda.library) {
    char why[512];
    snprintf(why, sizeof(why), "the CUDA driver (libcuda.so.1) cannot be loaded: %s", dlerror());
    no_gpu(why);
  }
#define LOAD(name, versioned) *(void **)&cuda.name = symbol(versioned)
  LOAD(cuInit, "cuInit");
  LOAD(cuDeviceGetCount, "cuDeviceGetCount");
  LOAD(cuDeviceGet, "cuDeviceGet");
  LOAD(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain");
  LOAD(cuCtxSetCurrent, "cuCtxSetCurrent");
  LOAD(cuGetErrorString, "cuGetErrorString");
  LOAD(cuModuleLoadData, "cuModuleLoadData");
  LOAD(cuModuleGetFunction, "cuModuleGetFunction");
  LOAD(cuLaunchKernel, "cuLaunchKernel");
  LOAD(cuStreamCreate, "cuStreamCreate");
  LOAD(cuStreamDestroy, "cuStreamDestroy_v2");
  LOAD(cuStreamSynchronize, "cuStreamSynchronize");
  LOAD(cuMemAlloc, "cuMemAlloc_v2");
  LOAD(cuMemAllocManaged, "cuMemAllocManaged");
  LOAD(cuMemcpyAsync, "cuMemcpyAsync");
  LOAD(cuMemcpyHtoD, "cuMemcpyHtoD_v2");
  LOAD(cuMemsetD32Async, "cuMemsetD32Async");
  LOAD(cuMemsetD16Async, "cuMemsetD16Async");
#undef LOAD
  CUresult result = cuda.cuInit(0);
  if (result != 0) {
    const char *text = NULL;
    cuda.cuGetErrorString(result, &text);
    char why[256];
    snprintf(why, sizeof(why), "the CUDA driver failed to initialize: %s", text ? text : "?");
    no_gpu(why);
  }
  int count = 0;
  check(cuda.cuDeviceGetCount(&count), "cuDeviceGetCount");
  if (count == 0)
    no_gpu("the CUDA driver reports no GPU");
  CUdevice device;
  check(cuda.cuDeviceGet(&device, 0), "cuDeviceGet");
  CUcontext context;
  check(cuda.cuDevicePrimaryCtxRetain(&context, device), "cuDevicePrimaryCtxRetain");
  check(cuda.cuCtxSetCurrent(context), "cuCtxSetCurrent");
  cuda.context = context;
}

/*--- Modules and functions: registered eagerly, loaded lazily ------------*/

typedef struct {
  const void *image;
  CUmodule module;
} qopt_gpu_module;

typedef struct qopt_gpu_function {
  qopt_gpu_module *module;
  const char *name;
  CUfunction function;
  struct qopt_gpu_function *next;
} qopt_gpu_function;

static qopt_gpu_function *functions;

void *mgpuModuleLoad(void *data, size_t size) {
  (void)size;
  qopt_gpu_module *module = (qopt_gpu_module *)calloc(1, sizeof(qopt_gpu_module));
  module->image = data;
  return module;
}

void *mgpuModuleLoadJIT(void *data, int optLevel) {
  (void)optLevel; /* cuModuleLoadData JIT-compiles PTX at the driver's level */
  return mgpuModuleLoad(data, 0);
}

void mgpuModuleUnload(void *module) {
  /* Functions may outlive the module's unload at exit; the process ends. */
  (void)module;
}

void *mgpuModuleGetFunction(void *module, const char *name) {
  /* Names are the generated code's constant strings: compare addresses
     first, text only when that fails. */
  for (qopt_gpu_function *f = functions; f; f = f->next)
    if (f->module == module && f->name == name)
      return f;
  for (qopt_gpu_function *f = functions; f; f = f->next)
    if (f->module == module && strcmp(f->name, name) == 0)
      return f;
  qopt_gpu_function *f = (qopt_gpu_function *)calloc(1, sizeof(qopt_gpu_function));
  f->module = (qopt_gpu_module *)module;
  f->name = name;
  f->next = functions;
  functions = f;
  return f;
}

static CUfunction resolve(qopt_gpu_function *f) {
  if (f->function)
    return f->function;
  ensure_context();
  if (!f->module->module) {
    CUresult result = cuda.cuModuleLoadData(&f->module->module, f->module->image);
    if (result != 0) {
      const char *text = NULL;
      cuda.cuGetErrorString(result, &text);
      fprintf(stderr,
              "qopt: the GPU cannot load this model's kernels: %s (%d); was it compiled for "
              "this GPU's architecture (--gpu)?\n",
              text ? text : "unknown error", result);
      exit(1);
    }
  }
  check(cuda.cuModuleGetFunction(&f->function, f->module->module, f->name), "cuModuleGetFunction");
  return f->function;
}

void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY, intptr_t gridZ,
                      intptr_t blockX, intptr_t blockY, intptr_t blockZ, int32_t smem,
                      void *stream, void **params, void **extra, size_t paramsCount) {
  (void)paramsCount;
  CUfunction f = resolve((qopt_gpu_function *)function);
  check(cuda.cuLaunchKernel(f, (unsigned)gridX, (unsigned)gridY, (unsigned)gridZ, (unsigned)blockX,
                            (unsigned)blockY, (unsigned)blockZ, (unsigned)smem, (CUstream)stream,
                            params, extra),
        ((qopt_gpu_function *)function)->name);
}

/*--- Streams -------------------------------------------------------------*/

void *mgpuStreamCreate(void) {
  ensure_context();
  CUstream stream;
  check(cuda.cuStreamCreate(&stream, 0), "cuStreamCreate");
  return stream;
}

void mgpuStreamDestroy(void *stream) { check(cuda.cuStreamDestroy((CUstream)stream), "cuStreamDestroy"); }

void mgpuStreamSynchronize(void *stream) {
  check(cuda.cuStreamSynchronize((CUstream)stream), "cuStreamSynchronize");
}

/*--- Memory: a size-keyed cache of device allocations --------------------*/

typedef struct qopt_gpu_block {
  CUdeviceptr address;
  size_t size;
  bool in_use;
  struct qopt_gpu_block *next;
} qopt_gpu_block;

static qopt_gpu_block *blocks;

void *mgpuMemAlloc(uint64_t size, void *stream, bool isHostShared) {
  (void)stream;
  ensure_context();
  if (size == 0)
    size = 1;
  if (isHostShared) {
    CUdeviceptr address;
    check(cuda.cuMemAllocManaged(&address, size, 1 /* CU_MEM_ATTACH_GLOBAL */), "cuMemAllocManaged");
    return (void *)(uintptr_t)address;
  }
  for (qopt_gpu_block *block = blocks; block; block = block->next)
    if (!block->in_use && block->size == size) {
      block->in_use = true;
      return (void *)(uintptr_t)block->address;
    }
  qopt_gpu_block *block = (qopt_gpu_block *)calloc(1, sizeof(qopt_gpu_block));
  check(cuda.cuMemAlloc(&block->address, size), "cuMemAlloc");
  block->size = size;
  block->in_use = true;
  block->next = blocks;
  blocks = block;
  return (void *)(uintptr_t)block->address;
}

void mgpuMemFree(void *pointer, void *stream) {
  (void)stream; /* the stream is synchronized before its buffers are reused */
  for (qopt_gpu_block *block = blocks; block; block = block->next)
    if (block->address == (CUdeviceptr)(uintptr_t)pointer) {
      block->in_use = false;
      return;
    }
}

void mgpuMemcpy(void *dst, void *src, size_t size, void *stream) {
  check(cuda.cuMemcpyAsync((CUdeviceptr)(uintptr_t)dst, (CUdeviceptr)(uintptr_t)src, size,
                           (CUstream)stream),
        "cuMemcpyAsync");
}

void mgpuMemset32(void *dst, unsigned value, size_t count, void *stream) {
  check(cuda.cuMemsetD32Async((CUdeviceptr)(uintptr_t)dst, value, count, (CUstream)stream),
        "cuMemsetD32Async");
}

void mgpuMemset16(void *dst, unsigned short value, size_t count, void *stream) {
  check(cuda.cuMemsetD16Async((CUdeviceptr)(uintptr_t)dst, value, count, (CUstream)stream),
        "cuMemsetD16Async");
}

/*--- Constants: uploaded once, at first use ------------------------------*/

typedef struct {
  const void *host;
  CUdeviceptr device;
} qopt_gpu_constant;

static qopt_gpu_constant *constants;
static size_t num_constants, constants_capacity;

uintptr_t qoptGpuConstant(uintptr_t host, uintptr_t size) {
  /* Open addressing on the host address; the table stays under half full. */
  if (2 * (num_constants + 1) > constants_capacity) {
    size_t capacity = constants_capacity ? 2 * constants_capacity : 256;
    qopt_gpu_constant *table = (qopt_gpu_constant *)calloc(capacity, sizeof(qopt_gpu_constant));
    for (size_t i = 0; i < constants_capacity; ++i)
      if (constants[i].host) {
        size_t slot = ((uintptr_t)constants[i].host >> 4) & (capacity - 1);
        while (table[slot].host)
          slot = (slot + 1) & (capacity - 1);
        table[slot] = constants[i];
      }
    free(constants);
    constants = table;
    constants_capacity = capacity;
  }
  size_t slot = (host >> 4) & (constants_capacity - 1);
  while (constants[slot].host) {
    if ((uintptr_t)constants[slot].host == host)
      return (uintptr_t)constants[slot].device;
    slot = (slot + 1) & (constants_capacity - 1);
  }
  ensure_context();
  CUdeviceptr device;
  check(cuda.cuMemAlloc(&device, size ? size : 1), "cuMemAlloc");
  check(cuda.cuMemcpyHtoD(device, (const void *)host, size), "cuMemcpyHtoD"); /* synchronous */
  constants[slot].host = (const void *)host;
  constants[slot].device = device;
  ++num_constants;
  return (uintptr_t)device;
}
