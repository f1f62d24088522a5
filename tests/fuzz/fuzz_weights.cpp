// libFuzzer target: any bytes as a safetensors file, read and checked against a small network.
// Build and run with tools/fuzz.sh.
#include <cstdint>
#include <sstream>
#include <string>

#include "dsl/front_end.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  static const cnngen::SourceFile source(
      "fuzz.net", "model m\ninput 1x4x4\nconv2d(2, kernel=3)\nrelu\nflatten\nlinear fc(3)\n");
  cnngen::Diagnostics diagnostics(source);
  cnngen::CheckedModel checked = cnngen::check_model(source, "", diagnostics);
  auto weights = cnngen::parse_safetensors(
      std::string_view(reinterpret_cast<const char *>(data), size), "fuzz.safetensors", diagnostics);
  if (weights) cnngen::check_weights(*checked.network, *weights, "fuzz.safetensors", diagnostics);
  std::ostringstream out;
  diagnostics.render(out);
  cnngen::render_json(diagnostics, out);
  return 0;
}
