//===- PanelKernelSupport.cpp - Building blocks of the CPU kernels --------===//

#include "CpuKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace qopt;

std::optional<CpuIsa> CpuIsa::parse(StringRef name) {
  if (name == "avx2")
    return CpuIsa{false, false};
  if (name == "avx512")
    return CpuIsa{true, false};
  if (name == "avx512-vnni")
    return CpuIsa{true, true};
  return std::nullopt;
}

std::string CpuIsa::str() const { return !avx512 ? "avx2" : vnni ? "avx512-vnni" : "avx512"; }

RowTiling qopt::chooseRowTiling(int64_t m, const CpuIsa &isa) {
  int64_t rows = m == 1 ? 1 : isa.avx512 ? 8 : 4;
  return {rows, rows == 1 ? 4 : rows <= 2 ? 2 : 1};
}

void qopt::buildParallelLoop(OpBuilder &b, Location loc, int64_t count,
                             llvm::function_ref<void(OpBuilder &, Location, Value)> body) {
  auto parallel = scf::ParallelOp::create(b, loc, ValueRange{indexConstant(b, loc, 0)},
                                          ValueRange{indexConstant(b, loc, count)},
                                          ValueRange{indexConstant(b, loc, 1)});
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(parallel.getBody()->getTerminator());
  body(b, loc, parallel.getInductionVars()[0]);
}

Value qopt::prefixMask16(OpBuilder &b, Location loc, int64_t lanes) {
  return vector::ConstantMaskOp::create(b, loc, VectorType::get({16}, b.getI1Type()), ArrayRef<int64_t>{lanes});
}

Value qopt::contractedMultiplyAdd(OpBuilder &b, Location loc, Value x, Value y, Value acc) {
  auto contract = arith::FastMathFlagsAttr::get(b.getContext(), arith::FastMathFlags::contract);
  Value product = arith::MulFOp::create(b, loc, x, y, contract);
  return arith::AddFOp::create(b, loc, acc, product, contract);
}

Value qopt::loadStridedRow16(OpBuilder &b, Location loc, Value buffer, ValueRange position, int64_t stride,
                             int64_t lanes) {
  auto f32x16 = VectorType::get({16}, b.getF32Type());
  Value zeros = vectorSplat(b, loc, f32x16, 0.0);
  // `count` consecutive values from `offset` elements past the position.
  auto loadRun = [&](int64_t offset, int64_t count) -> Value {
    SmallVector<Value> at(position);
    if (offset)
      at.back() = arith::AddIOp::create(b, loc, at.back(), indexConstant(b, loc, offset));
    if (count >= 16)
      return vector::LoadOp::create(b, loc, f32x16, buffer, at);
    return vector::MaskedLoadOp::create(b, loc, f32x16, buffer, at, prefixMask16(b, loc, count), zeros);
  };
  const int64_t span = (lanes - 1) * stride + 1; // elements from the first to the last needed
  if (stride == 1)
    return loadRun(0, lanes);
  if (stride == 2) {
    Value low = loadRun(0, std::min<int64_t>(span, 16));
    Value high = span > 16 ? loadRun(16, span - 16) : zeros;
    // Lane l is element 2 l of the pair; past `lanes` that lies past the
    // span, which the masked loads read as zeros.
    SmallVector<int64_t> even;
    for (int64_t lane = 0; lane < 16; ++lane)
      even.push_back(2 * lane);
    return vector::ShuffleOp::create(b, loc, low, high, even);
  }
  SmallVector<int32_t> offsets;
  for (int32_t lane = 0; lane < 16; ++lane)
    offsets.push_back(lane * int32_t(stride));
  auto i32x16 = VectorType::get({16}, b.getI32Type());
  Value indexVector = arith::ConstantOp::create(b, loc, DenseElementsAttr::get(i32x16, ArrayRef<int32_t>(offsets)));
  return vector::GatherOp::create(b, loc, f32x16, buffer, position, indexVector, prefixMask16(b, loc, lanes), zeros);
}

