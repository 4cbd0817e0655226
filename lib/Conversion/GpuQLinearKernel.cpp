//===- GpuQLinearKernel.cpp - W4A16/W8A16 GEMV kernel for NVIDIA GPUs -----===//
//
// See GpuKernels.h for the design. Shapes: x [M, K] f32, packed [N, K*b/8]
// i8 (row_major), scales [N, G], zeros [N, G] (codes), bias [N], out
// [M, N] f32, G = ceil(K / group).
//
//===----------------------------------------------------------------------===//

#include "GpuKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace qopt;

namespace {

constexpr int64_t kWarpSize = 32;
constexpr int64_t kWarpsPerBlock = 4;
constexpr int64_t kLoadBytes = 16;
/// Input rows multiplied per pass over the weights (accumulators per lane).
constexpr int64_t kRowsPerPass = 8;
/// 2^23: the float whose mantissa holds a small integer OR-ed into it.
constexpr uint32_t kMagicBits = 0x4B000000;
constexpr double kMagic = 8388608.0;

int64_t getCodesPerLoad(unsigned bits) { return kLoadBytes * 8 / bits; }

class GemvBuilder {
public:
  GemvBuilder(const QLinearKernelConfig &config, const QLinearKernelArgs &args)
      : config(config), args(args), bits(config.format.getCodeBits()),
        codesPerLoad(getCodesPerLoad(bits)),
        isSigned(config.format.getKind() == FormatKind::SignedInt) {}

  void build(OpBuilder &b, Location loc, StringRef name) {
    const int64_t n = config.panels.n;
    Value one = indexConstant(b, loc, 1);
    Value grid = indexConstant(b, loc, (n + kWarpsPerBlock - 1) / kWarpsPerBlock);
    Value threads = indexConstant(b, loc, kWarpSize * kWarpsPerBlock);
    auto launch = gpu::LaunchOp::create(b, loc, grid, one, one, threads, one, one);
    // Outlined as `name` (in a gpu.module of that name, made unique).
    launch.setFunctionAttr(FlatSymbolRefAttr::get(b.getContext(), name));
    launch.setModuleAttr(FlatSymbolRefAttr::get(b.getContext(), name));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&launch.getBody().front());
    Value thread = launch.getThreadIds().x;
    Value warpSize = indexConstant(b, loc, kWarpSize);
    lane = arith::RemUIOp::create(b, loc, thread, warpSize);
    Value warp = arith::DivUIOp::create(b, loc, thread, warpSize);
    column = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, launch.getBlockIds().x, indexConstant(b, loc, kWarpsPerBlock)), warp);
    Value inRange = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, column, indexConstant(b, loc, n));
    auto guardIf = scf::IfOp::create(b, loc, inRange, /*withElseRegion=*/false);
    b.setInsertionPointToStart(&guardIf.getThenRegion().front());
    if (config.hasBias)
      bias = memref::LoadOp::create(b, loc, args.bias, ValueRange{column});
    buildRowPasses(b, loc);
    b.setInsertionPointToEnd(&launch.getBody().front());
    gpu::TerminatorOp::create(b, loc);
  }

