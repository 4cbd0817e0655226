//===- PanelFloatKernel.cpp - qlinear kernel: float inputs, panel16 codes -===//
//
//   parallel for panel p:                       (16 output columns)
//     for each tile of R input rows:            (R = 8 with AVX-512, 4 with AVX2; M = 1: R = 1)
//       acc[R][chains] = 0
//       for each group g:
//         s = scales[p, g, :]; nz = -s * zeros[p, g, :]
//         for each step (2 codes of 16 rows for 4-bit, 1 for 8-bit):
//           w = decode(codes) * s (+ nz)        (in registers)
//           acc[r][c] += broadcast(x[r, k]) * w
//       out[r, 16p:16p+16] = sum_c acc[r][c] (+ bias)
//
// With one input row (decode, M = 1) the kernel is bound by decoding: it
// accumulates each group unscaled, then applies the scales once per group,
// and the zero points through the group sums of x (prologue):
//   acc += s * sum_k x[k] w[k] - s * z * sum_k x[k].
// The chains (independent accumulators) hide the multiply-add latency;
// with several rows, the rows do.
//
// 4-bit codes decode through a 16-entry table: the format's constant one,
// a lut<16> codebook loaded once (per tensor), or, for codebooks per output
// channel (one per lane), a select tree over the panel's 16 codebooks
// transposed once per panel by 16 gathers.
// Outliers (CSR) are added afterwards, out[m, n] += sum_j x[m, cols[j]]
// values[j], in parallel over n.
//
//===----------------------------------------------------------------------===//

#include "CpuKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace qopt;

namespace {

class PanelFloatKernelBuilder : PanelKernelBuilderBase {
public:
  PanelFloatKernelBuilder(const QLinearKernelConfig &config, const QLinearKernelArgs &args,
                          const CpuIsa &isa)
      : PanelKernelBuilderBase(config, args, isa) {
    codesPerStep = panels.getStep();
    stepsPerIteration = std::max<int64_t>(1, chains / codesPerStep);
    scaleAfterGroup = config.m == 1;
  }

  void build(OpBuilder &b, Location loc) {
    auto f32x16 = VectorType::get({16}, b.getF32Type());
    if (panels.bits == 4 && args.codebook) {
      auto codebookType = cast<MemRefType>(args.codebook.getType());
      if (codebookType.getRank() == 1)
        table = vector::LoadOp::create(b, loc, f32x16, args.codebook, ValueRange{indexConstant(b, loc, 0)});
      else
        rowCodebooks = memref::CollapseShapeOp::create(b, loc, args.codebook,
                                                       ArrayRef<ReassociationIndices>{{0, 1}});
    } else if (panels.bits == 4) {
      SmallVector<float> values;
      for (uint32_t code = 0; code < 16; ++code)
        values.push_back(config.format.decode(code));
      table = arith::ConstantOp::create(b, loc, DenseElementsAttr::get(f32x16, ArrayRef<float>(values)));
    }
    if (scaleAfterGroup && args.zeros)
      buildGroupSums(b, loc);
    buildParallelLoop(b, loc, panels.getNumPanels(), [&](OpBuilder &pb, Location pl, Value panel) {
      forEachRowTile(pb, pl, config.m, rowsPerTile, [&](OpBuilder &tb, Location tl, Value row0, int64_t rows) {
        buildTile(tb, tl, panel, row0, rows);
      });
    });
    if (groupSums)
      memref::DeallocOp::create(b, loc, groupSums);
    if (args.outlierRowPtr)
      addOutlierProducts(b, loc, args, config.m, panels.n);
  }

private:
  struct GroupContext {
    Value panel, row0;
    int64_t rows;
    Value scale, negScaledZero, offset, start;
  };

  int64_t codesPerStep, stepsPerIteration;
  bool scaleAfterGroup;
  Value table, groupSums;
  /// Codebooks per output channel, flattened to [N * 16], and the current
  /// panel's codebooks transposed: entry c of the 16 rows' codebooks.
  Value rowCodebooks;
  SmallVector<Value> panelCodebookEntries;

