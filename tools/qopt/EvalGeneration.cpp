//===- EvalGeneration.cpp - qopt eval --kv-cache ----------------------------===//
//
// qopt eval decoder.onnx --kv-cache f32,f16,int8,int4,int4-r3 --data ids.npy
//           [--recipe float,w4a8] [--prompt-len 16] [--kv-group 32] [--json]
//
// Generation fidelity of KV-cache formats: the decoder is built as a
// generator library (GenerateCompile.h) once per recipe and cache format,
// and once as the reference (float weights, f32 cache); each is loaded into
// this process and fed the token sequences of --data teacher-forced through
// its C API (qopt_generator.h): the first --prompt-len tokens prefilled,
// then one decode step per token, so every later position reads the cache.
// Reported per build, over the decoded positions: the mean and largest
// KL(reference || build) of the next-token distributions, the share of
// positions whose argmax agrees, and the cache's bytes per token and layer.
//
//===----------------------------------------------------------------------===//

#include "EvalGeneration.h"

#include "Commands.h"
#include "GenerateCompile.h"
#include "ModelFrontend.h"

#include "qopt/Calibration/SampleSource.h"
#include "qopt/Support/ProgressBar.h"
#include "qopt/Target/CpuObject.h"

#include "qopt_generator.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Target/TargetMachine.h"

#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace llvm;
using namespace qopt;

namespace {

cl::opt<std::string> kvCacheFormats("kv-cache",
                                    cl::desc("Measure generation fidelity of these KV-cache formats (f32, f16, int8, "
                                             "int4; -r3 adds the Hadamard rotation) on token sequences (--data: "
                                             "int64 [count, length])"),
                                    cl::value_desc("f16,int8,..."), cl::sub(getEvalCommand()),
                                    cl::cat(getDriverCategory()));
cl::opt<int64_t> evalKvGroup("kv-group", cl::desc("With --kv-cache: slots (keys) and channels (values) per scale"),
                             cl::init(32), cl::sub(getEvalCommand()), cl::cat(getDriverCategory()));
cl::opt<int64_t> promptLength("prompt-len",
                              cl::desc("With --kv-cache: tokens of each sequence prefilled before the decode steps"),
                              cl::init(16), cl::sub(getEvalCommand()), cl::cat(getDriverCategory()));

constexpr StringLiteral kTool = "qopt eval";

int fail(const Twine &message) { return reportError(kTool, message); }

struct CacheFormat {
  std::string text, name;
  bool hadamard = false;
};

std::optional<CacheFormat> parseCacheFormat(StringRef text) {
  auto [name, suffix] = text.split('-');
  if (!getKvFormatCode(name) || !(suffix.empty() || suffix == "r3"))
    return std::nullopt;
  return CacheFormat{text.str(), name.str(), suffix == "r3"};
}

/// Bytes one token adds to one layer's cache (keys and values, codes and
/// the scales and offsets it shares).
double getCacheBytesPerToken(StringRef format, int64_t kvHeads, int64_t headSize, int64_t group) {
  if (format == "f32" || format == "f16")
    return 2.0 * double(kvHeads * headSize) * (format == "f32" ? 4 : 2);
  const double codes = format == "int8" ? double(headSize) : double(headSize) / 2;
  const double valueGroups = double(headSize / std::min(group, headSize / 2));
  return double(kvHeads) * (2 * codes + 8.0 * double(headSize) / double(group) + 8 * valueGroups);
}

/// A generator library loaded into this process.
class LoadedGenerator {
public:
  static Expected<std::unique_ptr<LoadedGenerator>> load(StringRef path) {
    std::unique_ptr<LoadedGenerator> generator(new LoadedGenerator);
    generator->library = dlopen(path.str().c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!generator->library)
      return createStringError(inconvertibleErrorCode(), Twine("cannot load ") + path + ": " + dlerror());
    auto bind = [&](auto &function, const char *name) {
      function = reinterpret_cast<std::remove_reference_t<decltype(function)>>(dlsym(generator->library, name));
      return function != nullptr;
    };
    if (!bind(generator->create, "qopt_generator_create") || !bind(generator->destroy, "qopt_generator_free") ||
        !bind(generator->reset, "qopt_generator_reset") || !bind(generator->prefill, "qopt_generator_prefill") ||
        !bind(generator->step, "qopt_generator_step") || !bind(generator->logits, "qopt_generator_logits") ||
        !bind(generator->info, "qopt_generator_info"))
      return createStringError(inconvertibleErrorCode(), path + " lacks the generator C API");
    char error[512] = "";
    generator->handle = generator->create(error, sizeof error);
    if (!generator->handle)
      return createStringError(inconvertibleErrorCode(), path + ": " + error);
    return std::move(generator);
  }

  ~LoadedGenerator() {
    if (handle)
      destroy(handle);
    if (library)
      dlclose(library);
  }

  const qopt_decoder_info &getInfo() const { return *info(handle); }

