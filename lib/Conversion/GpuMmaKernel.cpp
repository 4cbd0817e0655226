//===- GpuMmaKernel.cpp - W4A16/W8A16 tensor-core GEMM for NVIDIA GPUs ----===//
//
// See GpuKernels.h for the design. Shapes: x [M, K] f32, packed [T, K / 16
// * 512] i8 (mma_sm80, qopt/Quant/MmaLayout.h), scales and zeros [T, G,
// tileN], bias [N], out [M, N] f32.
//
//===----------------------------------------------------------------------===//

#include "GpuKernels.h"

#include "qopt/Quant/MmaLayout.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace qopt;

namespace {

constexpr int64_t kWarpSize = 32;
/// Warps of a block, each taking every kSplitK-th k step of the same tile.
constexpr int64_t kSplitK = 4;
/// mma tiles (16 rows × 8 columns) a warp accumulates: row tiles × subtiles.
constexpr int64_t kAccumulatorTiles = 16;
/// 0x6400 is the f16 1024: OR-ing a code c < 1024 into it gives 1024 + c.
constexpr uint32_t kHalfMagicPair = 0x64006400;
constexpr double kHalfMagic = 1024.0;

class MmaGemmBuilder {
public:
  MmaGemmBuilder(const QLinearKernelConfig &config, const QLinearKernelArgs &args)
      : config(config), args(args), isSigned(config.format.getKind() == FormatKind::SignedInt) {
    layout.bits = config.format.getCodeBits();
    layout.n = config.panels.n;
    layout.k = config.panels.k;
    layout.group = config.panels.group;
    subtiles = layout.getSubtiles();
    rowTiles = kAccumulatorTiles / subtiles;
    pairsPerWord = layout.bits == 4 ? 4 : 2;
  }

  void build(OpBuilder &b, Location loc, StringRef name) {
    MLIRContext *context = b.getContext();
    const int64_t rowsPerBlock = 16 * rowTiles;
    Value one = indexConstant(b, loc, 1);
    Value tiles = indexConstant(b, loc, layout.getNumTiles());
    Value rowBlocks = indexConstant(b, loc, (config.m + rowsPerBlock - 1) / rowsPerBlock);
    Value threads = indexConstant(b, loc, kWarpSize * kSplitK);
    // Warps 1.. hand their partial sums to warp 0 through shared memory,
    // lane-minor so that a warp's 32 stores hit 32 banks.
    auto partialsType = MemRefType::get({kSplitK - 1, getNumAccumulators() * 4, kWarpSize}, b.getF32Type(),
                                        MemRefLayoutAttrInterface(),
                                        gpu::AddressSpaceAttr::get(context, gpu::AddressSpace::Workgroup));
    auto launch = gpu::LaunchOp::create(b, loc, tiles, rowBlocks, one, threads, one, one, /*dynamicSharedMemorySize=*/
                                        Value(), /*asyncTokenType=*/Type(), ValueRange(),
                                        TypeRange{partialsType});
    launch.setFunctionAttr(FlatSymbolRefAttr::get(context, name));
    launch.setModuleAttr(FlatSymbolRefAttr::get(context, name));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&launch.getBody().front());
    Value partials = launch.getWorkgroupAttributions()[0];
    Value thread = launch.getThreadIds().x;
    lane = arith::RemUIOp::create(b, loc, thread, indexConstant(b, loc, kWarpSize));
    Value warp = arith::DivUIOp::create(b, loc, thread, indexConstant(b, loc, kWarpSize));
    laneGroup = arith::DivUIOp::create(b, loc, lane, indexConstant(b, loc, 4));
    laneInGroup = arith::RemUIOp::create(b, loc, lane, indexConstant(b, loc, 4));
    tile = launch.getBlockIds().x;
    rowBase = arith::MulIOp::create(b, loc, launch.getBlockIds().y, indexConstant(b, loc, rowsPerBlock));

    SmallVector<Value> sums = buildSteps(b, loc, warp);

    // Split-K: warps 1.. store, warp 0 adds them and writes the tile.
    Value isFirst = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, warp, indexConstant(b, loc, 0));
    auto handOver = scf::IfOp::create(b, loc, isFirst, /*withElseRegion=*/true);
    {
      OpBuilder::InsertionGuard inner(b);
      b.setInsertionPointToStart(&handOver.getElseRegion().front());
      Value slot = arith::SubIOp::create(b, loc, warp, one);
      forEachAccumulatorValue(b, loc, sums, [&](int64_t index, Value value) {
        memref::StoreOp::create(b, loc, value, partials, ValueRange{slot, indexConstant(b, loc, index), lane});
      });
    }
    gpu::BarrierOp::create(b, loc);
    auto write = scf::IfOp::create(b, loc, isFirst, /*withElseRegion=*/false);
    {
      OpBuilder::InsertionGuard inner(b);
      b.setInsertionPointToStart(&write.getThenRegion().front());
      buildEpilogue(b, loc, sums, partials);
    }
    b.setInsertionPointToEnd(&launch.getBody().front());
    gpu::TerminatorOp::create(b, loc);
  }

