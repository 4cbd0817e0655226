//===- ImagePatches.h - The rows a 2-D convolution multiplies ---*- C++ -*-===//
//
// A convolution is a linear layer over image patches: output position
// (n, oh, ow) of group g is the [F / groups, K] weight matrix times the patch
// x[n, g * C/G + c, oh * s + kh * d - pad, ow * s + kw * d - pad] over
// (c, kh, kw), K = C / groups * KH * KW, padding read as zero. Calibration
// turns a convolution's input into these rows so that its statistics (and
// the Hessian GPTQ needs) are over the same K columns as the weight.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_CALIBRATION_IMAGEPATCHES_H
#define QOPT_CALIBRATION_IMAGEPATCHES_H

#include "qopt/Support/Convolution.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace qopt {

struct PatchGeometry {
  int64_t batch = 1, channels = 1, height = 1, width = 1; // the NCHW input
  std::array<int64_t, 2> kernel{1, 1};
  ConvolutionGeometry convolution; // 2 strides, dilations, pads before and after

  int64_t getOutputHeight() const;
  int64_t getOutputWidth() const;
  /// K = channels / groups * KH * KW: the length of one patch.
  int64_t getPatchSize() const;
  /// batch * groups * OH * OW patches.
  int64_t getNumPatches() const;
};

/// Writes every patch of `input` (NCHW, row major) as one row of `rows`
/// ([getNumPatches(), getPatchSize()], ordered (n, g, oh, ow)), resizing it.
void extractPatches(const float *input, const PatchGeometry &geometry, std::vector<float> &rows);

} // namespace qopt

#endif // QOPT_CALIBRATION_IMAGEPATCHES_H
