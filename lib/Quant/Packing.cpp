//===- Packing.cpp - Packed storage of quantized codes --------------------===//

#include "qopt/Quant/Packing.h"

using namespace qopt;

std::vector<uint8_t> qopt::packRowMajor(llvm::ArrayRef<uint8_t> codes, int64_t n, int64_t k,
                                        unsigned bits) {
  const int64_t rowBytes = getPackedRowBytes(k, bits);
  std::vector<uint8_t> packed(size_t(n * rowBytes), 0);
  const unsigned mask = (1u << bits) - 1;
  for (int64_t row = 0; row < n; ++row) {
    uint8_t *out = packed.data() + row * rowBytes;
    for (int64_t col = 0; col < k; ++col) {
      unsigned code = codes[size_t(row * k + col)] & mask;
      int64_t bit = col * bits;
      // A field spans at most two bytes (bits <= 8).
      out[bit / 8] |= uint8_t(code << (bit % 8));
      if (bit % 8 + bits > 8)
        out[bit / 8 + 1] |= uint8_t(code >> (8 - bit % 8));
    }
  }
  return packed;
}

std::vector<uint8_t> qopt::unpackRowMajor(llvm::ArrayRef<uint8_t> packed, int64_t n, int64_t k,
                                          unsigned bits) {
  const int64_t rowBytes = getPackedRowBytes(k, bits);
  std::vector<uint8_t> codes(size_t(n * k));
  const unsigned mask = (1u << bits) - 1;
  for (int64_t row = 0; row < n; ++row) {
    const uint8_t *in = packed.data() + row * rowBytes;
    for (int64_t col = 0; col < k; ++col) {
      int64_t bit = col * bits;
      unsigned word = in[bit / 8];
      if (bit / 8 + 1 < rowBytes)
        word |= unsigned(in[bit / 8 + 1]) << 8;
      codes[size_t(row * k + col)] = uint8_t((word >> (bit % 8)) & mask);
    }
  }
  return codes;
}
