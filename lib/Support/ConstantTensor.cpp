//===- ConstantTensor.cpp - Reading and making constant tensors -----------===//

#include "qopt/Support/ConstantTensor.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/Value.h"

#include <cstring>

using namespace mlir;

ElementsAttr qopt::getConstantTensor(Value value) {
  ElementsAttr attr;
  if (value && matchPattern(value, m_Constant(&attr)))
    return attr;
  return {};
}

bool qopt::isZeroConstant(Value value) {
  ElementsAttr attr = getConstantTensor(value);
  if (!attr)
    return matchPattern(value, m_AnyZeroFloat()) || matchPattern(value, m_Zero());
  auto dense = dyn_cast<DenseElementsAttr>(attr);
  if (!dense || !dense.isSplat())
    return false;
  Attribute splat = dense.getSplatValue<Attribute>();
  if (auto f = dyn_cast<FloatAttr>(splat))
    return f.getValue().isZero();
  if (auto i = dyn_cast<IntegerAttr>(splat))
    return i.getValue().isZero();
  return false;
}

bool qopt::isZeroInitialized(Value init) {
  if (isZeroConstant(init))
    return true;
  auto fill = init.getDefiningOp<linalg::FillOp>();
  return fill && isZeroConstant(fill.getInputs()[0]);
}

/// Bytes per element, or 0 for sub-byte and non-scalar element types.
static unsigned getElementBytes(ShapedType type) {
  Type element = type.getElementType();
  if (!element.isIntOrIndexOrFloat() || element.isIndex())
    return 0;
  unsigned bits = element.getIntOrFloatBitWidth();
  return bits % 8 == 0 ? bits / 8 : 0;
}

std::optional<ArrayRef<char>> qopt::getConstantBytes(ElementsAttr attr) {
  auto type = cast<ShapedType>(attr.getType());
  unsigned elementBytes = getElementBytes(type);
  if (!elementBytes)
    return std::nullopt;
  ArrayRef<char> data;
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    if (dense.isSplat())
      return std::nullopt;
    data = dense.getRawData();
  } else if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return std::nullopt;
    data = blob->getData();
  } else {
    return std::nullopt;
  }
  if (data.size() != size_t(type.getNumElements()) * elementBytes)
    return std::nullopt;
  return data;
}

std::optional<std::vector<char>> qopt::copyConstantBytes(ElementsAttr attr) {
  if (std::optional<ArrayRef<char>> bytes = getConstantBytes(attr))
    return std::vector<char>(bytes->begin(), bytes->end());
  auto dense = dyn_cast<DenseElementsAttr>(attr);
  unsigned elementBytes = getElementBytes(cast<ShapedType>(attr.getType()));
  if (!dense || !dense.isSplat() || !elementBytes || dense.getRawData().size() < elementBytes)
    return std::nullopt;
  std::vector<char> bytes(size_t(dense.getNumElements()) * elementBytes);
  for (size_t i = 0; i < bytes.size(); i += elementBytes)
    std::memcpy(bytes.data() + i, dense.getRawData().data(), elementBytes);
  return bytes;
}

std::optional<std::vector<float>> qopt::readFloatConstant(ElementsAttr attr) {
  auto floatType = dyn_cast<FloatType>(cast<ShapedType>(attr.getType()).getElementType());
  if (!floatType)
    return std::nullopt;
  std::optional<std::vector<char>> bytes = copyConstantBytes(attr);
  if (!bytes)
    return std::nullopt;
  unsigned width = floatType.getWidth();
  size_t count = bytes->size() / (width / 8);
  std::vector<float> values(count);
  if (floatType.isF32()) {
    std::memcpy(values.data(), bytes->data(), bytes->size());
    return values;
  }
  for (size_t i = 0; i < count; ++i) {
    uint64_t bits = 0;
    std::memcpy(&bits, bytes->data() + i * (width / 8), width / 8);
    APFloat value(floatType.getFloatSemantics(), APInt(width, bits));
    bool lost;
    value.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
    values[i] = value.convertToFloat();
  }
  return values;
}

ElementsAttr qopt::reshapeConstant(ElementsAttr attr, ShapedType newType) {
  if (auto dense = dyn_cast<DenseElementsAttr>(attr))
    return dense.reshape(newType);
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr))
    return DenseResourceElementsAttr::get(newType, resource.getRawHandle());
  return {};
}

ElementsAttr qopt::transposeConstant2D(ElementsAttr attr, StringRef blobName) {
  auto type = cast<ShapedType>(attr.getType());
  if (type.getRank() != 2)
    return {};
  auto transposedType =
      type.clone(SmallVector<int64_t>{type.getDimSize(1), type.getDimSize(0)});
  if (auto dense = dyn_cast<DenseElementsAttr>(attr); dense && dense.isSplat())
    return dense.reshape(transposedType);
  std::optional<ArrayRef<char>> bytes = getConstantBytes(attr);
  if (!bytes)
    return {};
  const size_t elementBytes = getElementBytes(type);
  const int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  AsmResourceBlob blob = HeapAsmResourceBlob::allocate(bytes->size(), alignof(uint64_t));
  MutableArrayRef<char> out = blob.getMutableData();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      std::memcpy(out.data() + (c * rows + r) * elementBytes,
                  bytes->data() + (r * cols + c) * elementBytes, elementBytes);
  return DenseResourceElementsAttr::get(transposedType, blobName, std::move(blob));
}

mlir::Value qopt::createBlobConstant(mlir::OpBuilder &builder, mlir::Location loc,
                                     mlir::RankedTensorType type, llvm::ArrayRef<char> bytes,
                                     llvm::StringRef name) {
  mlir::ElementsAttr attr = mlir::DenseResourceElementsAttr::get(
      type, name, mlir::HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, alignof(uint64_t)));
  return mlir::arith::ConstantOp::create(builder, loc, mlir::cast<mlir::TypedAttr>(attr));
}
