//===- FloatGemmKernel.cpp - the f32 GEMM kernel body ---------------------===//
//
//   parallel for (batch b, column tile t, row block):  (T = 64 columns with AVX-512 or M <= 2, 32 with AVX2)
//     for each tile of R rows of the block:         (R = 6 with AVX-512, 3 with AVX2; M <= 2: M)
//       acc[R][T / 16] = 0
//       for k in [0, K):
//         w[j] = B[b, k, 16j : 16j + 16]            (a panel16 B: one contiguous 64-byte load)
//         acc[r][j] += broadcast(A[b, r, k]) * w[j]
//       out[b, r, t] = acc (+ bias per column or per row) (then ReLU)
// The last column tile (N mod T columns) is narrower and masked; the last
// row block may be shorter. Rows are split into blocks only when there are
// fewer than 32 (batch, column tile) pairs; products under 2^17
// multiply-adds run on the calling thread.
//
// The R x T/16 accumulators stay in registers through the K loop (24 of
// the 32 AVX-512 registers; AVX2 holds 3 x 2 16-lane accumulators in 12 of
// its 16), so each B vector load serves R multiply-adds and each A
// broadcast T/16 (6 x 4 measured faster than 8 x 2 and 12 x 2 on ResNet-18
// and prefill-sized linears). B's panel (K x T floats) stays in L2 while the
// rows stream by; where it would not (K x T x 4 bytes over 128 KiB, with
// several row tiles), K is cut into equal blocks: every block visits all
// row tiles, the first starting from zeros, later ones from the partial
// sums in out, and only the last adds the bias and the epilogue (ResNet-18's
// 4608-deep layer-4 products, FFN down projections).
//
//===----------------------------------------------------------------------===//

#include "FloatGemm.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace qopt;

namespace {

constexpr int64_t kLanes = 16;

VectorType f32x16(OpBuilder &b) { return VectorType::get({kLanes}, b.getF32Type()); }

/// Tasks enough to share among threads.
constexpr int64_t kMinTasks = 32;

} // namespace

GemmTiling qopt::chooseGemmTiling(int64_t m, const CpuIsa &isa) {
  if (m <= 2)
    return {m, 4}; // GEMV-like: more independent accumulators per row
  return isa.avx512 ? GemmTiling{6, 4} : GemmTiling{3, 2};
}

void qopt::buildIfLast(OpBuilder &b, Location loc, Value index, int64_t count, bool differs, GemmEmitter last,
                       GemmEmitter other) {
  if (!differs) {
    other(b, loc);
    return;
  }
  Value isLast = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, index, indexConstant(b, loc, count - 1));
  auto branch = scf::IfOp::create(b, loc, isLast, /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&branch.getThenRegion().front());
  last(b, loc);
  b.setInsertionPointToStart(&branch.getElseRegion().front());
  other(b, loc);
}

void qopt::forEachGemmTask(OpBuilder &b, Location loc, int64_t pairs, int64_t rows, int64_t tileRows, int64_t work,
                           GemmTaskBody body) {
  // Rows split into blocks only when the pairs are too few to share among
  // threads (a late layer of a CNN: N = 7 x 7).
  const int64_t rowTiles = (rows + tileRows - 1) / tileRows;
  const int64_t wanted = std::min(rowTiles, (kMinTasks + pairs - 1) / pairs);
  const int64_t blockRows = (rowTiles + wanted - 1) / wanted * tileRows;
  const int64_t blocks = (rows + blockRows - 1) / blockRows;
  const int64_t lastRows = rows - (blocks - 1) * blockRows;
  // Tasks (pair, row block), row blocks innermost: a thread's consecutive
  // tasks share the pair's B.
  buildTaskLoop(b, loc, pairs * blocks, work, [&](OpBuilder &pb, Location pl, Value task) {
    Value block = arith::RemUIOp::create(pb, pl, task, indexConstant(pb, pl, blocks));
    Value pair = arith::DivUIOp::create(pb, pl, task, indexConstant(pb, pl, blocks));
    Value row0 = arith::MulIOp::create(pb, pl, block, indexConstant(pb, pl, blockRows));
    buildIfLast(
        pb, pl, block, blocks, lastRows != blockRows,
        [&](OpBuilder &ib, Location il) { body(ib, il, pair, row0, lastRows); },
        [&](OpBuilder &ib, Location il) { body(ib, il, pair, row0, blockRows); });
  });
}

