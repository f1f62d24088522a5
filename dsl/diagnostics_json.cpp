// Rendering of diagnostics as JSON for editors and CI; the format is documented in
// docs/diagnostics.md.
#include <iomanip>
#include <sstream>

#include "dsl/diagnostics.hpp"
#include "dsl/json.hpp"

namespace cnngen {
namespace {

std::string json_string(std::string_view text) { return json::quoted(text); }

std::string position(const SourceFile &source, std::size_t offset) {
  SourceLocation at = source.location(offset);
  return "{\"line\": " + std::to_string(at.line) + ", \"column\": " + std::to_string(at.column) +
         ", \"offset\": " + std::to_string(offset) + "}";
}

std::string range(const SourceFile &source, const std::optional<SourceRange> &r) {
  if (!r) return "null";
  return "{\"start\": " + position(source, r->begin) + ", \"end\": " + position(source, r->end) + "}";
}

}  // namespace

void render_json(const Diagnostics &diagnostics, std::ostream &out) {
  const SourceFile &source = diagnostics.source();
  std::size_t warnings = 0;
  out << "{\"diagnostics\": [";
  const char *separator = "";
  for (const Diagnostic &d : diagnostics.all()) {
    warnings += d.severity == Severity::warning;
    out << separator << "\n  {\"severity\": \"" << (d.severity == Severity::error ? "error" : "warning")
        << "\", \"message\": " << json_string(d.message) << ", \"file\": " << json_string(d.file)
        << ", \"range\": " << range(source, d.range)
        << ", \"flag\": " << (d.flag.empty() ? "null" : json_string(d.flag)) << ",\n   \"notes\": [";
    const char *note_separator = "";
    for (const Note &note : d.notes) {
      out << note_separator << "{\"message\": " << json_string(note.message) << ", \"file\": "
          << json_string(source.name()) << ", \"range\": " << range(source, note.range) << "}";
      note_separator = ", ";
    }
    out << "],\n   \"help\": " << (d.help.empty() ? "null" : json_string(d.help)) << ", \"fixit\": ";
    if (d.fix) {
      out << "{\"range\": " << range(source, d.fix->range)
          << ", \"replacement\": " << json_string(d.fix->replacement) << "}";
    } else {
      out << "null";
    }
    out << "}";
    separator = ",";
  }
  out << "\n], \"errors\": " << diagnostics.error_count() << ", \"warnings\": " << warnings << "}\n";
}

}  // namespace cnngen
