//===- KernelConfig.cpp - Declared qopt.qlinear kernels -------------------===//

#include "KernelConfig.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinTypes.h"

#include <atomic>

using namespace mlir;
using namespace qopt;

FailureOr<QLinearKernelConfig> qopt::readKernelConfig(func::FuncOp kernel) {
  auto dict = kernel->getAttrOfType<DictionaryAttr>(kKernelConfigAttrName);
  if (!dict)
    return failure();
  auto layout = dict.getAs<PackedLayoutAttr>("layout");
  auto format = dict.getAs<FormatAttr>("format");
  auto group = dict.getAs<IntegerAttr>("group");
  auto hasZeros = dict.getAs<BoolAttr>("has_zeros");
  auto hasBias = dict.getAs<BoolAttr>("has_bias");
  if (!layout || !format || !group || !hasZeros || !hasBias)
    return kernel.emitOpError("kernel configuration is incomplete: ") << dict, failure();
  QLinearKernelConfig config{layout.getValue(), format.getValue(), dict.getAs<ActQuantAttr>("act"),
                             PanelLayout{}, 0, false, false, false, false, Type()};
  config.hasZeros = hasZeros.getValue();
  config.hasBias = hasBias.getValue();
  auto flag = [&](StringRef name) {
    auto attr = dict.getAs<BoolAttr>(name);
    return attr && attr.getValue();
  };
  config.hasCodebook = flag("has_codebook");
  config.hasOutliers = flag("has_outliers");
  ArrayRef<Type> inputs = kernel.getArgumentTypes();
  size_t expected = 4 + config.hasZeros + config.hasCodebook + config.hasBias + 3 * config.hasOutliers;
  if (inputs.size() != expected)
    return kernel.emitOpError() << "expects " << expected << " buffer arguments", failure();
  auto x = cast<MemRefType>(inputs[0]);
  auto out = cast<MemRefType>(inputs.back());
  config.m = x.getDimSize(0);
  config.panels.dotProduct = config.layout == PackedLayout::panel16_dot;
  config.panels.bits = config.format.getCodeBits();
  config.panels.k = x.getDimSize(1);
  config.panels.n = out.getDimSize(1);
  config.panels.group = group.getInt();
  config.scaleType = cast<MemRefType>(inputs[2]).getElementType();
  return config;
}

QLinearKernelArgs qopt::getKernelArgs(const QLinearKernelConfig &config, ValueRange arguments) {
  QLinearKernelArgs args;
  unsigned next = 0;
  args.x = arguments[next++];
  args.packed = arguments[next++];
  args.scales = arguments[next++];
  if (config.hasZeros)
    args.zeros = arguments[next++];
  if (config.hasCodebook)
    args.codebook = arguments[next++];
  if (config.hasBias)
    args.bias = arguments[next++];
  if (config.hasOutliers) {
    args.outlierRowPtr = arguments[next++];
    args.outlierCols = arguments[next++];
    args.outlierValues = arguments[next++];
  }
  args.out = arguments[next++];
  return args;
}

LogicalResult qopt::defineMarkedKernels(ModuleOp module, StringRef configAttrName,
                                        llvm::function_ref<LogicalResult(OpBuilder &, func::FuncOp)> build) {
  for (auto kernel : llvm::make_early_inc_range(module.getOps<func::FuncOp>())) {
    if (!kernel->hasAttr(configAttrName) || !kernel.isExternal())
      continue;
    OpBuilder b = OpBuilder::atBlockEnd(kernel.addEntryBlock());
    if (failed(build(b, kernel)))
      return failure();
    func::ReturnOp::create(b, kernel.getLoc());
    kernel->removeAttr(configAttrName);
  }
  return success();
}

