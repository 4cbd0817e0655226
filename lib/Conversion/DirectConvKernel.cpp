//===- DirectConvKernel.cpp - the direct convolution kernel body -----------===//
//
//   parallel for (image n, column tile t, filter block):
//     for each tile of R filters of the block:
//       acc[R][V] = 0
//       for c in [0, C):
//         for i < KH, j < KW:                    (unrolled)
//           xv[v] = x[n, c, oh_v SH + i DH, (ow_v + lane) SW + j DW]   (V vectors)
//           acc[r][v] += broadcast(w[f_r, (c KH + i) KW + j]) * xv[v]
//       out[n, f_r, oh_v, ow_v..] = epilogue(acc[r][v] + bias[f_r])
//
// A column tile is V vectors of 16 output positions: one output row cut
// into chunks of 16 (rows wider than 16 V take several tiles), or several
// whole rows when a row has fewer than V chunks. The last tile of a row (or
// the last group of rows) has its own static shape; chunks past the row's
// end are masked. The input is padded beforehand, so every tap reads
// inside its row. R x V is the GEMM's register tile (FloatGemm.h).
//
//===----------------------------------------------------------------------===//

#include "DirectConv.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace qopt;

namespace {

constexpr int64_t kLanes = 16;

/// The most taps (KH KW) a kernel takes: each kernel row is unrolled.
constexpr int64_t kMaxUnrolledTaps = 49;
/// The most taps whose kernel rows are all unrolled too.
constexpr int64_t kMaxUnrolledRowsTaps = 9;

/// One vector of a column tile: output row oh0 + dy, columns [ow0 + dx,
/// ow0 + dx + lanes).
struct TileVector {
  int64_t dy, dx, lanes;
};

class DirectConvKernelBuilder {
public:
  DirectConvKernelBuilder(const DirectConvKernelConfig &config, ValueRange arguments, const CpuIsa &isa)
      : config(config), tiling(chooseTiling(config, isa)), x(arguments[0]), weights(arguments[1]),
        bias(config.hasBias ? arguments[2] : Value()), out(arguments.back()),
        epilogueOperands(arguments.drop_back().take_back(config.epilogue.getNumOperands())) {}

  void build(OpBuilder &b, Location loc) {
    const int64_t vectors = tiling.panels;
    const int64_t chunksPerRow = (config.outWidth + kLanes - 1) / kLanes;
    const int64_t lastLanes = config.outWidth - (chunksPerRow - 1) * kLanes;
    // Tiles: rows of >= V chunks in pieces of V chunks, else whole rows.
    const int64_t rowsPerTile = chunksPerRow >= vectors ? 1 : std::min(config.outHeight, vectors / chunksPerRow);
    const int64_t tilesPerRow = chunksPerRow >= vectors ? (chunksPerRow + vectors - 1) / vectors : 1;
    const int64_t rowGroups = (config.outHeight + rowsPerTile - 1) / rowsPerTile;
    const int64_t lastGroupRows = config.outHeight - (rowGroups - 1) * rowsPerTile;
    const int64_t columnTiles = rowGroups * tilesPerRow;
    const int64_t lastTileChunks = chunksPerRow - (tilesPerRow - 1) * std::min(vectors, chunksPerRow);
    const int64_t taps = config.kernel[0] * config.kernel[1];
    const int64_t work =
        config.batch * config.filters * config.outHeight * config.outWidth * config.channels * taps;

    forEachGemmTask(b, loc, config.batch * columnTiles, config.filters, tiling.rows, work,
                    [&](OpBuilder &pb, Location pl, Value pair, Value firstFilter, int64_t filters) {
                      Value tile = arith::RemUIOp::create(pb, pl, pair, indexConstant(pb, pl, columnTiles));
                      Value image = arith::DivUIOp::create(pb, pl, pair, indexConstant(pb, pl, columnTiles));
                      Value group = arith::DivUIOp::create(pb, pl, tile, indexConstant(pb, pl, tilesPerRow));
                      Value inRow = arith::RemUIOp::create(pb, pl, tile, indexConstant(pb, pl, tilesPerRow));
                      Value oh0 = arith::MulIOp::create(pb, pl, group, indexConstant(pb, pl, rowsPerTile));
                      Value ow0 = arith::MulIOp::create(pb, pl, inRow, indexConstant(pb, pl, vectors * kLanes));
                      auto tileOf = [&](int64_t rows, int64_t chunks, bool endsRow) {
                        SmallVector<TileVector> shape;
                        for (int64_t dy = 0; dy < rows; ++dy)
                          for (int64_t c = 0; c < chunks; ++c)
                            shape.push_back({dy, c * kLanes, endsRow && c == chunks - 1 ? lastLanes : kLanes});
                        return [&, shape](OpBuilder &tb, Location tl) {
                          buildFilterBlock(tb, tl, image, firstFilter, filters, oh0, ow0, shape);
                        };
                      };
                      if (tilesPerRow > 1)
                        buildIfLast(pb, pl, inRow, tilesPerRow, true, tileOf(1, lastTileChunks, true),
                                    tileOf(1, vectors, false));
                      else
                        buildIfLast(pb, pl, group, rowGroups, lastGroupRows != rowsPerTile,
                                    tileOf(lastGroupRows, chunksPerRow, true),
                                    tileOf(rowsPerTile, chunksPerRow, true));
                    });
  }

private:
  const DirectConvKernelConfig &config;
  GemmTiling tiling;

