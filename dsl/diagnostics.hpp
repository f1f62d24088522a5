// Collects user-facing errors and warnings and renders them the way compilers do:
//   file:line:col: error: message, the source line, a caret under the span, notes and a help line.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "dsl/source.hpp"

namespace cnngen {

enum class Severity { error, warning };

/// A warning's switch, as clang's: every warning carries a name, printed as `[-Wunread-input]`
/// and turned on or off with -Wname / -Wno-name. docs/diagnostics.md lists them all.
struct WarningFlag {
  const char *name;
  /// Whether the warning shows when the command line names neither -Wname nor -Wno-name. A pass
  /// may decide it per occurrence (unread-input shows only large unread remainders by default).
  bool on_by_default = true;
};

/// Every warning name, for the command line's check and its "did you mean".
inline constexpr const char *kWarningNames[] = {"unread-input", "unused-tensor"};

/// The -W switches of the command line: later switches win.
struct WarningOptions {
  std::map<std::string, bool, std::less<>> enabled;  // -Wname: true, -Wno-name: false
  bool errors = false;                               // -Werror: warnings become errors
};

/// Applies one -W switch, given without its "-W" ("no-unread-input", "error"); returns why it is
/// malformed (an unknown name, with a "did you mean"), or empty.
std::string apply_warning_switch(std::string_view text, WarningOptions &warnings);

struct Note {
  std::optional<SourceRange> range;  // none: the note is about the whole file
  std::string message;
};

/// A certain fix: replace `range` of the model source with `replacement` (an empty range inserts).
struct FixIt {
  SourceRange range;
  std::string replacement;
};

struct Diagnostic {
  Severity severity = Severity::error;
  std::string file;                  // the model source, or another input such as a weights file
  std::optional<SourceRange> range;  // only for diagnostics in the model source
  std::string message;
  std::vector<Note> notes;
  std::string help;
  std::optional<FixIt> fix;
  std::string flag;             // a warning's name ("unread-input"); empty for errors
  bool from_warning = false;    // an error made from a warning by -Werror

  Diagnostic &note(SourceRange where, std::string text);
  Diagnostic &note(std::string text);
  Diagnostic &with_help(std::string text);
  /// A help line whose fix is certain, also offered to editors as a fix-it.
  Diagnostic &with_fix(std::string text, SourceRange where, std::string replacement);
};

/// The diagnostics of one run over one model source. Passes add to it and go on where they can;
/// the driver renders everything at the end and stops before code generation if any error was seen.
class Diagnostics {
 public:
  static constexpr std::size_t kMaxErrors = 20;
  /// Diagnostics kept in all; later ones are counted but not stored, so hostile input cannot
  /// flood the output.
  static constexpr std::size_t kMaxKept = 100;

  explicit Diagnostics(const SourceFile &source, WarningOptions warnings = {})
      : source_(source), warnings_(std::move(warnings)) {}

  /// An error at `where` in the model source. The reference stays valid until the next report.
  Diagnostic &error(SourceRange where, std::string message);
  /// A warning at `where`, unless `flag` is switched off (then the reference is to a discarded
  /// diagnostic); an error instead under -Werror.
  Diagnostic &warning(SourceRange where, std::string message, WarningFlag flag);
  /// An error about another file (a weights file) or about the model file as a whole.
  Diagnostic &error_in(std::string file, std::string message);
  Diagnostic &warning_in(std::string file, std::string message, WarningFlag flag);

  std::size_t error_count() const { return errors_; }
  bool has_errors() const { return errors_ > 0; }
  /// True once kMaxErrors errors were seen: passes stop looking for more.
  bool too_many_errors() const { return errors_ >= kMaxErrors; }
  const std::vector<Diagnostic> &all() const { return diagnostics_; }
  /// For passes that annotate or fold what they reported (the notes naming a definition's
  /// instance): removes the kept diagnostics from index `first` on and returns them; report()
  /// puts one back, through the same limits as the first time.
  std::vector<Diagnostic> take_from(std::size_t first);
  Diagnostic &report(Diagnostic diagnostic) { return add(std::move(diagnostic)); }
  Diagnostic &at(std::size_t index) { return diagnostics_.at(index); }
  const SourceFile &source() const { return source_; }

  /// Renders everything as text; `color` adds ANSI colours as clang does on a terminal.
  void render(std::ostream &out, bool color = false) const;

 private:
  Diagnostic &add(Diagnostic diagnostic);
  /// Applies the -W switches to a new warning: discards it or makes it an error.
  Diagnostic &add_warning(Diagnostic diagnostic, WarningFlag flag);

  const SourceFile &source_;
  WarningOptions warnings_;
  std::vector<Diagnostic> diagnostics_;
  Diagnostic discarded_;  // where reports past the limits go
  std::size_t errors_ = 0;
};

/// Renders everything as one JSON document (format in docs/diagnostics.md).
void render_json(const Diagnostics &diagnostics, std::ostream &out);

}  // namespace cnngen