bool qopt::isStaticF32Buffer(Type type, int64_t rank) {
  auto memref = dyn_cast_or_null<MemRefType>(type);
  return memref && memref.getRank() == rank && memref.hasStaticShape() && memref.getElementType().isF32() &&
         memref.getLayout().isIdentity();
}

void qopt::buildTaskLoop(OpBuilder &b, Location loc, int64_t count, int64_t work,
                         llvm::function_ref<void(OpBuilder &, Location, Value)> body) {
  if (work >= kMinParallelWork) {
    buildParallelLoop(b, loc, count, body);
    return;
  }
  buildCountedLoop(b, loc, count, {}, [&](OpBuilder &nb, Location nl, Value task, ValueRange) {
    body(nb, nl, task);
    return SmallVector<Value>();
  });
}

SmallVector<Value> qopt::buildCountedLoop(OpBuilder &b, Location loc, int64_t count, ValueRange init,
                                          const LoopBody &body) {
  if (count <= 0)
    return SmallVector<Value>(init);
  if (count == 1)
    return body(b, loc, indexConstant(b, loc, 0), init);
  auto loop = scf::ForOp::create(
      b, loc, indexConstant(b, loc, 0), indexConstant(b, loc, count), indexConstant(b, loc, 1), init,
      [&](OpBuilder &nb, Location nl, Value iv, ValueRange iters) {
        scf::YieldOp::create(nb, nl, body(nb, nl, iv, iters));
      });
  return SmallVector<Value>(loop.getResults());
}

SmallVector<Value> qopt::forEachGroup(OpBuilder &b, Location loc, const PanelLayout &panels,
                                      ValueRange init, const GroupBody &body) {
  const int64_t groups = panels.getNumGroups();
  const int64_t lastLength = panels.getGroupLength(groups - 1);
  const int64_t fullGroups = lastLength == panels.group ? groups : groups - 1;
  SmallVector<Value> iters = buildCountedLoop(
      b, loc, fullGroups, init, [&](OpBuilder &nb, Location nl, Value g, ValueRange values) {
        return body(nb, nl, g, panels.group, values);
      });
  if (fullGroups == groups)
    return iters;
  return body(b, loc, indexConstant(b, loc, groups - 1), lastLength, iters);
}

void qopt::forEachRowTile(OpBuilder &b, Location loc, int64_t count, int64_t tile, const TileBody &body) {
  const int64_t fullTiles = count / tile, rest = count % tile;
  buildCountedLoop(b, loc, fullTiles, {}, [&](OpBuilder &nb, Location nl, Value t, ValueRange) {
    body(nb, nl, arith::MulIOp::create(nb, nl, t, indexConstant(nb, nl, tile)), tile);
    return SmallVector<Value>();
  });
  if (rest)
    body(b, loc, indexConstant(b, loc, fullTiles * tile), rest);
}

Value qopt::loadScaleVector(OpBuilder &b, Location loc, Value scales, Value panel, Value group) {
  Type elementType = cast<MemRefType>(scales.getType()).getElementType();
  auto f32x16 = VectorType::get({16}, b.getF32Type());
  Value raw = vector::LoadOp::create(b, loc, VectorType::get({16}, elementType), scales,
                                    ValueRange{panel, group, indexConstant(b, loc, 0)});
  if (elementType.isF32())
    return raw;
  if (isa<Float8E8M0FNUType>(elementType)) {
    // 2^(e - 127): the exponent field of an f32; e = 0 is 2^-127, a subnormal.
    auto i32x16 = VectorType::get({16}, b.getI32Type());
    Value bits = arith::BitcastOp::create(b, loc, VectorType::get({16}, b.getI8Type()), raw);
    Value exponent = arith::ExtUIOp::create(b, loc, i32x16, bits);
    Value normal = arith::ShLIOp::create(b, loc, exponent, vectorSplatInt(b, loc, i32x16, 23));
    Value isZero = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, exponent,
                                         vectorSplatInt(b, loc, i32x16, 0));
    Value pattern = arith::SelectOp::create(b, loc, isZero, vectorSplatInt(b, loc, i32x16, 0x00400000),
                                            normal);
    return arith::BitcastOp::create(b, loc, f32x16, pattern);
  }
  if (elementType.isBF16()) {
    // The high half of an f32. (fpext of bf16 vectors can make the x86
    // backend call __truncsfbf2, which no runtime here provides.)
    auto i32x16 = VectorType::get({16}, b.getI32Type());
    Value bits = arith::BitcastOp::create(b, loc, VectorType::get({16}, b.getI16Type()), raw);
    Value wide = arith::ShLIOp::create(b, loc, arith::ExtUIOp::create(b, loc, i32x16, bits),
                                       vectorSplatInt(b, loc, i32x16, 16));
    return arith::BitcastOp::create(b, loc, f32x16, wide);
  }
  return arith::ExtFOp::create(b, loc, f32x16, raw);
}

