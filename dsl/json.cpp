// Recursive-descent JSON parser and the string quoting of the JSON writers; see json.hpp.
#include "dsl/json.hpp"

#include <iomanip>
#include <sstream>

#include <cerrno>
#include <cstdlib>

namespace cnngen::json {
namespace {

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  std::optional<Value> document(std::string &error) {
    Value value;
    if (parse_value(value, 0)) {
      skip_space();
      if (pos_ == text_.size()) return value;
      fail("unexpected text after the JSON value");
    }
    error = error_ + " at byte " + std::to_string(pos_);
    return std::nullopt;
  }

 private:
  static constexpr int kMaxDepth = 64;

  bool fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    return false;
  }

  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }

  bool consume(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  bool parse_value(Value &out, int depth) {
    if (depth > kMaxDepth) return fail("JSON nested too deeply");
    skip_space();
    if (pos_ >= text_.size()) return fail("unexpected end of JSON");
    char c = text_[pos_];
    if (c == '{') return parse_object(out, depth);
    if (c == '[') return parse_array(out, depth);
    if (c == '"') {
      out.kind = Value::Kind::string;
      return parse_string(out.string);
    }
    if (c == '-' || (c >= '0' && c <= '9')) return parse_number(out);
    struct Word {
      std::string_view text;
      Value::Kind kind;
      bool flag;
    };
    for (const Word &word : {Word{"true", Value::Kind::boolean, true},
                             Word{"false", Value::Kind::boolean, false},
                             Word{"null", Value::Kind::null, false}}) {
      if (text_.substr(pos_, word.text.size()) == word.text) {
        pos_ += word.text.size();
        out.kind = word.kind;
        out.boolean = word.flag;
        return true;
      }
    }
    return fail("unexpected character in JSON");
  }

  bool parse_object(Value &out, int depth) {
    out.kind = Value::Kind::object;
    ++pos_;
    if (consume('}')) return true;
    do {
      skip_space();
      std::string key;
      if (pos_ >= text_.size() || text_[pos_] != '"') return fail("expected a string key");
      if (!parse_string(key)) return false;
      if (!consume(':')) return fail("expected ':'");
      Value value;
      if (!parse_value(value, depth + 1)) return false;
      out.object.emplace_back(std::move(key), std::move(value));
    } while (consume(','));
    return consume('}') || fail("expected ',' or '}'");
  }

  bool parse_array(Value &out, int depth) {
    out.kind = Value::Kind::array;
    ++pos_;
    if (consume(']')) return true;
    do {
      Value value;
      if (!parse_value(value, depth + 1)) return false;
      out.array.push_back(std::move(value));
    } while (consume(','));
    return consume(']') || fail("expected ',' or ']'");
  }

  bool parse_string(std::string &out) {
    ++pos_;  // opening quote
    while (pos_ < text_.size()) {
      char c = text_[pos_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return fail("control character in JSON string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size()) break;
      char e = text_[pos_++];
      switch (e) {
        case '"': case '\\': case '/': out += e; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u':
          // Tensor names are ASCII in practice; keep the escape's text rather than decode UTF-16.
          if (pos_ + 4 > text_.size()) return fail("truncated \\u escape");
          out += "\\u" + std::string(text_.substr(pos_, 4));
          pos_ += 4;
          break;
        default: return fail("unknown escape in JSON string");
      }
    }
    return fail("unterminated JSON string");
  }

  bool parse_number(Value &out) {
    std::size_t start = pos_;
    if (text_[pos_] == '-') ++pos_;
    bool integer = true;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c >= '0' && c <= '9') {
        ++pos_;
      } else if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
        integer = false;
        ++pos_;
      } else {
        break;
      }
    }
    std::string digits(text_.substr(start, pos_ - start));
    char *end = nullptr;
    errno = 0;
    out.kind = Value::Kind::number;
    out.number = std::strtod(digits.c_str(), &end);
    if (end != digits.c_str() + digits.size()) return fail("malformed number");
    if (integer) {
      out.integer = std::strtoll(digits.c_str(), &end, 10);
      out.is_integer = errno == 0;
    }
    return true;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::string error_;
};

}  // namespace

std::optional<Value> parse(std::string_view text, std::string &error) {
  return Parser(text).document(error);
}

std::string quoted(std::string_view text) {
  std::ostringstream out;
  out << '"';
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') out << '\\' << c;
    else if (c == '\n') out << "\\n";
    else if (c == '\t') out << "\\t";
    else if (u < 0x20) out << "\\u" << std::hex << std::setw(4) << std::setfill('0') << int(u) << std::dec;
    else out << c;
  }
  out << '"';
  return out.str();
}

}  // namespace cnngen::json