SmallVector<Value> qopt::multiplyAccumulateTile(OpBuilder &b, Location loc, ArrayRef<Value> rowScalars,
                                                ArrayRef<Value> columnVectors, ValueRange acc) {
  SmallVector<Value> next(acc);
  const size_t vectors = columnVectors.size();
  for (auto [r, scalar] : llvm::enumerate(rowScalars)) {
    Value broadcast = vector::BroadcastOp::create(b, loc, f32x16(b), scalar);
    for (size_t j = 0; j < vectors; ++j)
      next[r * vectors + j] = contractedMultiplyAdd(b, loc, broadcast, columnVectors[j], next[r * vectors + j]);
  }
  return next;
}

void qopt::storeGemmVector(OpBuilder &b, Location loc, Value value, Value rowBias, Value columnBias,
                           const KernelEpilogue &epilogue, ValueRange epilogueOperands, Value out,
                           ValueRange indices, int64_t lanes) {
  if (rowBias)
    value = arith::AddFOp::create(b, loc, value, vector::BroadcastOp::create(b, loc, f32x16(b), rowBias));
  if (columnBias)
    value = arith::AddFOp::create(b, loc, value, columnBias);
  value = epilogue.applyAt(b, loc, value, epilogueOperands, indices, lanes);
  if (lanes < kLanes)
    vector::MaskedStoreOp::create(b, loc, out, indices, prefixMask16(b, loc, lanes), value);
  else
    vector::StoreOp::create(b, loc, value, out, indices);
}

namespace {

class GemmKernelBuilder {
public:
  GemmKernelBuilder(const GemmKernelConfig &config, ValueRange arguments, const CpuIsa &isa)
      : config(config), tiling(chooseGemmTiling(config.m, isa)) {
    a = arguments[0];
    bMatrix = arguments[1];
    if (config.bias != GemmBias::None)
      bias = arguments[2];
    out = arguments.back();
    epilogueOperands = arguments.drop_back().take_back(config.epilogue.getNumOperands());
  }

  void build(OpBuilder &b, Location loc) {
    const int64_t tileColumns = kLanes * tiling.panels;
    const int64_t columnTiles = (config.n + tileColumns - 1) / tileColumns;
    const int64_t lastWidth = config.n - (columnTiles - 1) * tileColumns;
    const int64_t work = config.batch * config.m * config.n * config.k;
    // Pairs (batch, column tile).
    forEachGemmTask(b, loc, config.batch * columnTiles, config.m, tiling.rows, work,
                    [&](OpBuilder &pb, Location pl, Value pair, Value row0, int64_t rows) {
                      Value tile = arith::RemUIOp::create(pb, pl, pair, indexConstant(pb, pl, columnTiles));
                      Value batch = arith::DivUIOp::create(pb, pl, pair, indexConstant(pb, pl, columnTiles));
                      Value column0 = arith::MulIOp::create(pb, pl, tile, indexConstant(pb, pl, tileColumns));
                      auto rowsOf = [&](int64_t width) {
                        return [&, width](OpBuilder &rb, Location rl) {
                          buildRowBlock(rb, rl, batch, row0, rows, column0, width);
                        };
                      };
                      buildIfLast(pb, pl, tile, columnTiles, lastWidth != tileColumns, rowsOf(lastWidth),
                                  rowsOf(tileColumns));
                    });
  }

private:
  const GemmKernelConfig &config;
  GemmTiling tiling;
  Value a, bMatrix, bias, out;
  ValueRange epilogueOperands;

