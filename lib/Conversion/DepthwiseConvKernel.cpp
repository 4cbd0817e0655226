//===- DepthwiseConvKernel.cpp - the depthwise convolution kernel body ----===//
//
//   parallel for plane (n, c):
//     tap[i][j] = broadcast(w[c, i KW + j]); b = broadcast(bias[c]) or 0
//     for oh in [0, OH):
//       for each 16 outputs ow0.. of the row (the last ones masked):
//         acc = b
//         for i < KH, j < KW:   (unrolled)
//           acc += tap[i][j] * x[n, c, oh SH + i DH, (ow0 + lane) SW + j DW]
//         out[n, c, oh, ow0..] = acc
//
// The input is padded beforehand, so every tap reads inside its row. With
// SW = 1 the 16 inputs of a tap are one contiguous load, with SW = 2 two
// loads and a shuffle, otherwise a gather of lanes SW apart.
//
//===----------------------------------------------------------------------===//

#include "DepthwiseConv.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace qopt;

namespace {

constexpr int64_t kLanes = 16;

class DepthwiseKernelBuilder {
public:
  DepthwiseKernelBuilder(const DepthwiseKernelConfig &config, ValueRange arguments)
      : config(config), x(arguments[0]), weights(arguments[1]),
        bias(config.hasBias ? arguments[2] : Value()), out(arguments.back()),
        epilogueOperands(arguments.drop_back().take_back(config.epilogue.getNumOperands())) {}

  void build(OpBuilder &b, Location loc) {
    const int64_t taps = config.kernel[0] * config.kernel[1];
    const int64_t work = config.batch * config.channels * config.outHeight * config.outWidth * taps;
    buildTaskLoop(b, loc, config.batch * config.channels, work, [&](OpBuilder &pb, Location pl, Value plane) {
      Value channels = indexConstant(pb, pl, config.channels);
      Value image = arith::DivUIOp::create(pb, pl, plane, channels);
      Value channel = arith::RemUIOp::create(pb, pl, plane, channels);
      buildPlane(pb, pl, image, channel);
    });
  }

private:
  const DepthwiseKernelConfig &config;
  Value x, weights, bias, out;
  ValueRange epilogueOperands;

  VectorType f32x16(OpBuilder &b) const { return VectorType::get({kLanes}, b.getF32Type()); }

  void buildPlane(OpBuilder &b, Location loc, Value image, Value channel) {
    SmallVector<Value> taps;
    for (int64_t t = 0; t < config.kernel[0] * config.kernel[1]; ++t)
      taps.push_back(vector::BroadcastOp::create(
          b, loc, f32x16(b), memref::LoadOp::create(b, loc, weights, ValueRange{channel, indexConstant(b, loc, t)})));
    Value start = bias ? vector::BroadcastOp::create(b, loc, f32x16(b), memref::LoadOp::create(b, loc, bias, channel))
                             .getResult()
                       : vectorSplat(b, loc, f32x16(b), 0.0);
    const int64_t fullChunks = config.outWidth / kLanes, tail = config.outWidth % kLanes;
    buildCountedLoop(b, loc, config.outHeight, {}, [&](OpBuilder &rb, Location rl, Value oh, ValueRange) {
      buildCountedLoop(rb, rl, fullChunks, {}, [&](OpBuilder &cb, Location cl, Value chunk, ValueRange) {
        Value ow0 = arith::MulIOp::create(cb, cl, chunk, indexConstant(cb, cl, kLanes));
        buildChunk(cb, cl, image, channel, oh, ow0, kLanes, taps, start);
        return SmallVector<Value>();
      });
      if (tail)
        buildChunk(rb, rl, image, channel, oh, indexConstant(rb, rl, fullChunks * kLanes), tail, taps, start);
      return SmallVector<Value>();
    });
  }

  /// Outputs [ow0, ow0 + lanes) of row oh.
  void buildChunk(OpBuilder &b, Location loc, Value image, Value channel, Value oh, Value ow0, int64_t lanes,
                  ArrayRef<Value> taps, Value start) {
    Value mask = lanes == kLanes ? Value() : prefixMask16(b, loc, lanes);
    Value acc = start;
    Value firstColumn = arith::MulIOp::create(b, loc, ow0, indexConstant(b, loc, config.strides[1]));
    Value firstRow = arith::MulIOp::create(b, loc, oh, indexConstant(b, loc, config.strides[0]));
    for (int64_t i = 0; i < config.kernel[0]; ++i) {
      Value row = arith::AddIOp::create(b, loc, firstRow, indexConstant(b, loc, i * config.dilations[0]));
      for (int64_t j = 0; j < config.kernel[1]; ++j) {
        Value column = arith::AddIOp::create(b, loc, firstColumn, indexConstant(b, loc, j * config.dilations[1]));
        Value inputs = loadStridedRow16(b, loc, x, ValueRange{image, channel, row, column}, config.strides[1], lanes);
        acc = contractedMultiplyAdd(b, loc, inputs, taps[i * config.kernel[1] + j], acc);
      }
    }
    acc = config.epilogue.applyAt(b, loc, acc, epilogueOperands, ValueRange{image, channel, oh, ow0}, lanes);
    if (mask)
      vector::MaskedStoreOp::create(b, loc, out, ValueRange{image, channel, oh, ow0}, mask, acc);
    else
      vector::StoreOp::create(b, loc, acc, out, ValueRange{image, channel, oh, ow0});
  }

};

} // namespace

FailureOr<DepthwiseKernelConfig> DepthwiseKernelConfig::read(func::FuncOp kernel) {
  auto fail = [&](const Twine &why) {
    return kernel.emitOpError("is not a well-formed depthwise kernel declaration: ") << why, failure();
  };
  auto dictionary = kernel->getAttrOfType<DictionaryAttr>(kDepthwiseKernelAttrName);
  if (!dictionary)
    return fail("no configuration");
  DepthwiseKernelConfig config;
  if (std::string why = config.readDeclaration(kernel, dictionary); !why.empty())
    return fail(why);
  if (config.filters != config.channels || config.weightShape[0] != config.channels ||
      config.weightShape[1] != config.kernel[0] * config.kernel[1])
    return fail("operand shapes do not match the window");
  return config;
}

LogicalResult qopt::defineDepthwiseKernels(ModuleOp module) {
  return defineMarkedKernels(module, kDepthwiseKernelAttrName, [](OpBuilder &b, func::FuncOp kernel) {
    FailureOr<DepthwiseKernelConfig> config = DepthwiseKernelConfig::read(kernel);
    if (failed(config))
      return failure();
    DepthwiseKernelBuilder(*config, kernel.getArguments()).build(b, kernel.getLoc());
    return success();
  });
}
