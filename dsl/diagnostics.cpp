// Rendering of diagnostics: location prefix, the quoted source line, caret and tildes, notes, help.
#include "dsl/diagnostics.hpp"

#include <algorithm>

namespace cnngen {
namespace {

const char *severity_name(Severity severity) {
  return severity == Severity::error ? "error" : "warning";
}

/// Display width of a UTF-8 byte string, counting each code point once and a tab as one space.
std::size_t display_width(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

/// The quoted source line with a caret under the first byte of `range` and tildes under the rest
/// of it (up to the end of that line).
void render_snippet(std::ostream &out, const SourceFile &source, SourceRange range) {
  SourceLocation begin = source.location(range.begin);
  std::string_view line = source.line_text(begin.line);
  std::string shown(line);
  std::replace(shown.begin(), shown.end(), '\t', ' ');
  std::size_t start = std::min(begin.column - 1, line.size());
  std::size_t stop = std::min(line.size(), start + (range.end > range.begin ? range.end - range.begin : 1));
  std::size_t pad = display_width(line.substr(0, start));
  std::size_t width = std::max<std::size_t>(1, display_width(line.substr(start, stop - start)));
  out << "    " << shown << "\n    " << std::string(pad, ' ') << '^' << std::string(width - 1, '~')
      << "\n";
}

void render_location(std::ostream &out, const SourceFile &source, const std::string &file,
                     const std::optional<SourceRange> &range) {
  out << file << ':';
  if (range) {
    SourceLocation at = source.location(range->begin);
    out << at.line << ':' << at.column << ':';
  }
  out << ' ';
}

}  // namespace

Diagnostic &Diagnostic::note(SourceRange where, std::string text) {
  notes.push_back({where, std::move(text)});
  return *this;
}

Diagnostic &Diagnostic::note(std::string text) {
  notes.push_back({std::nullopt, std::move(text)});
  return *this;
}

Diagnostic &Diagnostic::with_help(std::string text) {
  help = std::move(text);
  return *this;
}

Diagnostic &Diagnostics::add(Diagnostic diagnostic) {
  if (diagnostic.severity == Severity::error) ++errors_;
  diagnostics_.push_back(std::move(diagnostic));
  return diagnostics_.back();
}

Diagnostic &Diagnostics::error(SourceRange where, std::string message) {
  return add({Severity::error, source_.name(), where, std::move(message), {}, {}});
}

Diagnostic &Diagnostics::warning(SourceRange where, std::string message) {
  return add({Severity::warning, source_.name(), where, std::move(message), {}, {}});
}

Diagnostic &Diagnostics::error_in(std::string file, std::string message) {
  return add({Severity::error, std::move(file), std::nullopt, std::move(message), {}, {}});
}

Diagnostic &Diagnostics::warning_in(std::string file, std::string message) {
  return add({Severity::warning, std::move(file), std::nullopt, std::move(message), {}, {}});
}

void Diagnostics::render(std::ostream &out) const {
  for (const Diagnostic &d : diagnostics_) {
    render_location(out, source_, d.file, d.range);
    out << severity_name(d.severity) << ": " << d.message << "\n";
    if (d.range) render_snippet(out, source_, *d.range);
    for (const Note &note : d.notes) {
      if (note.range) render_location(out, source_, source_.name(), note.range);
      out << "note: " << note.message << "\n";
      if (note.range) render_snippet(out, source_, *note.range);
    }
    if (!d.help.empty()) out << "help: " << d.help << "\n";
  }
  if (too_many_errors()) out << "note: stopped after " << kMaxErrors << " errors\n";
}

}  // namespace cnngen
