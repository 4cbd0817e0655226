//===- Packing.h - Packed storage of quantized codes ------------*- C++ -*-===//
//
// The row_major layout of qopt.qlinear: row n of an [N, K] code matrix is
// ceil(K * bits / 8) bytes; code k occupies bits [k * bits, (k + 1) * bits)
// of the row read as a little-endian bit string (for 4 bits: code 2j in the
// low nibble of byte j, as ONNX Runtime's MatMulNBits stores it).
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_QUANT_PACKING_H
#define QOPT_QUANT_PACKING_H

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <vector>

namespace qopt {

/// Bytes of one packed row of `k` codes of `bits` bits.
inline int64_t getPackedRowBytes(int64_t k, unsigned bits) { return (k * bits + 7) / 8; }

/// Packs `codes` ([n, k] row-major, one code per element, low `bits` bits
/// used) into the row_major layout.
std::vector<uint8_t> packRowMajor(llvm::ArrayRef<uint8_t> codes, int64_t n, int64_t k,
                                  unsigned bits);

/// The inverse: [n, k] codes, one per element.
std::vector<uint8_t> unpackRowMajor(llvm::ArrayRef<uint8_t> packed, int64_t n, int64_t k,
                                    unsigned bits);

} // namespace qopt

#endif // QOPT_QUANT_PACKING_H