private:
  /// Passes over the weight row, kRowsPerPass input rows each: a loop over
  /// the full passes, then the remaining rows.
  void buildRowPasses(OpBuilder &b, Location loc) {
    const int64_t m = config.m;
    const int64_t fullPasses = m / kRowsPerPass, rest = m % kRowsPerPass;
    if (fullPasses == 1) {
      buildPass(b, loc, indexConstant(b, loc, 0), kRowsPerPass);
    } else if (fullPasses > 1) {
      auto loop = scf::ForOp::create(b, loc, indexConstant(b, loc, 0), indexConstant(b, loc, fullPasses * kRowsPerPass),
                                     indexConstant(b, loc, kRowsPerPass));
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      buildPass(b, loc, loop.getInductionVar(), kRowsPerPass);
    }
    if (rest)
      buildPass(b, loc, indexConstant(b, loc, fullPasses * kRowsPerPass), rest);
  }

  /// out[firstRow + r, column] for r < rows.
  void buildPass(OpBuilder &b, Location loc, Value firstRow, int64_t rows) {
    const int64_t k = config.panels.k;
    const int64_t step = kWarpSize * codesPerLoad;
    const int64_t fullSteps = k / step;
    SmallVector<Value> rowIndices;
    for (int64_t r = 0; r < rows; ++r)
      rowIndices.push_back(arith::AddIOp::create(b, loc, firstRow, indexConstant(b, loc, r)));
    Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0));
    SmallVector<Value> sums(rows, zero);
    Value laneStart = arith::MulIOp::create(b, loc, lane, indexConstant(b, loc, codesPerLoad));
    if (fullSteps > 0) {
      // A constant trip count: the NVPTX backend unrolls it, which keeps
      // several loads in flight per lane.
      auto loop = scf::ForOp::create(b, loc, indexConstant(b, loc, 0), indexConstant(b, loc, fullSteps * step),
                                     indexConstant(b, loc, step), sums);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      Value k0 = arith::AddIOp::create(b, loc, loop.getInductionVar(), laneStart);
      SmallVector<Value> next = accumulateStep(b, loc, k0, rowIndices, loop.getRegionIterArgs());
      scf::YieldOp::create(b, loc, next);
      sums = loop.getResults();
    }
    if (k % step) {
      // The last, partial step: lanes past K add nothing.
      Value k0 = arith::AddIOp::create(b, loc, indexConstant(b, loc, fullSteps * step), laneStart);
      Value active = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, k0, indexConstant(b, loc, k));
      auto tail = scf::IfOp::create(b, loc, TypeRange(ValueRange(sums)), active, /*withElseRegion=*/true);
      {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(&tail.getThenRegion().front());
        scf::YieldOp::create(b, loc, accumulateStep(b, loc, k0, rowIndices, sums));
        b.setInsertionPointToStart(&tail.getElseRegion().front());
        scf::YieldOp::create(b, loc, sums);
      }
      sums = tail.getResults();
    }
    storeWarpSums(b, loc, rowIndices, sums);
  }

  /// The weights of codes [k0, k0 + codesPerLoad) of this lane's row as
  /// f32 vectors of 16: two for 4-bit codes (even and odd k), one for 8-bit.
  SmallVector<Value> dequantize(OpBuilder &b, Location loc, Value k0) {
    auto i8x16 = VectorType::get({kLoadBytes}, b.getI8Type());
    auto i32x16 = VectorType::get({kLoadBytes}, b.getI32Type());
    auto f32x16 = VectorType::get({kLoadBytes}, b.getF32Type());
    Value byteOffset = arith::DivUIOp::create(b, loc, arith::MulIOp::create(b, loc, k0, indexConstant(b, loc, bits)),
                                              indexConstant(b, loc, 8));
    auto load = vector::LoadOp::create(b, loc, i8x16, args.packed, ValueRange{column, byteOffset});
    load.setAlignment(kLoadBytes);
    Value codes = arith::ExtUIOp::create(b, loc, i32x16, load);
    // Signed codes: flip the sign bit of each code, which adds 2^(b-1).
    if (isSigned)
      codes = arith::XOrIOp::create(b, loc, codes, vectorSplatInt(b, loc, i32x16, bits == 4 ? 0x88 : 0x80));
    SmallVector<Value> fields;
    if (bits == 4) {
      fields.push_back(arith::AndIOp::create(b, loc, codes, vectorSplatInt(b, loc, i32x16, 0xF)));
      fields.push_back(arith::ShRUIOp::create(b, loc, codes, vectorSplatInt(b, loc, i32x16, 4)));
    } else {
      fields.push_back(codes);
    }

    Value group = arith::DivUIOp::create(b, loc, k0, indexConstant(b, loc, config.panels.group));
    Value scale = memref::LoadOp::create(b, loc, args.scales, ValueRange{column, group});
    if (scale.getType() != b.getF32Type())
      scale = arith::ExtFOp::create(b, loc, b.getF32Type(), scale);
    // 2^23 + the zero point (unsigned codes), exact in f32.
    Value offset;
    if (args.zeros) {
      // Zero points are read with the format's signedness, as the reference
      // lowering reads them; signed codes carry the 2^(b-1) offset.
      Value z = memref::LoadOp::create(b, loc, args.zeros, ValueRange{column, group});
      Value zf = isSigned ? arith::SIToFPOp::create(b, loc, b.getF32Type(), z).getResult()
                          : arith::UIToFPOp::create(b, loc, b.getF32Type(), z).getResult();
      double base = kMagic + (isSigned ? double(1 << (bits - 1)) : 0.0);
      offset = arith::AddFOp::create(b, loc, zf, arith::ConstantOp::create(b, loc, b.getF32FloatAttr(base)));
    } else {
      double zeroPoint = isSigned ? double(1 << (bits - 1)) : 0.0;
      offset = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(kMagic + zeroPoint));
    }
    Value offsets = vector::BroadcastOp::create(b, loc, f32x16, offset);
    Value scales = vector::BroadcastOp::create(b, loc, f32x16, scale);
    Value magic = vectorSplatInt(b, loc, i32x16, kMagicBits);
    SmallVector<Value> weights;
    for (Value field : fields) {
      Value asFloat = arith::BitcastOp::create(b, loc, f32x16, arith::OrIOp::create(b, loc, field, magic));
      Value centered = arith::SubFOp::create(b, loc, asFloat, offsets);
      weights.push_back(arith::MulFOp::create(b, loc, centered, scales));
    }
    return weights;
  }

  /// sums[r] += this lane's codes [k0, k0 + codesPerLoad) · x[row r].
  SmallVector<Value> accumulateStep(OpBuilder &b, Location loc, Value k0, ArrayRef<Value> rows,
                                    ValueRange sums) {
    SmallVector<Value> weights = dequantize(b, loc, k0);
    auto inputType = VectorType::get({codesPerLoad}, b.getF32Type());
    auto fastmath = arith::FastMathFlagsAttr::get(
        b.getContext(), arith::FastMathFlags::reassoc | arith::FastMathFlags::contract);
    SmallVector<int64_t> even, odd;
    for (int64_t i = 0; i < kLoadBytes; ++i) {
      even.push_back(2 * i);
      odd.push_back(2 * i + 1);
    }
    SmallVector<Value> next;
    for (auto [row, sum] : llvm::zip(rows, sums)) {
      auto load = vector::LoadOp::create(b, loc, inputType, args.x, ValueRange{row, k0});
      load.setAlignment(kLoadBytes);
      Value products;
      if (bits == 4) {
        // Low nibbles hold the even codes, high nibbles the odd ones.
        Value xEven = vector::ShuffleOp::create(b, loc, load, load, even);
        Value xOdd = vector::ShuffleOp::create(b, loc, load, load, odd);
        products = arith::MulFOp::create(b, loc, weights[0], xEven, fastmath);
        products = vector::FMAOp::create(b, loc, weights[1], xOdd, products);
      } else {
        products = arith::MulFOp::create(b, loc, weights[0], load, fastmath);
      }
      next.push_back(vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, products, sum,
                                                 fastmath.getValue()));
    }
    return next;
  }

  /// Sums each row's partial sums over the warp; lane 0 adds the bias and
  /// stores.
  void storeWarpSums(OpBuilder &b, Location loc, ArrayRef<Value> rows, ArrayRef<Value> sums) {
    SmallVector<Value> totals;
    for (Value sum : sums) {
      sum = buildWarpAllReduce(b, loc, sum, [](OpBuilder &b, Location loc, Value x, Value y) -> Value {
        return arith::AddFOp::create(b, loc, x, y);
      });
      totals.push_back(bias ? arith::AddFOp::create(b, loc, sum, bias).getResult() : sum);
    }
    Value first = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, lane, indexConstant(b, loc, 0));
    auto store = scf::IfOp::create(b, loc, first, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&store.getThenRegion().front());
    for (auto [row, total] : llvm::zip(rows, totals))
      memref::StoreOp::create(b, loc, total, args.out, ValueRange{row, column});
  }

  const QLinearKernelConfig &config;
  const QLinearKernelArgs &args;
  const unsigned bits;
  const int64_t codesPerLoad;
  const bool isSigned;
  Value lane, column, bias;
};

} // namespace

