//===- Rotate.cpp - QuaRot-style Hadamard rotations folded into weights ---===//
//
// QuaRot (Ashkboos et al. 2024), SpinQuant's naming: an orthogonal Q leaves
// a transformer's function unchanged when every linear that writes the
// residual stream writes x·Q instead of x, every linear that reads it (after
// an RMSNorm, which commutes with Q: ‖xQ‖ = ‖x‖) reads with W·Q, and the
// embedding rows are rotated too. With Q a randomized Hadamard matrix
// (random signs, then H/√n) the rotated activations have no outlier channels
// any more, which is what makes 4-bit activations work.
//
//   R1  residual stream: embeddings E·Q; writers Qᵀ·W (and b·Q); readers
//       W·diag(γ)·Q with the norm's gain γ folded in first (the norm keeps
//       unit gain; a beta becomes the readers' bias W·β).
//   R4  online: a qopt.hadamard on the input of each residual writer (the
//       down projection, through SwiGLU's product, and the attention output
//       projection), with its H folded into the writer's weight columns.
//
// Matched structurally: the stream is the closure of the norms' inputs
// under elementwise adds; every other producer must be a linear (through
// channel-keeping reshapes) or the embedding gather, every reader a norm or
// a stream add. Anything else is an error at the op, never a silent skip.
// Calibration statistics follow: Hessians rotate exactly (QᵀHQ), channel
// maxima and quantiles of the rotated inputs cannot be derived and are
// dropped.
//
//===----------------------------------------------------------------------===//

#include "qopt/Transforms/Passes.h"

#include "ChannelMatching.h"
#include "HeadPath.h"

#include "qopt/Dialect/QoptOps.h"
#include "qopt/Support/CalibrationAttributes.h"
#include "qopt/Support/ConstantTensor.h"
#include "qopt/Support/Hadamard.h"
#include "qopt/Support/ScalarBody.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

#include "llvm/ADT/SetVector.h"

#include <random>

namespace qopt {
#define GEN_PASS_DEF_ROTATE
#include "qopt/Transforms/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;

namespace {

/// Q = diag(signs) · H / √m of size m = factors.size() (no signs: the plain
/// Hadamard), applied as x ↦ x · diag(Q, .., Q) on every row of a row-major
/// [rows, n] matrix, m dividing n.
struct Rotation {
  HadamardFactors factors;
  std::vector<float> signs;

  static Rotation randomized(const HadamardFactors &factors, std::mt19937_64 &rng) {
    Rotation rotation{factors, std::vector<float>(size_t(factors.size()))};
    for (float &sign : rotation.signs)
      sign = (rng() & 1) ? -1.0f : 1.0f;
    return rotation;
  }

