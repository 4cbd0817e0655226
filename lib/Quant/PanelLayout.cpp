//===- PanelLayout.cpp - Panel-major packed weights for CPU kernels -------===//

#include "qopt/Quant/PanelLayout.h"

#include "qopt/Quant/CodePlacement.h"

#include <algorithm>
#include <cassert>
#include <cstring>

using namespace qopt;

int64_t PanelLayout::getGroupLength(int64_t g) const {
  return std::min(group, k - getGroupStart(g));
}

int64_t PanelLayout::getStep() const {
  if (dotProduct)
    return bits == 4 ? 8 : 4;
  return bits == 4 ? 2 : 1;
}

int64_t PanelLayout::getGroupOffset(int64_t g) const {
  // Every group but the last has the same length.
  int64_t offset = std::min(g, getNumGroups() - 1) * getGroupStride();
  if (g == getNumGroups())
    offset += getNumSteps(g - 1) * getStepBytes();
  return offset;
}

void PanelLayout::locate(int64_t row, int64_t kk, int64_t &byte, unsigned &shift) const {
  int64_t panel = row / kRows, lane = row % kRows;
  int64_t g = kk / group, inGroup = kk - getGroupStart(g);
  int64_t step = inGroup / getStep(), inStep = inGroup % getStep();
  int64_t base = panel * getPanelBytes() + getGroupOffset(g) + step * getStepBytes();
  shift = 0;
  if (!dotProduct) {
    byte = base + lane;
    shift = unsigned(inStep) * 4; // 4-bit: the pair's second code is the high nibble
    return;
  }
  // 32-bit lane j holds 4 bytes; a 4-bit step keeps codes k..k+3 in the low
  // nibbles and k+4..k+7 in the high ones.
  byte = base + lane * 4 + inStep % 4;
  shift = unsigned(inStep / 4) * 4;
}

std::vector<uint8_t> qopt::packPanels(const PanelLayout &layout, llvm::ArrayRef<uint8_t> codes) {
  assert(PanelLayout::supportsBits(layout.bits) && int64_t(codes.size()) == layout.n * layout.k);
  return placeCodes(layout, codes, layout.getNumPanels() * layout.getPanelBytes());
}

std::vector<uint8_t> qopt::unpackPanels(const PanelLayout &layout, llvm::ArrayRef<uint8_t> packed) {
  assert(int64_t(packed.size()) == layout.getNumPanels() * layout.getPanelBytes());
  return gatherCodes(layout, packed);
}

std::vector<char> qopt::panelizeGroupValues(const PanelLayout &layout, llvm::ArrayRef<char> values,
                                            unsigned elementBytes) {
  const int64_t groups = layout.getNumGroups(), rows = PanelLayout::kRows;
  assert(int64_t(values.size()) == layout.n * groups * elementBytes);
  std::vector<char> result(size_t(layout.getNumPanels() * groups * rows * elementBytes), 0);
  for (int64_t row = 0; row < layout.n; ++row)
    for (int64_t g = 0; g < groups; ++g) {
      int64_t to = ((row / rows) * groups + g) * rows + row % rows;
      std::memcpy(&result[size_t(to * elementBytes)], &values[size_t((row * groups + g) * elementBytes)],
                  elementBytes);
    }
  return result;
}
