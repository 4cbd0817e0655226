//===- GenerateCompile.cpp - qopt compile --generate ----------------------===//

#include "GenerateCompile.h"

#include "Commands.h"
#include "ModelFrontend.h"
#include "RuntimeLink.h"

#include "qopt/Conversion/Passes.h"
#include "qopt/Import/DecoderSignature.h"
#include "qopt/Import/OnnxModelFile.h"
#include "qopt/Target/CpuObject.h"
#include "qopt/Transforms/Passes.h"

#include "onnx/onnx-ml.pb.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetMachine.h"

using namespace llvm;
using namespace qopt;

namespace {

cl::opt<bool> generate("generate",
                       cl::desc("Compile a decoder with a KV cache (input_ids, past_key_values.N.key/value -> "
                                "logits, present.N.key/value) into a generator: prefill and decode steps over a "
                                "cache kept in the binary, sampling, timing (--emit exe|lib|obj|llvm)"),
                       cl::init(false), cl::sub(getCompileCommand()), cl::cat(getDriverCategory()));
cl::opt<int64_t> maxSeqLenOption("max-seq-len", cl::desc("With --generate: cache slots, the longest sequence"),
                           cl::init(256), cl::sub(getCompileCommand()), cl::cat(getDriverCategory()));
cl::opt<int64_t> prefillLenOption("prefill-len",
                            cl::desc("With --generate: prompt tokens per prefill step (longer prompts take "
                                     "several)"),
                            cl::init(32), cl::sub(getCompileCommand()), cl::cat(getDriverCategory()));

cl::opt<std::string> kvCacheOption("kv-cache",
                              cl::desc("With --generate: how the KV cache is stored: f16 (default), f32, or int8 / "
                                       "int4 (asymmetric; keys per channel over groups of --kv-group slots, values "
                                       "per slot over groups of min(--kv-group, head_size/2) channels, as KIVI)"),
                              cl::value_desc("f16|f32|int8|int4"), cl::init("f16"), cl::sub(getCompileCommand()),
                              cl::cat(getDriverCategory()));
cl::opt<int64_t> kvGroupOption("kv-group", cl::desc("With --kv-cache int8|int4: slots (keys) and channels (values) per scale"),
                         cl::init(32), cl::sub(getCompileCommand()), cl::cat(getDriverCategory()));
cl::opt<bool> kvHadamardOption("kv-hadamard",
                         cl::desc("With --generate: rotate keys and queries by a Hadamard matrix over each head "
                                  "(QuaRot's R3) before the keys are cached"),
                         cl::init(false), cl::sub(getCompileCommand()), cl::cat(getDriverCategory()));

} // namespace

/// qopt_decoder_info.kv_format (runtime/qopt_generator.h).
std::optional<int32_t> qopt::getKvFormatCode(StringRef format) {
  return StringSwitch<std::optional<int32_t>>(format)
      .Case("f32", 0)
      .Case("f16", 1)
      .Case("int8", 2)
      .Case("int4", 3)
      .Default(std::nullopt);
}

namespace {


/// What every step function must agree on, read from each.
struct StepInterface {
  int64_t vocab = 0;
  /// [layers][key, value] input indices of the quantized cache's scales
  /// and offsets (empty for float formats).
  std::vector<int32_t> pastScale, pastOffset;