  /// How a tile's accumulators start and end: the first K block starts
  /// from zeros, later ones from the partial sums in `out`; only the last
  /// one adds the bias and applies the epilogue.
  struct KBlock {
    Value start;
    int64_t length;
    bool first, last;
  };

  /// The most bytes of B a K block's panel (K block x T columns) takes.
  static constexpr int64_t kBlockBytes = 128 * 1024;

  /// Rows [row0, row0 + count) of the column tile at `column0`, `width`
  /// columns wide, in register tiles. When B's panel of the tile (K x T)
  /// would not stay in L2 while several row tiles stream by, K is cut into
  /// blocks and each block visits every row tile, partial sums kept in out.
  void buildRowBlock(OpBuilder &b, Location loc, Value batch, Value row0, int64_t count, Value column0,
                     int64_t width) {
    auto rowTiles = [&](OpBuilder &rb, Location rl, const KBlock &block) {
      forEachRowTile(rb, rl, count, tiling.rows, [&](OpBuilder &tb, Location tl, Value offset, int64_t rows) {
        buildTile(tb, tl, batch, arith::AddIOp::create(tb, tl, row0, offset), rows, column0, width, block);
      });
    };
    const int64_t maxBlock = kBlockBytes / (4 * kLanes * tiling.panels);
    if (config.k <= maxBlock || count <= tiling.rows) {
      rowTiles(b, loc, {indexConstant(b, loc, 0), config.k, true, true});
      return;
    }
    const int64_t blocks = (config.k + maxBlock - 1) / maxBlock;
    const int64_t length = (config.k + blocks - 1) / blocks;
    const int64_t lastLength = config.k - (blocks - 1) * length;
    rowTiles(b, loc, {indexConstant(b, loc, 0), length, true, false});
    buildCountedLoop(b, loc, blocks - 2, {}, [&](OpBuilder &kb, Location kl, Value i, ValueRange) {
      Value start = arith::MulIOp::create(kb, kl, arith::AddIOp::create(kb, kl, i, indexConstant(kb, kl, 1)),
                                          indexConstant(kb, kl, length));
      rowTiles(kb, kl, {start, length, false, false});
      return SmallVector<Value>();
    });
    rowTiles(b, loc, {indexConstant(b, loc, (blocks - 1) * length), lastLength, false, true});
  }

  /// The batch of an operand with `count` batches that batch `batch` reads.
  Value operandBatch(OpBuilder &b, Location loc, Value batch, int64_t count) const {
    if (count == config.batch)
      return batch;
    if (count == 1)
      return indexConstant(b, loc, 0);
    return arith::RemUIOp::create(b, loc, batch, indexConstant(b, loc, count));
  }

  /// The 16 values of B at row k, columns [column, column + 16); `lanes`
  /// of them exist.
  Value loadB(OpBuilder &b, Location loc, Value batch, Value k, Value column, int64_t lanes) {
    if (config.bLayout == GemmBLayout::Panel16) {
      Value panel = arith::DivUIOp::create(b, loc, column, indexConstant(b, loc, kLanes));
      return vector::LoadOp::create(b, loc, f32x16(b), bMatrix,
                                    ValueRange{batch, panel, k, indexConstant(b, loc, 0)});
    }
    return loadStridedRow16(b, loc, bMatrix, ValueRange{batch, k, column}, /*stride=*/1, lanes);
  }

