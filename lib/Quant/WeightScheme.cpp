//===- WeightScheme.cpp - A weight format with its scale grouping ---------===//

#include "qopt/Quant/WeightScheme.h"

#include "qopt/Quant/Packing.h"

#include "llvm/ADT/SmallVector.h"

#include <vector>

using namespace qopt;

std::optional<WeightScheme> WeightScheme::parse(llvm::StringRef text, std::string *error) {
  text = text.trim();
  WeightScheme scheme;
  llvm::StringRef formatText = text, groupText;
  if (size_t dash = text.rfind("-g"); dash != llvm::StringRef::npos) {
    formatText = text.take_front(dash);
    groupText = text.drop_front(dash + 2);
    if (groupText.getAsInteger(10, scheme.group) || scheme.group <= 0) {
      if (error)
        *error = "bad group in weight scheme '" + text.str() + "' (expected <format>-g<N>, N > 0)";
      return std::nullopt;
    }
  }
  std::optional<NumberFormat> format = NumberFormat::parse(formatText, error);
  if (!format)
    return std::nullopt;
  scheme.format = *format;
  if (format->isMicroscaled()) {
    if (scheme.group && scheme.group != int64_t(format->getScaleBlock())) {
      if (error)
        *error = "weight scheme '" + text.str() + "': a microscaled format has its own block of " +
                 std::to_string(format->getScaleBlock());
      return std::nullopt;
    }
    scheme.group = format->getScaleBlock();
  }
  return scheme;
}

std::string WeightScheme::str() const {
  if (format.isMicroscaled()) // "mxfp4_e2m1", "mxint8": the block is implied
    return "mx" + format.getBaseName();
  std::string text = format.getBaseName();
  if (group > 0)
    text += "-g" + std::to_string(group);
  return text;
}

double WeightScheme::getBitsPerWeight(int64_t rows, int64_t columns) const {
  const double scaleBits = format.isMicroscaled() ? 8.0 : 32.0;
  const int64_t perScale = group > 0 && group < columns ? group : columns;
  const int64_t groups = (columns + perScale - 1) / perScale;
  // Codes are packed per row into whole bytes.
  const int64_t rowBits = 8 * getPackedRowBytes(columns, format.getCodeBits());
  double bits = double(rowBits) / double(columns) + scaleBits * double(groups) / double(columns);
  if (format.needsCodebook()) {
    // f32 code values: one codebook per row when the scale is per channel,
    // one for the matrix otherwise.
    const double codebookBits = 32.0 * double(int64_t(1) << format.getCodeBits());
    bits += perScale == columns ? codebookBits / double(columns) : codebookBits / double(rows * columns);
  }
  return bits;
}

std::optional<std::vector<WeightScheme>> qopt::parseWeightSchemes(llvm::StringRef list, std::string *error) {
  std::vector<WeightScheme> schemes;
  llvm::SmallVector<llvm::StringRef> entries;
  list.split(entries, ',', -1, false);
  for (llvm::StringRef entry : entries) {
    std::optional<WeightScheme> scheme = WeightScheme::parse(entry, error);
    if (!scheme)
      return std::nullopt;
    schemes.push_back(*scheme);
  }
  if (schemes.empty() && error)
    *error = "no weight schemes given";
  return schemes.empty() ? std::nullopt : std::optional(schemes);
}
