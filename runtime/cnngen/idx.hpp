// Reads IDX files, the format of MNIST and Fashion-MNIST, plain or gzip-compressed (through zlib,
// which reads both). Header-only; link zlib (-lz). Defined CNNGEN_IDX_WITHOUT_ZLIB (for a build
// with no zlib for its target, such as a cross-compiled app), it reads plain files only, and for a
// path FILE.gz reads FILE: gunzip the data first.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#ifndef CNNGEN_IDX_WITHOUT_ZLIB
#include <zlib.h>
#endif

namespace cnngen {

namespace idx_detail {
#ifdef CNNGEN_IDX_WITHOUT_ZLIB
using File = std::FILE *;
inline File open(std::string path) {
  if (path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0) path.resize(path.size() - 3);
  return std::fopen(path.c_str(), "rb");
}
inline bool read(File file, void *into, std::size_t bytes) {
  return std::fread(into, 1, bytes, file) == bytes;
}
inline void close(File file) { std::fclose(file); }
#else
using File = gzFile;
inline File open(const std::string &path) { return gzopen(path.c_str(), "rb"); }
inline bool read(File file, void *into, std::size_t bytes) {
  return gzread(file, into, static_cast<unsigned>(bytes)) == static_cast<int>(bytes);
}
inline void close(File file) { gzclose(file); }
#endif
}  // namespace idx_detail

struct IdxFile {
  std::vector<int> dims;      // outermost first: {10000, 28, 28} for an image file
  std::vector<std::uint8_t> data;
};

/// Reads an unsigned-byte IDX file; on failure returns nothing and sets `error`.
inline std::optional<IdxFile> read_idx(const std::string &path, std::string &error) {
  idx_detail::File file = idx_detail::open(path);
  if (!file) {
    error = "cannot open " + path;
#ifdef CNNGEN_IDX_WITHOUT_ZLIB
    error += " (built without zlib, this reads the file gunzipped, without .gz)";
#endif
    return std::nullopt;
  }
  auto read = [&](void *into, std::size_t bytes) { return idx_detail::read(file, into, bytes); };
  IdxFile idx;
  unsigned char magic[4];
  bool ok = read(magic, 4) && magic[0] == 0 && magic[1] == 0 && magic[2] == 0x08 && magic[3] >= 1 &&
            magic[3] <= 4;
  std::size_t count = 1;
  for (int i = 0; ok && i < magic[3]; ++i) {
    unsigned char b[4];
    ok = read(b, 4);
    int dim = b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
    ok = ok && dim > 0 && dim < (1 << 24);
    idx.dims.push_back(dim);
    count *= static_cast<std::size_t>(dim);
  }
  if (ok && count < (std::size_t{1} << 31)) {
    idx.data.resize(count);
    ok = read(idx.data.data(), count);
  }
  idx_detail::close(file);
  if (!ok) {
    error = path + " is not an unsigned-byte IDX file, or is truncated";
    return std::nullopt;
  }
  return idx;
}

/// The bytes scaled to [0, 1] exactly as torchvision's ToTensor does (float(v) / 255).
inline std::vector<float> unit_floats(const IdxFile &idx) {
  std::vector<float> out(idx.data.size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<float>(idx.data[i]) / 255.0f;
  return out;
}

}  // namespace cnngen