  bool operator==(const StepInterface &other) const {
    return vocab == other.vocab && pastScale == other.pastScale && pastOffset == other.pastOffset;
  }
};


/// A step function to compile: `tokens` new tokens after `slots` cache slots.
struct StepShape {
  std::string name;
  int64_t tokens, slots;
};

/// The prefill step over the whole cache, then one-token decode steps over
/// 64, 128, ... slots up to the whole cache: a decode step attends over the
/// smallest power-of-two span that holds the sequence.
std::vector<StepShape> getStepShapes(const GenerateOptions &options) {
  std::vector<StepShape> steps = {{"prefill", options.prefillLen, options.maxSeqLen}};
  for (int64_t slots = 64; slots < options.maxSeqLen; slots *= 2)
    steps.push_back({"decode" + std::to_string(slots), 1, slots});
  steps.push_back({"decode" + std::to_string(options.maxSeqLen), 1, options.maxSeqLen});
  return steps;
}

/// `const qopt_decoder_info qopt_decoder` (runtime/qopt_generator.h).
Error addDecoderInfo(Module &module, const DecoderSignature &decoder, const GenerateOptions &options,
                     const StepInterface &interface, ArrayRef<StepShape> shapes) {
  LLVMContext &context = module.getContext();
  IRBuilder<> builder(context);
  Type *i32 = builder.getInt32Ty(), *i64 = builder.getInt64Ty();
  PointerType *ptr = builder.getPtrTy();
  std::vector<int32_t> past, present;
  for (const DecoderCacheLayer &layer : decoder.layers) {
    past.insert(past.end(), {layer.pastKey, layer.pastValue});
    present.insert(present.end(), {layer.presentKey, layer.presentValue});
  }
  auto table = [&](ArrayRef<int32_t> values, StringRef name) {
    return new GlobalVariable(module, ArrayType::get(i32, values.size()), /*isConstant=*/true,
                              GlobalValue::PrivateLinkage, ConstantDataArray::get(context, values), name);
  };
  auto *stepType = StructType::create(context, {ptr, ptr, i64, i64}, "qopt_decoder_step");
  std::vector<Constant *> steps;
  for (const StepShape &shape : shapes) {
    GlobalVariable *model = module.getGlobalVariable("qopt_" + shape.name + "_model");
    Function *run = module.getFunction("qopt_" + shape.name + "_model_run");
    if (!model || !run)
      return createStringError(inconvertibleErrorCode(), "internal error: the " + shape.name + " step is missing");
    steps.push_back(ConstantStruct::get(stepType, {model, run, builder.getInt64(shape.tokens),
                                                    builder.getInt64(shape.slots)}));
  }
  auto *stepsType = ArrayType::get(stepType, steps.size());
  auto *stepTable = new GlobalVariable(module, stepsType, /*isConstant=*/true, GlobalValue::PrivateLinkage,
                                       ConstantArray::get(stepsType, steps), "qopt_decoder.steps");
  auto optionalTable = [&](ArrayRef<int32_t> values, StringRef name) -> Constant * {
    if (values.empty())
      return ConstantPointerNull::get(ptr);
    return table(values, name);
  };
  auto *type = StructType::create(
      context, {i32, i32, i32, i32, i32, ptr, ptr, i64, i64, i64, i64, i64, i32, ptr, i32, i32, ptr, ptr},
      "qopt_decoder_info");
  Constant *value = ConstantStruct::get(
      type, {builder.getInt32(decoder.inputIds), builder.getInt32(decoder.attentionMask),
             builder.getInt32(decoder.positionIds), builder.getInt32(decoder.logits),
             builder.getInt32(int32_t(decoder.layers.size())), table(past, "qopt_decoder.past"),
             table(present, "qopt_decoder.present"), builder.getInt64(decoder.kvHeads),
             builder.getInt64(decoder.headSize), builder.getInt64(interface.vocab), builder.getInt64(options.maxSeqLen),
             builder.getInt64(options.prefillLen), builder.getInt32(int32_t(steps.size())), stepTable,
             builder.getInt32(*getKvFormatCode(options.kvCache)), builder.getInt32(int32_t(options.kvGroup)),
             optionalTable(interface.pastScale, "qopt_decoder.past_scale"),
             optionalTable(interface.pastOffset, "qopt_decoder.past_offset")});
  new GlobalVariable(module, type, /*isConstant=*/true, GlobalValue::ExternalLinkage, value, "qopt_decoder");
  return Error::success();
}

/// Gives the past inputs of `function` the cache's storage format
/// (qopt-quantize-kv-cache) and finds the scale and offset inputs it adds.
Error convertCacheInputs(mlir::func::FuncOp function, const DecoderSignature &decoder, const GenerateOptions &options,
                         StepInterface &interface) {
  mlir::MLIRContext *context = function.getContext();
  for (const DecoderCacheLayer &layer : decoder.layers) {
    function.setArgAttr(layer.pastKey, "qopt.kv_cache", mlir::StringAttr::get(context, "key"));
    function.setArgAttr(layer.pastValue, "qopt.kv_cache", mlir::StringAttr::get(context, "value"));
  }
  mlir::PassManager pm(context);
  QuantizeKvCacheOptions passOptions;
  passOptions.format = options.kvCache;
  passOptions.group = options.kvGroup;
  passOptions.hadamard = options.kvHadamard;
  pm.addPass(createQuantizeKvCache(passOptions));
  if (failed(pm.run(function->getParentOfType<mlir::ModuleOp>())))
    return createStringError(inconvertibleErrorCode(), "the KV cache cannot be stored as " + options.kvCache +
                                                           (options.kvHadamard ? " with --kv-hadamard" : ""));
  if (!options.isQuantizedKvCache())
    return Error::success();
  auto findInput = [&](StringRef name) -> int32_t {
    for (unsigned i = 0; i < function.getNumArguments(); ++i)
      if (auto attr = function.getArgAttrOfType<mlir::StringAttr>(i, "onnx.name"); attr && attr.getValue() == name)
        return int32_t(i);
    return -1;
  };
  for (const DecoderCacheLayer &layer : decoder.layers)
    for (int input : {layer.pastKey, layer.pastValue}) {
      const std::string &name = decoder.inputNames[input];
      interface.pastScale.push_back(findInput(name + ".scale"));
      interface.pastOffset.push_back(findInput(name + ".offset"));
      if (interface.pastScale.back() < 0 || interface.pastOffset.back() < 0)
        return createStringError(inconvertibleErrorCode(), "internal error: no scales for " + name);
    }
  return Error::success();
}

/// One step function: the model imported for the step's shape, through
/// every phase, as LLVM IR.
Expected<std::unique_ptr<Module>> buildStep(const GenerateBuild &build, const GenerateOptions &options,
                                            const onnx::ModelProto &model, const DecoderSignature &decoder,
                                            const StepShape &step, LLVMContext &llvmContext,
                                            StepInterface &interface) {
  auto error = [](const Twine &message) { return createStringError(inconvertibleErrorCode(), message); };
  const int64_t tokens = step.tokens;
  std::unique_ptr<mlir::MLIRContext> context = createDriverContext(build.tool);
  StringMap<SmallVector<int64_t>> shapes = decoder.getStepShapes(tokens, step.slots);
  mlir::OwningOpRef<mlir::ModuleOp> module = importModel(*context, build.tool, &shapes, &model);
  if (!module)
    return error("the model does not import for a step of " + Twine(tokens) + " tokens");
  auto function = module->lookupSymbol<mlir::func::FuncOp>(getEntryName());
  if (!function)
    return error("no function @" + getEntryName() + " to compile");
  if (Error converted = convertCacheInputs(function, decoder, options, interface))
    return std::move(converted);
  Expected<ModelSignature> signature = getModelSignature(function);
  if (!signature)
    return signature.takeError();
  ArrayRef<int64_t> logits = signature->outputs[decoder.logits].shape;
  if (logits.size() != 3 || logits[0] != 1 || logits[1] != tokens)
    return error("logits must be [1, " + Twine(tokens) + ", vocab] for a step of " + Twine(tokens) + " tokens");
  interface.vocab = logits[2];
  if (runGraphPhase(*module) || runCalibrationPhase(*module, *build.recipe, build.tool) ||
      runQuantizePhase(*module, *build.recipe, build.tool))
    return error("the " + Twine(tokens) + "-token step failed before code generation");
  context->loadDialect<mlir::LLVM::LLVMDialect>();
  mlir::PassManager pm(context.get());
  CpuPipelineOptions pipeline;
  pipeline.isa = getKernelIsa(*build.machine);
  pipeline.generatedKernels = build.generatedKernels;
  buildCpuLoweringPipeline(pm, pipeline);
  if (failed(pm.run(*module)))
    return error("code generation of the " + Twine(tokens) + "-token step failed");
  return translateToModelModule(*module, getEntryName(), *signature, llvmContext, *build.machine, build.optLevel);
}

/// Writes `text` to `path` (nothing left on failure).
int writeTextFile(StringRef path, StringRef text, StringRef tool) {
  std::error_code error;
  ToolOutputFile output(path, error, sys::fs::OF_None);
  if (error)
    return reportError(tool, path + ": " + error.message());
  output.os() << text;
  output.keep();
  return 0;
}

} // namespace