  void rotateRows(std::vector<float> &matrix, int64_t n) const {
    int64_t rows = int64_t(matrix.size()) / n;
    if (!signs.empty())
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t j = 0; j < n; ++j)
          matrix[size_t(r * n + j)] *= signs[size_t(j) % signs.size()];
    applyHadamard(matrix.data(), rows, n, factors);
  }
};

std::vector<float> transposed(const std::vector<float> &matrix, int64_t rows, int64_t columns) {
  std::vector<float> result(matrix.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < columns; ++c)
      result[size_t(c * rows + r)] = matrix[size_t(r * columns + c)];
  return result;
}

/// A transform of the rows of a row-major matrix whose rows have length n.
using RowTransform = llvm::function_ref<void(std::vector<float> &, int64_t)>;

/// The writer's output y becomes transform(y): applied to the rows of Wᵀ
/// (W's columns) and to the bias.
void transformWriterOutput(LinearOp writer, RowTransform transform, StringRef weightName, StringRef biasName) {
  auto type = cast<RankedTensorType>(writer.getWeight().getType());
  const int64_t outputs = type.getDimSize(0), inputs = type.getDimSize(1);
  std::vector<float> columns = transposed(*readFloatConstant(getConstantTensor(writer.getWeight())), outputs, inputs);
  transform(columns, outputs);
  replaceLinearWeight(writer, transposed(columns, inputs, outputs), weightName);
  if (Value bias = writer.getBias()) {
    std::vector<float> values = *readFloatConstant(getConstantTensor(bias));
    transform(values, outputs);
    OpBuilder builder(writer);
    writer.getBiasMutable().assign(createChannelVector(builder, writer.getLoc(), values, biasName));
  }
}

/// The embedding table's rows replaced by transform(rows).
void transformEmbeddingRows(OpOperand *table, RowTransform transform, StringRef name) {
  ElementsAttr attr = getConstantTensor(table->get());
  auto type = cast<RankedTensorType>(attr.getType());
  std::vector<float> rows = *readFloatConstant(attr);
  transform(rows, type.getDimSize(1));
  OpBuilder builder(table->getOwner()->getParentOp());
  table->set(createBlobConstant(builder, table->getOwner()->getLoc(), type, ArrayRef<float>(rows), name));
}

/// Every row of length n minus its mean.
void centerRows(std::vector<float> &matrix, int64_t n) {
  for (size_t row = 0; row < matrix.size(); row += size_t(n)) {
    double mean = 0.0;
    for (int64_t j = 0; j < n; ++j)
      mean += matrix[row + size_t(j)];
    mean /= double(n);
    for (int64_t j = 0; j < n; ++j)
      matrix[row + size_t(j)] -= float(mean);
  }
}

/// Whether `op` is an elementwise a + b of two same-typed non-constant
/// tensors.
bool isStreamAdd(Operation *op) {
  auto generic = dyn_cast_or_null<linalg::GenericOp>(op);
  if (!generic || generic->getNumResults() != 1 || generic.getNumDpsInputs() != 2 ||
      generic.getNumLoops() != generic.getNumParallelLoops())
    return false;
  for (OpOperand &operand : generic->getOpOperands())
    if (!generic.getMatchingIndexingMap(&operand).isIdentity() ||
        operand.get().getType() != generic->getResult(0).getType() || getConstantTensor(operand.get()))
      return false;
  for (auto [a, b] : {std::pair{1.5, -0.25}, {-3.0, 7.0}}) {
    std::optional<double> sum = evaluateScalarBody(generic, {a, b, 0.0});
    if (!sum || *sum != a + b)
      return false;
  }
  return true;
}

/// The constant table a gather generic reads rows of (out[..., j] =
/// table[index, j] with j the last loop), or null.
OpOperand *matchEmbeddingTable(Operation *op, int64_t channels) {
  auto generic = dyn_cast_or_null<linalg::GenericOp>(op);
  if (!generic || generic->getNumResults() != 1 || generic.getNumLoops() != generic.getNumParallelLoops())
    return nullptr;
  OpOperand *table = nullptr;
  for (Operation &inner : generic.getBody()->without_terminator()) {
    auto extract = dyn_cast<tensor::ExtractOp>(inner);
    if (!extract)
      continue;
    auto type = cast<RankedTensorType>(extract.getTensor().getType());
    auto lastIndex = extract.getIndices().back().getDefiningOp<linalg::IndexOp>();
    if (table || type.getRank() != 2 || type.getDimSize(1) != channels || !getConstantTensor(extract.getTensor()) ||
        !lastIndex || lastIndex.getDim() != generic.getNumLoops() - 1 ||
        generic.getBody()->getTerminator()->getOperand(0) != extract.getResult())
      return nullptr;
    table = &extract.getTensorMutable();
  }
  return table;
}

/// The residual stream of one function and what reads and writes it.
struct Stream {
  llvm::SetVector<Value> values;
  SmallVector<NormOp> norms;
  SmallVector<LinearOp> writers;
  SmallVector<OpOperand *> embeddings;
};

struct RotatePass : qopt::impl::RotateBase<RotatePass> {
  using RotateBase::RotateBase;

  void runOnOperation() override {
    if (kind != "hadamard") {
      getOperation()->emitError() << "qopt-rotate: kind must be 'hadamard', not '" << kind << "'";
      return signalPassFailure();
    }
    SmallVector<NormOp> norms;
    getOperation()->walk([&](NormOp norm) { norms.push_back(norm); });
    if (norms.empty()) {
      getOperation()->emitError("qopt-rotate: no qopt.norm found; rotating the residual stream needs the norms that "
                                "read it (RMSNorm, recognized in the graph phase)");
      return signalPassFailure();
    }
    FailureOr<Stream> stream = findStream(norms);
    if (failed(stream) || failed(rotate(*stream)))
      return signalPassFailure();
  }

