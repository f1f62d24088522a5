// cnngen: compiles a .net model into a static library and header, or checks, summarizes or draws
// it, or writes the Halide runtime alone. Reads like the pipeline it runs: parse, check shapes,
// check weights, lower, schedule, emit.
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <fstream>
#include <iostream>
#include <sstream>
#include <unistd.h>

#include <Halide.h>

#include "codegen/autoschedule.hpp"
#include "codegen/emit.hpp"
#include "codegen/lower.hpp"
#include "codegen/parts.hpp"
#include "driver/progress_line.hpp"
#include "codegen/schedule_cpu.hpp"
#include "codegen/schedule_batched.hpp"
#include "codegen/schedule_gpu.hpp"
#include "driver/crash_handler.hpp"
#include "driver/options.hpp"
#include "driver/targets.hpp"
#include "dsl/dot.hpp"
#include "dsl/front_end.hpp"
#include "dsl/graph_json.hpp"
#include "dsl/summary.hpp"
#include "dsl/symbols.hpp"
#include "onnx/import.hpp"

namespace {

using namespace cnngen;

enum ExitCode { kSuccess = 0, kUserError = 1, kUsageError = 2, kInternalError = 3 };

/// Halide prints its warnings (mostly about autoscheduler choices) and, without exceptions,
/// aborts on errors. cnngen shows users its own diagnostics only: Halide's warnings are dropped
/// unless CNNGEN_HALIDE_WARNINGS is set, and its errors become exceptions, reported as internal
/// errors.
class HalideReporter : public Halide::CompileTimeErrorReporter {
 public:
  void warning(const char *message) override {
    if (std::getenv("CNNGEN_HALIDE_WARNINGS")) std::cerr << "halide: " << message;
  }
  void error(const char *message) override { throw std::runtime_error(message); }
};

void render(const Diagnostics &diagnostics, const Options &options) {
  if (options.diagnostics_format == DiagnosticsFormat::json) {
    render_json(diagnostics, std::cerr);
    return;
  }
  bool color = options.color == ColorMode::always ||
               (options.color == ColorMode::automatic && ::isatty(STDERR_FILENO));
  diagnostics.render(std::cerr, color);
}

/// Sets the three output paths from the library's: lenet.a → lenet.h and lenet.hpp beside it.
void set_output_paths(EmitRequest &request, const std::string &library) {
  request.library_path = library;
  request.header_path = library.substr(0, library.size() - 2) + ".h";
  request.cpp_header_path = request.header_path + "pp";
}

/// Removes what an earlier run left at the output paths, so a failed run leaves nothing stale.
void remove_outputs(const EmitRequest &request) {
  for (const std::string *path : {&request.library_path, &request.header_path, &request.cpp_header_path}) {
    if (!path->empty()) std::remove(path->c_str());
  }
}

/// Halide names its Funcs after the layers, so its message tells which layer failed.
std::string failing_layer(const Network *network, const SourceFile *source, const std::string &what) {
  if (!network) return "";
  for (const Node &node : network->nodes) {
    const std::string symbol = symbol_name(node);
    for (std::size_t at = what.find(symbol); at != std::string::npos; at = what.find(symbol, at + 1)) {
      char after = at + symbol.size() < what.size() ? what[at + symbol.size()] : ' ';
      if (std::isalnum(static_cast<unsigned char>(after))) continue;  // conv2d_1 inside conv2d_10
      SourceLocation line = source->location(node.range.begin);
      return " in " + describe(node) + " at " + source->name() + ":" + std::to_string(line.line);
    }
  }
  return "";
}

int internal_error(const std::string &model, const std::string &where, const std::string &what) {
  std::cerr << "cnngen: internal error while generating code for '" << model << "'" << where
            << ": " << what << "\n"
            << kReportRequest;
  return kInternalError;
}

/// Lowers and schedules `network`, or a part of it (codegen/parts.hpp), as the command line says;
/// with `report`, the CPU schedule's account of each layer goes there.
PipelineBuilder pipeline_builder(const Options &options, const Network &network, const CheckedModel &checked,
                                 ScheduleReport *report = nullptr) {
  return [&options, &network, &checked, report](const Network &part, const std::string &function_name,
                                                const Halide::Target &target, const BoundaryLayout &layout) {
    int batch_vector = is_autoscheduler(options.schedule) ? 0 : batch_vector_width(network, target);
    const bool own_cpu_schedule = !is_autoscheduler(options.schedule) && !target.has_gpu_feature();
    PlanOptions plan_options;
    plan_options.fold_batch_norm = plan_options.fuse_epilogues = options.fuse;
    plan_options.own_cpu_schedule = own_cpu_schedule;
    const SchedulePlan plan = plan_network(part, checked.weights.has_value(), plan_options);
    // Winograd is scheduled for the CPU by cnngen's own schedule only.
    const ConvAlgorithm conv = own_cpu_schedule ? options.conv : ConvAlgorithm::direct;
    LoweredNetwork lowered = lower(part, plan, checked.weights ? &*checked.weights : nullptr, function_name,
                                   batch_vector, conv, layout);
    if (is_autoscheduler(options.schedule)) {
      autoschedule(lowered, part, target, options.schedule, static_cast<int>(options.batch));
    } else if (target.has_gpu_feature()) {
      schedule_gpu(lowered, part, target);
    } else {
      schedule_cpu(lowered, part, target, &network, report);
    }
    return lowered;
  };
}

int compile(const Options &options, const std::vector<Halide::Target> &targets,
            const SourceFile &source, const Network &network, const CheckedModel &checked) {
  EmitRequest request;
  request.function_name = options.function_name.empty() ? network.name : options.function_name;
  request.source_name = options.model_path;
  set_output_paths(request, options.output_path.empty() ? network.name + ".a" : options.output_path);
  request.targets = targets;
  if (options.layers_per_part >= 0) request.layers_per_part = options.layers_per_part;
  request.jobs = options.jobs;
  const PipelineBuilder build = pipeline_builder(options, network, checked);
  set_crash_context("generating code for '" + network.name + "' from " + options.model_path);
  set_crash_cleanup(emission_files(request));
  ProgressLine line(request.library_path.substr(request.library_path.rfind('/') + 1), stderr_is_terminal());
  request.progress = [&line](const std::string &stage) { line.stage(stage); };
  try {
    emit_library(build, network, request);
    if (options.timings) std::cerr << "cnngen: timings of " << request.library_path << ":\n" << line.timings();
  } catch (const OutputFileError &e) {
    remove_outputs(request);
    std::cerr << "cnngen: error: " << e.what() << "\n";
    return kUserError;
  } catch (const std::exception &e) {
    remove_outputs(request);
    return internal_error(network.name, failing_layer(&network, &source, e.what()), e.what());
  }
  return kSuccess;
}

/// `cnngen schedule`: each CPU target's schedule of every convolution and linear layer, with the
/// working set of each loop level (codegen/schedule_report.hpp), into `out`. The network is
/// lowered and scheduled as compile would (in the same parts), but nothing is compiled.
int schedule_reports(const Options &options, const std::vector<Halide::Target> &targets, const SourceFile &source,
                     const Network &network, const CheckedModel &checked, std::ostream &out) {
  if (is_autoscheduler(options.schedule)) {
    std::cerr << "cnngen: error: schedule describes cnngen's own CPU schedule, not --schedule="
              << options.schedule << "\n";
    return kUsageError;
  }
  for (const Halide::Target &target : targets) {
    if (target.has_gpu_feature()) {
      std::cerr << "cnngen: error: schedule describes CPU targets only, not " << target.to_string() << "\n";
      return kUsageError;
    }
  }
  const int layers_per_part = options.layers_per_part >= 0 ? options.layers_per_part : kDefaultLayersPerPart;
  set_crash_context("scheduling '" + network.name + "' from " + options.model_path);
  for (const Halide::Target &target : targets) {
    ScheduleReport report;
    report.weights_embedded = checked.weights.has_value();
    try {
      const std::vector<NetworkPart> parts = split_network(network, layers_per_part);
      for (std::size_t p = 0; p < parts.size(); ++p) {
        const NetworkPart &part = parts[p];
        const std::size_t first_layer = report.layers.size();
        pipeline_builder(options, network, checked, &report)(part.network, network.name, target,
                                                             part_layout(p, parts.size()));
        // The part's layers name its nodes: the network's from part.first on.
        for (std::size_t k = first_layer; k < report.layers.size(); ++k) report.layers[k].node += part.first;
      }
    } catch (const std::exception &e) {
      return internal_error(network.name, failing_layer(&network, &source, e.what()), e.what());
    }
    if (&target != &targets.front()) out << "\n";
    print_schedule_report(report, network, source, out);
  }
  return kSuccess;
}

/// Writes what `print` prints to -o, or to standard output without it.
template <typename Print>
int write_text(const Options &options, Print print) {
  if (options.output_path.empty()) {
    print(std::cout);
    return kSuccess;
  }
  std::ofstream out(options.output_path);
  print(out);
  if (!out) {
    std::cerr << "cnngen: error: cannot write " << options.output_path << "\n";
    return kUserError;
  }
  return kSuccess;
}

int write_runtime(const Options &options, const std::vector<Halide::Target> &targets) {
  std::string path = options.output_path.empty() ? "runtime.a" : options.output_path;
  try {
    emit_runtime(path, runtime_target(targets));
  } catch (const OutputFileError &e) {
    std::cerr << "cnngen: error: " << e.what() << "\n";
    return kUserError;
  } catch (const std::exception &e) {
    return internal_error("the runtime", "", e.what());
  }
  return kSuccess;
}

/// The path `path` names with its extension replaced by `extension` (".net").
std::string with_extension(const std::string &path, const std::string &extension) {
  const std::size_t slash = path.find_last_of('/');
  const std::size_t dot = path.find_last_of('.');
  const bool has = dot != std::string::npos && (slash == std::string::npos || dot > slash);
  return (has ? path.substr(0, dot) : path) + extension;
}

/// The ONNX model at options.model_path, imported; its diagnostics rendered.
std::optional<ImportedModel> import_in_memory(const Options &options) {
  SourceFile none(options.model_path, "");
  Diagnostics diagnostics(none, options.warnings);
  std::optional<ImportedModel> imported = import_onnx_file(options.model_path, diagnostics);
  render(diagnostics, options);
  if (diagnostics.has_errors()) return std::nullopt;
  return imported;
}

/// `cnngen import`: the .net and its weights, both or neither (each through a temporary file).
int import_model(const Options &options) {
  std::optional<ImportedModel> imported = import_in_memory(options);
  if (!imported) return kUserError;
  const std::string net = options.output_path.empty() ? with_extension(options.model_path, ".net") : options.output_path;
  const std::string weights = options.weights_out.empty() ? with_extension(net, ".safetensors") : options.weights_out;
  std::string error;
  if (!write_safetensors(imported->weights, weights, error)) {
    std::cerr << "cnngen: error: " << error << "\n";
    return kUserError;
  }
  const std::string partial = net + ".partial";
  {
    std::ofstream out(partial, std::ios::trunc);
    out << imported->net_text;
    out.close();
    if (!out || std::rename(partial.c_str(), net.c_str()) != 0) {
      std::remove(partial.c_str());
      std::remove(weights.c_str());
      std::cerr << "cnngen: error: cannot write " << net << "\n";
      return kUserError;
    }
  }
  std::cerr << "cnngen: wrote " << net << " and " << weights << "; compile with: cnngen " << net << " --weights "
            << weights << "\n";
  return kSuccess;
}

int run(const Options &options, const std::vector<Halide::Target> &targets) {
  if (options.command == Command::runtime) return write_runtime(options, targets);
  if (options.command == Command::import_onnx) return import_model(options);
  std::string error;
  std::optional<SourceFile> source;
  std::optional<TensorFile> imported_weights;
  if (is_onnx_path(options.model_path)) {
    // An ONNX file is imported in memory: the .net `cnngen import` would write, with its weights.
    std::optional<ImportedModel> imported = import_in_memory(options);
    if (!imported) return kUserError;
    source.emplace(options.model_path, imported->net_text);
    imported_weights = std::move(imported->weights);
  } else {
    source = SourceFile::read(options.model_path, error);
  }
  if (!source) {
    std::cerr << options.model_path << ": error: cannot read the model file: " << error << "\n";
    return kUserError;
  }
  Diagnostics diagnostics(*source, options.warnings);
  CheckedModel checked =
      imported_weights ? check_model(*source, std::move(*imported_weights), options.model_path + " (initializers)", diagnostics)
                       : check_model(*source, options.weights_path, diagnostics, options.weights_prefix);
  render(diagnostics, options);
  if (diagnostics.has_errors()) {
    if (options.command == Command::compile && !options.output_path.empty()) {
      EmitRequest stale;
      set_output_paths(stale, options.output_path);
      remove_outputs(stale);
    }
    return kUserError;
  }
  switch (options.command) {
    case Command::check: return kSuccess;
    case Command::summary: print_summary(*checked.network, options.batch, std::cout); return kSuccess;
    case Command::dot:
      return write_text(options, [&](std::ostream &out) { print_dot(*checked.network, out); });
    case Command::json:
      return write_text(options, [&](std::ostream &out) { print_graph_json(*checked.network, *source, out); });
    case Command::schedule: {
      std::ostringstream text;  // whole before -o is opened: a failure leaves no partial file
      const int status = schedule_reports(options, targets, *source, *checked.network, checked, text);
      if (status != kSuccess) return status;
      return write_text(options, [&](std::ostream &out) { out << text.str(); });
    }
    case Command::compile: return compile(options, targets, *source, *checked.network, checked);
    case Command::runtime:
    case Command::import_onnx: break;  // handled above: no .net to read
  }
  return kSuccess;
}

}  // namespace

