//===- ImagePatches.cpp - The rows a 2-D convolution multiplies -----------===//

#include "qopt/Calibration/ImagePatches.h"

using namespace qopt;

static int64_t outputSize(int64_t in, int64_t padBegin, int64_t padEnd, int64_t kernel, int64_t stride,
                          int64_t dilation) {
  return (in + padBegin + padEnd - ((kernel - 1) * dilation + 1)) / stride + 1;
}

int64_t PatchGeometry::getOutputHeight() const {
  return outputSize(height, pads[0], pads[2], kernel[0], strides[0], dilations[0]);
}

int64_t PatchGeometry::getOutputWidth() const {
  return outputSize(width, pads[1], pads[3], kernel[1], strides[1], dilations[1]);
}

int64_t PatchGeometry::getPatchSize() const { return channels / groups * kernel[0] * kernel[1]; }

int64_t PatchGeometry::getNumPatches() const {
  return batch * groups * getOutputHeight() * getOutputWidth();
}

void qopt::extractPatches(const float *input, const PatchGeometry &g, std::vector<float> &rows) {
  const int64_t oh = g.getOutputHeight(), ow = g.getOutputWidth(), k = g.getPatchSize();
  const int64_t groupChannels = g.channels / g.groups;
  rows.assign(std::size_t(g.getNumPatches() * k), 0.0f);
  float *row = rows.data();
  for (int64_t n = 0; n < g.batch; ++n)
    for (int64_t group = 0; group < g.groups; ++group)
      for (int64_t y = 0; y < oh; ++y)
        for (int64_t x = 0; x < ow; ++x, row += k) {
          float *column = row;
          for (int64_t c = 0; c < groupChannels; ++c) {
            const float *plane = input + ((n * g.channels) + group * groupChannels + c) * g.height * g.width;
            for (int64_t ky = 0; ky < g.kernel[0]; ++ky) {
              int64_t iy = y * g.strides[0] + ky * g.dilations[0] - g.pads[0];
              for (int64_t kx = 0; kx < g.kernel[1]; ++kx, ++column) {
                int64_t ix = x * g.strides[1] + kx * g.dilations[1] - g.pads[1];
                if (iy >= 0 && iy < g.height && ix >= 0 && ix < g.width)
                  *column = plane[iy * g.width + ix];
              }
            }
          }
        }
}
