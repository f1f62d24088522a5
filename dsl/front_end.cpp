// The front end's sequence of passes; see front_end.hpp.
#include "dsl/front_end.hpp"

#include "dsl/infer_shapes.hpp"
#include "dsl/parser.hpp"

namespace cnngen {

CheckedModel check_model(const SourceFile &source, const std::string &weights_path,
                         Diagnostics &diagnostics, const std::string &weights_prefix) {
  CheckedModel checked;
  if (auto model = parse(source, diagnostics)) checked.network = infer_shapes(*model, diagnostics);
  if (checked.network && !weights_path.empty()) {
    checked.weights = read_safetensors(weights_path, diagnostics);
    if (checked.weights && !weights_prefix.empty())
      checked.weights = strip_prefix(std::move(*checked.weights), weights_prefix, weights_path, diagnostics);
    if (checked.weights &&
        !check_weights(*checked.network, *checked.weights, weights_path, diagnostics))
      checked.weights.reset();
  }
  return checked;
}

CheckedModel check_model(const SourceFile &source, TensorFile weights, const std::string &weights_name,
                         Diagnostics &diagnostics) {
  CheckedModel checked;
  if (auto model = parse(source, diagnostics)) checked.network = infer_shapes(*model, diagnostics);
  if (checked.network && check_weights(*checked.network, weights, weights_name, diagnostics))
    checked.weights = std::move(weights);
  return checked;
}

}  // namespace cnngen
