//===- SampleSource.cpp - Model inputs from .npy / .npz files -------------===//

#include "qopt/Calibration/SampleSource.h"

#include "qopt_npy.h"

#include "llvm/Support/Endian.h"
#include "llvm/Support/Path.h"

#include <cstring>

using namespace qopt;

namespace {

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

uint16_t read16(const char *p) { return llvm::support::endian::read16le(p); }
uint32_t read32(const char *p) { return llvm::support::endian::read32le(p); }
uint64_t read64(const char *p) { return llvm::support::endian::read64le(p); }

/// The members of a zip archive that numpy.savez wrote (stored, maybe zip64).
llvm::Expected<std::vector<std::pair<std::string, llvm::StringRef>>> readZipMembers(llvm::StringRef zip,
                                                                               llvm::StringRef path) {
  auto bad = [&](const llvm::Twine &what) { return makeError(path + ": not a readable .npz: " + what); };
  if (zip.size() < 22)
    return bad("too short");
  // End of central directory: the last 0x06054b50 record.
  size_t eocd = llvm::StringRef::npos;
  for (size_t i = zip.size() - 22 + 1; i-- > 0 && zip.size() - i <= 65557;)
    if (read32(zip.data() + i) == 0x06054b50) {
      eocd = i;
      break;
    }
  if (eocd == llvm::StringRef::npos)
    return bad("no end-of-central-directory record");
  uint64_t entries = read16(zip.data() + eocd + 10);
  uint64_t directory = read32(zip.data() + eocd + 16);
  if (directory == 0xFFFFFFFF || entries == 0xFFFF) {
    if (eocd < 20 || read32(zip.data() + eocd - 20) != 0x07064b50)
      return bad("zip64 without its locator");
    uint64_t record = read64(zip.data() + eocd - 20 + 8);
    if (record > zip.size() || zip.size() - record < 56 || read32(zip.data() + record) != 0x06064b50)
      return bad("broken zip64 end record");
    entries = read64(zip.data() + record + 32);
    directory = read64(zip.data() + record + 48);
  }
  std::vector<std::pair<std::string, llvm::StringRef>> members;
  uint64_t at = directory;
  for (uint64_t e = 0; e < entries; ++e) {
    if (at > zip.size() || zip.size() - at < 46 || read32(zip.data() + at) != 0x02014b50)
      return bad("broken central directory");
    const char *entry = zip.data() + at;
    uint16_t method = read16(entry + 10);
    uint64_t size = read32(entry + 20);
    uint64_t offset = read32(entry + 42);
    uint16_t nameLength = read16(entry + 28), extraLength = read16(entry + 30), commentLength = read16(entry + 32);
    if (zip.size() - at - 46 < uint64_t(nameLength) + extraLength)
      return bad("broken central directory");
    std::string name(entry + 46, nameLength);
    // zip64 extra field: the 64-bit values of the fields saturated above.
    llvm::StringRef extra(entry + 46 + nameLength, extraLength);
    while (extra.size() >= 4) {
      uint16_t id = read16(extra.data()), length = read16(extra.data() + 2);
      llvm::StringRef body = extra.substr(4, length);
      if (id == 0x0001) {
        size_t field = 0;
        auto next = [&](uint64_t &value) {
          if (value == 0xFFFFFFFF && body.size() >= field + 8) {
            value = read64(body.data() + field);
            field += 8;
          }
        };
        uint64_t uncompressed = read32(entry + 24);
        next(uncompressed);
        next(size);
        next(offset);
      }
      extra = extra.drop_front(std::min<size_t>(extra.size(), 4 + length));
    }
    if (method != 0)
      return makeError(path + ": member '" + name +
                       "' is compressed (numpy.savez_compressed); write the file with numpy.savez");
    if (offset > zip.size() || zip.size() - offset < 30 || read32(zip.data() + offset) != 0x04034b50)
      return bad("broken local header of '" + name + "'");
    uint64_t dataStart = offset + 30 + read16(zip.data() + offset + 26) + read16(zip.data() + offset + 28);
    if (dataStart > zip.size() || zip.size() - dataStart < size)
      return bad("member '" + name + "' runs past the end of the file");
    members.emplace_back(name, zip.substr(dataStart, size));
    at += 46 + nameLength + extraLength + commentLength;
  }
  return members;
}

} // namespace

llvm::Expected<NpyArray> qopt::parseNpy(llvm::StringRef bytes, llvm::StringRef name) {
  qopt_npy_header header;
  char message[512];
  std::string nameText = name.str();
  if (qopt_npy_parse_header(bytes.data(), bytes.size(), nameText.c_str(), &header, message, sizeof(message)))
    return makeError(message);
  NpyArray array;
  array.name = nameText;
  array.elementType = header.element_type;
  array.elementSize = qopt_element_size(array.elementType);
  if (!array.elementSize)
    return makeError(name + ": unsupported dtype '" + header.descr + "'");
  array.shape.assign(header.shape, header.shape + header.rank);
  // Compared in elements: no product can wrap around (the header parser
  // bounds it too).
  uint64_t available = (bytes.size() - header.data_offset) / array.elementSize, count = 1;
  for (int64_t d : array.shape)
    count = d == 0 ? 0 : count > available / uint64_t(d) ? available + 1 : count * uint64_t(d);
  array.data = bytes.data() + header.data_offset;
  if (count > available)
    return makeError(name + ": the data is shorter than its shape");
  return array;
}

