//===- NodeImporter.cpp - What an op importer sees of one node ------------===//

#include "NodeImporter.h"

#include "qopt/Support/ConstantTensor.h"

#include "onnx/onnx-ml.pb.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"

#include "llvm/Support/MathExtras.h"

#include <cstring>

using namespace mlir;
using namespace qopt;

Type qopt::convertOnnxElementType(int dataType, MLIRContext *context) {
  using T = onnx::TensorProto;
  Builder b(context);
  switch (dataType) {
  case T::FLOAT:
    return b.getF32Type();
  case T::DOUBLE:
    return b.getF64Type();
  case T::FLOAT16:
    return b.getF16Type();
  case T::BFLOAT16:
    return b.getBF16Type();
  case T::BOOL:
    return b.getI1Type();
  case T::INT8:
  case T::UINT8:
    return b.getIntegerType(8);
  case T::INT16:
  case T::UINT16:
    return b.getIntegerType(16);
  case T::INT32:
  case T::UINT32:
    return b.getIntegerType(32);
  case T::INT64:
  case T::UINT64:
    return b.getIntegerType(64);
  default:
    return {};
  }
}

bool qopt::isUnsignedOnnxType(int dataType) {
  using T = onnx::TensorProto;
  return dataType == T::UINT8 || dataType == T::UINT16 || dataType == T::UINT32 ||
         dataType == T::UINT64;
}

/// Tensors up to this many elements stay DenseElementsAttr so that shape
/// computations and folders can read them; larger ones become blobs.
static constexpr int64_t kMaxInlineElements = 64;

/// Row-major little-endian bytes of `tensor` for an element type of
/// `elementBytes` bytes, from raw_data or the typed repeated fields.
static std::optional<std::vector<char>> getTensorBytes(const onnx::TensorProto &tensor,
                                                       size_t elementBytes,
                                                       int64_t numElements) {
  using T = onnx::TensorProto;
  const size_t size = elementBytes * size_t(numElements);
  std::vector<char> bytes(size);
  if (tensor.has_raw_data()) {
    if (tensor.raw_data().size() != size)
      return std::nullopt;
    std::memcpy(bytes.data(), tensor.raw_data().data(), size);
    return bytes;
  }
  auto copyNarrowed = [&](const auto &field) -> bool {
    if (int64_t(field.size()) != numElements)
      return false;
    for (int64_t i = 0; i < numElements; ++i) {
      uint64_t value = uint64_t(field.Get(int(i)));
      std::memcpy(bytes.data() + i * elementBytes, &value, elementBytes); // little endian
    }
    return true;
  };
  switch (tensor.data_type()) {
  case T::FLOAT:
    if (int64_t(tensor.float_data_size()) != numElements)
      return std::nullopt;
    std::memcpy(bytes.data(), tensor.float_data().data(), size);
    return bytes;
  case T::DOUBLE:
    if (int64_t(tensor.double_data_size()) != numElements)
      return std::nullopt;
    std::memcpy(bytes.data(), tensor.double_data().data(), size);
    return bytes;
  case T::INT64:
    if (int64_t(tensor.int64_data_size()) != numElements)
      return std::nullopt;
    std::memcpy(bytes.data(), tensor.int64_data().data(), size);
    return bytes;
  case T::UINT32:
  case T::UINT64:
    if (!copyNarrowed(tensor.uint64_data()))
      return std::nullopt;
    return bytes;
  default: // int32_data carries int32/16/8, uint16/8, bool, float16/bfloat16 bits
    if (!copyNarrowed(tensor.int32_data()))
      return std::nullopt;
    return bytes;
  }
}

static std::string sanitizeBlobName(llvm::StringRef name) {
  std::string result = name.empty() ? "onnx_tensor" : name.str();
  for (char &c : result)
    if (!llvm::isAlnum(c) && c != '_')
      c = '_';
  if (llvm::isDigit(result.front()))
    result.insert(result.begin(), '_');
  return result;
}

Value qopt::importOnnxTensor(OpBuilder &builder, Location loc, const onnx::TensorProto &tensor,
                             llvm::StringRef what) {
  Type elementType = convertOnnxElementType(tensor.data_type(), builder.getContext());
  if (!elementType) {
    emitError(loc) << what << ": data type " << tensor.data_type() << " is not supported";
    return {};
  }
  if (tensor.has_data_location() && tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    emitError(loc) << what << ": external data is not supported yet";
    return {};
  }
  SmallVector<int64_t> shape(tensor.dims().begin(), tensor.dims().end());
  int64_t numElements = 1;
  for (int64_t dim : shape) {
    if (dim < 0) {
      emitError(loc) << what << ": negative dimension " << dim;
      return {};
    }
    numElements *= dim;
  }
  auto type = RankedTensorType::get(shape, elementType);
  size_t elementBytes = elementType.isInteger(1) ? 1 : elementType.getIntOrFloatBitWidth() / 8;
  std::optional<std::vector<char>> bytes = getTensorBytes(tensor, elementBytes, numElements);
  if (!bytes) {
    emitError(loc) << what << ": its data does not hold the " << numElements
                   << " elements its shape needs";
    return {};
  }
  ElementsAttr attr;
  if (elementType.isInteger(1)) {
    SmallVector<bool> bools(bytes->begin(), bytes->end());
    attr = DenseElementsAttr::get(type, ArrayRef<bool>(bools));
  } else if (numElements <= kMaxInlineElements || isa<IntegerType>(elementType)) {
    attr = DenseElementsAttr::getFromRawBuffer(type, *bytes);
  } else {
    attr = DenseResourceElementsAttr::get(
        type, sanitizeBlobName(tensor.name()),
        HeapAsmResourceBlob::allocateAndCopyWithAlign(*bytes, alignof(uint64_t)));
  }
  return arith::ConstantOp::create(builder, loc, cast<TypedAttr>(attr));
}

