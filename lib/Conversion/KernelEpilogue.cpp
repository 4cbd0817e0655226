//===- KernelEpilogue.cpp - Elementwise functions fused into kernels ------===//

#include "KernelEpilogue.h"

#include "CpuKernels.h"

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
  return function->hasAttr(kEpilogueFunctionAttrName) && !function.isExternal() && type.getNumInputs() >= 1 &&
         llvm::all_of(type.getInputs(), [&](Type input) { return input == f32; }) && type.getNumResults() == 1 &&
         type.getResult(0) == f32;
}

} // namespace

unsigned KernelEpilogue::getNumOperands() const {
  return function ? func::FuncOp(function).getFunctionType().getNumInputs() - 1 : 0;
}

std::optional<SmallVector<Type>> KernelEpilogue::withoutOperands(TypeRange arguments) const {
  const unsigned count = getNumOperands();
  if (arguments.size() < count + 1)
    return std::nullopt;
  SmallVector<Type> kept(arguments.drop_back(count + 1));
  for (Type operand : arguments.drop_back().take_back(count))
    if (operand != arguments.back())
      return std::nullopt;
  kept.push_back(arguments.back());
  return kept;
}

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

Value KernelEpilogue::applyAt(OpBuilder &b, Location loc, Value value, ValueRange operandBuffers,
                              ValueRange indices, int64_t lanes) const {
  if (!function)
    return value;
  SmallVector<Value> operands;
  for (Value buffer : operandBuffers)
    operands.push_back(loadStridedRow16(b, loc, buffer, indices, /*stride=*/1, lanes));
  return apply(b, loc, value, operands);
}

Value KernelEpilogue::apply(OpBuilder &b, Location loc, Value value, ValueRange operands) const {
  if (!function)
    return value;
  auto vectorType = dyn_cast<VectorType>(value.getType());
  auto lift = [&](Type scalar) -> Type {
    return vectorType ? VectorType::get(vectorType.getShape(), scalar) : scalar;
  };
  Block &body = func::FuncOp(function).getBody().front();
  IRMapping mapping;
  mapping.map(body.getArgument(0), value);
  for (auto [argument, operand] : llvm::zip_equal(body.getArguments().drop_front(), operands))
    mapping.map(argument, operand);
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
  if (!generic || generic.getNumDpsInits() != 1 || generic->getNumResults() != 1 ||
      generic.getNumReductionLoops() != 0 ||
      !llvm::all_of(generic.getIndexingMapsArray(), [](AffineMap map) { return map.isIdentity(); }) ||
      generic.getResult(0).getType() != result.getType() ||
      !llvm::all_of(generic.getDpsInputs(), [&](Value input) { return input.getType() == result.getType(); }) ||
      llvm::count(generic.getDpsInputs(), result) != 1)
    return nullptr;
  auto resultType = dyn_cast<RankedTensorType>(result.getType());
  Block &body = generic.getRegion().front();
  if (!resultType || !resultType.getElementType().isF32() || !body.getArguments().back().use_empty())
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

FusedEpilogue qopt::declareEpilogue(RewriterBase &rewriter, linalg::GenericOp reader, Value result) {
  auto module = reader->getParentOfType<ModuleOp>();
  Location loc = reader.getLoc();
  // The result first, then the other inputs in order.
  Block &body = reader.getRegion().front();
  SmallVector<BlockArgument> arguments;
  FusedEpilogue fused;
  for (OpOperand *input : reader.getDpsInputOperands())
    if (input->get() == result)
      arguments.insert(arguments.begin(), body.getArgument(input->getOperandNumber()));
    else {
      arguments.push_back(body.getArgument(input->getOperandNumber()));
      fused.operands.push_back(input->get());
    }

  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointToStart(module.getBody());
  Type f32 = rewriter.getF32Type();
  std::string name = "qopt_epilogue";
  for (unsigned suffix = 0; module.lookupSymbol(name); ++suffix)
    name = "qopt_epilogue_" + std::to_string(suffix);
  SmallVector<Type> inputs(arguments.size(), f32);
  auto function = func::FuncOp::create(rewriter, loc, name, rewriter.getFunctionType(inputs, {f32}));
  function.setPrivate();
  function->setAttr(kEpilogueFunctionAttrName, rewriter.getUnitAttr());

  // The body, with the constants it captures copied in.
  rewriter.setInsertionPointToStart(function.addEntryBlock());
  IRMapping mapping;
  for (auto [argument, parameter] : llvm::zip_equal(arguments, function.getArguments()))
    mapping.map(argument, parameter);
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
  fused.epilogue = KernelEpilogue(function);
  for (auto existing : module.getOps<func::FuncOp>())
    if (existing != function && isEpilogueFunction(existing) &&
        existing.getFunctionType() == function.getFunctionType() &&
        OperationEquivalence::isRegionEquivalentTo(&existing.getBody(), &function.getBody(),
                                                   OperationEquivalence::IgnoreLocations)) {
      rewriter.eraseOp(function);
      fused.epilogue = KernelEpilogue(existing);
      break;
    }
  return fused;
}

void qopt::eraseEpilogueFunctions(ModuleOp module) {
  for (auto function : llvm::make_early_inc_range(module.getOps<func::FuncOp>()))
    if (function->hasAttr(kEpilogueFunctionAttrName))
      function.erase();
}
