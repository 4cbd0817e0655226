//===- KernelEpilogue.cpp - Elementwise functions fused into kernels ------===//

#include "KernelEpilogue.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;
using namespace qopt;

namespace {

bool isScalar(Type type) { return type.isIntOrFloat(); }

/// A scalar constant defined outside the body the generic's ops read.
bool isCapturedConstant(Value value) {
  return isScalar(value.getType()) && value.getDefiningOp<arith::ConstantOp>();
}

/// Whether `op` can be rebuilt on vectors lane by lane: an elementwise
/// arith or math op, or a scalar constant, of scalar types.
bool isVectorizableScalarOp(Operation &op) {
  if (!isa<arith::ArithDialect, math::MathDialect>(op.getDialect()) || op.getNumRegions() != 0)
    return false;
  if (!op.hasTrait<OpTrait::Elementwise>() && !isa<arith::ConstantOp>(op))
    return false;
  return llvm::all_of(op.getOperandTypes(), isScalar) && llvm::all_of(op.getResultTypes(), isScalar);
}

bool isEpilogueFunction(func::FuncOp function) {
  Type f32 = Float32Type::get(function.getContext());
  FunctionType type = function.getFunctionType();
  return function->hasAttr(kEpilogueFunctionAttrName) && !function.isExternal() && type.getNumInputs() == 1 &&
         type.getInput(0) == f32 && type.getNumResults() == 1 && type.getResult(0) == f32;
}

} // namespace

Attribute KernelEpilogue::toAttribute(MLIRContext *context) const {
  if (!function)
    return StringAttr::get(context, "none");
  return FlatSymbolRefAttr::get(context, func::FuncOp(function).getSymName());
}

std::optional<KernelEpilogue> KernelEpilogue::read(func::FuncOp kernel, DictionaryAttr dictionary) {
  Attribute entry = dictionary.get("epilogue");
  if (!entry)
    return KernelEpilogue();
  if (auto text = dyn_cast<StringAttr>(entry))
    return text.getValue() == "none" ? std::optional<KernelEpilogue>(KernelEpilogue()) : std::nullopt;
  auto symbol = dyn_cast<FlatSymbolRefAttr>(entry);
  if (!symbol)
    return std::nullopt;
  auto function = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(kernel, symbol);
  if (!function || !isEpilogueFunction(function))
    return std::nullopt;
  return KernelEpilogue(function);
}

Value KernelEpilogue::apply(OpBuilder &b, Location loc, Value value) const {
  if (!function)
    return value;
  auto vectorType = dyn_cast<VectorType>(value.getType());
  auto lift = [&](Type scalar) -> Type {
    return vectorType ? VectorType::get(vectorType.getShape(), scalar) : scalar;
  };
  Block &body = func::FuncOp(function).getBody().front();
  IRMapping mapping;
  mapping.map(body.getArgument(0), value);
  for (Operation &op : body.without_terminator()) {
    if (auto constant = dyn_cast<arith::ConstantOp>(op); constant && vectorType) {
      auto scalar = cast<TypedAttr>(constant.getValue());
      auto splat = DenseElementsAttr::get(cast<ShapedType>(lift(scalar.getType())), scalar);
      mapping.map(constant.getResult(), arith::ConstantOp::create(b, loc, splat).getResult());
      continue;
    }
    Operation *clone = b.clone(op, mapping);
    clone->setLoc(loc);
    for (OpResult result : clone->getResults())
      result.setType(lift(result.getType()));
  }
  return mapping.lookup(body.getTerminator()->getOperand(0));
}

linalg::GenericOp qopt::getEpilogueReader(Value result) {
  if (!result.hasOneUse())
    return nullptr;
  auto generic = dyn_cast<linalg::GenericOp>(*result.getUsers().begin());
  if (!generic || generic.getNumDpsInputs() != 1 || generic.getNumDpsInits() != 1 ||
      generic->getNumResults() != 1 || generic.getDpsInputOperand(0)->get() != result ||
      generic.getNumReductionLoops() != 0 ||
      !llvm::all_of(generic.getIndexingMapsArray(), [](AffineMap map) { return map.isIdentity(); }) ||
      generic.getResult(0).getType() != result.getType())
    return nullptr;
  auto resultType = dyn_cast<RankedTensorType>(result.getType());
  Block &body = generic.getRegion().front();
  if (!resultType || !resultType.getElementType().isF32() || !body.getArgument(1).use_empty())
    return nullptr;
  for (Operation &op : body.without_terminator()) {
    if (!isVectorizableScalarOp(op))
      return nullptr;
    for (Value operand : op.getOperands())
      if (operand.getParentBlock() != &body && !isCapturedConstant(operand))
        return nullptr;
  }
  Value yielded = body.getTerminator()->getOperand(0);
  if (yielded.getParentBlock() != &body && !isCapturedConstant(yielded))
    return nullptr;
  return generic;
}

KernelEpilogue qopt::declareEpilogue(RewriterBase &rewriter, linalg::GenericOp reader) {
  auto module = reader->getParentOfType<ModuleOp>();
  Location loc = reader.getLoc();
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointToStart(module.getBody());
  Type f32 = rewriter.getF32Type();
  std::string name = "qopt_epilogue";
  for (unsigned suffix = 0; module.lookupSymbol(name); ++suffix)
    name = "qopt_epilogue_" + std::to_string(suffix);
  auto function = func::FuncOp::create(rewriter, loc, name, rewriter.getFunctionType({f32}, {f32}));
  function.setPrivate();
  function->setAttr(kEpilogueFunctionAttrName, rewriter.getUnitAttr());

  // The body, with the constants it captures copied in.
  Block &body = reader.getRegion().front();
  rewriter.setInsertionPointToStart(function.addEntryBlock());
  IRMapping mapping;
  mapping.map(body.getArgument(0), function.getArgument(0));
  auto mapped = [&](Value value) {
    if (!mapping.contains(value) && value.getParentBlock() != &body)
      mapping.map(value, rewriter.clone(*value.getDefiningOp())->getResult(0));
    return mapping.lookup(value);
  };
  for (Operation &op : body.without_terminator()) {
    for (Value operand : op.getOperands())
      mapped(operand);
    rewriter.clone(op, mapping);
  }
  func::ReturnOp::create(rewriter, loc, mapped(body.getTerminator()->getOperand(0)));

  // One function per distinct body.
  for (auto existing : module.getOps<func::FuncOp>())
    if (existing != function && isEpilogueFunction(existing) &&
        OperationEquivalence::isRegionEquivalentTo(&existing.getBody(), &function.getBody(),
                                                   OperationEquivalence::IgnoreLocations)) {
      rewriter.eraseOp(function);
      return KernelEpilogue(existing);
    }
  return KernelEpilogue(function);
}

void qopt::eraseEpilogueFunctions(ModuleOp module) {
  for (auto function : llvm::make_early_inc_range(module.getOps<func::FuncOp>()))
    if (function->hasAttr(kEpilogueFunctionAttrName))
      function.erase();
}