  /// groupSums[g] = sum of x[0, k] over group g (one input row).
  void buildGroupSums(OpBuilder &b, Location loc) {
    groupSums = memref::AllocOp::create(b, loc, MemRefType::get({panels.getNumGroups()}, b.getF32Type()));
    Value row = indexConstant(b, loc, 0);
    forEachGroup(b, loc, panels, {}, [&](OpBuilder &gb, Location gl, Value g, int64_t length, ValueRange) {
      Value start = arith::MulIOp::create(gb, gl, g, indexConstant(gb, gl, panels.group));
      Value zero = arith::ConstantOp::create(gb, gl, gb.getF32FloatAttr(0.0f));
      Value sum = buildCountedLoop(gb, gl, length, {zero}, [&](OpBuilder &kb, Location kl, Value k, ValueRange it) {
                    Value x = memref::LoadOp::create(kb, kl, args.x,
                                                     ValueRange{row, arith::AddIOp::create(kb, kl, start, k)});
                    return SmallVector<Value>{arith::AddFOp::create(kb, kl, it[0], x)};
                  })[0];
      memref::StoreOp::create(gb, gl, sum, groupSums, g);
      return SmallVector<Value>();
    });
  }

  VectorType f32x16(OpBuilder &b) const { return VectorType::get({16}, b.getF32Type()); }

  void buildTile(OpBuilder &b, Location loc, Value panel, Value row0, int64_t rows) {
    if (rowCodebooks) {
      auto i32x16 = VectorType::get({16}, b.getI32Type());
      SmallVector<int32_t> lanes;
      for (int32_t lane = 0; lane < 16; ++lane)
        lanes.push_back(lane);
      Value first = arith::IndexCastOp::create(
          b, loc, b.getI32Type(), arith::MulIOp::create(b, loc, panel, indexConstant(b, loc, PanelLayout::kRows)));
      Value rowsOfLanes = arith::AddIOp::create(
          b, loc, vector::BroadcastOp::create(b, loc, i32x16, first),
          arith::ConstantOp::create(b, loc, DenseElementsAttr::get(i32x16, ArrayRef<int32_t>(lanes))));
      rowsOfLanes = arith::MinSIOp::create(b, loc, rowsOfLanes, vectorSplatInt(b, loc, i32x16, panels.n - 1));
      Value offsets = arith::MulIOp::create(b, loc, rowsOfLanes, vectorSplatInt(b, loc, i32x16, 16));
      // Once per panel: 16 gathers transpose its rows' codebooks.
      auto mask = arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(VectorType::get({16}, b.getI1Type()), true));
      panelCodebookEntries.clear();
      for (int64_t entry = 0; entry < 16; ++entry)
        panelCodebookEntries.push_back(vector::GatherOp::create(
            b, loc, f32x16(b), rowCodebooks, ValueRange{indexConstant(b, loc, 0)},
            arith::AddIOp::create(b, loc, offsets, vectorSplatInt(b, loc, i32x16, entry)), mask,
            vectorSplat(b, loc, f32x16(b), 0.0)));
    }
    SmallVector<Value> init(rows * chains, vectorSplat(b, loc, f32x16(b), 0.0));
    SmallVector<Value> acc = forEachGroup(
        b, loc, panels, init, [&](OpBuilder &gb, Location gl, Value g, int64_t length, ValueRange iters) {
          return buildGroup(gb, gl, panel, row0, rows, g, length, iters);
        });
    for (int64_t r = 0; r < rows; ++r) {
      Value sum = acc[r * chains];
      for (int64_t c = 1; c < chains; ++c)
        sum = arith::AddFOp::create(b, loc, sum, acc[r * chains + c]);
      Value row = arith::AddIOp::create(b, loc, row0, indexConstant(b, loc, r));
      storePanelRow(b, loc, args.out, args.bias, row, panel, sum, panels.n);
    }
  }