bool qopt::isCoveredByGpuKernel(QLinearOp op, std::string *reason) {
  auto fail = [&](const Twine &why) {
    if (reason)
      *reason = why.str();
    return false;
  };
  NumberFormat format = op.getFormat().getValue();
  if ((format.getKind() != FormatKind::SignedInt && format.getKind() != FormatKind::UnsignedInt) ||
      (format.getCodeBits() != 4 && format.getCodeBits() != 8) || format.getScaleBlock())
    return fail("only 4- and 8-bit integer codes have a GPU kernel");
  if (op.getLayout() != PackedLayout::row_major)
    return fail("the GPU kernel reads row_major weights");
  if (op.getAct() || op.getCodebook() || op.getOutlierRowPtr())
    return fail("activation quantization, codebooks and outliers have no GPU kernel");
  auto input = op.getInput().getType(), result = op.getResult().getType();
  if (!input.hasStaticShape() || !input.getElementType().isF32() || !result.getElementType().isF32() ||
      (op.getBias() && !cast<ShapedType>(op.getBias().getType()).getElementType().isF32()))
    return fail("the GPU kernel needs static shapes and f32 input, bias and result");
  Type scaleType = cast<ShapedType>(op.getScales().getType()).getElementType();
  if (!scaleType.isF32() && !scaleType.isF16() && !scaleType.isBF16())
    return fail("the GPU kernel reads f32, f16 or bf16 scales");
  if (op.getZeros() && !isa<IntegerType>(cast<ShapedType>(op.getZeros().getType()).getElementType()))
    return fail("the GPU kernel reads integer zero points");
  const int64_t codesPerLoad = getCodesPerLoad(format.getCodeBits());
  if (op.getReductionSize() % codesPerLoad || op.getGroup() % codesPerLoad)
    return fail("the GPU kernel needs K and the group to be multiples of " + Twine(codesPerLoad) + " codes");
  return true;
}

void qopt::buildGpuQLinearKernel(OpBuilder &b, Location loc, StringRef name, const QLinearKernelConfig &config,
                                 const QLinearKernelArgs &args) {
  GemvBuilder(config, args).build(b, loc, name);
}
