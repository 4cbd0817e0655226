//===- PanelDotKernel.cpp - qlinear kernel: int8 inputs, panel16_dot codes -===//
//
//   parallel for row m:                          (the input, quantized once)
//     s[m] = absmax(x[m]) / 127 (or the static scale)
//     xq[m] = round_even(x[m] / s[m]) in [-128, 127], each group padded with
//             zeros to whole steps; xsum[m, g] = sum of the group's codes
//   parallel for panel p (AVX-512 with several rows: pairs of panels):
//     for each tile of R rows:                  (R = 6 for pairs)
//       accf[R] = 0
//       for each group g:
//         acc[R][chains] = 0 (int32)
//         for each step:                         (4 codes of 16 rows, 8 for 4-bit)
//           u = codes as unsigned bytes: code + 128 (int8), code + 8 (int4), code (uint)
//           acc[r][c] = vpdpbusd(acc[r][c], u, broadcast(xq[r, 4 codes]))
//         d = sum_c acc[r][c] - (offset + zero[p, g]) * xsum[r, g]
//         accf[r] += float(d) * scales[p, g]
//       out[r] = accf[r] * s[r] (+ bias)
//
// The integer part is exact: the float result differs from the reference
// (dequantize, then multiply in f32) by summation order only.
//
//===----------------------------------------------------------------------===//

#include "CpuKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace qopt;

namespace {

class PanelDotKernelBuilder : PanelKernelBuilderBase {
public:
  PanelDotKernelBuilder(const QLinearKernelConfig &config, const QLinearKernelArgs &args,
                        const CpuIsa &isa)
      : PanelKernelBuilderBase(config, args, isa) {
    isSigned = config.format.getKind() == FormatKind::SignedInt;
    codeOffset = isSigned ? int64_t(1) << (panels.bits - 1) : 0;
    fullGroupCodes = panels.getPaddedGroupCodes();
    paddedK = panels.getGroupOffset(panels.getNumGroups()) / panels.getStepBytes() * panels.getStep();
    // Several rows (AVX-512): tiles of 6 rows x 2 panels, so that each input
    // word broadcast serves two dot products and each weight load six
    // (12 int32 and 12 f32 accumulators stay in the 32 registers).
    if (isa.avx512 && config.m > 2 && panels.getNumPanels() >= 2) {
      tilePanels = 2;
      rowsPerTile = 6;
      chains = 1;
    }
  }

  void build(OpBuilder &b, Location loc) {
    const int64_t m = config.m, groups = panels.getNumGroups();
    quantized = memref::AllocOp::create(b, loc, MemRefType::get({m, paddedK}, b.getI8Type()),
                                        b.getI64IntegerAttr(64));
    groupSums = memref::AllocOp::create(b, loc, MemRefType::get({m, groups}, b.getI32Type()));
    rowScales = memref::AllocOp::create(b, loc, MemRefType::get({m}, b.getF32Type()));
    buildParallelLoop(b, loc, m, [&](OpBuilder &pb, Location pl, Value row) { quantizeRow(pb, pl, row); });
    const int64_t tiles = panels.getNumPanels() / tilePanels, rest = panels.getNumPanels() % tilePanels;
    auto buildColumns = [&](OpBuilder &pb, Location pl, Value panel0, int64_t count) {
      forEachRowTile(pb, pl, m, rowsPerTile, [&](OpBuilder &tb, Location tl, Value row0, int64_t rows) {
        buildTile(tb, tl, panel0, count, row0, rows);
      });
    };
    buildParallelLoop(b, loc, tiles, [&](OpBuilder &pb, Location pl, Value tile) {
      buildColumns(pb, pl, arith::MulIOp::create(pb, pl, tile, indexConstant(pb, pl, tilePanels)), tilePanels);
    });
    if (rest) // the odd last panel
      buildColumns(b, loc, indexConstant(b, loc, tiles * tilePanels), 1);
    for (Value buffer : {quantized, groupSums, rowScales})
      memref::DeallocOp::create(b, loc, buffer);
  }

private:
  int64_t codeOffset, fullGroupCodes, paddedK;
  int64_t tilePanels = 1; // panels of 16 columns per register tile
  bool isSigned;
  Value quantized, groupSums, rowScales;

  static VectorType f32x16(OpBuilder &b) { return VectorType::get({16}, b.getF32Type()); }
  static VectorType i32x16(OpBuilder &b) { return VectorType::get({16}, b.getI32Type()); }

  using ChunkBody = llvm::function_ref<Value(OpBuilder &, Location, Value column, Value mask, Value values,
                                              Value carried)>;