  void buildTile(OpBuilder &b, Location loc, Value batch, Value row0, int64_t rows, Value column0, int64_t width,
                 const KBlock &block) {
    const int64_t panels = (width + kLanes - 1) / kLanes;
    auto lanesOf = [&](int64_t panel) { return std::min(kLanes, width - panel * kLanes); };
    Value batchA = operandBatch(b, loc, batch, config.batchA);
    Value batchB = operandBatch(b, loc, batch, config.batchB);
    SmallVector<Value> rowIndex, columnIndex;
    for (int64_t r = 0; r < rows; ++r)
      rowIndex.push_back(arith::AddIOp::create(b, loc, row0, indexConstant(b, loc, r)));
    for (int64_t j = 0; j < panels; ++j)
      columnIndex.push_back(arith::AddIOp::create(b, loc, column0, indexConstant(b, loc, j * kLanes)));

    SmallVector<Value> init;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < panels; ++j)
        init.push_back(block.first ? vectorSplat(b, loc, f32x16(b), 0.0)
                                   : loadStridedRow16(b, loc, out, ValueRange{batch, rowIndex[r], columnIndex[j]},
                                                      /*stride=*/1, lanesOf(j)));
    SmallVector<Value> acc = buildCountedLoop(
        b, loc, block.length, init, [&](OpBuilder &kb, Location kl, Value i, ValueRange iters) {
          Value k = block.first ? i : arith::AddIOp::create(kb, kl, block.start, i).getResult();
          SmallVector<Value> w, x;
          for (int64_t j = 0; j < panels; ++j)
            w.push_back(loadB(kb, kl, batchB, k, columnIndex[j], lanesOf(j)));
          for (int64_t r = 0; r < rows; ++r)
            x.push_back(memref::LoadOp::create(kb, kl, a, ValueRange{batchA, rowIndex[r], k}));
          return multiplyAccumulateTile(kb, kl, x, w, iters);
        });

    for (int64_t r = 0; r < rows; ++r) {
      Value rowBias = block.last && config.bias == GemmBias::Row
                          ? memref::LoadOp::create(b, loc, bias, rowIndex[r]).getResult()
                          : Value();
      for (int64_t j = 0; j < panels; ++j) {
        Value columnBias;
        if (block.last && config.bias == GemmBias::Column)
          columnBias = loadStridedRow16(b, loc, bias, columnIndex[j], /*stride=*/1, lanesOf(j));
        storeGemmVector(b, loc, acc[r * panels + j], rowBias, columnBias,
                        block.last ? config.epilogue : KernelEpilogue(), epilogueOperands, out,
                        ValueRange{batch, rowIndex[r], columnIndex[j]}, lanesOf(j));
      }
    }
  }
};

StringRef stringify(GemmBLayout layout) { return layout == GemmBLayout::Panel16 ? "panel16" : "row_major"; }

StringRef stringify(GemmBias bias) {
  switch (bias) {
  case GemmBias::None:
    return "none";
  case GemmBias::Column:
    return "column";
  case GemmBias::Row:
    return "row";
  }
  llvm_unreachable("bias kind");
}

} // namespace

DictionaryAttr GemmKernelConfig::toAttribute(MLIRContext *context) const {
  Builder b(context);
  return b.getDictionaryAttr({b.getNamedAttr("b_layout", b.getStringAttr(stringify(bLayout))),
                              b.getNamedAttr("bias", b.getStringAttr(stringify(bias))),
                              b.getNamedAttr("epilogue", epilogue.toAttribute(context))});
}

