// A model source file held in memory, and the byte ranges that diagnostics point at.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cnngen {

/// A half-open byte range [begin, end) in a SourceFile.
struct SourceRange {
  std::size_t begin = 0;
  std::size_t end = 0;
};

/// A line and column, both counted from 1 (the column in bytes, as compilers do).
struct SourceLocation {
  std::size_t line = 1;
  std::size_t column = 1;
};

class SourceFile {
 public:
  SourceFile(std::string name, std::string text);

  /// Largest model file read: far above any real model, small enough to parse in well under a
  /// second.
  static constexpr std::size_t kMaxBytes = std::size_t{16} << 20;

  /// Reads `path`; on failure (including a file over kMaxBytes) returns nothing and sets `error`
  /// to the reason.
  static std::optional<SourceFile> read(const std::string &path, std::string &error);

  const std::string &name() const { return name_; }
  const std::string &text() const { return text_; }

  SourceLocation location(std::size_t offset) const;
  /// The text of line `line` (from 1), without its line break.
  std::string_view line_text(std::size_t line) const;

 private:
  std::string name_;
  std::string text_;
  std::vector<std::size_t> line_starts_;
};

}  // namespace cnngen
