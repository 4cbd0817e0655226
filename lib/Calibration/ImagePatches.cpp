//===- ImagePatches.cpp - The rows a 2-D convolution multiplies -----------===//

#include "qopt/Calibration/ImagePatches.h"

using namespace qopt;

static int64_t outputSize(int64_t in, int64_t padBegin, int64_t padEnd, int64_t kernel, int64_t stride,
                          int64_t dilation) {
  return (in + padBegin + padEnd - ((kernel - 1) * dilation + 1)) / stride + 1;
}

int64_t PatchGeometry::getOutputHeight() const {
  const ConvolutionGeometry &c = convolution;
  return outputSize(height, c.padBegin[0], c.padEnd[0], kernel[0], c.strides[0], c.dilations[0]);
}

int64_t PatchGeometry::getOutputWidth() const {
  const ConvolutionGeometry &c = convolution;
  return outputSize(width, c.padBegin[1], c.padEnd[1], kernel[1], c.strides[1], c.dilations[1]);
}

int64_t PatchGeometry::getPatchSize() const { return channels / convolution.groups * kernel[0] * kernel[1]; }

int64_t PatchGeometry::getNumPatches() const {
  return batch * convolution.groups * getOutputHeight() * getOutputWidth();
}

void qopt::extractPatches(const float *input, const PatchGeometry &g, std::vector<float> &rows) {
  const int64_t oh = g.getOutputHeight(), ow = g.getOutputWidth(), k = g.getPatchSize();
  const ConvolutionGeometry &conv = g.convolution;
  const int64_t groupChannels = g.channels / conv.groups;
  rows.assign(std::size_t(g.getNumPatches() * k), 0.0f);
  float *row = rows.data();
  for (int64_t n = 0; n < g.batch; ++n)
    for (int64_t group = 0; group < conv.groups; ++group)
      for (int64_t y = 0; y < oh; ++y)
        for (int64_t x = 0; x < ow; ++x, row += k) {
          float *column = row;
          for (int64_t c = 0; c < groupChannels; ++c) {
            const float *plane = input + ((n * g.channels) + group * groupChannels + c) * g.height * g.width;
            for (int64_t ky = 0; ky < g.kernel[0]; ++ky) {
              int64_t iy = y * conv.strides[0] + ky * conv.dilations[0] - conv.padBegin[0];
              for (int64_t kx = 0; kx < g.kernel[1]; ++kx, ++column) {
                int64_t ix = x * conv.strides[1] + kx * conv.dilations[1] - conv.padBegin[1];
                if (iy >= 0 && iy < g.height && ix >= 0 && ix < g.width)
                  *column = plane[iy * g.width + ix];
              }
            }
          }
        }
}