  FailureOr<Stream> findStream(ArrayRef<NormOp> norms) {
    Stream stream;
    SmallVector<Value> worklist;
    for (NormOp norm : norms)
      worklist.push_back(norm.getInput());
    int64_t channels = cast<RankedTensorType>(NormOp(norms.front()).getInput().getType()).getShape().back();
    while (!worklist.empty()) {
      Value value = worklist.pop_back_val();
      if (!stream.values.insert(value))
        continue;
      if (cast<RankedTensorType>(value.getType()).getShape().back() != channels)
        return emitError(value.getLoc()) << "qopt-rotate: residual stream values have " << channels
                                         << " channels, this one " << value.getType();
      // Readers: norms and stream adds.
      for (Operation *user : value.getUsers()) {
        if (auto norm = dyn_cast<NormOp>(user)) {
          if (norm.getInput() != value)
            return norm.emitOpError("reads the residual stream as a gain: cannot rotate");
          if (!llvm::is_contained(stream.norms, norm))
            stream.norms.push_back(norm);
        } else if (isStreamAdd(user)) {
          worklist.push_back(user->getResult(0));
        } else {
          return user->emitOpError() << "reads the residual stream but is neither a norm nor a residual add: "
                                        "qopt-rotate cannot keep the function";
        }
      }
      // Writers: adds (both sides are stream), linears, the embedding.
      Operation *producer = value.getDefiningOp();
      if (isStreamAdd(producer)) {
        for (Value operand : producer->getOperands().take_front(2))
          worklist.push_back(operand);
        continue;
      }
      if (OpOperand *table = matchEmbeddingTable(producer, channels)) {
        stream.embeddings.push_back(table);
        continue;
      }
      if (LinearOp linear = matchSoleLinearSource(value)) {
        stream.writers.push_back(linear);
        continue;
      }
      if (!producer)
        return emitError(value.getLoc()) << "qopt-rotate: the residual stream starts at a function argument";
      return producer->emitOpError() << "writes the residual stream but is not a linear layer, a residual add or "
                                        "an embedding gather: qopt-rotate cannot rotate what it writes";
    }
    auto isLayerNorm = [](NormOp norm) { return norm.getKind() == NormKind::layer; };
    if (llvm::any_of(stream.norms, isLayerNorm) && !llvm::all_of(stream.norms, isLayerNorm))
      return llvm::find_if(stream.norms, isLayerNorm)->emitOpError()
             << "is a LayerNorm on a residual stream that RMSNorms also read: centering the stream for "
                "it would change the RMSNorms";
    return stream;
  }

  LogicalResult rotate(Stream &stream) {
    const int64_t channels = cast<RankedTensorType>(stream.norms.front().getInput().getType()).getShape().back();
    // Offline, the dense part may be large: the transform runs once per row.
    std::optional<HadamardFactors> factors = factorHadamard(channels, channels);
    if (!factors)
      return stream.norms.front().emitOpError() << "qopt-rotate: " << explainNoHadamard(channels, channels);
    std::mt19937_64 rng(seed);
    Rotation residual = Rotation::randomized(*factors, rng);

    if (stream.norms.front().getKind() == NormKind::layer)
      centerStream(stream);
    // Readers first: their weights change, their stream norms keep unit gain.
    for (NormOp norm : stream.norms)
      if (failed(foldNormIntoReaders(norm, residual)))
        return failure();
    for (LinearOp writer : stream.writers)
      rotateWriterOutput(writer, residual);
    for (OpOperand *table : stream.embeddings)
      transformEmbeddingRows(
          table, [&](std::vector<float> &rows, int64_t n) { residual.rotateRows(rows, n); }, "rotated_embedding");
    numRotated += stream.writers.size() + stream.embeddings.size();
    if (perHead)
      rotateHeads(rng);
    if (online)
      for (LinearOp writer : stream.writers)
        if (failed(insertOnlineHadamard(writer)))
          return failure();
    return success();
  }

