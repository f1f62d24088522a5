// Rendering of diagnostics as text: location prefix, the quoted source line, caret and tildes,
// notes, help, a warning's name; optionally in colour. Also the -W switches that filter warnings.
#include "dsl/diagnostics.hpp"

#include <algorithm>
#include <iterator>

#include "dsl/layer_arguments.hpp"

namespace cnngen {
namespace {

/// Longest part of a source line quoted under a diagnostic; longer lines are cut around the caret.
constexpr std::size_t kMaxQuoted = 160;

struct Palette {
  const char *bold = "", *error = "", *warning = "", *note = "", *caret = "", *help = "", *reset = "";
};

Palette palette(bool color) {
  if (!color) return {};
  return {"\033[1m",      "\033[1;31m", "\033[1;35m", "\033[1;36m",
          "\033[1;32m",   "\033[1;32m", "\033[0m"};
}

bool continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

/// Display width of a UTF-8 byte string, counting each code point once.
std::size_t display_width(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) { return !continuation(c); }));
}

/// Moves a byte offset back to the start of its UTF-8 code point (at most 3 bytes: invalid UTF-8
/// may hold any run of continuation bytes).
std::size_t code_point_start(std::string_view text, std::size_t at) {
  for (int step = 0; step < 3 && at > 0 && at < text.size() && continuation(text[at]); ++step) --at;
  return at;
}

/// The quoted source line with a caret under the first byte of `range` and tildes under the rest
/// of it (up to the end of that line).
void render_snippet(std::ostream &out, const SourceFile &source, SourceRange range, const Palette &p) {
  SourceLocation begin = source.location(range.begin);
  std::string_view line = source.line_text(begin.line);
  std::size_t start = std::min(begin.column - 1, line.size());
  std::size_t stop = std::min(line.size(), start + std::max<std::size_t>(1, range.end - std::min(range.end, range.begin)));
  std::string prefix, suffix;
  if (line.size() > kMaxQuoted) {
    std::size_t from = code_point_start(line, start > kMaxQuoted / 3 ? start - kMaxQuoted / 3 : 0);
    std::size_t to = code_point_start(line, std::min(line.size(), from + kMaxQuoted));
    if (from > 0) prefix = "…";
    if (to < line.size()) suffix = "…";
    line = line.substr(from, to - from);
    start = std::clamp(start, from, to) - from;
    stop = std::clamp(stop, from + start, to) - from;
  }
  std::string shown = prefix + std::string(line) + suffix;
  std::replace(shown.begin(), shown.end(), '\t', ' ');
  std::size_t pad = display_width(prefix) + display_width(line.substr(0, start));
  std::size_t width = std::max<std::size_t>(1, display_width(line.substr(start, stop - start)));
  out << "    " << shown << "\n    " << std::string(pad, ' ') << p.caret << '^'
      << std::string(width - 1, '~') << p.reset << "\n";
}

void render_location(std::ostream &out, const SourceFile &source, const std::string &file,
                     const std::optional<SourceRange> &range, const Palette &p) {
  out << p.bold << file << ':';
  if (range) {
    SourceLocation at = source.location(range->begin);
    out << at.line << ':' << at.column << ':';
  }
  out << p.reset << ' ';
}

/// Messages quote the user's identifiers; one of a million characters is cut to a readable length.
constexpr std::size_t kMaxMessage = 240;

void shorten(std::string &message) {
  if (message.size() <= kMaxMessage) return;
  std::size_t cut = kMaxMessage;
  while (cut > 0 && continuation(message[cut])) --cut;
  message = message.substr(0, cut) + "…";
}

}  // namespace

Diagnostic &Diagnostic::note(SourceRange where, std::string text) {
  shorten(text);
  notes.push_back({where, std::move(text)});
  return *this;
}

Diagnostic &Diagnostic::note(std::string text) {
  shorten(text);
  notes.push_back({std::nullopt, std::move(text)});
  return *this;
}

Diagnostic &Diagnostic::with_help(std::string text) {
  shorten(text);
  help = std::move(text);
  return *this;
}

Diagnostic &Diagnostic::with_fix(std::string text, SourceRange where, std::string replacement) {
  shorten(text);
  help = std::move(text);
  fix = FixIt{where, std::move(replacement)};
  return *this;
}