llvm::Expected<std::unique_ptr<SampleSource>> SampleSource::open(llvm::StringRef path,
                                                                 const ModelSignature &signature) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false, /*RequiresNullTerminator=*/false);
  if (!buffer)
    return makeError(path + ": " + buffer.getError().message());
  std::unique_ptr<SampleSource> source(new SampleSource());
  source->file = std::move(*buffer);
  source->inputs.assign(signature.inputs.begin(), signature.inputs.end());
  llvm::StringRef bytes = source->file->getBuffer();
  std::vector<NpyArray> found;
  if (path.ends_with(".npz")) {
    auto members = readZipMembers(bytes, path);
    if (!members)
      return members.takeError();
    for (auto &[member, data] : *members) {
      llvm::StringRef stem = llvm::StringRef(member).ends_with(".npy") ? llvm::StringRef(member).drop_back(4)
                                                                       : llvm::StringRef(member);
      llvm::Expected<NpyArray> array = parseNpy(data, (path + ":" + member).str());
      if (!array)
        return array.takeError();
      array->name = stem.str();
      found.push_back(std::move(*array));
    }
  } else {
    if (signature.inputs.size() != 1)
      return makeError(path + ": a .npy feeds a model with one input; this one has " +
                       llvm::Twine(signature.inputs.size()) + " (use a .npz with one array per input)");
    llvm::Expected<NpyArray> array = parseNpy(bytes, path);
    if (!array)
      return array.takeError();
    array->name = signature.inputs[0].name;
    found.push_back(std::move(*array));
  }
  for (const BoundaryTensor &input : signature.inputs) {
    auto it = llvm::find_if(found, [&](const NpyArray &a) { return a.name == input.name; });
    if (it == found.end())
      return makeError(path + ": no array for model input '" + input.name + "'");
    NpyArray array = *it;
    // [S, shape...] or [S, shape[1:]...] when the input's batch is 1.
    // (A scalar fits nothing; drop_front on it would be undefined.)
    llvm::ArrayRef<int64_t> arrayShape = array.shape, expected = input.shape;
    bool fits = !arrayShape.empty() &&
                (arrayShape.drop_front() == expected ||
                 (!expected.empty() && expected[0] == 1 && arrayShape.drop_front() == expected.drop_front()));
    auto describe = [](llvm::ArrayRef<int64_t> shape) {
      std::string text = "[";
      for (auto [i, d] : llvm::enumerate(shape))
        text += (i ? ", " : "") + std::to_string(d);
      return text + "]";
    };
    if (!fits)
      return makeError(path + ": array '" + array.name + "' has shape " + describe(array.shape) +
                       "; input '" + input.name + "' needs [samples] + " + describe(expected));
    bool widenIds = array.elementType == 6 && input.elementType == 7;
    if (array.elementType != input.elementType && !widenIds)
      return makeError(path + ": array '" + array.name + "' has ONNX element type " +
                       llvm::Twine(array.elementType) + "; input '" + input.name + "' has " +
                       llvm::Twine(input.elementType));
    if (!source->arrays.empty() && array.shape[0] != source->numSamples)
      return makeError(path + ": arrays hold different numbers of samples (" +
                       llvm::Twine(array.shape[0]) + " vs " + llvm::Twine(source->numSamples) + ")");
    source->numSamples = array.shape[0];
    source->arrays.push_back(std::move(array));
  }
  if (source->numSamples == 0)
    return makeError(path + ": holds no samples");
  return std::move(source);
}

void SampleSource::fill(int64_t index, llvm::ArrayRef<void *> buffers) const {
  for (auto [array, input, buffer] : llvm::zip_equal(arrays, inputs, buffers)) {
    size_t count = 1;
    for (int64_t d : input.shape)
      count *= size_t(d);
    const char *from = array.data + size_t(index) * count * array.elementSize;
    if (array.elementType == 6 && input.elementType == 7) {
      auto *to = static_cast<int64_t *>(buffer);
      for (size_t i = 0; i < count; ++i) {
        int32_t value;
        std::memcpy(&value, from + i * 4, 4);
        to[i] = value;
      }
    } else {
      std::memcpy(buffer, from, count * array.elementSize);
    }
  }
}

std::vector<std::vector<char>> SampleSource::allocateInputs() const {
  std::vector<std::vector<char>> buffers;
  for (const BoundaryTensor &input : inputs)
    buffers.emplace_back(input.getByteSize());
  return buffers;
}
