// libFuzzer target: any bytes as a model file through the whole front end (parser, shape
// inference, diagnostics in both formats, summary and dot). Build and run with tools/fuzz.sh.
#include <cstdint>
#include <sstream>
#include <string>

#include "dsl/dot.hpp"
#include "dsl/front_end.hpp"
#include "dsl/summary.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  cnngen::SourceFile source("fuzz.net", std::string(reinterpret_cast<const char *>(data), size));
  cnngen::Diagnostics diagnostics(source);
  cnngen::CheckedModel checked = cnngen::check_model(source, "", diagnostics);
  std::ostringstream out;
  diagnostics.render(out, true);
  cnngen::render_json(diagnostics, out);
  if (checked.network) {
    cnngen::print_summary(*checked.network, 7, out);
    cnngen::print_dot(*checked.network, out);
  }
  return 0;
}