  /// Runs `body` over chunks of 16 of columns [start, start + length) of
  /// `row` of x, carrying one value: full chunks loaded in a loop, the last
  /// one masked (zeros past the end).
  Value forEachChunk(OpBuilder &b, Location loc, Value row, Value start, int64_t length, Value init,
                     ChunkBody body) {
    auto visit = [&](OpBuilder &cb, Location cl, Value column, Value mask, Value carried) {
      Value values = mask ? vector::MaskedLoadOp::create(cb, cl, f32x16(cb), args.x, ValueRange{row, column},
                                                         mask, vectorSplat(cb, cl, f32x16(cb), 0.0))
                                .getResult()
                          : vector::LoadOp::create(cb, cl, f32x16(cb), args.x, ValueRange{row, column})
                                .getResult();
      return body(cb, cl, column, mask, values, carried);
    };
    Value result =
        buildCountedLoop(b, loc, length / 16, {init}, [&](OpBuilder &cb, Location cl, Value c, ValueRange it) {
          Value column =
              arith::AddIOp::create(cb, cl, start, arith::MulIOp::create(cb, cl, c, indexConstant(cb, cl, 16)));
          return SmallVector<Value>{visit(cb, cl, column, Value(), it[0])};
        })[0];
    if (int64_t rest = length % 16) {
      Value mask = vector::ConstantMaskOp::create(b, loc, VectorType::get({16}, b.getI1Type()),
                                                  ArrayRef<int64_t>{rest});
      result = visit(b, loc, arith::AddIOp::create(b, loc, start, indexConstant(b, loc, length - rest)), mask,
                     result);
    }
    return result;
  }