  SmallVector<Value> buildGroup(OpBuilder &b, Location loc, Value panel, Value row0, int64_t rows,
                                Value g, int64_t length, ValueRange iters) {
    Value scale = loadScaleVector(b, loc, args.scales, panel, g);
    if (config.format.getKind() == FormatKind::Float8E4M3) // decodeFloat8 yields value / 256
      scale = arith::MulFOp::create(b, loc, scale, vectorSplat(b, loc, f32x16(b), 256.0));
    Value negScaledZero;
    if (args.zeros) {
      Value zero = loadZeroVector(b, loc, args.zeros, panel, g,
                                  config.format.getKind() == FormatKind::SignedInt);
      Value zeroF = arith::SIToFPOp::create(b, loc, f32x16(b), zero);
      negScaledZero = arith::NegFOp::create(b, loc, arith::MulFOp::create(b, loc, scale, zeroF));
    }
    Value groupOffset = arith::MulIOp::create(
        b, loc, g, indexConstant(b, loc, panels.getGroupStride()));
    Value groupStart = arith::MulIOp::create(b, loc, g, indexConstant(b, loc, panels.group));
    GroupContext group{panel, row0, rows, scale, negScaledZero, groupOffset, groupStart};
    if (scaleAfterGroup) {
      // Accumulate the group unscaled, then acc += s * sum - s z xsum.
      GroupContext unscaled = group;
      unscaled.scale = unscaled.negScaledZero = Value();
      SmallVector<Value> zeros(iters.size(), vectorSplat(b, loc, f32x16(b), 0.0));
      SmallVector<Value> sums = buildGroupSteps(b, loc, unscaled, length, zeros);
      Value sum = sums[0];
      for (size_t c = 1; c < sums.size(); ++c)
        sum = arith::AddFOp::create(b, loc, sum, sums[c]);
      SmallVector<Value> acc(iters);
      acc[0] = vector::FMAOp::create(b, loc, sum, scale, acc[0]);
      if (negScaledZero) {
        Value xsum = memref::LoadOp::create(b, loc, groupSums, g);
        acc[1 % acc.size()] = vector::FMAOp::create(
            b, loc, negScaledZero, vector::BroadcastOp::create(b, loc, f32x16(b), xsum), acc[1 % acc.size()]);
      }
      return acc;
    }
    return buildGroupSteps(b, loc, group, length, iters);
  }

  SmallVector<Value> buildGroupSteps(OpBuilder &b, Location loc, const GroupContext &group, int64_t length,
                                     ValueRange iters) {
    const int64_t wholeSteps = length / codesPerStep;
    const int64_t iterations = wholeSteps / stepsPerIteration;
    SmallVector<Value> acc = buildCountedLoop(
        b, loc, iterations, iters, [&](OpBuilder &lb, Location ll, Value it, ValueRange values) {
          SmallVector<Value> result(values);
          Value first = arith::MulIOp::create(lb, ll, it, indexConstant(lb, ll, stepsPerIteration));
          for (int64_t u = 0; u < stepsPerIteration; ++u)
            buildStep(lb, ll, group, arith::AddIOp::create(lb, ll, first, indexConstant(lb, ll, u)),
                      codesPerStep, u, result);
          return result;
        });
    // Leftover whole steps, then a step of fewer codes (an odd group with 4-bit codes).
    for (int64_t s = iterations * stepsPerIteration, u = 0; s < wholeSteps; ++s, ++u)
      buildStep(b, loc, group, indexConstant(b, loc, s), codesPerStep, u, acc);
    if (length % codesPerStep)
      buildStep(b, loc, group, indexConstant(b, loc, wholeSteps), length % codesPerStep, 0, acc);
    return acc;
  }

  /// The weights of step `step` for its first `count` codes, scaled.
  SmallVector<Value> decodeStep(OpBuilder &b, Location loc, const GroupContext &group, Value step,
                                int64_t count) {
    auto i32x16 = VectorType::get({16}, b.getI32Type());
    Value offset = arith::AddIOp::create(
        b, loc, group.offset, arith::MulIOp::create(b, loc, step, indexConstant(b, loc, panels.getStepBytes())));
    Value bytes = vector::LoadOp::create(b, loc, VectorType::get({16}, b.getI8Type()), args.packed,
                                         ValueRange{group.panel, offset});
    SmallVector<Value> decoded;
    if (panels.bits == 4) {
      Value indices = arith::ExtUIOp::create(b, loc, i32x16, bytes);
      decoded.push_back(decode4(b, loc, arith::AndIOp::create(b, loc, indices, vectorSplatInt(b, loc, i32x16, 15))));
      if (count > 1)
        decoded.push_back(decode4(b, loc, arith::ShRUIOp::create(b, loc, indices, vectorSplatInt(b, loc, i32x16, 4))));
    } else if (config.format.getKind() == FormatKind::SignedInt) {
      decoded.push_back(
          arith::SIToFPOp::create(b, loc, f32x16(b), arith::ExtSIOp::create(b, loc, i32x16, bytes)));
    } else if (config.format.getKind() == FormatKind::UnsignedInt) {
      decoded.push_back(
          arith::UIToFPOp::create(b, loc, f32x16(b), arith::ExtUIOp::create(b, loc, i32x16, bytes)));
    } else {
      decoded.push_back(decodeFloat8(b, loc, bytes));
    }
    if (group.scale)
      for (Value &w : decoded)
        w = group.negScaledZero ? vector::FMAOp::create(b, loc, w, group.scale, group.negScaledZero)
                                : arith::MulFOp::create(b, loc, w, group.scale).getResult();
    return decoded;
  }