  /// LayerNorm -> RMSNorm: every writer of the stream (linear rows, bias,
  /// embedding rows) writes its output minus its mean over the channels, so
  /// the stream, a sum of such outputs, has zero mean in every row and the
  /// LayerNorms' mean subtraction is the identity: they are RMSNorms (same
  /// eps, gamma and beta), which commute with the rotation.
  void centerStream(Stream &stream) {
    for (LinearOp writer : stream.writers)
      transformWriterOutput(writer, centerRows, "centered_weight", "centered_bias");
    for (OpOperand *table : stream.embeddings)
      transformEmbeddingRows(table, centerRows, "centered_embedding");
    for (NormOp norm : stream.norms)
      norm.setKind(NormKind::rms);
    numCentered += stream.norms.size();
  }

  /// R2: every head block of v's output rotated by one randomized Hadamard
  /// Q (v ↦ v·diag(Q..Q): Wv's rows Qᵀ·Wv per block) and undone in the
  /// output projection's input columns (Wo·diag(Q..Q)), wherever a linear's
  /// output reaches other linears only head by head (attention's value
  /// path). Head sizes without a Hadamard matrix are left alone with a
  /// remark.
  void rotateHeads(std::mt19937_64 &rng) {
    SmallVector<HeadPath> paths;
    getOperation()->walk([&](LinearOp linear) {
      std::string why;
      if (FailureOr<HeadPath> path = matchHeadPath(linear, why); succeeded(path))
        paths.push_back(*path);
    });
    for (HeadPath &path : paths) {
      std::optional<HadamardFactors> factors = factorHadamard(path.blockSize);
      if (!factors) {
        path.producer.emitRemark() << "qopt-rotate: no per-head rotation of the " << path.blockSize
                                   << "-channel heads: " << explainNoHadamard(path.blockSize);
        continue;
      }
      Rotation head = Rotation::randomized(*factors, rng);
      rotateWriterOutput(path.producer, head, "head_rotated_weight");
      for (LinearOp consumer : path.consumers) {
        const int64_t inputs = cast<RankedTensorType>(consumer.getWeight().getType()).getDimSize(1);
        std::vector<float> weight = *readFloatConstant(getConstantTensor(consumer.getWeight()));
        head.rotateRows(weight, inputs);
        replaceLinearWeight(consumer, weight, "head_rotated_weight");
        rotateInputStatistics(consumer, head, {});
      }
      ++numPerHead;
    }
  }

  /// Readers of the norm take W·diag(γ)·Q (and W·β into their bias); the
  /// norm keeps unit gain and no beta.
  LogicalResult foldNormIntoReaders(NormOp norm, const Rotation &rotation) {
    SmallVector<LinearOp> readers;
    if (!collectLinearReaders(norm.getResult(), readers))
      return norm.emitOpError("is read by something other than linear layers with constant weights: "
                              "qopt-rotate cannot fold the rotation into its readers");
    if (!getConstantTensor(norm.getGamma()) || (norm.getBeta() && !getConstantTensor(norm.getBeta())))
      return norm.emitOpError("needs constant gamma and beta to be folded into its readers");
    const int64_t channels = cast<RankedTensorType>(norm.getGamma().getType()).getDimSize(0);
    std::vector<float> gamma = *readFloatConstant(getConstantTensor(norm.getGamma()));
    std::optional<std::vector<float>> beta;
    if (norm.getBeta())
      beta = *readFloatConstant(getConstantTensor(norm.getBeta()));
    for (LinearOp reader : readers) {
      std::vector<float> weight = *readFloatConstant(getConstantTensor(reader.getWeight()));
      const int64_t outputs = int64_t(weight.size()) / channels;
      if (beta) {
        std::vector<float> bias(size_t(outputs), 0.0f);
        if (reader.getBias())
          bias = *readFloatConstant(getConstantTensor(reader.getBias()));
        for (int64_t o = 0; o < outputs; ++o)
          for (int64_t j = 0; j < channels; ++j)
            bias[size_t(o)] += weight[size_t(o * channels + j)] * (*beta)[size_t(j)];
        OpBuilder builder(reader);
        reader.getBiasMutable().assign(createChannelVector(builder, reader.getLoc(), bias, "rotated_bias"));
      }
      for (int64_t o = 0; o < outputs; ++o)
        for (int64_t j = 0; j < channels; ++j)
          weight[size_t(o * channels + j)] *= gamma[size_t(j)];
      rotation.rotateRows(weight, channels);
      replaceLinearWeight(reader, weight, "rotated_weight");
      // The input is now RMSNorm(x)·Q: the Hessian of x·diag(γ) becomes
      // Qᵀ diag(1/γ) H diag(1/γ) Q.
      std::vector<float> inverseGamma(gamma.size());
      for (size_t j = 0; j < gamma.size(); ++j)
        inverseGamma[j] = gamma[j] != 0.0f ? 1.0f / gamma[j] : 0.0f;
      rotateInputStatistics(reader, rotation, inverseGamma);
    }
    OpBuilder builder(norm);
    norm.getGammaMutable().assign(
        createChannelVector(builder, norm.getLoc(), std::vector<float>(size_t(channels), 1.0f), "unit_gamma"));
    if (norm.getBeta())
      norm.getBetaMutable().clear();
    return success();
  }

