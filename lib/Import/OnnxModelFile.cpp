//===- OnnxModelFile.cpp - Reading ONNX model files -----------------------===//

#include "qopt/Import/OnnxModelFile.h"

#include "onnx/onnx-ml.pb.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MemoryBuffer.h"

#include <climits>

using namespace qopt;

llvm::Expected<std::unique_ptr<onnx::ModelProto>> qopt::readOnnxModel(llvm::StringRef path) {
  auto fail = [&](const llvm::Twine &message) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   path + ": " + message);
  };
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false, /*RequiresNullTerminator=*/false);
  if (!buffer)
    return fail("cannot read the model: " + buffer.getError().message());
  llvm::StringRef bytes = (*buffer)->getBuffer();
  if (bytes.empty())
    return fail("the file is empty, not an ONNX model");
  if (bytes.size() > size_t(INT_MAX))
    return fail("the file is over protobuf's 2 GiB limit; store the weights as ONNX "
                "external data");
  auto model = std::make_unique<onnx::ModelProto>();
  if (!model->ParseFromArray(bytes.data(), int(bytes.size())))
    return fail("not a valid ONNX model: the protobuf does not parse (truncated or corrupt "
                "file?)");
  if (!model->has_graph())
    return fail("not an ONNX model: the ModelProto has no graph");
  if (!model->has_ir_version())
    return fail("not an ONNX model: the ModelProto has no ir_version");
  return std::move(model);
}

std::string qopt::getOnnxDataTypeName(int dataType) {
  if (!onnx::TensorProto_DataType_IsValid(dataType))
    return "unknown(" + std::to_string(dataType) + ")";
  return llvm::StringRef(
             onnx::TensorProto_DataType_Name(onnx::TensorProto_DataType(dataType)))
      .lower();
}

unsigned qopt::getOnnxDataTypeBits(int dataType) {
  using T = onnx::TensorProto;
  switch (dataType) {
  case T::BOOL:
  case T::INT8:
  case T::UINT8:
  case T::FLOAT8E4M3FN:
  case T::FLOAT8E4M3FNUZ:
  case T::FLOAT8E5M2:
  case T::FLOAT8E5M2FNUZ:
  case T::FLOAT8E8M0:
    return 8;
  case T::INT4:
  case T::UINT4:
  case T::FLOAT4E2M1:
    return 4;
  case T::FLOAT6E2M3:
  case T::FLOAT6E3M2:
    return 6;
  case T::INT2:
  case T::UINT2:
    return 2;
  case T::INT16:
  case T::UINT16:
  case T::FLOAT16:
  case T::BFLOAT16:
    return 16;
  case T::INT32:
  case T::UINT32:
  case T::FLOAT:
    return 32;
  case T::INT64:
  case T::UINT64:
  case T::DOUBLE:
  case T::COMPLEX64:
    return 64;
  case T::COMPLEX128:
    return 128;
  default:
    return 0;
  }
}

bool qopt::hasExternalData(const onnx::TensorProto &tensor) {
  return tensor.has_data_location() &&
         tensor.data_location() == onnx::TensorProto::EXTERNAL;
}
