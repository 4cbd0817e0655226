//===- CpuKernels.h - Generated CPU kernels of quantized ops ----*- C++ -*-===//
//
// The kernels of qopt.qlinear over panel-packed weights (PanelLayout.h),
// generated as vector-dialect code with scf.parallel over panels (OpenMP
// after scf-to-openmp). Two families:
//
// - panel16 (float activations): codes are decoded in registers, 16 rows
//   at a time (4-bit codes through a 16-entry table permute, 8-bit ones by
//   integer or fp8 conversion), scaled per group, and multiply-added with
//   broadcast inputs into [rows x 16] f32 accumulators.
// - panel16_dot (int8 activations): the input rows are quantized once into
//   a scratch buffer (with per-group sums), then 4-way u8 x s8 dot
//   products (vpdpbusd) accumulate int32 per group; the unsigned weight
//   offset and zero points are removed with the group sums, then the
//   weight scale, the input scale and the bias apply in f32.
//
// No float copy of the weight exists at any point.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_LIB_CONVERSION_CPUKERNELS_H
#define QOPT_LIB_CONVERSION_CPUKERNELS_H

#include "KernelConfig.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

#include <functional>

namespace qopt {

/// The vector instructions kernels may use.
struct CpuIsa {
  bool avx512 = false; // AVX-512 F/BW/DQ/VL: 512-bit registers and permutes
  bool vnni = false;   // AVX-512 VNNI: vpdpbusd

  /// "avx2", "avx512" or "avx512-vnni".
  static std::optional<CpuIsa> parse(llvm::StringRef name);
  std::string str() const;
};

/// Writes the body of a panel16 / panel16_dot kernel declaration.
void buildPanelFloatKernel(mlir::OpBuilder &b, mlir::Location loc, const QLinearKernelConfig &config,
                           const QLinearKernelArgs &args, const CpuIsa &isa);
void buildPanelDotKernel(mlir::OpBuilder &b, mlir::Location loc, const QLinearKernelConfig &config,
                         const QLinearKernelArgs &args, const CpuIsa &isa);

//===----------------------------------------------------------------------===//
// Building blocks shared by the kernels (PanelKernelSupport.cpp)
//===----------------------------------------------------------------------===//

using LoopBody = std::function<llvm::SmallVector<mlir::Value>(mlir::OpBuilder &, mlir::Location,
                                                              mlir::Value iv, mlir::ValueRange iters)>;

/// for iv in [0, count): iters = body(iv, iters); a count of one is inlined
/// (iv a constant), zero returns `init`.
llvm::SmallVector<mlir::Value> buildCountedLoop(mlir::OpBuilder &b, mlir::Location loc, int64_t count,
                                                mlir::ValueRange init, const LoopBody &body);

using GroupBody = std::function<llvm::SmallVector<mlir::Value>(
    mlir::OpBuilder &, mlir::Location, mlir::Value group, int64_t length, mlir::ValueRange iters)>;

/// Runs `body` over the groups of `panels`: a loop over the groups of full
/// length, then the shorter last group (static length) if any.
llvm::SmallVector<mlir::Value> forEachGroup(mlir::OpBuilder &b, mlir::Location loc,
                                            const PanelLayout &panels, mlir::ValueRange init,
                                            const GroupBody &body);

using TileBody = std::function<void(mlir::OpBuilder &, mlir::Location, mlir::Value firstRow,
                                    int64_t rows)>;

/// Runs `body` over tiles of `tile` rows of [0, count), then the remainder.
void forEachRowTile(mlir::OpBuilder &b, mlir::Location loc, int64_t count, int64_t tile,
                    const TileBody &body);

/// Rows of the input per register tile, and independent accumulators per
/// row: one row (GEMV) needs 4 chains to hide the multiply-add latency;
/// several rows hide it themselves. AVX2 has half the registers.
struct RowTiling {
  int64_t rowsPerTile, chains;
};
RowTiling chooseRowTiling(int64_t m, const CpuIsa &isa);

/// What both kernel builders start from: the configuration, the arguments,
/// the instruction set and the row tiling.
class PanelKernelBuilderBase {
protected:
  PanelKernelBuilderBase(const QLinearKernelConfig &config, const QLinearKernelArgs &args,
                         const CpuIsa &isa)
      : config(config), panels(config.panels), args(args), isa(isa) {
    RowTiling tiling = chooseRowTiling(config.m, isa);
    rowsPerTile = tiling.rowsPerTile;
    chains = tiling.chains;
  }

