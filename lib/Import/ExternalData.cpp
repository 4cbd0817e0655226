//===- ExternalData.cpp - ONNX tensors stored beside the model ------------===//

#include "ExternalData.h"

#include "onnx/onnx-ml.pb.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/Path.h"

using namespace qopt;

llvm::Expected<ExternalData> ExternalDataFiles::read(const onnx::TensorProto &tensor, uint64_t size) {
  auto fail = [](const llvm::Twine &message) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
  };
  std::string location;
  uint64_t offset = 0;
  std::optional<uint64_t> length;
  for (const onnx::StringStringEntryProto &entry : tensor.external_data()) {
    llvm::StringRef value(entry.value());
    if (entry.key() == "location")
      location = entry.value();
    else if (entry.key() == "offset" && value.getAsInteger(10, offset))
      return fail("external data offset '" + value + "' is not a number");
    else if (entry.key() == "length") {
      uint64_t parsed;
      if (value.getAsInteger(10, parsed))
        return fail("external data length '" + value + "' is not a number");
      length = parsed;
    }
  }
  if (location.empty())
    return fail("external data without a location");
  // Like ONNX Runtime: relative paths inside the model's directory only.
  if (llvm::sys::path::is_absolute(location) ||
      llvm::any_of(llvm::make_range(llvm::sys::path::begin(location), llvm::sys::path::end(location)),
                   [](llvm::StringRef part) { return part == ".."; }))
    return fail("external data location '" + location + "' leaves the model's directory");
  if (length && *length != size)
    return fail("external data length " + llvm::Twine(*length) + " is not the tensor's " +
                llvm::Twine(size) + " bytes");
  llvm::SmallString<256> path(directory);
  llvm::sys::path::append(path, location);
  std::shared_ptr<llvm::MemoryBuffer> &file = files[path];
  if (!file) {
    llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
        llvm::MemoryBuffer::getFile(path, /*IsText=*/false, /*RequiresNullTerminator=*/false);
    if (!buffer)
      return fail("cannot read external data " + path + ": " + buffer.getError().message());
    file = std::move(*buffer);
  }
  if (offset > file->getBufferSize() || size > file->getBufferSize() - offset)
    return fail("external data [" + llvm::Twine(offset) + ", " + llvm::Twine(offset + size) +
                ") lies past the end of " + path);
  return ExternalData{llvm::ArrayRef<char>(file->getBufferStart() + offset, size), file};
}
