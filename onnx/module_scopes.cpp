// Writing statements in PyTorch's module tree (module_scopes.hpp).
#include "onnx/module_scopes.hpp"

#include <cctype>
#include <optional>
#include <set>

namespace cnngen::onnx_import {
namespace {

/// `path` within module `prefix` ("layer1.0.conv1" in "layer1" → "0.conv1"; "" where it is the
/// module itself), or nothing where it is outside it.
std::optional<std::string> within(const std::string &path, const std::string &prefix) {
  if (prefix.empty()) return path;
  if (path == prefix) return std::string();
  if (path.size() > prefix.size() && path.compare(0, prefix.size(), prefix) == 0 && path[prefix.size()] == '.')
    return path.substr(prefix.size() + 1);
  return std::nullopt;
}

std::string first_part(const std::string &path) { return path.substr(0, path.find('.')); }
bool has_parts(const std::string &path) { return path.find('.') != std::string::npos; }

bool is_number(const std::string &s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

class Printer {
 public:
  Printer(const std::vector<Step> &steps, bool modules) : steps_(steps), modules_(modules) {}

  /// The statements of `list` in module `prefix` (inside a join's branch where `in_branch`), or
  /// nothing where one of them cannot be written there.
  std::optional<std::string> body(const std::vector<Statement> &list, const std::string &prefix, bool in_branch,
                                  int indent) {
    std::string text;
    int position = 0;  // the position the next layer line or block takes (none in a branch)
    std::set<std::string> blocks;
    for (std::size_t i = 0; i < list.size();) {
      const std::string key = modules_ ? module_of(list[i], prefix) : "";
      std::size_t end = i + 1;
      if (!key.empty()) {
        while (end < list.size() && in_module(list[end], join(prefix, key))) ++end;
        std::optional<std::string> block;
        if (!blocks.count(key)) block = module_block(list, i, end, prefix, key, in_branch, indent, position);
        if (block) {
          blocks.insert(key);
          text += *block;
          i = end;
          continue;
        }
      }
      for (; i < end; ++i) {  // not a module block: each statement at this level
        std::optional<std::string> one = statement(list[i], prefix, in_branch, indent, position);
        if (!one) return std::nullopt;
        text += *one;
      }
    }
    return text;
  }

 private:
  static std::string join(const std::string &prefix, const std::string &part) {
    return prefix.empty() ? part : prefix + "." + part;
  }

  const Step &step_of(const Statement &s) const { return steps_[static_cast<std::size_t>(s.step)]; }

  /// The module within `prefix` that statement `s` starts a block for, or "": a layer's name (or,
  /// without weights, its node's module path) with parts after it; a join's node's module path.
  std::string module_of(const Statement &s, const std::string &prefix) const {
    const Step &step = step_of(s);
    const bool join = step.kind == Step::Kind::join;
    const std::optional<std::string> path = within(step.name.empty() ? step.scope : step.name, prefix);
    if (!path || path->empty() || (!join && !has_parts(*path))) return "";
    return first_part(*path);
  }

  /// Whether statement `s` belongs in module `module`: its layer's name is inside it, or (a layer
  /// without weights, a join) its node was computed there.
  bool in_module(const Statement &s, const std::string &module) const {
    const Step &step = step_of(s);
    if (!step.name.empty()) {
      const std::optional<std::string> path = within(step.name, module);
      return path && !path->empty();
    }
    return within(step.scope, module).has_value();
  }

  /// list[begin, end) as the block of module `key` within `prefix`: `seq key { … }`, or `seq { … }`
  /// where key is the position the block takes; nothing where it cannot be written so.
  std::optional<std::string> module_block(const std::vector<Statement> &list, std::size_t begin, std::size_t end,
                                          const std::string &prefix, const std::string &key, bool in_branch,
                                          int indent, int &position) {
    const bool numbered = is_number(key);
    if (numbered && !in_branch && !reachable(key, position)) return std::nullopt;
    if (numbered && in_branch) return std::nullopt;
    if (!numbered && !writable_name(key)) return std::nullopt;
    const std::vector<Statement> inner(list.begin() + static_cast<std::ptrdiff_t>(begin),
                                       list.begin() + static_cast<std::ptrdiff_t>(end));
    std::optional<std::string> text = body(inner, join(prefix, key), false, indent + 1);
    if (!text) return std::nullopt;
    const std::string gap = numbered ? fill(key, indent, position) : "";
    if (!in_branch) ++position;
    return gap + line(indent, numbered ? "seq {" : "seq " + key + " {", "") + *text + line(indent, "}", "");
  }

  /// Whether position `key` is this one or a later one (kMaxGap at most).
  static bool reachable(const std::string &key, int position) {
    return key.size() < 6 && std::stoi(key) >= position && std::stoi(key) - position <= kMaxGap;
  }
  static constexpr int kMaxGap = 4;

  /// `identity` lines up to position `key`: the modules PyTorch's exporter left out at inference
  /// (a batch norm folded into the convolution before it, a dropout), so that what follows takes
  /// its own position.
  static std::string fill(const std::string &key, int indent, int &position) {
    std::string text;
    for (; position < std::stoi(key); ++position)
      text += line(indent, "identity", "module " + std::to_string(position) + ": the identity at inference (folded into the layer before, or dropped)");
    return text;
  }

  /// One statement in module `prefix`: a layer named within it (or unnamed where its name is the
  /// position it takes), or a join with its branches.
  std::optional<std::string> statement(const Statement &s, const std::string &prefix, bool in_branch, int indent,
                                       int &position) {
    const Step &step = step_of(s);
    if (step.kind == Step::Kind::join) {
      std::string text = line(indent, step.kind_name + " {", step.origin);
      for (const std::vector<Statement> &branch : s.branches) {
        if (branch.empty()) {
          text += line(indent + 1, "branch {}", "");
          continue;
        }
        std::optional<std::string> inner = body(branch, prefix, true, indent + 2);
        if (!inner) return std::nullopt;
        text += line(indent + 1, "branch {", "") + *inner + line(indent + 1, "}", "");
      }
      return text + line(indent, "}", "");
    }
    std::string name, gap;
    if (!step.name.empty()) {
      const std::optional<std::string> path = within(step.name, prefix);
      if (!path || path->empty()) return std::nullopt;
      const bool named_by_position = is_number(*path) && !in_branch && reachable(*path, position) &&
                                     step.kind_name != "parameter";
      if (!named_by_position && !writable_name(*path)) return std::nullopt;
      if (!named_by_position) name = *path;
      if (named_by_position) gap = fill(*path, indent, position);
    } else if (const std::optional<std::string> path = within(step.scope, prefix);
               path && is_number(*path) && !in_branch && reachable(*path, position)) {
      gap = fill(*path, indent, position);  // a module without weights, at its own position too
    }
    if (!in_branch) ++position;
    std::string text = step.kind_name;
    if (!name.empty()) text += " " + name;
    if (!step.arguments.empty()) text += "(" + step.arguments + ")";
    return gap + line(indent, text, step.origin);
  }

  /// A line at `indent`, with `comment` (the ONNX node) in a column of its own where given.
  static std::string line(int indent, const std::string &text, const std::string &comment) {
    std::string code = std::string(static_cast<std::size_t>(2 * indent), ' ') + text;
    if (!comment.empty())
      code += std::string(code.size() < kCommentColumn ? kCommentColumn - code.size() : 2, ' ') + "# " + comment;
    return code + "\n";
  }
  static constexpr std::size_t kCommentColumn = 56;

  const std::vector<Step> &steps_;
  const bool modules_;
};

}  // namespace

std::string write_statements(const std::vector<Statement> &statements, const std::vector<Step> &steps, bool modules) {
  Printer printer(steps, modules);
  if (std::optional<std::string> text = printer.body(statements, "", false, 0)) return *text;
  // Every layer at its full name (a writable one: map_nodes made it so) always writes.
  return *Printer(steps, false).body(statements, "", false, 0);
}

}  // namespace cnngen::onnx_import
