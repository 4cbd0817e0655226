//===- NodeImporter.cpp - What an op importer sees of one node ------------===//

#include "NodeImporter.h"

#include "ExternalData.h"

#include "qopt/Support/ConstantTensor.h"

#include "onnx/onnx-ml.pb.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"

#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"

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
/// `elementBytes` bytes: raw_data as it is (no copy), or the typed repeated
/// fields converted into `storage`.
static std::optional<ArrayRef<char>> getTensorBytes(const onnx::TensorProto &tensor,
                                                    size_t elementBytes, int64_t numElements,
                                                    std::vector<char> &storage) {
  using T = onnx::TensorProto;
  const size_t size = elementBytes * size_t(numElements);
  if (tensor.has_raw_data()) {
    if (tensor.raw_data().size() != size)
      return std::nullopt;
    return ArrayRef<char>(tensor.raw_data().data(), size);
  }
  storage.resize(size);
  auto copyNarrowed = [&](const auto &field) -> bool {
    if (int64_t(field.size()) != numElements)
      return false;
    for (int64_t i = 0; i < numElements; ++i) {
      uint64_t value = uint64_t(field.Get(int(i)));
      std::memcpy(storage.data() + i * elementBytes, &value, elementBytes); // little endian
    }
    return true;
  };
  bool ok;
  switch (tensor.data_type()) {
  case T::FLOAT:
    ok = int64_t(tensor.float_data_size()) == numElements;
    if (ok && size) // (memcpy of nothing from an empty field: no null pointers)
      std::memcpy(storage.data(), tensor.float_data().data(), size);
    break;
  case T::DOUBLE:
    ok = int64_t(tensor.double_data_size()) == numElements;
    if (ok && size)
      std::memcpy(storage.data(), tensor.double_data().data(), size);
    break;
  case T::INT64:
    ok = int64_t(tensor.int64_data_size()) == numElements;
    if (ok && size)
      std::memcpy(storage.data(), tensor.int64_data().data(), size);
    break;
  case T::UINT32:
  case T::UINT64:
    ok = copyNarrowed(tensor.uint64_data());
    break;
  default: // int32_data carries int32/16/8, uint16/8, bool, float16/bfloat16 bits
    ok = copyNarrowed(tensor.int32_data());
    break;
  }
  if (!ok)
    return std::nullopt;
  return ArrayRef<char>(storage);
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
                             llvm::StringRef what, ExternalDataFiles *external) {
  Type elementType = convertOnnxElementType(tensor.data_type(), builder.getContext());
  if (!elementType) {
    emitError(loc) << what << ": data type " << tensor.data_type() << " is not supported";
    return {};
  }
  bool isExternal = tensor.has_data_location() && tensor.data_location() == onnx::TensorProto::EXTERNAL;
  if (isExternal && !external) {
    emitError(loc) << what << ": external data is not supported here";
    return {};
  }
  SmallVector<int64_t> shape(tensor.dims().begin(), tensor.dims().end());
  int64_t numElements = 1;
  for (int64_t dim : shape) {
    if (dim < 0) {
      emitError(loc) << what << ": negative dimension " << dim;
      return {};
    }
      if (llvm::MulOverflow(numElements, dim, numElements)) {
      emitError(loc) << what << ": its element count overflows";
      return {};
    }
  }
  auto type = RankedTensorType::get(shape, elementType);
  size_t elementBytes = elementType.isInteger(1) ? 1 : elementType.getIntOrFloatBitWidth() / 8;
  std::vector<char> storage;
  std::optional<ArrayRef<char>> bytes;
  std::shared_ptr<llvm::MemoryBuffer> file;
  if (isExternal) {
    llvm::Expected<ExternalData> data = external->read(tensor, elementBytes * uint64_t(numElements));
    if (!data) {
      emitError(loc) << what << ": " << llvm::toString(data.takeError());
      return {};
    }
    bytes = data->bytes;
    file = data->file;
  } else {
    bytes = getTensorBytes(tensor, elementBytes, numElements, storage);
  }
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
  } else if (file && reinterpret_cast<uintptr_t>(bytes->data()) % alignof(uint64_t) == 0) {
    // Mapped external data, aligned: the blob refers to the file's pages
    // and keeps the mapping alive; no copy at all.
    AsmResourceBlob blob(*bytes, alignof(uint64_t),
                         [file](void *, size_t, size_t) mutable { file.reset(); },
                         /*dataIsMutable=*/false);
    attr = DenseResourceElementsAttr::get(type, sanitizeBlobName(tensor.name()), std::move(blob));
  } else {
    // The one copy: from the parsed model (or a misaligned mapping) into the blob.
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
