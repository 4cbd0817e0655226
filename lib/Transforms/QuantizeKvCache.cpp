//===- QuantizeKvCache.cpp - KV-cache storage formats and R3 --------------===//
//
// A decoder step reads its past keys and values as function arguments
// [1, heads, slots, head_size] and appends the step's new entries to them
// (present = concat(past, new) along the slots). The generator that runs
// the step keeps the cache between steps in the format this pass gives the
// arguments: f16, or KIVI-style asymmetric int8 / int4 codes with scales
// and offsets (keys per channel over slot groups, values per slot over
// channel groups), dequantized by one generic at the top of the function.
//
// R3 (QuaRot's online q/k rotation): the new keys are rotated by H (the
// orthonormal Hadamard matrix of size head_size) before they join the
// cache, and every contraction the cache reaches gets H on its other
// operand (the queries). The head_size dimension is followed from present
// to the contraction through reshapes, transposes and head repeats.
//
//===----------------------------------------------------------------------===//

#include "qopt/Transforms/Passes.h"

#include "qopt/Dialect/QoptOps.h"
#include "qopt/Support/Hadamard.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

namespace qopt {
#define GEN_PASS_DEF_QUANTIZEKVCACHE
#include "qopt/Transforms/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;

namespace {

constexpr llvm::StringLiteral kCacheRole = "qopt.kv_cache";
constexpr int32_t kOnnxFloat = 1, kOnnxUint8 = 2, kOnnxFloat16 = 10;

enum class CacheFormat { F32, F16, Int8, Int4 };

std::optional<CacheFormat> parseFormat(llvm::StringRef text) {
  return llvm::StringSwitch<std::optional<CacheFormat>>(text)
      .Case("f32", CacheFormat::F32)
      .Case("f16", CacheFormat::F16)
      .Case("int8", CacheFormat::Int8)
      .Case("int4", CacheFormat::Int4)
      .Default(std::nullopt);
}

/// One marked argument: the past of one layer's keys or values.
struct CacheArgument {
  BlockArgument past;
  bool isKey;
  int64_t heads, slots, headSize;
};

/// present = concat(past, fresh) along the slots: the importer's
/// insert_slice pair (past at 0, fresh after it) or a tensor.concat.
struct CacheConcat {
  Value fresh, present;
  /// Where `fresh` is read, to rotate it in place.
  OpOperand *freshUse;
};

FailureOr<CacheConcat> matchConcat(BlockArgument past) {
  if (!past.hasOneUse())
    return failure();
  Operation *user = *past.getUsers().begin();
  if (auto concat = dyn_cast<tensor::ConcatOp>(user)) {
    if (concat.getDim() != 2 || concat.getInputs().size() != 2 || concat.getInputs()[0] != past)
      return failure();
    return CacheConcat{concat.getInputs()[1], concat.getResult(), &concat->getOpOperand(1)};
  }
  auto first = dyn_cast<tensor::InsertSliceOp>(user);
  if (!first || first.getSource() != past || !first.getResult().hasOneUse())
    return failure();
  auto second = dyn_cast<tensor::InsertSliceOp>(*first.getResult().getUsers().begin());
  if (!second || second.getDest() != first.getResult())
    return failure();
  return CacheConcat{second.getSource(), second.getResult(), &second.getSourceMutable()};
}

/// x ↦ H·x along the last dimension of `value` where `use` reads it.
void rotateAt(OpOperand &use, int64_t size) {
  OpBuilder builder(use.getOwner());
  Value value = use.get();
  Value rotated = HadamardOp::create(builder, use.getOwner()->getLoc(), value.getType(), value,
                                     builder.getI64IntegerAttr(size));
  use.set(rotated);
}

/// The reassociation group of `reassociation` that holds `dim` (a dim of
/// the expanded side).
std::optional<unsigned> groupOf(ArrayRef<ReassociationIndices> reassociation, int64_t dim) {
  for (auto [index, group] : llvm::enumerate(reassociation))
    if (llvm::is_contained(group, dim))
      return unsigned(index);
  return std::nullopt;
}

/// Where the head_size channels are in a value on the path from present:
/// dimension `dim`, which is those channels (`whole`) or, after a reshape
/// merged it with outer dimensions, a multiple of them innermost.
struct ChannelPosition {
  Value value;
  int64_t dim;
  bool whole;
};

/// R3 on the queries: follows the head_size dimension of the cached keys
/// from `present` to every contraction they reach and rotates the
/// contraction's other operand. Fails at an op it cannot follow.
LogicalResult rotateQueries(Value present, int64_t headSize, int &rotated) {
  SmallVector<ChannelPosition> worklist = {{present, 3, true}};
  while (!worklist.empty()) {
    auto [value, dim, whole] = worklist.pop_back_val();
    for (OpOperand &use : llvm::make_early_inc_range(value.getUses())) {
      Operation *user = use.getOwner();
      auto unsupported = [&](const Twine &why) {
        return user->emitOpError() << "qopt-quantize-kv-cache: R3 follows the cached keys' " << headSize
                                   << " channels to the products with the queries, but " << why;
      };
      if (isa<func::ReturnOp>(user))
        continue;
      if (auto expand = dyn_cast<tensor::ExpandShapeOp>(user)) {
        // The channels stay innermost: the group's last non-unit dimension.
        ArrayRef<int64_t> shape = expand.getResultType().getShape();
        ReassociationIndices group = expand.getReassociationIndices()[dim];
        auto last = llvm::find_if(llvm::reverse(group), [&](int64_t d) { return shape[d] != 1; });
        int64_t target = last == llvm::reverse(group).end() ? group.back() : *last;
        if (shape[target] % headSize)
          return unsupported("a reshape splits them");
        worklist.push_back({expand.getResult(), target, shape[target] == headSize});
        continue;
      }
      if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(user)) {
        // Merging outer dimensions into them keeps them innermost.
        std::optional<unsigned> group = groupOf(collapse.getReassociationIndices(), dim);
        ArrayRef<int64_t> shape = collapse.getSrcType().getShape();
        ReassociationIndices members = collapse.getReassociationIndices()[*group];
        bool innermost = llvm::all_of(members, [&](int64_t d) { return d <= dim || shape[d] == 1; });
        if (!innermost)
          return unsupported("a reshape merges them with an inner dimension");
        worklist.push_back({collapse.getResult(), *group, collapse.getResultType().getDimSize(*group) == headSize});
        continue;
      }
      if (!whole)
        return unsupported("an op reads them merged with other dimensions");
      if (auto transpose = dyn_cast<linalg::TransposeOp>(user)) {
        auto position = llvm::find(transpose.getPermutation(), dim);
        worklist.push_back({transpose->getResult(0), position - transpose.getPermutation().begin(), true});
        continue;
      }
      auto linalgOp = dyn_cast<linalg::LinalgOp>(user);
      if (!linalgOp || !linalgOp.isDpsInput(&use))
        return unsupported("an op other than a reshape, transpose, head repeat or product reads them");
      auto loop = dyn_cast<AffineDimExpr>(linalgOp.getMatchingIndexingMap(&use).getResult(dim));
      if (!loop)
        return unsupported("an op reads them through a non-trivial index");
      unsigned loopDim = loop.getPosition();
      if (linalg::isaContractionOpInterface(linalgOp) && linalgOp.getNumDpsInputs() == 2) {
        if (linalgOp.getIteratorTypesArray()[loopDim] != utils::IteratorType::reduction)
          return unsupported("a product does not sum over them");
        OpOperand *query = linalgOp.getDpsInputOperand(use.getOperandNumber() == 0 ? 1 : 0);
        AffineMap map = linalgOp.getMatchingIndexingMap(query);
        if (map.getNumResults() == 0 || map.getResults().back() != getAffineDimExpr(loopDim, map.getContext()))
          return unsupported("the queries are not summed over their last dimension");
        rotateAt(*query, headSize);
        ++rotated;
        continue;
      }
      // A copy that repeats heads (GQA) or otherwise broadcasts: the body
      // yields its only input.
      auto generic = dyn_cast<linalg::GenericOp>(user);
      Block &body = generic ? generic.getRegion().front() : *user->getBlock();
      if (!generic || generic.getNumDpsInputs() != 1 || generic->getNumResults() != 1 ||
          body.getTerminator()->getOperand(0) != body.getArgument(0))
        return unsupported("an op other than a reshape, transpose, head repeat or product reads them");
      AffineMap output = generic.getIndexingMapsArray().back();
      std::optional<unsigned> position = output.getResultPosition(loop);
      if (!position)
        return unsupported("a copy drops them");
      worklist.push_back({generic->getResult(0), *position, true});
    }
  }
  return success();
}

/// Scales and offsets of one quantized argument: [1, heads, slots/group,
/// head_size] for keys, [1, heads, slots, head_size/valueGroup] for values.
SmallVector<int64_t> getScaleShape(const CacheArgument &cache, int64_t group, int64_t valueGroup) {
  if (cache.isKey)
    return {1, cache.heads, cache.slots / group, cache.headSize};
  return {1, cache.heads, cache.slots, cache.headSize / valueGroup};
}

Value expandTo(OpBuilder &builder, Location loc, Value value, ArrayRef<int64_t> shape,
               ArrayRef<ReassociationIndices> reassociation) {
  auto type = RankedTensorType::get(shape, cast<RankedTensorType>(value.getType()).getElementType());
  return tensor::ExpandShapeOp::create(builder, loc, type, value, reassociation);
}

/// The f32 cache from codes, scales and offsets (formats in the pass
/// description). Iteration spaces, P = codes per byte, Dp = head_size / P:
///   keys   (b, h, slot group, slot in group, plane, channel) over
///          [1, H, S/G, G, P, Dp]: codes (b, h, sg, s, c), scales (b, h, sg, p, c)
///   values (b, h, slot, plane, group, channel in group) over
///          [1, H, S, P, Dp/Gv, Gv]: codes (b, h, s, g, c), scales (b, h, s, p, g)
Value buildDequantization(OpBuilder &builder, Location loc, const CacheArgument &cache, Value codes,
                          Value scales, Value offsets, int64_t group, int64_t valueGroup, int64_t planes) {
  MLIRContext *context = builder.getContext();
  const int64_t heads = cache.heads, slots = cache.slots, channels = cache.headSize / planes;
  SmallVector<int64_t> domain, codeShape, scaleShape;
  SmallVector<ReassociationIndices> codeGroups, scaleGroups, outputGroups;
  SmallVector<unsigned> codeDims, scaleDims;
  unsigned planeDim;
  if (cache.isKey) {
    domain = {1, heads, slots / group, group, planes, channels};
    codeShape = {1, heads, slots / group, group, channels};
    codeGroups = {{0}, {1}, {2, 3}, {4}};
    codeDims = {0, 1, 2, 3, 5};
    scaleShape = {1, heads, slots / group, planes, channels};
    scaleGroups = {{0}, {1}, {2}, {3, 4}};
    scaleDims = {0, 1, 2, 4, 5};
    outputGroups = {{0}, {1}, {2, 3}, {4, 5}};
    planeDim = 4;
  } else {
    domain = {1, heads, slots, planes, channels / valueGroup, valueGroup};
    codeShape = {1, heads, slots, channels / valueGroup, valueGroup};
    codeGroups = {{0}, {1}, {2}, {3, 4}};
    codeDims = {0, 1, 2, 4, 5};
    scaleShape = {1, heads, slots, planes, channels / valueGroup};
    scaleGroups = {{0}, {1}, {2}, {3, 4}};
    scaleDims = {0, 1, 2, 3, 4};
    outputGroups = {{0}, {1}, {2}, {3, 4, 5}};
    planeDim = 3;
  }
  auto project = [&](ArrayRef<unsigned> dims) {
    SmallVector<AffineExpr> results;
    for (unsigned d : dims)
      results.push_back(getAffineDimExpr(d, context));
    return AffineMap::get(domain.size(), 0, results, context);
  };
  Value codeView = expandTo(builder, loc, codes, codeShape, codeGroups);
  Value scaleView = expandTo(builder, loc, scales, scaleShape, scaleGroups);
  Value offsetView = expandTo(builder, loc, offsets, scaleShape, scaleGroups);
  Type f32 = builder.getF32Type(), i32 = builder.getI32Type();
  Value init = tensor::EmptyOp::create(builder, loc, domain, f32);
  SmallVector<AffineMap> maps = {project(codeDims), project(scaleDims), project(scaleDims),
                                 AffineMap::getMultiDimIdentityMap(domain.size(), context)};
  SmallVector<utils::IteratorType> iterators(domain.size(), utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      builder, loc, init.getType(), ValueRange{codeView, scaleView, offsetView}, ValueRange{init}, maps, iterators,
      [&](OpBuilder &b, Location l, ValueRange args) {
        Value code = arith::ExtUIOp::create(b, l, i32, args[0]);
        if (planes == 2) {
          // Plane p of byte c: (c >> 4p) & 15.
          Value plane = arith::IndexCastOp::create(b, l, i32, linalg::IndexOp::create(b, l, planeDim));
          Value shift = arith::MulIOp::create(b, l, plane, arith::ConstantIntOp::create(b, l, i32, 4));
          code = arith::AndIOp::create(b, l, arith::ShRUIOp::create(b, l, code, shift),
                                       arith::ConstantIntOp::create(b, l, i32, 15));
        }
        Value value = arith::UIToFPOp::create(b, l, f32, code);
        value = arith::AddFOp::create(b, l, arith::MulFOp::create(b, l, value, args[1]), args[2]);
        linalg::YieldOp::create(b, l, value);
      });
  auto resultType = RankedTensorType::get({1, heads, slots, cache.headSize}, f32);
  return tensor::CollapseShapeOp::create(builder, loc, resultType, generic.getResult(0), outputGroups);
}

struct QuantizeKvCachePass : qopt::impl::QuantizeKvCacheBase<QuantizeKvCachePass> {
  using QuantizeKvCacheBase::QuantizeKvCacheBase;