  /// The GEMM's tile; with stride 2 (two loads and a shuffle per vector)
  /// fewer filters, so that the loads' registers do not spill.
  static GemmTiling chooseTiling(const DirectConvKernelConfig &config, const CpuIsa &isa) {
    GemmTiling tiling = chooseGemmTiling(config.filters, isa);
    if (config.strides[1] == 2 && isa.avx512)
      tiling.rows = std::min<int64_t>(tiling.rows, 4);
    return tiling;
  }
  Value x, weights, bias, out;
  ValueRange epilogueOperands;

  /// Filters [firstFilter, firstFilter + count) of the column tile `shape`
  /// at (oh0, ow0), in register tiles.
  void buildFilterBlock(OpBuilder &b, Location loc, Value image, Value firstFilter, int64_t count, Value oh0,
                        Value ow0, ArrayRef<TileVector> shape) {
    forEachRowTile(b, loc, count, tiling.rows, [&](OpBuilder &tb, Location tl, Value offset, int64_t rows) {
      buildTile(tb, tl, image, arith::AddIOp::create(tb, tl, firstFilter, offset), rows, oh0, ow0, shape);
    });
  }

  void buildTile(OpBuilder &b, Location loc, Value image, Value filter0, int64_t rows, Value oh0, Value ow0,
                 ArrayRef<TileVector> shape) {
    auto add = [&](OpBuilder &ab, Location al, Value base, int64_t offset) -> Value {
      return offset ? arith::AddIOp::create(ab, al, base, indexConstant(ab, al, offset)).getResult() : base;
    };
    auto scale = [&](Value value, int64_t factor) -> Value {
      return factor == 1 ? value : arith::MulIOp::create(b, loc, value, indexConstant(b, loc, factor)).getResult();
    };
    SmallVector<Value> filterIndex, outRow, outColumn, inRow, inColumn;
    for (int64_t r = 0; r < rows; ++r)
      filterIndex.push_back(add(b, loc, filter0, r));
    for (const TileVector &v : shape) {
      outRow.push_back(add(b, loc, oh0, v.dy));
      outColumn.push_back(add(b, loc, ow0, v.dx));
      inRow.push_back(scale(outRow.back(), config.strides[0]));
      inColumn.push_back(scale(outColumn.back(), config.strides[1]));
    }
    const int64_t taps = config.kernel[0] * config.kernel[1];
    auto f32x16 = VectorType::get({kLanes}, b.getF32Type());
    SmallVector<Value> init(rows * shape.size(), vectorSplat(b, loc, f32x16, 0.0));
    SmallVector<Value> acc = buildCountedLoop(
        b, loc, config.channels, init, [&](OpBuilder &cb, Location cl, Value channel, ValueRange iters) {
          Value firstTap = arith::MulIOp::create(cb, cl, channel, indexConstant(cb, cl, taps));
          // Kernel row i: its KW taps unrolled.
          auto kernelRow = [&](OpBuilder &rb, Location rl, Value i, ValueRange rowIters) {
            SmallVector<Value> next(rowIters);
            Value rowOffset = arith::MulIOp::create(rb, rl, i, indexConstant(rb, rl, config.dilations[0]));
            Value rowTap = arith::AddIOp::create(
                rb, rl, firstTap, arith::MulIOp::create(rb, rl, i, indexConstant(rb, rl, config.kernel[1])));
            for (int64_t j = 0; j < config.kernel[1]; ++j) {
              SmallVector<Value> inputs, filterTaps;
              for (auto [v, vector] : llvm::enumerate(shape))
                inputs.push_back(loadStridedRow16(
                    rb, rl, x,
                    ValueRange{image, channel, arith::AddIOp::create(rb, rl, inRow[v], rowOffset),
                               add(rb, rl, inColumn[v], j * config.dilations[1])},
                    config.strides[1], vector.lanes));
              Value k = add(rb, rl, rowTap, j);
              for (int64_t r = 0; r < rows; ++r)
                filterTaps.push_back(memref::LoadOp::create(rb, rl, weights, ValueRange{filterIndex[r], k}));
              next = multiplyAccumulateTile(rb, rl, filterTaps, inputs, next);
            }
            return next;
          };
          // Few taps (3 x 3): all unrolled; more: a loop over kernel rows.
          if (taps <= kMaxUnrolledRowsTaps) {
            SmallVector<Value> next(iters);
            for (int64_t i = 0; i < config.kernel[0]; ++i)
              next = kernelRow(cb, cl, indexConstant(cb, cl, i), next);
            return next;
          }
          return buildCountedLoop(cb, cl, config.kernel[0], iters, kernelRow);
        });

    for (int64_t r = 0; r < rows; ++r) {
      Value rowBias = bias ? memref::LoadOp::create(b, loc, bias, filterIndex[r]).getResult() : Value();
      for (auto [v, vector] : llvm::enumerate(shape))
        storeGemmVector(b, loc, acc[r * shape.size() + v], rowBias, Value(), config.epilogue, epilogueOperands, out,
                        ValueRange{image, filterIndex[r], outRow[v], outColumn[v]}, vector.lanes);
    }
  }
};

} // namespace

