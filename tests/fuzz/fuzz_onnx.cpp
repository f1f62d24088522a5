// libFuzzer target: any bytes as an ONNX file, through `cnngen import` (ONNX's protobuf reader,
// checker, version converter and shape inference, then the importer's own passes). Build and run
// with tools/fuzz.sh; the seeds are the import test's exports (tests/onnx/*.onnx).
#include <cstdint>
#include <sstream>
#include <string>

#include "onnx/import.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  static const cnngen::SourceFile none("fuzz.onnx", "");
  cnngen::Diagnostics diagnostics(none);
  auto imported = cnngen::import_onnx(std::string_view(reinterpret_cast<const char *>(data), size), "fuzz.onnx",
                                      "fuzz", diagnostics);
  std::ostringstream out;
  diagnostics.render(out);
  if (imported) out << imported->net_text;
  return 0;
}