Value qopt::loadZeroVector(OpBuilder &b, Location loc, Value zeros, Value panel, Value group,
                           bool isSigned) {
  auto i32x16 = VectorType::get({16}, b.getI32Type());
  Value raw = vector::LoadOp::create(b, loc, VectorType::get({16}, b.getI8Type()), zeros,
                                     ValueRange{panel, group, indexConstant(b, loc, 0)});
  if (isSigned)
    return arith::ExtSIOp::create(b, loc, i32x16, raw);
  return arith::ExtUIOp::create(b, loc, i32x16, raw);
}

void qopt::storePanelRow(OpBuilder &b, Location loc, Value out, Value bias, Value row, Value panel,
                         Value value, int64_t n) {
  auto f32x16 = VectorType::get({16}, b.getF32Type());
  Value column = arith::MulIOp::create(b, loc, panel, indexConstant(b, loc, PanelLayout::kRows));
  if (n % PanelLayout::kRows == 0) {
    if (bias)
      value = arith::AddFOp::create(b, loc, value, vector::LoadOp::create(b, loc, f32x16, bias, column));
    vector::StoreOp::create(b, loc, value, out, ValueRange{row, column});
    return;
  }
  // The last panel is partial: only its first N - 16 p columns exist.
  Value remaining = arith::MinSIOp::create(b, loc, indexConstant(b, loc, PanelLayout::kRows),
                                           arith::SubIOp::create(b, loc, indexConstant(b, loc, n), column));
  Value mask = vector::CreateMaskOp::create(b, loc, VectorType::get({16}, b.getI1Type()), remaining);
  if (bias)
    value = arith::AddFOp::create(
        b, loc, value,
        vector::MaskedLoadOp::create(b, loc, f32x16, bias, column, mask, vectorSplat(b, loc, f32x16, 0.0)));
  vector::MaskedStoreOp::create(b, loc, out, ValueRange{row, column}, mask, value);
}

void qopt::addOutlierProducts(OpBuilder &b, Location loc, const QLinearKernelArgs &args, int64_t m, int64_t n) {
  buildParallelLoop(b, loc, n, [&](OpBuilder &pb, Location pl, Value column) {
    auto readIndex = [](OpBuilder &nb, Location nl, Value buffer, Value i) -> Value {
      return arith::IndexCastOp::create(nb, nl, nb.getIndexType(), memref::LoadOp::create(nb, nl, buffer, i));
    };
    Value begin = readIndex(pb, pl, args.outlierRowPtr, column);
    Value end = readIndex(pb, pl, args.outlierRowPtr, arith::AddIOp::create(pb, pl, column, indexConstant(pb, pl, 1)));
    buildCountedLoop(pb, pl, m, {}, [&](OpBuilder &rb, Location rl, Value row, ValueRange) {
      Value zero = arith::ConstantOp::create(rb, rl, rb.getF32FloatAttr(0.0f));
      auto entries = scf::ForOp::create(
          rb, rl, begin, end, indexConstant(rb, rl, 1), ValueRange{zero},
          [&](OpBuilder &eb, Location el, Value j, ValueRange sum) {
            Value x = memref::LoadOp::create(eb, el, args.x, ValueRange{row, readIndex(eb, el, args.outlierCols, j)});
            Value value = memref::LoadOp::create(eb, el, args.outlierValues, j);
            scf::YieldOp::create(eb, el, ValueRange{arith::AddFOp::create(
                                             eb, el, sum[0], arith::MulFOp::create(eb, el, x, value))});
          });
      Value old = memref::LoadOp::create(rb, rl, args.out, ValueRange{row, column});
      memref::StoreOp::create(rb, rl, arith::AddFOp::create(rb, rl, old, entries.getResult(0)), args.out,
                              ValueRange{row, column});
      return SmallVector<Value>();
    });
  });
}