LogicalResult qopt::defineDeclaredKernels(ModuleOp module, ArrayRef<PackedLayout> layouts, StringRef otherTarget,
                                          KernelBodyBuilder build) {
  return defineMarkedKernels(module, kKernelConfigAttrName, [&](OpBuilder &b, func::FuncOp kernel) -> LogicalResult {
    FailureOr<QLinearKernelConfig> config = readKernelConfig(kernel);
    if (failed(config))
      return failure();
    if (!llvm::is_contained(layouts, config->layout))
      return kernel.emitOpError("declares a ")
             << stringifyPackedLayout(config->layout) << " kernel, which only " << otherTarget;
    return build(b, kernel, *config, getKernelArgs(*config, kernel.getArguments()));
  });
}

std::string qopt::sanitizeSymbol(StringRef text) {
  std::string result;
  for (char c : text)
    result += llvm::isAlnum(c) ? c : '_';
  return result;
}

/// The kernel function `baseName` for `config` and `argumentTypes`: an
/// existing one with the same configuration, or a new declaration (the
/// name suffixed until unique).
static func::FuncOp getOrDeclareKernel(OpBuilder &builder, ModuleOp module, StringRef baseName,
                                       StringRef configAttrName, DictionaryAttr config,
                                       TypeRange argumentTypes) {
  auto type = builder.getFunctionType(argumentTypes, {});
  std::string name = baseName.str();
  for (unsigned suffix = 1;; ++suffix) {
    auto existing = module.lookupSymbol<func::FuncOp>(name);
    if (!existing)
      break;
    if (existing->getAttr(configAttrName) == config && existing.getFunctionType() == type)
      return existing;
    name = baseName.str() + "_" + std::to_string(suffix);
  }
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(module.getBody());
  auto kernel = func::FuncOp::create(builder, module.getLoc(), name, type);
  kernel.setPrivate();
  kernel->setAttr(configAttrName, config);
  return kernel;
}

Value qopt::buildKernelCall(OpBuilder &builder, Location loc, StringRef baseName, StringRef configAttrName,
                            DictionaryAttr config, ValueRange tensors, RankedTensorType resultType) {
  // Each call reads its operands through its own to_buffer ops, right before
  // it: one-shot bufferization takes a to_buffer as the tensor's last read,
  // and may let a later op overwrite the buffer in place after it. Were CSE
  // to merge the to_buffer ops of two calls of one tensor (the q, k and v
  // projections of one normalized input), the second call would read the
  // buffer after that overwrite. A distinct attribute per call keeps them
  // apart.
  static std::atomic<int64_t> nextCall{0};
  IntegerAttr call = builder.getI64IntegerAttr(nextCall++);
  SmallVector<Value> buffers;
  for (Value tensor : tensors) {
    auto type = cast<RankedTensorType>(tensor.getType());
    auto buffer = bufferization::ToBufferOp::create(builder, loc, MemRefType::get(type.getShape(), type.getElementType()),
                                                    tensor, /*read_only=*/builder.getUnitAttr());
    buffer->setAttr("qopt.kernel_call", call);
    buffers.push_back(buffer);
  }
  auto outType = MemRefType::get(resultType.getShape(), resultType.getElementType());
  Value out = memref::AllocOp::create(builder, loc, outType, builder.getI64IntegerAttr(64));
  buffers.push_back(out);
  SmallVector<Type> bufferTypes = llvm::map_to_vector(buffers, [](Value v) { return v.getType(); });
  auto module = builder.getInsertionBlock()->getParentOp()->getParentOfType<ModuleOp>();
  func::FuncOp kernel = getOrDeclareKernel(builder, module, baseName, configAttrName, config, bufferTypes);
  func::CallOp::create(builder, loc, kernel, buffers);
  return bufferization::ToTensorOp::create(builder, loc, resultType, out, /*restrict=*/true, /*writable=*/true);
}

Value qopt::indexConstant(OpBuilder &b, Location loc, int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}

Value qopt::vectorSplat(OpBuilder &b, Location loc, VectorType type, double value) {
  return arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(type, b.getFloatAttr(type.getElementType(), value)));
}

Value qopt::vectorSplatInt(OpBuilder &b, Location loc, VectorType type, int64_t value) {
  return arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(type, b.getIntegerAttr(type.getElementType(), value)));
}