std::vector<Diagnostic> Diagnostics::take_from(std::size_t first) {
  std::vector<Diagnostic> taken;
  for (std::size_t i = first; i < diagnostics_.size(); ++i) {
    errors_ -= diagnostics_[i].severity == Severity::error;
    taken.push_back(std::move(diagnostics_[i]));
  }
  diagnostics_.resize(std::min(first, diagnostics_.size()));
  return taken;
}

Diagnostic &Diagnostics::add(Diagnostic diagnostic) {
  bool error = diagnostic.severity == Severity::error;
  if ((error && errors_ >= kMaxErrors) || diagnostics_.size() >= kMaxKept) {
    errors_ += error;
    discarded_ = std::move(diagnostic);
    return discarded_;
  }
  errors_ += error;
  shorten(diagnostic.message);
  diagnostics_.push_back(std::move(diagnostic));
  return diagnostics_.back();
}

Diagnostic &Diagnostics::error(SourceRange where, std::string message) {
  return add({Severity::error, source_.name(), where, std::move(message), {}, {}, {}, {}, false});
}

std::string apply_warning_switch(std::string_view text, WarningOptions &warnings) {
  if (text == "error" || text == "no-error") {
    warnings.errors = text == "error";
    return "";
  }
  bool on = text.substr(0, 3) != "no-";
  std::string_view name = on ? text : text.substr(3);
  std::vector<std::string_view> known(std::begin(kWarningNames), std::end(kWarningNames));
  if (std::find(known.begin(), known.end(), name) == known.end()) {
    std::string problem = "unknown warning option '-W" + std::string(text) + "'";
    known.push_back("error");
    std::string match = closest_match(name, known);
    if (!match.empty()) problem += "; did you mean '-W" + std::string(on ? "" : "no-") + match + "'?";
    return problem;
  }
  warnings.enabled[std::string(name)] = on;
  return "";
}

Diagnostic &Diagnostics::add_warning(Diagnostic diagnostic, WarningFlag flag) {
  diagnostic.flag = flag.name;
  auto set = warnings_.enabled.find(diagnostic.flag);
  if (!(set == warnings_.enabled.end() ? flag.on_by_default : set->second)) {
    discarded_ = std::move(diagnostic);
    return discarded_;
  }
  if (warnings_.errors) {
    diagnostic.severity = Severity::error;
    diagnostic.from_warning = true;
  }
  return add(std::move(diagnostic));
}

Diagnostic &Diagnostics::warning(SourceRange where, std::string message, WarningFlag flag) {
  return add_warning({Severity::warning, source_.name(), where, std::move(message), {}, {}, {}, {}, false}, flag);
}

Diagnostic &Diagnostics::error_in(std::string file, std::string message) {
  return add({Severity::error, std::move(file), std::nullopt, std::move(message), {}, {}, {}, {}, false});
}

Diagnostic &Diagnostics::warning_in(std::string file, std::string message, WarningFlag flag) {
  return add_warning({Severity::warning, std::move(file), std::nullopt, std::move(message), {}, {}, {}, {}, false},
                     flag);
}

void Diagnostics::render(std::ostream &out, bool color) const {
  Palette p = palette(color);
  for (const Diagnostic &d : diagnostics_) {
    render_location(out, source_, d.file, d.range, p);
    bool error = d.severity == Severity::error;
    out << (error ? p.error : p.warning) << (error ? "error" : "warning") << ":" << p.reset << p.bold
        << " " << d.message;
    if (!d.flag.empty()) out << " [" << (d.from_warning ? "-Werror," : "") << "-W" << d.flag << "]";
    out << p.reset << "\n";
    if (d.range) render_snippet(out, source_, *d.range, p);
    for (const Note &note : d.notes) {
      if (note.range) render_location(out, source_, source_.name(), note.range, p);
      out << p.note << "note:" << p.reset << " " << note.message << "\n";
      if (note.range) render_snippet(out, source_, *note.range, p);
    }
    if (!d.help.empty()) out << p.help << "help:" << p.reset << " " << d.help << "\n";
  }
  if (too_many_errors()) {
    out << p.note << "note:" << p.reset << " stopped after " << kMaxErrors << " errors\n";
  }
}

}  // namespace cnngen