int main(int argc, char **argv) {
  bool help_shown = false;
  std::optional<Options> options = parse_options(argc, argv, std::cout, std::cerr, help_shown);
  if (!options) return help_shown ? kSuccess : kUsageError;
  std::string target_error;
  std::optional<std::vector<Halide::Target>> targets = parse_targets(options->target, target_error);
  if (!targets && (options->command == Command::compile || options->command == Command::runtime)) {
    std::cerr << "cnngen: error: " << target_error << "\n"
              << "note: examples: host, x86-64-linux-avx2, arm-64-linux, host-cuda, "
                 "x86-64-linux-avx2,x86-64-linux\n";
    return kUsageError;
  }
  if (targets && is_autoscheduler(options->schedule)) {
    for (const Halide::Target &target : *targets) {
      if (!target.has_gpu_feature()) continue;
      std::cerr << "cnngen: error: --schedule=" << options->schedule << " plans for the CPU only, "
                << "but target '" << target.to_string() << "' runs on a GPU\n"
                << "help: leave --schedule out: cnngen's own schedule covers GPU targets\n";
      return kUsageError;
    }
  }
  install_crash_handler("checking " + (options->model_path.empty() ? "the command line" : options->model_path));
  static HalideReporter reporter;
  Halide::set_custom_compile_time_error_reporter(&reporter);
  try {
    return run(*options, targets ? *targets : std::vector<Halide::Target>{});
  } catch (const std::exception &e) {
    return internal_error(options->model_path, "", e.what());
  }
}