  const QLinearKernelConfig &config;
  const PanelLayout &panels;
  const QLinearKernelArgs &args;
  const CpuIsa &isa;
  int64_t rowsPerTile, chains;
};

/// scf.parallel over [0, count) (OpenMP after scf-to-openmp); `body` gets
/// the induction variable.
void buildParallelLoop(mlir::OpBuilder &b, mlir::Location loc, int64_t count,
                       llvm::function_ref<void(mlir::OpBuilder &, mlir::Location, mlir::Value)> body);


/// Work (multiply-adds) below which a kernel runs on the calling thread:
/// a few microseconds, less than starting the OpenMP team costs.
inline constexpr int64_t kMinParallelWork = int64_t(1) << 17;

/// `body` for each task in [0, count): buildParallelLoop when the kernel's
/// `work` is at least kMinParallelWork, else a plain loop.
void buildTaskLoop(mlir::OpBuilder &b, mlir::Location loc, int64_t count, int64_t work,
                   llvm::function_ref<void(mlir::OpBuilder &, mlir::Location, mlir::Value)> body);

/// vector<16xi1> with the first `lanes` lanes set.
mlir::Value prefixMask16(mlir::OpBuilder &b, mlir::Location loc, int64_t lanes);

/// acc + x * y, contracted into an FMA where the target has one (a libm
/// fmaf per lane where it has not would be far slower than mul + add).
mlir::Value contractedMultiplyAdd(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x, mlir::Value y,
                                  mlir::Value acc);

/// The values buffer[position..., column + l stride] for l < `lanes` (<= 16)
/// as a vector<16xf32>, zeros past `lanes`; `position` ends with the column.
/// Stride 1 is one load, stride 2 two loads and an even-lane shuffle,
/// larger strides a gather; nothing past the last needed element is read.
mlir::Value loadStridedRow16(mlir::OpBuilder &b, mlir::Location loc, mlir::Value buffer, mlir::ValueRange position,
                             int64_t stride, int64_t lanes);

/// True if `type` is a static, identity-layout f32 memref of rank `rank`.
bool isStaticF32Buffer(mlir::Type type, int64_t rank);

/// The 16 scales of panel `panel`, group `group` as f32 (f16, bf16 and
/// e8m0 decoded).
mlir::Value loadScaleVector(mlir::OpBuilder &b, mlir::Location loc, mlir::Value scales,
                            mlir::Value panel, mlir::Value group);

/// The 16 zero points of panel `panel`, group `group` as i32, read with the
/// format's signedness.
mlir::Value loadZeroVector(mlir::OpBuilder &b, mlir::Location loc, mlir::Value zeros, mlir::Value panel,
                           mlir::Value group, bool isSigned);

/// Stores `value` (16 f32, plus the bias of those columns if `bias`) into
/// row `row` of `out` at columns [16 panel, 16 panel + 16), masked to N.
void storePanelRow(mlir::OpBuilder &b, mlir::Location loc, mlir::Value out, mlir::Value bias,
                   mlir::Value row, mlir::Value panel, mlir::Value value, int64_t n);

/// out[m, n] += sum over j in [row_ptr[n], row_ptr[n + 1]) of
/// x[m, cols[j]] * values[j]: the outliers' share (dense-and-sparse), in
/// parallel over the N output columns.
void addOutlierProducts(mlir::OpBuilder &b, mlir::Location loc, const QLinearKernelArgs &args, int64_t m,
                        int64_t n);

/// table[idx & 15] lane-wise (vpermps).
mlir::Value lookup16(mlir::OpBuilder &b, mlir::Location loc, const CpuIsa &isa, mlir::Value table,
                     mlir::Value indices);

/// acc + sum over i < 4 of zext(a[4j+i]) * sext(b[4j+i]) in lane j
/// (vpdpbusd): acc vector<16xi32>, a and b vector<64xi8>.
mlir::Value dotProduct4(mlir::OpBuilder &b, mlir::Location loc, const CpuIsa &isa, mlir::Value acc,
                        mlir::Value a, mlir::Value bValues);

} // namespace qopt

#endif // QOPT_LIB_CONVERSION_CPUKERNELS_H