unsigned NodeImporter::getNumInputs() const { return node.input_size(); }

Value NodeImporter::getInput(unsigned index) const {
  if (int(index) >= node.input_size() || node.input(int(index)).empty())
    return {};
  return values.lookup(node.input(int(index)));
}

RankedTensorType NodeImporter::getInputType(unsigned index) const {
  Value value = getInput(index);
  return value ? cast<RankedTensorType>(value.getType()) : RankedTensorType();
}

std::optional<SmallVector<int64_t>> NodeImporter::getConstantInts(unsigned index) const {
  auto dense = dyn_cast_or_null<DenseIntElementsAttr>(getConstantTensor(getInput(index)));
  if (!dense)
    return std::nullopt;
  SmallVector<int64_t> result;
  for (const APInt &value : dense.getValues<APInt>())
    result.push_back(value.getSExtValue());
  return result;
}

int64_t qopt::getElementCount(ArrayRef<int64_t> shape) {
  int64_t count = 1;
  for (int64_t dim : shape)
    if (dim < 0 || llvm::MulOverflow(count, dim, count))
      return -1;
  return count;
}

bool qopt::fitsOnHost(ArrayRef<int64_t> shape) {
  int64_t count = getElementCount(shape);
  return count >= 0 && count <= NodeImporter::kMaxHostElements;
}

std::optional<HostInts> NodeImporter::getHostInts(unsigned index) const {
  if (isUnsigned(index))
    return std::nullopt; // evaluated at run time, where unsigned ops exist
  auto dense = dyn_cast_or_null<DenseIntElementsAttr>(getConstantTensor(getInput(index)));
  if (!dense || dense.getNumElements() > kMaxHostElements)
    return std::nullopt;
  HostInts result;
  result.shape.assign(dense.getType().getShape().begin(), dense.getType().getShape().end());
  bool isBool = dense.getElementType().isInteger(1);
  for (const APInt &value : dense.getValues<APInt>())
    result.values.push_back(isBool ? int64_t(value.getBoolValue()) : value.getSExtValue());
  return result;
}

Value NodeImporter::createConstant(const HostInts &ints, Type elementType) {
  auto type = RankedTensorType::get(ints.shape, elementType);
  SmallVector<APInt> values;
  unsigned width = elementType.getIntOrFloatBitWidth();
  for (int64_t value : ints.values)
    values.push_back(APInt(width, uint64_t(value), /*isSigned=*/width > 1, /*implicitTrunc=*/true));
  return arith::ConstantOp::create(builder, loc, DenseElementsAttr::get(type, values));
}

ElementsAttr NodeImporter::getConstantAttr(unsigned index) const {
  return getConstantTensor(getInput(index));
}

std::optional<double> NodeImporter::getConstantScalar(unsigned index) const {
  auto dense = dyn_cast_or_null<DenseFPElementsAttr>(getConstantTensor(getInput(index)));
  if (!dense || dense.getNumElements() != 1)
    return std::nullopt;
  return (*dense.getValues<APFloat>().begin()).convertToDouble();
}

const onnx::AttributeProto *NodeImporter::getAttribute(llvm::StringRef name) const {
  for (const onnx::AttributeProto &attribute : node.attribute())
    if (attribute.name() == name)
      return &attribute;
  return nullptr;
}

int64_t NodeImporter::getInt(llvm::StringRef name, int64_t defaultValue) const {
  const onnx::AttributeProto *attribute = getAttribute(name);
  return attribute && attribute->has_i() ? attribute->i() : defaultValue;
}

float NodeImporter::getFloat(llvm::StringRef name, float defaultValue) const {
  const onnx::AttributeProto *attribute = getAttribute(name);
  return attribute && attribute->has_f() ? attribute->f() : defaultValue;
}

std::string NodeImporter::getString(llvm::StringRef name, llvm::StringRef defaultValue) const {
  const onnx::AttributeProto *attribute = getAttribute(name);
  return attribute && attribute->has_s() ? attribute->s() : defaultValue.str();
}

std::optional<SmallVector<int64_t>> NodeImporter::getInts(llvm::StringRef name) const {
  const onnx::AttributeProto *attribute = getAttribute(name);
  if (!attribute)
    return std::nullopt;
  return SmallVector<int64_t>(attribute->ints().begin(), attribute->ints().end());
}

bool NodeImporter::isUnsigned(unsigned index) const {
  Value value = getInput(index);
  return value && unsignedValues.contains(value);
}

void NodeImporter::setUnsigned(unsigned index, bool isUnsignedValue) {
  if (int(index) >= node.output_size())
    return;
  Value value = values.lookup(node.output(int(index)));
  if (!value)
    return;
  if (isUnsignedValue)
    unsignedValues.insert(value);
  else
    unsignedValues.erase(value);
}

unsigned NodeImporter::getNumOutputs() const { return node.output_size(); }

bool NodeImporter::hasOutput(unsigned index) const {
  return int(index) < node.output_size() && !node.output(int(index)).empty();
}

void NodeImporter::setOutput(unsigned index, Value value) {
  if (int(index) < node.output_size() && !node.output(int(index)).empty())
    values[node.output(int(index))] = value;
}

InFlightDiagnostic NodeImporter::emitError() const {
  return mlir::emitError(loc) << "node '" << node.name() << "' (" << node.op_type() << ", "
                              << domain << " opset " << opset << "): ";
}