  void runOnOperation() override {
    std::optional<CacheFormat> cacheFormat = parseFormat(format);
    if (!cacheFormat) {
      getOperation()->emitError() << "qopt-quantize-kv-cache: format '" << format
                                  << "' is not one of f32, f16, int8, int4";
      return signalPassFailure();
    }
    getOperation()->walk([&](func::FuncOp function) {
      if (failed(convertFunction(function, *cacheFormat)))
        signalPassFailure();
    });
  }

  LogicalResult convertFunction(func::FuncOp function, CacheFormat cacheFormat) {
    SmallVector<CacheArgument> caches;
    for (BlockArgument argument : function.getArguments()) {
      auto role = function.getArgAttrOfType<StringAttr>(argument.getArgNumber(), kCacheRole);
      if (!role)
        continue;
      auto type = dyn_cast<RankedTensorType>(argument.getType());
      if ((role.getValue() != "key" && role.getValue() != "value") || !type || type.getRank() != 4 ||
          !type.hasStaticShape() || type.getDimSize(0) != 1 || !type.getElementType().isF32())
        return function.emitOpError() << "qopt-quantize-kv-cache: argument " << argument.getArgNumber()
                                      << " is marked " << kCacheRole << " but is not a key or value cache "
                                      << "tensor<1 x heads x slots x head_size x f32>";
      caches.push_back({argument, role.getValue() == "key", type.getDimSize(1), type.getDimSize(2),
                        type.getDimSize(3)});
    }
    if (hadamard)
      for (const CacheArgument &cache : caches) {
        if (!cache.isKey)
          continue;
        FailureOr<CacheConcat> concat = matchConcat(cache.past);
        if (failed(concat))
          return function.emitOpError() << "qopt-quantize-kv-cache: argument " << cache.past.getArgNumber()
                                        << " (keys) is not concatenated with the step's new keys into present";
        if (!factorHadamard(cache.headSize))
          return function.emitOpError() << "qopt-quantize-kv-cache: R3 on " << cache.headSize
                                        << "-channel heads: " << explainNoHadamard(cache.headSize);
        int rotated = 0;
        if (failed(rotateQueries(concat->present, cache.headSize, rotated)))
          return failure();
        if (rotated == 0)
          return function.emitOpError() << "qopt-quantize-kv-cache: argument " << cache.past.getArgNumber()
                                        << " (keys) reaches no product with queries";
        rotateAt(*concat->freshUse, cache.headSize);
        numRotated += rotated;
      }
    for (const CacheArgument &cache : caches) {
      if (failed(convertStorage(function, cache, cacheFormat)))
        return failure();
      function.removeArgAttr(cache.past.getArgNumber(), kCacheRole);
    }
    return success();
  }