  /// Log-probabilities [1 + tokens.size() - promptLength - 1, vocab] of the
  /// prompt's last token and of every later token but the last.
  Expected<std::vector<float>> teacherForce(ArrayRef<int64_t> tokens, int64_t prompt) {
    const int64_t vocab = getInfo().vocab;
    std::vector<float> rows;
    auto append = [&] {
      const float *values = logits(handle);
      const float top = *std::max_element(values, values + vocab);
      double sum = 0;
      for (int64_t i = 0; i < vocab; ++i)
        sum += std::exp(double(values[i]) - top);
      const double logSum = std::log(sum) + top;
      for (int64_t i = 0; i < vocab; ++i)
        rows.push_back(float(double(values[i]) - logSum));
    };
    char error[512] = "";
    reset(handle);
    if (prefill(handle, tokens.data(), prompt, error, sizeof error))
      return createStringError(inconvertibleErrorCode(), error);
    append();
    for (size_t i = size_t(prompt); i + 1 < tokens.size(); ++i) {
      if (step(handle, tokens[i], error, sizeof error))
        return createStringError(inconvertibleErrorCode(), error);
      append();
    }
    return rows;
  }

private:
  LoadedGenerator() = default;

  void *library = nullptr;
  qopt_generator *handle = nullptr;
  qopt_generator *(*create)(char *, size_t) = nullptr;
  void (*destroy)(qopt_generator *) = nullptr;
  void (*reset)(qopt_generator *) = nullptr;
  int (*prefill)(qopt_generator *, const int64_t *, int64_t, char *, size_t) = nullptr;
  int (*step)(qopt_generator *, int64_t, char *, size_t) = nullptr;
  const float *(*logits)(const qopt_generator *) = nullptr;
  const qopt_decoder_info *(*info)(const qopt_generator *) = nullptr;
};

/// Token sequences [count][length] from an int64 or int32 .npy.
Expected<std::vector<std::vector<int64_t>>> readSequences(StringRef path) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer = MemoryBuffer::getFile(path);
  if (!buffer)
    return createStringError(inconvertibleErrorCode(), path + ": " + buffer.getError().message());
  Expected<NpyArray> array = parseNpy((*buffer)->getBuffer(), path);
  if (!array)
    return array.takeError();
  if ((array->elementType != 7 && array->elementType != 6) || array->shape.empty() || array->shape.size() > 2)
    return createStringError(inconvertibleErrorCode(),
                             path + ": token sequences must be an int64 or int32 array [count, length]");
  const int64_t count = array->shape.size() == 2 ? array->shape[0] : 1, length = array->shape.back();
  if (count < 1 || length < 1)
    return createStringError(inconvertibleErrorCode(), path + ": no token sequences (the array is empty)");
  std::vector<std::vector<int64_t>> sequences(static_cast<size_t>(count), std::vector<int64_t>(static_cast<size_t>(length)));
  for (int64_t s = 0; s < count; ++s)
    for (int64_t t = 0; t < length; ++t) {
      const char *element = array->data + size_t(s * length + t) * array->elementSize;
      if (array->elementType == 7) {
        std::memcpy(&sequences[s][t], element, sizeof(int64_t));
      } else {
        int32_t value;
        std::memcpy(&value, element, sizeof value);
        sequences[s][t] = value;
      }
    }
  return sequences;
}

struct BuildResult {
  std::string recipe, format;
  double kld = 0, kldMax = 0, top1 = 0, cacheBytes = 0;
  int64_t positions = 0;
};

} // namespace

bool qopt::isGenerationEvalRequested() { return !kvCacheFormats.empty(); }

