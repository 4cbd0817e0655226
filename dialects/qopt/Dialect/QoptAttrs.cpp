//===- QoptAttrs.cpp - qopt attributes ------------------------------------===//

#include "qopt/Dialect/QoptAttrs.h"
#include "qopt/Dialect/QoptDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace qopt;

#include "qopt/Dialect/QoptEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "qopt/Dialect/QoptAttrs.cpp.inc"

void QoptDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "qopt/Dialect/QoptAttrs.cpp.inc"
      >();
}

/// Parses a format body: `int4`, `lut<16>`, `mxfp4`, `fp4_e2m1, mx = 16`.
/// The trailing `, mx = N` is read only when `allowMxSuffix` (inside
/// `#qopt.act<...>` the comma belongs to the enclosing attribute).
static FailureOr<NumberFormat> parseNumberFormat(AsmParser &parser, bool allowMxSuffix) {
  SMLoc loc = parser.getCurrentLocation();
  std::string name;
  StringRef keyword;
  if (parser.parseKeyword(&keyword))
    return failure();
  name = keyword.str();
  if (keyword == "lut") {
    unsigned entries = 0;
    if (parser.parseLess() || parser.parseInteger(entries) || parser.parseGreater())
      return failure();
    name += "<" + std::to_string(entries) + ">";
  }
  std::string error;
  std::optional<NumberFormat> format = NumberFormat::parse(name, &error);
  if (!format)
    return parser.emitError(loc, error);
  if (allowMxSuffix && succeeded(parser.parseOptionalComma())) {
    unsigned block = 0;
    SMLoc blockLoc = parser.getCurrentLocation();
    if (parser.parseKeyword("mx") || parser.parseEqual() || parser.parseInteger(block))
      return failure();
    if (format->isMicroscaled())
      return parser.emitError(blockLoc, "'" + keyword.str() +
                                            "' already names a microscaled format");
    format = NumberFormat::get(format->getKind(), format->getCodeBits(), block, &error);
    if (!format)
      return parser.emitError(blockLoc, error);
  }
  return *format;
}

//===----------------------------------------------------------------------===//
// FormatAttr
//===----------------------------------------------------------------------===//

Attribute FormatAttr::parse(AsmParser &parser, Type) {
  if (parser.parseLess())
    return {};
  FailureOr<NumberFormat> format = parseNumberFormat(parser, /*allowMxSuffix=*/true);
  if (failed(format) || parser.parseGreater())
    return {};
  return FormatAttr::get(parser.getContext(), *format);
}

void FormatAttr::print(AsmPrinter &printer) const {
  printer << "<" << getValue().str() << ">";
}

Type FormatAttr::getCodeStorageType() const {
  if (getValue().getKind() == FormatKind::Float8E4M3)
    return Float8E4M3FNType::get(getContext());
  return IntegerType::get(getContext(), 8);
}

//===----------------------------------------------------------------------===//
// ActQuantAttr
//===----------------------------------------------------------------------===//

Attribute ActQuantAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseLess())
    return {};
  FailureOr<NumberFormat> format = parseNumberFormat(parser, /*allowMxSuffix=*/false);
  if (failed(format) || parser.parseComma())
    return {};
  StringRef granularityName;
  SMLoc granularityLoc = parser.getCurrentLocation();
  if (parser.parseKeyword(&granularityName))
    return {};
  std::optional<Granularity> granularity = symbolizeGranularity(granularityName);
  if (!granularity) {
    parser.emitError(granularityLoc, "expected per_token or per_tensor, got '")
        << granularityName << "'";
    return {};
  }
  FloatAttr scale;
  if (succeeded(parser.parseOptionalComma())) {
    double value = 0;
    if (parser.parseKeyword("scale") || parser.parseEqual() || parser.parseFloat(value))
      return {};
    scale = FloatAttr::get(Float32Type::get(parser.getContext()), value);
  }
  if (parser.parseGreater())
    return {};
  return parser.getChecked<ActQuantAttr>(loc, parser.getContext(), *format, *granularity,
                                         scale);
}

void ActQuantAttr::print(AsmPrinter &printer) const {
  printer << "<" << getFormat().str() << ", " << stringifyGranularity(getGranularity());
  if (FloatAttr scale = getStaticScale()) {
    printer << ", scale = ";
    printer.printFloat(scale.getValue());
  }
  printer << ">";
}

LogicalResult ActQuantAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                   NumberFormat format, Granularity granularity,
                                   FloatAttr staticScale) {
  bool supported = (format.getKind() == FormatKind::SignedInt ||
                    format.getKind() == FormatKind::Float8E4M3) &&
                   !format.isMicroscaled();
  if (!supported)
    return emitError() << "activation format must be a signed integer or fp8_e4m3 "
                          "without microscaling, not "
                       << format.str();
  if (staticScale) {
    if (granularity != Granularity::per_tensor)
      return emitError() << "a static activation scale applies per_tensor only";
    double scale = staticScale.getValueAsDouble();
    if (!(scale > 0.0) || !std::isfinite(scale))
      return emitError() << "static activation scale must be finite and positive, not "
                         << scale;
  }
  return success();
}