  LogicalResult convertStorage(func::FuncOp function, CacheArgument cache, CacheFormat cacheFormat) {
    if (cacheFormat == CacheFormat::F32)
      return success();
    const unsigned index = cache.past.getArgNumber();
    const int64_t planes = cacheFormat == CacheFormat::Int4 ? 2 : 1;
    const int64_t valueGroup = std::min<int64_t>(group, cache.headSize / 2);
    if (cacheFormat != CacheFormat::F16) {
      if (group < 1 || cache.slots % group)
        return function.emitOpError() << "qopt-quantize-kv-cache: " << cache.slots
                                      << " cache slots are not whole groups of " << int64_t(group);
      if (cache.headSize % planes || valueGroup < 1 || (cache.headSize / planes) % valueGroup)
        return function.emitOpError() << "qopt-quantize-kv-cache: " << cache.headSize
                                      << "-channel heads do not split into value groups of " << valueGroup;
    }
    OpBuilder builder(function.getBody());
    builder.setInsertionPointToStart(&function.getBody().front());
    Location loc = cache.past.getLoc();
    Type f32 = builder.getF32Type();
    SmallVector<int64_t> shape = {1, cache.heads, cache.slots, cache.headSize};
    Value dequantized;
    if (cacheFormat == CacheFormat::F16) {
      cache.past.setType(RankedTensorType::get(shape, builder.getF16Type()));
      Value init = tensor::EmptyOp::create(builder, loc, shape, f32);
      auto identity = AffineMap::getMultiDimIdentityMap(4, builder.getContext());
      dequantized = linalg::GenericOp::create(
                        builder, loc, init.getType(), ValueRange{cache.past}, ValueRange{init},
                        SmallVector<AffineMap>{identity, identity},
                        SmallVector<utils::IteratorType>(4, utils::IteratorType::parallel),
                        [&](OpBuilder &b, Location l, ValueRange args) {
                          linalg::YieldOp::create(b, l, arith::ExtFOp::create(b, l, f32, args[0]).getResult());
                        })
                        .getResult(0);
      function.setArgAttr(index, "onnx.element_type", builder.getI32IntegerAttr(kOnnxFloat16));
    } else {
      shape.back() /= planes;
      cache.past.setType(RankedTensorType::get(shape, builder.getI8Type()));
      function.setArgAttr(index, "onnx.element_type", builder.getI32IntegerAttr(kOnnxUint8));
      auto name = function.getArgAttrOfType<StringAttr>(index, "onnx.name");
      std::string base = name ? name.str() : "past" + std::to_string(index);
      auto scaleType = RankedTensorType::get(getScaleShape(cache, group, valueGroup), f32);
      SmallVector<Value, 2> parameters;
      for (llvm::StringRef suffix : {".scale", ".offset"}) {
        NamedAttribute attributes[] = {
            builder.getNamedAttr("onnx.name", builder.getStringAttr(base + suffix.str())),
            builder.getNamedAttr("onnx.element_type", builder.getI32IntegerAttr(kOnnxFloat))};
        unsigned position = function.getNumArguments();
        if (failed(function.insertArgument(position, scaleType, builder.getDictionaryAttr(attributes), loc)))
          return failure();
        parameters.push_back(function.getArgument(position));
      }
      dequantized = buildDequantization(builder, loc, cache, cache.past, parameters[0], parameters[1], group,
                                        valueGroup, planes);
    }
    cache.past.replaceAllUsesExcept(dequantized, getUsersWithin(cache.past, dequantized));
    function.setType(builder.getFunctionType(function.getBody().front().getArgumentTypes(),
                                             function.getFunctionType().getResults()));
    ++numConverted;
    return success();
  }

  /// The ops of the dequantization of `past` (built above its other
  /// readers, at the top of the function) that read it.
  static SmallPtrSet<Operation *, 2> getUsersWithin(Value past, Value dequantized) {
    SmallPtrSet<Operation *, 2> users;
    for (Operation *user : past.getUsers())
      if (user->isBeforeInBlock(dequantized.getDefiningOp()) || user == dequantized.getDefiningOp())
        users.insert(user);
    return users;
  }
};

} // namespace