FailureOr<GemmKernelConfig> GemmKernelConfig::read(func::FuncOp kernel) {
  auto fail = [&](const Twine &why) {
    return kernel.emitOpError("is not a well-formed GEMM kernel declaration: ") << why, failure();
  };
  auto dictionary = kernel->getAttrOfType<DictionaryAttr>(kGemmKernelAttrName);
  if (!dictionary)
    return fail("no configuration");
  GemmKernelConfig config;
  auto layout = dictionary.getAs<StringAttr>("b_layout");
  auto bias = dictionary.getAs<StringAttr>("bias");
  if (!layout || (layout.getValue() != "panel16" && layout.getValue() != "row_major"))
    return fail("b_layout must be \"panel16\" or \"row_major\"");
  config.bLayout = layout.getValue() == "panel16" ? GemmBLayout::Panel16 : GemmBLayout::RowMajor;
  if (!bias || (bias.getValue() != "none" && bias.getValue() != "column" && bias.getValue() != "row"))
    return fail("bias must be \"none\", \"column\" or \"row\"");
  std::optional<KernelEpilogue> epilogue = KernelEpilogue::read(kernel, dictionary);
  if (!epilogue)
    return fail("epilogue must be \"none\" or name an epilogue function");
  config.epilogue = *epilogue;
  config.bias = bias.getValue() == "none" ? GemmBias::None
                : bias.getValue() == "column" ? GemmBias::Column
                                              : GemmBias::Row;

  std::optional<SmallVector<Type>> kept = epilogue->withoutOperands(kernel.getFunctionType().getInputs());
  if (!kept)
    return fail("the epilogue's operands must be typed like out, right before it");
  TypeRange inputs = *kept;
  const size_t expected = config.bias == GemmBias::None ? 3 : 4;
  if (inputs.size() != expected)
    return fail("expected " + Twine(expected) + " buffer arguments");
  const int64_t bRank = config.bLayout == GemmBLayout::Panel16 ? 4 : 3;
  if (!isStaticF32Buffer(inputs[0], 3) || !isStaticF32Buffer(inputs[1], bRank) ||
      !isStaticF32Buffer(inputs.back(), 3))
    return fail("A, B and out must be static f32 memrefs of rank 3, " + Twine(bRank) + " and 3");
  auto aType = cast<MemRefType>(inputs[0]), bType = cast<MemRefType>(inputs[1]),
       outType = cast<MemRefType>(inputs.back());
  config.batch = outType.getDimSize(0);
  config.m = outType.getDimSize(1);
  config.n = outType.getDimSize(2);
  config.k = aType.getDimSize(2);
  config.batchA = aType.getDimSize(0);
  config.batchB = bType.getDimSize(0);
  const int64_t panels = (config.n + kLanes - 1) / kLanes;
  bool bMatches = config.bLayout == GemmBLayout::Panel16
                      ? bType.getDimSize(1) == panels && bType.getDimSize(2) == config.k &&
                            bType.getDimSize(3) == kLanes
                      : bType.getDimSize(1) == config.k && bType.getDimSize(2) == config.n;
  auto divides = [&](int64_t count) { return count >= 1 && config.batch % count == 0; };
  if (!divides(config.batchA) || aType.getDimSize(1) != config.m || !divides(config.batchB) || !bMatches)
    return fail("operand shapes do not match out " + Twine(config.batch) + "x" + Twine(config.m) + "x" +
                Twine(config.n));
  if (config.bias != GemmBias::None) {
    int64_t length = config.bias == GemmBias::Column ? config.n : config.m;
    if (!isStaticF32Buffer(inputs[2], 1) || cast<MemRefType>(inputs[2]).getDimSize(0) != length)
      return fail("the bias must be f32 of length " + Twine(length));
  }
  return config;
}

void qopt::buildFloatGemmKernel(OpBuilder &b, Location loc, const GemmKernelConfig &config, ValueRange arguments,
                                const CpuIsa &isa) {
  GemmKernelBuilder(config, arguments, isa).build(b, loc);
}

LogicalResult qopt::defineGemmKernels(ModuleOp module, const CpuIsa &isa) {
  return defineMarkedKernels(module, kGemmKernelAttrName, [&](OpBuilder &b, func::FuncOp kernel) {
    FailureOr<GemmKernelConfig> config = GemmKernelConfig::read(kernel);
    if (failed(config))
      return failure();
    buildFloatGemmKernel(b, kernel.getLoc(), *config, kernel.getArguments(), isa);
    return success();
  });
}

std::vector<float> qopt::packPanel16(ArrayRef<float> weightNK, int64_t n, int64_t k) {
  const int64_t panels = (n + kLanes - 1) / kLanes;
  std::vector<float> packed(size_t(panels * k * kLanes), 0.0f);
  for (int64_t column = 0; column < n; ++column) {
    const int64_t panel = column / kLanes, lane = column % kLanes;
    for (int64_t i = 0; i < k; ++i)
      packed[size_t((panel * k + i) * kLanes + lane)] = weightNK[size_t(column * k + i)];
  }
  return packed;
}