  /// The row's scale: static, or absmax / max magnitude (1 for an all-zero
  /// row, as the reference).
  Value buildRowScale(OpBuilder &b, Location loc, Value row) {
    if (FloatAttr staticScale = config.act.getStaticScale())
      return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(float(staticScale.getValueAsDouble())));
    Value absMax = forEachChunk(
        b, loc, row, indexConstant(b, loc, 0), panels.k, vectorSplat(b, loc, f32x16(b), 0.0),
        [&](OpBuilder &cb, Location cl, Value, Value, Value x, Value carried) -> Value {
          return arith::MaximumFOp::create(cb, cl, carried, math::AbsFOp::create(cb, cl, x));
        });
    Value maximum = vector::ReductionOp::create(b, loc, vector::CombiningKind::MAXIMUMF, absMax);
    auto f32 = [&](double v) -> Value { return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(float(v))); };
    Value isZero = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, maximum, f32(0.0));
    return arith::SelectOp::create(
        b, loc, isZero, f32(1.0),
        arith::DivFOp::create(b, loc, maximum, f32(config.act.getFormat().getMaxMagnitude())));
  }

  void quantizeRow(OpBuilder &b, Location loc, Value row) {
    Value scale = buildRowScale(b, loc, row);
    memref::StoreOp::create(b, loc, scale, rowScales, row);
    Value scaleVector = vector::BroadcastOp::create(b, loc, f32x16(b), scale);
    forEachGroup(b, loc, panels, {}, [&](OpBuilder &gb, Location gl, Value g, int64_t length, ValueRange) {
      Value start = arith::MulIOp::create(gb, gl, g, indexConstant(gb, gl, panels.group));
      Value target = arith::MulIOp::create(gb, gl, g, indexConstant(gb, gl, fullGroupCodes));
      Value sum = forEachChunk(
          gb, gl, row, start, length, vectorSplatInt(gb, gl, i32x16(gb), 0),
          [&](OpBuilder &cb, Location cl, Value column, Value mask, Value x, Value carried) -> Value {
            // round_even(x / s) clamped to [-128, 127]; masked lanes are 0.
            Value code = math::RoundEvenOp::create(cb, cl, arith::DivFOp::create(cb, cl, x, scaleVector));
            code = arith::MaximumFOp::create(cb, cl, code, vectorSplat(cb, cl, f32x16(cb), -128.0));
            code = arith::MinimumFOp::create(cb, cl, code, vectorSplat(cb, cl, f32x16(cb), 127.0));
            Value integer = arith::FPToSIOp::create(cb, cl, i32x16(cb), code);
            Value bytes = arith::TruncIOp::create(cb, cl, VectorType::get({16}, cb.getI8Type()), integer);
            Value to = arith::AddIOp::create(cb, cl, target, arith::SubIOp::create(cb, cl, column, start));
            if (mask)
              vector::MaskedStoreOp::create(cb, cl, quantized, ValueRange{row, to}, mask, bytes);
            else
              vector::StoreOp::create(cb, cl, bytes, quantized, ValueRange{row, to});
            return arith::AddIOp::create(cb, cl, carried, integer);
          });
      Value groupSum = vector::ReductionOp::create(gb, gl, vector::CombiningKind::ADD, sum);
      memref::StoreOp::create(gb, gl, groupSum, groupSums, ValueRange{row, g});
      // Zero codes over the padding up to whole steps.
      const int64_t padded = (length + panels.getStep() - 1) / panels.getStep() * panels.getStep();
      Value zero = arith::ConstantIntOp::create(gb, gl, gb.getI8Type(), 0);
      for (int64_t i = length; i < padded; ++i)
        memref::StoreOp::create(gb, gl, zero, quantized,
                                ValueRange{row, arith::AddIOp::create(gb, gl, target, indexConstant(gb, gl, i))});
      return SmallVector<Value>();
    });
  }

  /// Rows [row0, row0 + rows) of panels [panel0, panel0 + count);
  /// accumulators indexed [r * count + j].
  void buildTile(OpBuilder &b, Location loc, Value panel0, int64_t count, Value row0, int64_t rows) {
    SmallVector<Value> init(rows * count, vectorSplat(b, loc, f32x16(b), 0.0));
    SmallVector<Value> acc = forEachGroup(
        b, loc, panels, init, [&](OpBuilder &gb, Location gl, Value g, int64_t length, ValueRange iters) {
          return buildGroup(gb, gl, panel0, count, row0, rows, g, length, iters);
        });
    for (int64_t r = 0; r < rows; ++r) {
      Value row = arith::AddIOp::create(b, loc, row0, indexConstant(b, loc, r));
      Value scale = vector::BroadcastOp::create(b, loc, f32x16(b), memref::LoadOp::create(b, loc, rowScales, row));
      for (int64_t j = 0; j < count; ++j) {
        Value result = arith::MulFOp::create(b, loc, acc[r * count + j], scale);
        Value panel = arith::AddIOp::create(b, loc, panel0, indexConstant(b, loc, j));
        storePanelRow(b, loc, args.out, args.bias, row, panel, result, panels.n);
      }
    }
  }

  SmallVector<Value> buildGroup(OpBuilder &b, Location loc, Value panel0, int64_t count, Value row0, int64_t rows,
                                Value g, int64_t length, ValueRange iters) {
    const int64_t steps = (length + panels.getStep() - 1) / panels.getStep();
    const int64_t iterations = steps / chains;
    Value groupOffset = arith::MulIOp::create(
        b, loc, g, indexConstant(b, loc, panels.getGroupStride()));
    Value groupColumn = arith::MulIOp::create(b, loc, g, indexConstant(b, loc, fullGroupCodes));
    // Integer accumulators [(r * chains + c) * count + j].
    SmallVector<Value> init(rows * chains * count, vectorSplatInt(b, loc, i32x16(b), 0));
    SmallVector<Value> acc = buildCountedLoop(
        b, loc, iterations, init, [&](OpBuilder &lb, Location ll, Value it, ValueRange values) {
          SmallVector<Value> result(values);
          Value first = arith::MulIOp::create(lb, ll, it, indexConstant(lb, ll, chains));
          for (int64_t u = 0; u < chains; ++u)
            buildStep(lb, ll, panel0, count, row0, rows, groupOffset, groupColumn,
                      arith::AddIOp::create(lb, ll, first, indexConstant(lb, ll, u)), u, result);
          return result;
        });
    for (int64_t s = iterations * chains, u = 0; s < steps; ++s, ++u)
      buildStep(b, loc, panel0, count, row0, rows, groupOffset, groupColumn, indexConstant(b, loc, s), u, acc);

    // Remove the unsigned offset and zero points: (offset + zero) * sum(x codes).
    SmallVector<Value> shifts, scales;
    for (int64_t j = 0; j < count; ++j) {
      Value panel = arith::AddIOp::create(b, loc, panel0, indexConstant(b, loc, j));
      Value shift = vectorSplatInt(b, loc, i32x16(b), codeOffset);
      if (args.zeros)
        shift = arith::AddIOp::create(b, loc, shift, loadZeroVector(b, loc, args.zeros, panel, g, isSigned));
      shifts.push_back(shift);
      scales.push_back(loadScaleVector(b, loc, args.scales, panel, g));
    }
    SmallVector<Value> result;
    for (int64_t r = 0; r < rows; ++r) {
      Value row = arith::AddIOp::create(b, loc, row0, indexConstant(b, loc, r));
      Value codeSum = vector::BroadcastOp::create(b, loc, i32x16(b),
                                                  memref::LoadOp::create(b, loc, groupSums, ValueRange{row, g}));
      for (int64_t j = 0; j < count; ++j) {
        Value dot = acc[(r * chains) * count + j];
        for (int64_t c = 1; c < chains; ++c)
          dot = arith::AddIOp::create(b, loc, dot, acc[(r * chains + c) * count + j]);
        Value exact = arith::SubIOp::create(b, loc, dot, arith::MulIOp::create(b, loc, shifts[j], codeSum));
        Value asFloat = arith::SIToFPOp::create(b, loc, f32x16(b), exact);
        result.push_back(vector::FMAOp::create(b, loc, asFloat, scales[j], iters[r * count + j]));
      }
    }
    return result;
  }

  /// Four input codes of `row` from column `column`, repeated in each
  /// 32-bit lane.
  Value broadcastInputWord(OpBuilder &b, Location loc, Value row, Value column) {
    Value bytes = vector::LoadOp::create(b, loc, VectorType::get({4}, b.getI8Type()), quantized,
                                         ValueRange{row, column});
    Value word = vector::BitCastOp::create(b, loc, VectorType::get({1}, b.getI32Type()), bytes);
    Value words = vector::BroadcastOp::create(b, loc, i32x16(b), vector::ExtractOp::create(b, loc, word, 0));
    return vector::BitCastOp::create(b, loc, VectorType::get({64}, b.getI8Type()), words);
  }

  /// The weight operands of one step of `panel`: one vector of 4-code
  /// words per 4 codes of the step, as unsigned bytes.
  SmallVector<Value> loadStepOperands(OpBuilder &b, Location loc, Value panel, Value offset) {
    auto i8x64 = VectorType::get({64}, b.getI8Type());
    Value bytes = vector::LoadOp::create(b, loc, i8x64, args.packed, ValueRange{panel, offset});
    SmallVector<Value> operands;
    if (panels.bits == 8) {
      operands.push_back(isSigned ? arith::XOrIOp::create(b, loc, bytes, vectorSplatInt(b, loc, i8x64, -128))
                                        .getResult()
                                  : bytes);
      return operands;
    }
    Value nibble = vectorSplatInt(b, loc, i8x64, 0x0F);
    Value low = arith::AndIOp::create(b, loc, bytes, nibble);
    Value high = arith::AndIOp::create(b, loc, arith::ShRUIOp::create(b, loc, bytes, vectorSplatInt(b, loc, i8x64, 4)),
                                       nibble);
    for (Value part : {low, high})
      operands.push_back(isSigned ? arith::XOrIOp::create(b, loc, part, vectorSplatInt(b, loc, i8x64, 8)).getResult()
                                  : part);
    return operands;
  }

  void buildStep(OpBuilder &b, Location loc, Value panel0, int64_t count, Value row0, int64_t rows,
                 Value groupOffset, Value groupColumn, Value step, int64_t unroll, SmallVector<Value> &acc) {
    Value offset = arith::AddIOp::create(
        b, loc, groupOffset, arith::MulIOp::create(b, loc, step, indexConstant(b, loc, panels.getStepBytes())));
    SmallVector<SmallVector<Value>> operands; // [panel][4 codes]
    for (int64_t j = 0; j < count; ++j)
      operands.push_back(
          loadStepOperands(b, loc, arith::AddIOp::create(b, loc, panel0, indexConstant(b, loc, j)), offset));
    Value column = arith::AddIOp::create(
        b, loc, groupColumn, arith::MulIOp::create(b, loc, step, indexConstant(b, loc, panels.getStep())));
    int64_t chain = unroll % chains;
    for (size_t i = 0; i < operands[0].size(); ++i) {
      Value at = arith::AddIOp::create(b, loc, column, indexConstant(b, loc, 4 * int64_t(i)));
      for (int64_t r = 0; r < rows; ++r) {
        Value row = arith::AddIOp::create(b, loc, row0, indexConstant(b, loc, r));
        Value word = broadcastInputWord(b, loc, row, at);
        for (int64_t j = 0; j < count; ++j) {
          Value &sum = acc[(r * chains + chain) * count + j];
          sum = dotProduct4(b, loc, isa, sum, operands[j][i], word);
        }
      }
    }
  }
};

} // namespace

void qopt::buildPanelDotKernel(OpBuilder &b, Location loc, const QLinearKernelConfig &config,
                               const QLinearKernelArgs &args, const CpuIsa &isa) {
  PanelDotKernelBuilder(config, args, isa).build(b, loc);
}