  /// The values of 16 4-bit codes (one per lane, in [0, 16)): a table
  /// permute, or with a codebook per lane a binary tree of 15 selects over
  /// the panel's transposed entries, from the code's top bit down.
  Value decode4(OpBuilder &b, Location loc, Value codes) {
    if (!rowCodebooks)
      return lookup16(b, loc, isa, table, codes);
    auto i32x16 = VectorType::get({16}, b.getI32Type());
    SmallVector<Value> candidates(panelCodebookEntries);
    for (int64_t bit = 3; bit >= 0; --bit) {
      Value set = arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::ne,
          arith::AndIOp::create(b, loc, codes, vectorSplatInt(b, loc, i32x16, int64_t(1) << bit)),
          vectorSplatInt(b, loc, i32x16, 0));
      const size_t half = candidates.size() / 2;
      for (size_t c = 0; c < half; ++c)
        candidates[c] = arith::SelectOp::create(b, loc, set, candidates[c + half], candidates[c]);
      candidates.resize(half);
    }
    return candidates.front();
  }

  /// fp8 e4m3 codes / 256 as f32: the sign, exponent and mantissa fields
  /// moved into an f16, whose exponent bias is 8 more (NaN is not a code).
  Value decodeFloat8(OpBuilder &b, Location loc, Value bytes) {
    auto i16x16 = VectorType::get({16}, b.getI16Type());
    Value wide = arith::ExtUIOp::create(b, loc, i16x16, bytes);
    Value magnitude = arith::ShLIOp::create(
        b, loc, arith::AndIOp::create(b, loc, wide, vectorSplatInt(b, loc, i16x16, 0x7F)),
        vectorSplatInt(b, loc, i16x16, 7));
    Value sign = arith::ShLIOp::create(
        b, loc, arith::AndIOp::create(b, loc, wide, vectorSplatInt(b, loc, i16x16, 0x80)),
        vectorSplatInt(b, loc, i16x16, 8));
    Value half = arith::BitcastOp::create(b, loc, VectorType::get({16}, b.getF16Type()),
                                          arith::OrIOp::create(b, loc, magnitude, sign));
    return arith::ExtFOp::create(b, loc, f32x16(b), half);
  }

  /// acc[r][chain] += x[r, k] * w for the `count` codes of `step`; code i
  /// of unrolled step `unroll` goes to chain (unroll * codesPerStep + i) % chains.
  void buildStep(OpBuilder &b, Location loc, const GroupContext &group, Value step, int64_t count,
                 int64_t unroll, SmallVector<Value> &acc) {
    SmallVector<Value> weights = decodeStep(b, loc, group, step, count);
    Value firstCode = arith::AddIOp::create(
        b, loc, group.start, arith::MulIOp::create(b, loc, step, indexConstant(b, loc, codesPerStep)));
    for (int64_t i = 0; i < count; ++i) {
      Value column = arith::AddIOp::create(b, loc, firstCode, indexConstant(b, loc, i));
      int64_t chain = (unroll * codesPerStep + i) % chains;
      for (int64_t r = 0; r < group.rows; ++r) {
        Value row = arith::AddIOp::create(b, loc, group.row0, indexConstant(b, loc, r));
        Value x = memref::LoadOp::create(b, loc, args.x, ValueRange{row, column});
        Value broadcast = vector::BroadcastOp::create(b, loc, f32x16(b), x);
        Value &sum = acc[r * chains + chain];
        sum = vector::FMAOp::create(b, loc, broadcast, weights[i], sum);
      }
    }
  }
};

} // namespace

void qopt::buildPanelFloatKernel(OpBuilder &b, Location loc, const QLinearKernelConfig &config,
                                 const QLinearKernelArgs &args, const CpuIsa &isa) {
  PanelFloatKernelBuilder(config, args, isa).build(b, loc);
}