private:
  int64_t getNumAccumulators() const { return rowTiles * subtiles; }

  VectorType getAccumulatorType(OpBuilder &b) const { return VectorType::get({2, 2}, b.getF32Type()); }

  /// The warp's k steps (every kSplitK-th, from `warp`): the accumulators,
  /// [row tile][subtile] of vector<2x2xf32> (PTX's c0 c1 / c2 c3).
  SmallVector<Value> buildSteps(OpBuilder &b, Location loc, Value warp) {
    Value zero = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(getAccumulatorType(b), b.getF32FloatAttr(0.0)));
    SmallVector<Value> init(getNumAccumulators(), zero);
    auto loop = scf::ForOp::create(b, loc, warp, indexConstant(b, loc, layout.getNumSteps()),
                                   indexConstant(b, loc, kSplitK), init);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value step = loop.getInductionVar();
    SmallVector<Value> weights = loadWeightFragments(b, loc, step);
    SmallVector<Value> next;
    for (int64_t rowTile = 0; rowTile < rowTiles; ++rowTile) {
      Value inputs = loadInputFragment(b, loc, step, rowTile);
      for (int64_t subtile = 0; subtile < subtiles; ++subtile) {
        Value sum = loop.getRegionIterArgs()[rowTile * subtiles + subtile];
        next.push_back(nvgpu::MmaSyncOp::create(b, loc, inputs, weights[subtile], sum,
                                                ArrayRef<int64_t>{16, 8, 16}));
      }
    }
    scf::YieldOp::create(b, loc, next);
    return SmallVector<Value>(loop.getResults());
  }

  /// Row `rowTile * 16 + offset` of the block's rows, clamped to M - 1 when
  /// the last block runs past M (its results are not stored).
  Value getRow(OpBuilder &b, Location loc, int64_t rowTile, Value offset) {
    Value row = arith::AddIOp::create(b, loc, rowBase, indexConstant(b, loc, rowTile * 16));
    return arith::AddIOp::create(b, loc, row, offset);
  }

  Value clampRow(OpBuilder &b, Location loc, Value row) {
    if (config.m % (16 * rowTiles) == 0)
      return row;
    return arith::MinUIOp::create(b, loc, row, indexConstant(b, loc, config.m - 1));
  }

  /// The A operand (vector<4x2xf16>) of row tile `rowTile` at k step `step`:
  /// PTX's a0a1 = (row g, k 2t..2t+1), a2a3 = (row g + 8, k 2t..),
  /// a4a5 = (row g, k 2t+8..), a6a7 = (row g + 8, k 2t+8..), from f32 x.
  Value loadInputFragment(OpBuilder &b, Location loc, Value step, int64_t rowTile) {
    auto pairType = VectorType::get({2}, b.getF32Type());
    Value k = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, step, indexConstant(b, loc, MmaLayout::kStepK)),
        arith::MulIOp::create(b, loc, laneInGroup, indexConstant(b, loc, 2)));
    Value kHigh = arith::AddIOp::create(b, loc, k, indexConstant(b, loc, 8));
    Value rowLow = clampRow(b, loc, getRow(b, loc, rowTile, laneGroup));
    Value rowHigh = clampRow(
        b, loc, getRow(b, loc, rowTile, arith::AddIOp::create(b, loc, laneGroup, indexConstant(b, loc, 8))));
    SmallVector<Value> pairs;
    for (auto [row, column] : {std::pair(rowLow, k), std::pair(rowHigh, k), std::pair(rowLow, kHigh),
                               std::pair(rowHigh, kHigh)}) {
      auto load = vector::LoadOp::create(b, loc, pairType, args.x, ValueRange{row, column});
      load.setAlignment(8);
      pairs.push_back(load);
    }
    auto halfPair = VectorType::get({2}, b.getF16Type());
    for (Value &pair : pairs)
      pair = arith::TruncFOp::create(b, loc, halfPair, pair);
    return stackRegisters(b, loc, pairs);
  }

  /// The 2-D mma operand whose rows are the f16x2 registers `rows`.
  static Value stackRegisters(OpBuilder &b, Location loc, ArrayRef<Value> rows) {
    auto type = VectorType::get({int64_t(rows.size()), 2}, b.getF16Type());
    Value operand = arith::ConstantOp::create(b, loc, DenseElementsAttr::get(type, b.getF16FloatAttr(0.0)));
    for (auto [index, row] : llvm::enumerate(rows))
      operand = vector::InsertOp::create(b, loc, row, operand, ArrayRef<int64_t>{int64_t(index)});
    return operand;
  }

  /// The subtile a lane's word `word`, pair `pair` feeds, and which of its
  /// two B registers (see MmaLayout.h).
  int64_t getPairSubtile(int64_t word, int64_t pair) const { return layout.bits == 4 ? 2 * word + pair / 2 : word; }

  /// Lane values [subtile] of the [T, G, tileN] array `values` at group
  /// `group`: vector<subtiles x element type>.
  Value loadGroupValues(OpBuilder &b, Location loc, Value values, Value group) {
    auto type = cast<MemRefType>(values.getType());
    auto vectorType = VectorType::get({subtiles}, type.getElementType());
    Value index = arith::MulIOp::create(b, loc, laneGroup, indexConstant(b, loc, subtiles));
    auto load = vector::LoadOp::create(b, loc, vectorType, values, ValueRange{tile, group, index});
    load.setAlignment(subtiles * type.getElementTypeBitWidth() / 8);
    return load;
  }

  /// A per-subtile vector<subtiles x f16> spread to the 8 f16 of a pair
  /// across the 4 words: element 2w + h is the value of the subtile word w,
  /// pair `pair` feeds.
  Value spreadToPair(OpBuilder &b, Location loc, Value perSubtile, int64_t pair) {
    SmallVector<int64_t> mask;
    for (int64_t word = 0; word < 4; ++word)
      mask.append(2, getPairSubtile(word, pair));
    return vector::ShuffleOp::create(b, loc, perSubtile, perSubtile, mask);
  }

  /// The B operands (vector<2x2xf16>, one per subtile) of k step `step`.
  SmallVector<Value> loadWeightFragments(OpBuilder &b, Location loc, Value step) {
    auto f16 = b.getF16Type();
    auto f16x8 = VectorType::get({8}, f16);
    auto perSubtileType = VectorType::get({subtiles}, f16);
    auto i32x4 = VectorType::get({4}, b.getI32Type());
    Value group = arith::DivUIOp::create(
        b, loc, arith::MulIOp::create(b, loc, step, indexConstant(b, loc, MmaLayout::kStepK)),
        indexConstant(b, loc, layout.group));

    // Scales as f16; offsets 1024 + the zero point (+ 2^(b-1) for signed
    // codes, whose sign bit is flipped below).
    Value scales = loadGroupValues(b, loc, args.scales, group);
    if (!config.scaleType.isF16()) {
      if (!config.scaleType.isF32())
        scales = arith::ExtFOp::create(b, loc, VectorType::get({subtiles}, b.getF32Type()), scales);
      scales = arith::TruncFOp::create(b, loc, perSubtileType, scales);
    }
    const double base = kHalfMagic + (isSigned ? double(1 << (layout.bits - 1)) : 0.0);
    Value offsets;
    if (args.zeros) {
      Value zeros = loadGroupValues(b, loc, args.zeros, group);
      zeros = isSigned ? arith::SIToFPOp::create(b, loc, perSubtileType, zeros).getResult()
                       : arith::UIToFPOp::create(b, loc, perSubtileType, zeros).getResult();
      offsets = arith::AddFOp::create(b, loc, zeros, vectorSplat(b, loc, perSubtileType, base));
    }

    Value codeOffset = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, step, indexConstant(b, loc, MmaLayout::kStepBytes)),
        arith::MulIOp::create(b, loc, lane, indexConstant(b, loc, MmaLayout::kLaneBytes)));
    auto bytes = vector::LoadOp::create(b, loc, VectorType::get({MmaLayout::kLaneBytes}, b.getI8Type()),
                                        args.packed, ValueRange{tile, codeOffset});
    bytes.setAlignment(MmaLayout::kLaneBytes);
    Value words = vector::BitCastOp::create(b, loc, i32x4, bytes);
    if (isSigned)
      words = arith::XOrIOp::create(b, loc, words,
                                    vectorSplatInt(b, loc, i32x4, int32_t(layout.bits == 4 ? 0x88888888u : 0x80808080u)));

    // registers[subtile][reg]: vector<2xf16> (b01, b23).
    SmallVector<SmallVector<Value, 2>> registers(subtiles, SmallVector<Value, 2>(2));
    const int64_t fieldMask = layout.bits == 4 ? 0x000F000F : 0x00FF00FF;
    for (int64_t pair = 0; pair < pairsPerWord; ++pair) {
      Value fields = words;
      if (pair)
        fields = arith::ShRUIOp::create(b, loc, fields, vectorSplatInt(b, loc, i32x4, pair * layout.bits));
      fields = arith::AndIOp::create(b, loc, fields, vectorSplatInt(b, loc, i32x4, fieldMask));
      fields = arith::OrIOp::create(b, loc, fields, vectorSplatInt(b, loc, i32x4, int32_t(kHalfMagicPair)));
      Value values = vector::BitCastOp::create(b, loc, f16x8, fields);
      Value pairOffsets = offsets ? spreadToPair(b, loc, offsets, pair) : vectorSplat(b, loc, f16x8, base);
      values = arith::SubFOp::create(b, loc, values, pairOffsets);
      values = arith::MulFOp::create(b, loc, values, spreadToPair(b, loc, scales, pair));
      for (int64_t word = 0; word < 4; ++word)
        registers[getPairSubtile(word, pair)][pair % 2] =
            vector::ShuffleOp::create(b, loc, values, values, ArrayRef<int64_t>{2 * word, 2 * word + 1});
    }
    SmallVector<Value> operands;
    for (auto &regs : registers)
      operands.push_back(stackRegisters(b, loc, regs));
    return operands;
  }

  /// Calls `visit(index, value)` for the 4 values of every accumulator.
  void forEachAccumulatorValue(OpBuilder &b, Location loc, ArrayRef<Value> sums,
                               llvm::function_ref<void(int64_t, Value)> visit) {
    for (auto [index, sum] : llvm::enumerate(sums))
      for (int64_t i = 0; i < 2; ++i)
        for (int64_t h = 0; h < 2; ++h)
          visit(int64_t(index) * 4 + i * 2 + h, vector::ExtractOp::create(b, loc, sum, ArrayRef<int64_t>{i, h}));
  }

  /// Warp 0: its sums plus the other warps', plus the bias, stored to
  /// out[row, column]: c0 c1 at (row g, columns 2t, 2t+1), c2 c3 at row g + 8.
  void buildEpilogue(OpBuilder &b, Location loc, ArrayRef<Value> sums, Value partials) {
    const bool guardRows = config.m % (16 * rowTiles) != 0;
    const bool guardColumns = layout.n % layout.getTileColumns() != 0;
    Value column0 = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, tile, indexConstant(b, loc, layout.getTileColumns())),
        arith::MulIOp::create(b, loc, laneInGroup, indexConstant(b, loc, 2)));
    forEachAccumulatorValue(b, loc, sums, [&](int64_t index, Value value) {
      for (int64_t slot = 0; slot < kSplitK - 1; ++slot) {
        Value other = memref::LoadOp::create(
            b, loc, partials, ValueRange{indexConstant(b, loc, slot), indexConstant(b, loc, index), lane});
        value = arith::AddFOp::create(b, loc, value, other);
      }
      const int64_t accumulator = index / 4, rowTile = accumulator / subtiles, subtile = accumulator % subtiles;
      const int64_t i = (index % 4) / 2, h = index % 2;
      Value row = getRow(b, loc, rowTile,
                         arith::AddIOp::create(b, loc, laneGroup, indexConstant(b, loc, 8 * i)));
      Value column = arith::AddIOp::create(b, loc, column0, indexConstant(b, loc, 8 * subtile + h));
      Value inside;
      auto both = [&](Value a, Value c) { return a ? arith::AndIOp::create(b, loc, a, c).getResult() : c; };
      if (guardRows)
        inside = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, row, indexConstant(b, loc, config.m));
      if (guardColumns)
        inside = both(inside, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, column,
                                                    indexConstant(b, loc, layout.n)));
      OpBuilder::InsertionGuard guard(b);
      if (inside) {
        auto store = scf::IfOp::create(b, loc, inside, /*withElseRegion=*/false);
        b.setInsertionPointToStart(&store.getThenRegion().front());
      }
      if (args.bias)
        value = arith::AddFOp::create(b, loc, value, memref::LoadOp::create(b, loc, args.bias, ValueRange{column}));
      memref::StoreOp::create(b, loc, value, args.out, ValueRange{row, column});
    });
  }

  const QLinearKernelConfig &config;
  const QLinearKernelArgs &args;
  const bool isSigned;
  MmaLayout layout;
  int64_t subtiles = 0, rowTiles = 0, pairsPerWord = 0;
  Value lane, laneGroup, laneInGroup, tile, rowBase;
};

} // namespace

void qopt::buildGpuMmaKernel(OpBuilder &b, Location loc, StringRef name, const QLinearKernelConfig &config,
                             const QLinearKernelArgs &args) {
  MmaGemmBuilder(config, args).build(b, loc, name);
}