int qopt::runGenerationEval(ArrayRef<const Recipe *> recipes, StringRef dataPath, bool json) {
  SmallVector<CacheFormat> formats;
  SmallVector<StringRef> names;
  StringRef(kvCacheFormats).split(names, ',', -1, /*KeepEmpty=*/false);
  for (StringRef name : names) {
    std::optional<CacheFormat> format = parseCacheFormat(name.trim());
    if (!format)
      return fail("--kv-cache: unknown format '" + name.trim() + "' (f32, f16, int8, int4, optionally -r3)");
    formats.push_back(*format);
  }
  Expected<std::vector<std::vector<int64_t>>> sequences = readSequences(dataPath);
  if (!sequences)
    return fail(toString(sequences.takeError()));
  const int64_t length = int64_t(sequences->front().size());
  if (promptLength < 1 || length < promptLength + 2)
    return fail("--data: sequences of " + Twine(length) + " tokens leave no decode steps after --prompt-len " +
                Twine(promptLength) + " (at least 2 more are needed)");

  CpuTargetOptions targetOptions;
  targetOptions.cpu = "native";
  Expected<std::unique_ptr<TargetMachine>> machine = createCpuTargetMachine(targetOptions);
  if (!machine)
    return fail(toString(machine.takeError()));
  SmallString<128> directory;
  if (std::error_code ec = sys::fs::createUniqueDirectory("qopt-eval-generation", directory))
    return fail("cannot create a temporary directory: " + ec.message());
  scope_exit removeDirectory([&] { sys::fs::remove_directories(directory); });

  GenerateOptions options;
  options.maxSeqLen = alignTo(length, 64);
  options.prefillLen = std::clamp<int64_t>(promptLength, 2, 32);
  options.kvGroup = evalKvGroup;
  int64_t kvHeads = 0, headSize = 0, vocab = 0;
  int builds = 0;
  // The log-probabilities of every decoded position of every sequence.
  auto buildAndRun = [&](const Recipe &recipe, const CacheFormat &format) -> Expected<std::vector<float>> {
    SmallString<256> path(directory);
    sys::path::append(path, "generator" + std::to_string(builds++) + ".so");
    GenerateBuild build;
    build.tool = kTool;
    build.output = GenerateBuild::Output::Library;
    build.outputPath = path;
    build.recipe = &recipe;
    build.machine = machine->get();
    options.kvCache = format.name;
    options.kvHadamard = format.hadamard;
    if (runGenerateCompile(build, options))
      return createStringError(inconvertibleErrorCode(),
                               "the " + recipe.name + " build with a " + format.text + " cache failed");
    Expected<std::unique_ptr<LoadedGenerator>> generator = LoadedGenerator::load(path);
    if (!generator)
      return generator.takeError();
    const qopt_decoder_info &info = (*generator)->getInfo();
    kvHeads = info.kv_heads;
    headSize = info.head_size;
    vocab = info.vocab;
    std::vector<float> all;
    for (const std::vector<int64_t> &sequence : *sequences) {
      Expected<std::vector<float>> rows = (*generator)->teacherForce(sequence, promptLength);
      if (!rows)
        return rows.takeError();
      all.insert(all.end(), rows->begin(), rows->end());
    }
    return all;
  };

  const Recipe *floatRecipe = findRecipe("float");
  const CacheFormat reference{"f32", "f32", false};
  const int total = 1 + int(recipes.size() * formats.size());
  ProgressBar progress("generation builds", total, sys::Process::StandardErrIsDisplayed());
  Expected<std::vector<float>> expected = buildAndRun(*floatRecipe, reference);
  if (!expected)
    return fail(toString(expected.takeError()));
  progress.update(1);
  std::vector<BuildResult> results;
  for (const Recipe *recipe : recipes)
    for (const CacheFormat &format : formats) {
      const bool isReference = recipe == floatRecipe && format.name == "f32" && !format.hadamard;
      Expected<std::vector<float>> got = isReference ? *expected : buildAndRun(*recipe, format);
      if (!got)
        return fail(toString(got.takeError()));
      progress.update(int64_t(results.size()) + 2);
      BuildResult result{recipe->name.str(), format.text};
      const size_t positions = expected->size() / size_t(vocab);
      for (size_t p = 0; p < positions; ++p) {
        const float *q = expected->data() + p * size_t(vocab), *r = got->data() + p * size_t(vocab);
        double kld = 0;
        for (int64_t i = 0; i < vocab; ++i)
          kld += std::exp(double(q[i])) * (double(q[i]) - double(r[i]));
        result.kld += kld;
        result.kldMax = std::max(result.kldMax, kld);
        result.top1 += std::max_element(q, q + vocab) - q == std::max_element(r, r + vocab) - r;
      }
      result.positions = int64_t(positions);
      result.kld /= double(positions);
      result.top1 /= double(positions);
      result.cacheBytes = getCacheBytesPerToken(format.name, kvHeads, headSize, options.kvGroup);
      results.push_back(result);
    }

  if (json) {
    json::Array rows;
    for (const BuildResult &r : results)
      rows.push_back(json::Object{{"recipe", r.recipe},
                                  {"kv_cache", r.format},
                                  {"kld", r.kld},
                                  {"kld_max", r.kldMax},
                                  {"top1", r.top1},
                                  {"positions", r.positions},
                                  {"cache_bytes_per_token_layer", r.cacheBytes}});
    outs() << formatv("{0:2}", json::Value(std::move(rows))) << "\n";
    return 0;
  }
  outs() << formatv("{0,-16} {1,-9} {2,11} {3,11} {4,8} {5,14}\n", "recipe", "kv cache", "KLD", "KLD max", "top-1",
                    "B/token/layer");
  for (const BuildResult &r : results)
    outs() << formatv("{0,-16} {1,-9} {2,11:e3} {3,11:e3} {4,7:f2}% {5,14:f0}\n", r.recipe, r.format, r.kld,
                      r.kldMax, 100 * r.top1, r.cacheBytes);
  outs() << formatv("({0} sequences, {1} decoded positions each after {2} prompt tokens; KLD against the float "
                    "build with an f32 cache)\n",
                    sequences->size(), length - promptLength, promptLength.getValue());
  return 0;
}