bool qopt::isDirectConvProfitable(int64_t outWidth, int64_t kernelSize, int64_t strideW) {
  const int64_t chunks = (outWidth + kLanes - 1) / kLanes;
  return (strideW == 1 || strideW == 2) && kernelSize <= kMaxUnrolledTaps && 4 * outWidth >= 3 * kLanes * chunks;
}

FailureOr<DirectConvKernelConfig> DirectConvKernelConfig::read(func::FuncOp kernel) {
  auto fail = [&](const Twine &why) {
    return kernel.emitOpError("is not a well-formed direct convolution declaration: ") << why, failure();
  };
  auto dictionary = kernel->getAttrOfType<DictionaryAttr>(kDirectConvKernelAttrName);
  if (!dictionary)
    return fail("no configuration");
  DirectConvKernelConfig config;
  if (std::string why = config.readDeclaration(kernel, dictionary); !why.empty())
    return fail(why);
  if (config.kernel[0] * config.kernel[1] > kMaxUnrolledTaps)
    return fail("more than " + Twine(kMaxUnrolledTaps) + " taps");
  if (config.weightShape[0] != config.filters ||
      config.weightShape[1] != config.channels * config.kernel[0] * config.kernel[1] ||
      config.batch * config.channels * config.filters * config.outHeight * config.outWidth == 0)
    return fail("operand shapes do not match the window");
  return config;
}

LogicalResult qopt::defineDirectConvKernels(ModuleOp module, const CpuIsa &isa) {
  return defineMarkedKernels(module, kDirectConvKernelAttrName, [&](OpBuilder &b, func::FuncOp kernel) {
    FailureOr<DirectConvKernelConfig> config = DirectConvKernelConfig::read(kernel);
    if (failed(config))
      return failure();
    DirectConvKernelBuilder(*config, kernel.getArguments(), isa).build(b, kernel.getLoc());
    return success();
  });
}
