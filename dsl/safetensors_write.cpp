// Writing a safetensors file (the weights `cnngen import` hands out): see safetensors.hpp.
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "dsl/safetensors.hpp"

namespace cnngen {
namespace {

std::string json_string(const std::string &text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

bool write_safetensors(const TensorFile &weights, const std::string &path, std::string &error) {
  std::ostringstream header;
  header << "{";
  std::size_t offset = 0;
  bool first = true;
  for (const auto &[name, tensor] : weights) {
    if (tensor.integer) continue;
    const std::size_t bytes = tensor.data.size() * sizeof(float);
    header << (first ? "" : ",") << json_string(name) << ":{\"dtype\":\"F32\",\"shape\":[";
    for (std::size_t d = 0; d < tensor.shape.size(); ++d) header << (d ? "," : "") << tensor.shape[d];
    header << "],\"data_offsets\":[" << offset << "," << offset + bytes << "]}";
    offset += bytes;
    first = false;
  }
  header << "}";
  std::string text = header.str();
  text.append((8 - text.size() % 8) % 8, ' ');  // the data starts 8-byte aligned
  const std::string temporary = path + ".partial";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    unsigned char size[8];
    for (int b = 0; b < 8; ++b) size[b] = static_cast<unsigned char>(static_cast<std::uint64_t>(text.size()) >> (8 * b));
    out.write(reinterpret_cast<const char *>(size), 8);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    for (const auto &[name, tensor] : weights) {
      if (tensor.integer) continue;
      // Little-endian float32, as the machines cnngen runs on store them.
      out.write(reinterpret_cast<const char *>(tensor.data.data()),
                static_cast<std::streamsize>(tensor.data.size() * sizeof(float)));
    }
    out.close();
    if (!out) {
      std::remove(temporary.c_str());
      error = "cannot write " + path;
      return false;
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    error = "cannot write " + path + ": " + std::strerror(errno);
    std::remove(temporary.c_str());
    return false;
  }
  return true;
}

}  // namespace cnngen