bool qopt::isGenerateRequested() { return generate; }

GenerateOptions qopt::getGenerateOptions() {
  GenerateOptions options;
  options.maxSeqLen = maxSeqLenOption;
  options.prefillLen = prefillLenOption;
  options.kvCache = kvCacheOption;
  options.kvGroup = kvGroupOption;
  options.kvHadamard = kvHadamardOption;
  return options;
}

int qopt::runGenerateCompile(const GenerateBuild &build, const GenerateOptions &options) {
  auto fail = [&](const Twine &message) { return reportError(build.tool, message); };
  const int64_t maxSeqLen = options.maxSeqLen, prefillLen = options.prefillLen, kvGroup = options.kvGroup;
  if (maxSeqLen < 2 || maxSeqLen > (int64_t(1) << 24))
    return fail("--max-seq-len must be in [2, 2^24], not " + Twine(maxSeqLen));
  if (prefillLen < 2 || prefillLen > maxSeqLen)
    return fail("--prefill-len must be in [2, --max-seq-len], not " + Twine(prefillLen));
  if (!getKvFormatCode(options.kvCache))
    return fail("--kv-cache must be f32, f16, int8 or int4, not '" + options.kvCache + "'");
  // Decode steps use 64, 128, ... slots: a key group must divide each.
  if (options.isQuantizedKvCache() && (kvGroup < 1 || 64 % kvGroup || maxSeqLen % kvGroup))
    return fail("--kv-group must divide 64 and --max-seq-len (" + Twine(maxSeqLen) + "), not " + Twine(kvGroup));
  Expected<std::unique_ptr<onnx::ModelProto>> model = readOnnxModel(getModelPath());
  if (!model)
    return fail(toString(model.takeError()));
  Expected<DecoderSignature> decoder = getDecoderSignature(**model, getModelPath());
  if (!decoder)
    return fail(toString(decoder.takeError()));
  if (decoder->maxPositions && maxSeqLen > decoder->maxPositions)
    return fail("--max-seq-len " + Twine(maxSeqLen) + " exceeds the " + Twine(decoder->maxPositions) +
                " positions of " + getModelPath() + " (its metadata max_seq_len)");

  LLVMContext llvmContext;
  std::vector<NamedModelModule> steps;
  std::optional<StepInterface> interface;
  std::vector<StepShape> shapes = getStepShapes(options);
  for (const StepShape &shape : shapes) {
    StepInterface stepInterface;
    Expected<std::unique_ptr<Module>> step = buildStep(build, options, **model, *decoder, shape, llvmContext, stepInterface);
    if (!step)
      return fail(toString(step.takeError()));
    if (interface && !(stepInterface == *interface))
      return fail("the steps disagree on the vocabulary size or the cache's inputs");
    interface = stepInterface;
    steps.push_back({shape.name, std::move(*step)});
  }
  Expected<std::unique_ptr<Module>> linked = linkModelModules(std::move(steps));
  if (!linked)
    return fail(toString(linked.takeError()));
  if (Error error = addDecoderInfo(**linked, *decoder, options, *interface, shapes))
    return fail(toString(std::move(error)));

  std::error_code error;
  if (build.output == GenerateBuild::Output::Llvm) {
    ToolOutputFile output(build.outputPath, error, sys::fs::OF_None);
    if (error)
      return fail(build.outputPath + ": " + error.message());
    (*linked)->print(output.os(), nullptr);
    output.keep();
    return 0;
  }

  TemporaryFiles temporaries;
  SmallString<256> objectPath;
  if (build.output == GenerateBuild::Output::Object) {
    objectPath = build.outputPath;
  } else {
    if (std::error_code ec = sys::fs::createTemporaryFile("qopt-generator", "o", objectPath))
      return fail("cannot create a temporary object file: " + ec.message());
    temporaries.add(objectPath);
  }
  {
    ToolOutputFile object(objectPath, error, sys::fs::OF_None);
    if (error)
      return fail(objectPath + ": " + error.message());
    if (Error emitError = emitObjectFile(**linked, *build.machine, object.os()))
      return fail(toString(std::move(emitError)));
    object.keep();
  }
  if (build.output == GenerateBuild::Output::Object)
    return 0;

  SmallString<256> partial(build.outputPath);
  partial += ".partial";
  temporaries.add(partial);
  RuntimeLinkOptions linkOptions;
  linkOptions.shared = build.output == GenerateBuild::Output::Library;
  linkOptions.generator = true;
  if (int status = linkWithRuntime(objectPath, partial, linkOptions, build.tool))
    return status;
  if (linkOptions.shared) {
    // The C API beside the library: qopt_generator.h (and the runtime header it pairs with).
    StringRef directory = sys::path::parent_path(build.outputPath);
    for (StringRef header : {"qopt_generator.h", "qopt_runtime.h"}) {
      SmallString<256> target(directory);
      sys::path::append(target, header);
      if (std::error_code ec = sys::fs::copy_file(getRuntimeDirectory() + "/" + header, target))
        return fail("cannot copy " + header + " next to the library: " + ec.message());
    }
    SmallString<256> headerPath(build.outputPath);
    sys::path::replace_extension(headerPath, "h");
    std::string text = formatv("/* {0}: a qopt generator ({1} layers, {2} KV heads of {3}, vocabulary {4}, "
                               "{5} cache slots, prefill steps of {6} tokens). The API: qopt_generator.h. */\n"
                               "#include \"qopt_generator.h\"\n",
                               sys::path::filename(build.outputPath), decoder->layers.size(), decoder->kvHeads,
                               decoder->headSize, interface->vocab, maxSeqLen, prefillLen)
                           .str();
    if (int status = writeTextFile(headerPath, text, build.tool))
      return status;
  }
  if (std::error_code ec = sys::fs::rename(partial, build.outputPath))
    return fail("cannot write " + build.outputPath + ": " + ec.message());
  return 0;
}
