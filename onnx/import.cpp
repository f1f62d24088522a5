// The ONNX importer's sequence of passes (import.hpp).
#include "onnx/import.hpp"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>
#include <onnx/version_converter/convert.h>

#include "dsl/infer_shapes.hpp"
#include "dsl/parser.hpp"
#include "onnx/map_nodes.hpp"
#include "onnx/module_scopes.hpp"
#include "onnx/net_structure.hpp"
#include "onnx/onnx_graph.hpp"

namespace cnngen {
namespace {

/// Checks the imported text and weights with cnngen's own front end: what the importer wrote
/// must be what cnngen reads. A failure is the importer's fault or a model
/// ONNX's checker let through (a weight of the wrong shape); either way, where `report`, it is
/// reported with the generated text's own diagnostics as notes.
bool front_end_accepts(const ImportedModel &model, const std::string &file, Diagnostics &diagnostics, bool report) {
  SourceFile source(file + " (imported)", model.net_text);
  Diagnostics own(source);
  std::optional<Network> network;
  if (auto ast = parse(source, own)) network = infer_shapes(*ast, own);
  if (network) check_weights(*network, model.weights, file + " (initializers)", own);
  if (!report) return own.all().empty();  // a trial: not even a warning (a tensor left unused)
  if (!own.has_errors()) return true;
  std::ostringstream rendered;
  own.render(rendered);
  Diagnostic &d = diagnostics.error_in(file, "the imported model does not check as a .net file");
  std::istringstream lines(rendered.str());
  for (std::string line; std::getline(lines, line);) d.note(line);
  d.with_help("if the ONNX model is valid (onnxruntime runs it), this is a bug in cnngen's importer: please report it");
  return false;
}

/// A graph output that no input, initializer or node defines, or "". ONNX's checker lets one
/// through, and its version converter (graphProtoToGraph) then dereferences the missing value.
std::string undefined_output(const onnx::GraphProto &graph) {
  std::set<std::string> defined;
  for (const auto &input : graph.input()) defined.insert(input.name());
  for (const auto &init : graph.initializer()) defined.insert(init.name());
  for (const auto &node : graph.node()) defined.insert(node.output().begin(), node.output().end());
  for (const auto &output : graph.output()) {
    if (!defined.count(output.name())) return output.name();
  }
  return "";
}

/// The first line of ONNX's exception text (it may add the node's whole description after it).
std::string first_line(const std::string &text) {
  std::string line = text.substr(0, text.find('\n'));
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
  return line;
}

}  // namespace

std::string model_name_of(const std::string &path) {
  std::string name = path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
  if (const auto dot = name.find('.'); dot != std::string::npos) name.resize(dot);
  for (char &c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') c = '_';
  }
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) name = "model_" + name;
  return name;
}

std::optional<ImportedModel> import_onnx(std::string_view bytes, const std::string &file,
                                         const std::string &model_name, Diagnostics &diagnostics) {
  using namespace onnx_import;
  onnx::ModelProto model;
  if (bytes.size() > static_cast<std::size_t>(INT32_MAX) ||
      !model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    diagnostics.error_in(file, "the file is not an ONNX model (its protobuf does not parse)");
    return std::nullopt;
  }
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception &e) {
    diagnostics.error_in(file, "ONNX's checker refuses the model: " + first_line(e.what()));
    return std::nullopt;
  }
  if (const std::string name = undefined_output(model.graph()); !name.empty()) {
    diagnostics.error_in(file, "the graph's output '" + name + "' is computed by no node, and is no input or initializer");
    return std::nullopt;
  }
  if (const std::string why = faults_onnx_inference(model.graph()); !why.empty()) {
    diagnostics.error_in(file, why);
    return std::nullopt;
  }
  // One opset to map: older models are converted to 13 by ONNX's own converter (Softmax's axis,
  // Clip's bounds as inputs, Unsqueeze's axes); 13 to 17 differ in nothing the importer maps.
  const std::int64_t opset = default_opset(model);
  if (opset > 0 && opset < 13) {
    try {
      onnx::shape_inference::InferShapes(model);  // some adapters need shapes (Softmax 12 → 13)
    } catch (const std::exception &) {
      // Converted without them where the adapters allow.
    }
    try {
      model = onnx::version_conversion::ConvertVersion(model, 13);
    } catch (const std::exception &e) {
      diagnostics.error_in(file, "ONNX's version converter cannot bring opset " + std::to_string(opset) +
                                     " to 13: " + first_line(e.what()));
      return std::nullopt;
    }
  }
  std::optional<Graph> graph = read_graph(model, file, diagnostics);
  if (!graph) return std::nullopt;
  const std::size_t errors = diagnostics.error_count();
  std::vector<Step> steps = map_nodes(*graph, file, diagnostics);
  if (diagnostics.error_count() > errors) return std::nullopt;
  std::optional<std::vector<Statement>> body = recover_structure(steps, graph->input, graph->output, file, diagnostics);
  if (!body) return std::nullopt;

  ImportedModel imported;
  std::ostringstream text;
  text << "# Imported from " << file.substr(file.find_last_of('/') == std::string::npos ? 0 : file.find_last_of('/') + 1)
       << " by `cnngen import` (ONNX opset " << graph->opset;
  if (!model.producer_name().empty()) text << ", made by " << model.producer_name() << " " << model.producer_version();
  text << ").\n# Each line's comment names the ONNX node it comes from.\n";
  text << "model " << model_name << "\n";
  const std::vector<std::int64_t> &in = graph->values.at(graph->input).shape;
  text << "input ";
  for (std::size_t d = 1; d < in.size(); ++d) text << (d > 1 ? "x" : "") << in[d];
  text << "\n\n";
  const std::string head = text.str();
  imported.net_text = head + write_statements(*body, steps, true);
  for (Step &step : steps) {
    for (auto &[name, tensor] : step.weights) imported.weights.emplace(name, std::move(tensor));
  }
  // In PyTorch's modules where that checks, else every layer at its full name.
  if (front_end_accepts(imported, file, diagnostics, false)) return imported;
  imported.net_text = head + write_statements(*body, steps, false);
  if (!front_end_accepts(imported, file, diagnostics, true)) return std::nullopt;
  return imported;
}

std::optional<ImportedModel> import_onnx_file(const std::string &path, Diagnostics &diagnostics) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    diagnostics.error_in(path, std::string("cannot read the file: ") + std::strerror(errno));
    return std::nullopt;
  }
  const auto size = static_cast<std::size_t>(in.tellg());
  if (size > kMaxOnnxBytes) {
    diagnostics.error_in(path, "the file is " + std::to_string(size) + " bytes; cnngen imports at most " +
                                   std::to_string(kMaxOnnxBytes) + " bytes");
    return std::nullopt;
  }
  in.seekg(0);
  std::string bytes(size, '\0');
  if (!in.read(bytes.data(), static_cast<std::streamsize>(size))) {
    diagnostics.error_in(path, "cannot read the file: read error");
    return std::nullopt;
  }
  return import_onnx(bytes, path, model_name_of(path), diagnostics);
}

}  // namespace cnngen
