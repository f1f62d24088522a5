// A small JSON reader, enough for safetensors headers: objects, arrays, strings, integers, words.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cnngen::json {

struct Value {
  enum class Kind { null, boolean, number, string, array, object } kind = Kind::null;
  bool boolean = false;
  double number = 0;
  bool is_integer = false;  // the number was written without fraction or exponent
  std::int64_t integer = 0;
  std::string string;
  std::vector<Value> array;
  std::vector<std::pair<std::string, Value>> object;  // in the file's order
};

/// Parses `text`. On malformed input returns nothing and sets `error` to what and where (byte
/// offset). Nesting deeper than 64 levels is rejected, so hostile input cannot exhaust the stack.
std::optional<Value> parse(std::string_view text, std::string &error);

/// `text` as a JSON string literal, quotes included: for the writers of JSON (diagnostics, the
/// checked graph).
std::string quoted(std::string_view text);

}  // namespace cnngen::json