  /// y·Q: Qᵀ·W (rotating W's columns as rows of Wᵀ) and b·Q.
  void rotateWriterOutput(LinearOp writer, const Rotation &rotation, StringRef name = "rotated_weight") {
    transformWriterOutput(
        writer, [&](std::vector<float> &rows, int64_t n) { rotation.rotateRows(rows, n); }, name, "rotated_bias");
  }

  /// qopt.hadamard on the writer's input, H folded into its weight columns.
  LogicalResult insertOnlineHadamard(LinearOp writer) {
    auto type = cast<RankedTensorType>(writer.getWeight().getType());
    const int64_t inputs = type.getDimSize(1);
    std::optional<HadamardFactors> factors = factorHadamard(inputs);
    if (!factors && partialOnline) {
      // The largest block size dividing the input that has a matrix.
      for (int64_t block = inputs; block >= 2 && !factors; --block)
        if (inputs % block == 0)
          factors = factorHadamard(block);
      if (factors)
        writer.emitRemark() << "qopt-rotate: " << explainNoHadamard(inputs) << "; rotating blocks of "
                            << factors->size() << " instead";
    }
    if (!factors)
      return writer.emitOpError() << "qopt-rotate: online Hadamard on the " << inputs
                                  << " input channels: " << explainNoHadamard(inputs)
                                  << " (qopt-rotate{partial-online=true} rotates the largest block that has one)";
    Rotation hadamard{*factors, {}};
    std::vector<float> weight = *readFloatConstant(getConstantTensor(writer.getWeight()));
    hadamard.rotateRows(weight, inputs);
    replaceLinearWeight(writer, weight, "rotated_weight");
    rotateInputStatistics(writer, hadamard, {});
    OpBuilder builder(writer);
    Value rotated = HadamardOp::create(builder, writer.getLoc(), writer.getInput().getType(), writer.getInput(),
                                       builder.getI64IntegerAttr(factors->size()));
    writer.getInputMutable().assign(rotated);
    ++numOnline;
    return success();
  }

  /// The input statistics of a linear whose input x became x·diag(scale)·R:
  /// the Hessian is Rᵀ diag(s) H diag(s) R; per-channel maxima and |x|
  /// quantiles are not functions of the old ones and are dropped.
  static void rotateInputStatistics(LinearOp linear, const Rotation &rotation, ArrayRef<float> scale) {
    if (auto attr = linear->getAttrOfType<ElementsAttr>(calib::kHessian)) {
      std::vector<float> hessian = *readFloatConstant(attr);
      const int64_t n = int64_t(std::sqrt(double(hessian.size())));
      if (!scale.empty())
        for (int64_t i = 0; i < n; ++i)
          for (int64_t j = 0; j < n; ++j)
            hessian[size_t(i * n + j)] *= scale[size_t(i)] * scale[size_t(j)];
      rotation.rotateRows(hessian, n);                // H R
      hessian = transposed(hessian, n, n);            // Rᵀ Hᵀ
      rotation.rotateRows(hessian, n);                // Rᵀ H R (H symmetric)
      Builder builder(linear.getContext());
      linear->setAttr(calib::kHessian,
                      DenseElementsAttr::get(RankedTensorType::get({n, n}, builder.getF32Type()),
                                             ArrayRef<float>(hessian)));
    }
    linear->removeAttr(calib::kChannelAbsMax);
    linear->removeAttr(calib::kAbsQuantiles);
    linear->removeAttr(calib::kAbsMax);
  }
};

} // namespace