namespace {

Value callIntrinsic(OpBuilder &b, Location loc, Type resultType, StringRef name, ValueRange args) {
  return LLVM::CallIntrinsicOp::create(b, loc, resultType, b.getStringAttr(name), args).getResult(0);
}

Value slice(OpBuilder &b, Location loc, Value vector, int64_t offset, int64_t size) {
  return vector::ExtractStridedSliceOp::create(b, loc, vector, ArrayRef<int64_t>{offset},
                                               ArrayRef<int64_t>{size}, ArrayRef<int64_t>{1});
}

} // namespace

Value qopt::lookup16(OpBuilder &b, Location loc, const CpuIsa &isa, Value table, Value indices) {
  auto f32x16 = VectorType::get({16}, b.getF32Type());
  if (isa.avx512)
    return callIntrinsic(b, loc, f32x16, "llvm.x86.avx512.permvar.sf.512", {table, indices});
  // AVX2: vpermps covers 8 entries (index bits 0-2); bit 3 picks the half.
  auto f32x8 = VectorType::get({8}, b.getF32Type());
  auto i32x8 = VectorType::get({8}, b.getI32Type());
  Value low = slice(b, loc, table, 0, 8), high = slice(b, loc, table, 8, 8);
  Value result = vectorSplat(b, loc, f32x16, 0.0);
  for (int64_t half = 0; half < 2; ++half) {
    Value index = slice(b, loc, indices, 8 * half, 8);
    Value fromLow = callIntrinsic(b, loc, f32x8, "llvm.x86.avx2.permps", {low, index});
    Value fromHigh = callIntrinsic(b, loc, f32x8, "llvm.x86.avx2.permps", {high, index});
    Value bit3 = arith::AndIOp::create(b, loc, index, vectorSplatInt(b, loc, i32x8, 8));
    Value useHigh = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, bit3,
                                          vectorSplatInt(b, loc, i32x8, 0));
    Value picked = arith::SelectOp::create(b, loc, useHigh, fromHigh, fromLow);
    result = vector::InsertStridedSliceOp::create(b, loc, picked, result, ArrayRef<int64_t>{8 * half},
                                                  ArrayRef<int64_t>{1});
  }
  return result;
}

Value qopt::dotProduct4(OpBuilder &b, Location loc, const CpuIsa &isa, Value acc, Value a, Value bValues) {
  auto i32x16 = VectorType::get({16}, b.getI32Type());
  if (isa.vnni) // LLVM 22 types its operands <64 x i8>
    return callIntrinsic(b, loc, i32x16, "llvm.x86.avx512.vpdpbusd.512", {acc, a, bValues});
  // Without VNNI: widen the bytes to i32, multiply, add each lane's four.
  auto i32x64 = VectorType::get({64}, b.getI32Type());
  Value wideA = arith::ExtUIOp::create(b, loc, i32x64, a);
  Value wideB = arith::ExtSIOp::create(b, loc, i32x64, bValues);
  Value products = arith::MulIOp::create(b, loc, wideA, wideB);
  for (int64_t i = 0; i < 4; ++i) {
    SmallVector<int64_t> lanes;
    for (int64_t j = 0; j < 16; ++j)
      lanes.push_back(4 * j + i);
    acc = arith::AddIOp::create(b, loc, acc, vector::ShuffleOp::create(b, loc, products, products, lanes));
  }
  return acc;
}
