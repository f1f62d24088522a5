// Layer costs and the summary table; see summary.hpp.
#include "dsl/summary.hpp"

#include <algorithm>
#include <iomanip>
#include <sstream>

#include "dsl/operation_traits.hpp"
#include "dsl/window.hpp"

namespace cnngen {
namespace {

/// 1234567 → "1,234,567"
std::string grouped(std::int64_t v) {
  std::string digits = std::to_string(v);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

std::string format_bytes(std::int64_t b) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(1);
  if (b < 1024) return std::to_string(b) + " B";
  if (b < 1024 * 1024) out << b / 1024.0 << " KiB";
  else out << b / (1024.0 * 1024.0) << " MiB";
  return out.str();
}

namespace {

/// Display width of UTF-8 text (× and ⌊ are one column each).
std::size_t width(const std::string &s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

/// Prints rows as aligned columns: those in `text_columns` align left, the others (numbers) right.
void print_table(const std::vector<std::vector<std::string>> &rows, const std::vector<std::size_t> &text_columns,
                 std::ostream &out) {
  std::vector<std::size_t> widths;
  for (const auto &row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], width(row[i]));
  }
  for (const auto &row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      std::string pad(widths[i] - width(row[i]), ' ');
      bool text = std::find(text_columns.begin(), text_columns.end(), i) != text_columns.end();
      line += (text ? row[i] + pad : pad + row[i]) + "  ";
    }
    out << line.substr(0, line.find_last_not_of(' ') + 1) << "\n";
  }
}

const Shape &shape_of(const Network &network, int tensor) {
  return network.tensors[static_cast<std::size_t>(tensor)].shape;
}

/// A network of plain layers, one after another at the top level: its table keeps the layout of
/// a sequential model (position and name columns).
bool is_plain_chain(const Network &network) {
  return std::all_of(network.nodes.begin(), network.nodes.end(),
                     [](const Node &node) { return node.scope.empty() && node.inputs.size() == 1 && node.index >= 0; });
}


/// PyTorch's ceil_mode size: ⌈(n + 2p − k)/s⌉ + 1, less one if the last window starts past the
/// input and its left padding. The formula in words, with the numbers.
std::string ceil_formula(const Window &w, std::int64_t n) {
  std::int64_t numerator = n + 2 * w.padding - w.span();
  std::int64_t out = (numerator + w.stride - 1) / w.stride + 1;
  std::string text = "⌈(" + std::to_string(n) + " + 2·" + std::to_string(w.padding) + " − 1·(" +
                     std::to_string(w.kernel) + "−1) − 1)/" + std::to_string(w.stride) + "⌉ + 1 = " +
                     std::to_string(out);
  if ((out - 1) * w.stride >= n + w.padding)
    text += ", less the window that would start past the input: " + std::to_string(out - 1);
  return text + " (ceil_mode)";
}

std::string adaptive_formula(std::int64_t n, std::int64_t out) {
  return std::to_string(n) + " → " + std::to_string(out) + " in windows of up to " +
         std::to_string(adaptive_span(n, out));
}

}  // namespace

void print_summary(const Network &network, std::int64_t batch, std::ostream &out) {
  const Shape &input = shape_of(network, network.input);
  out << "model " << network.name << ": input " << describe(input) << ", batch " << batch << "\n\n";
  std::vector<LayerCost> costs = layer_costs(network);
  const bool plain = is_plain_chain(network);
  std::vector<std::vector<std::string>> rows;
  if (plain) rows.push_back({"#", "layer", "kind", "output", "parameters", "MACs", "activations", "receptive field"});
  else rows.push_back({"layer", "kind", "output", "parameters", "MACs", "activations", "receptive field"});

  // Module instances open around the current node, outermost first, with their running totals.
  struct Block {
    std::string path;
    std::int64_t parameters = 0, macs = 0;
    Shape output;
    int entries = 0;      // nodes and blocks directly inside
    int child_row = -1;   // the subtotal row of the last block directly inside, if it came last
  };
  std::vector<Block> open;
  auto close = [&] {
    Block b = std::move(open.back());
    open.pop_back();
    // A module whose only child is a module (MobileNet's `features.1` holding `features.1.conv`)
    // has the same totals: one row, named after the outer one, says it.
    if (b.entries == 1 && b.child_row >= 0) {
      rows[static_cast<std::size_t>(b.child_row)][0] = b.path;
    } else {
      rows.push_back({b.path, "= block", describe(b.output), grouped(b.parameters), grouped(b.macs * batch), "", ""});
    }
    if (!open.empty()) {
      ++open.back().entries;
      open.back().child_row = b.entries == 1 && b.child_row >= 0 ? b.child_row : static_cast<int>(rows.size()) - 1;
    }
  };
  std::int64_t parameters = 0, macs = 0;
  for (std::size_t i = 0; i < network.nodes.size(); ++i) {
    const Node &node = network.nodes[i];
    const LayerCost &c = costs[i];
    const Shape &shape = shape_of(network, node.output);
    if (plain) {
      rows.push_back({std::to_string(node.index), node.user_name.empty() ? "-" : node.user_name,
                      node.kind, describe(network.tensors[static_cast<std::size_t>(node.output)]), grouped(c.parameters), grouped(c.macs * batch),
                      format_bytes(c.output_bytes * batch), c.receptive_field});
    } else {
      std::vector<std::string> modules = enclosing_modules(node.scope);
      while (!open.empty() && std::find(modules.begin(), modules.end(), open.back().path) == modules.end()) close();
      for (const std::string &module : modules) {
        if (std::none_of(open.begin(), open.end(), [&](const Block &b) { return b.path == module; }))
          open.push_back({module, 0, 0, {}, 0, -1});
      }
      if (!open.empty()) {
        ++open.back().entries;
        open.back().child_row = -1;
      }
      rows.push_back({node.path, node.kind, describe(network.tensors[static_cast<std::size_t>(node.output)]),
                      grouped(c.parameters), grouped(c.macs * batch),
                      format_bytes(c.output_bytes * batch), c.receptive_field});
      for (Block &b : open) {
        b.parameters += c.parameters;
        b.macs += c.macs;
        b.output = shape;
      }
    }
    parameters += c.parameters;
    macs += c.macs;
  }
  while (!open.empty()) close();
  if (plain) {
    rows.push_back({"", "total", "", "", grouped(parameters), grouped(macs * batch), "", ""});
    print_table(rows, {1, 2}, out);
  } else {
    rows.push_back({"total", "", "", grouped(parameters), grouped(macs * batch), "", ""});
    print_table(rows, {0, 1}, out);
  }
  WorkingMemory peak = peak_working_memory(network, batch);
  out << "\nparameters: " << grouped(parameters) << " (" << format_bytes(parameters * 4) << " as float32)\n"
      << "multiply-accumulates: " << grouped(macs) << " per image, " << grouped(macs * batch)
      << " for the batch (" << grouped(2 * macs * batch) << " FLOP)\n"
      << "peak working memory: " << format_bytes(peak.bytes) << " at batch " << batch;
  if (!peak.node) {
    out << " (the input)\n";
  } else {
    std::string own = peak.node->inputs.size() > 1 ? "inputs and output" : "input and output";
    if (peak.kept == 0) {
      out << " (" << own << " of " << describe(*peak.node) << ")\n";
    } else {
      out << " (at " << describe(*peak.node) << ": its " << own << " and " << peak.kept
          << (peak.kept == 1 ? " tensor" : " tensors") << " kept for a later layer)\n";
    }
  }

  bool heading = false;
  for (const Node &node : network.nodes) {
    const Shape &in = shape_of(network, node.inputs[0]);
    std::string height, width;
    if (const auto *adaptive = std::get_if<AdaptivePool2d>(&node.op)) {
      height = adaptive_formula(in[1], adaptive->output.h);
      width = adaptive_formula(in[2], adaptive->output.w);
    } else if (auto w = windows_of(node.op)) {
      const auto *pool = std::get_if<Pool2d>(&node.op);
      bool ceil_mode = pool && pool->ceil_mode;
      height = ceil_mode ? ceil_formula(w->h, in[1]) : w->h.formula(in[1]);
      width = ceil_mode ? ceil_formula(w->w, in[2]) : w->w.formula(in[2]);
    } else {
      continue;
    }
    if (!heading) {
      out << "\nspatial sizes, out = ⌊(n + 2p − d·(k−1) − 1)/s⌋ + 1:\n";
      heading = true;
    }
    out << "  " << describe(node) << ": "
        << (height == width ? "height and width " + height : "height " + height + ", width " + width)
        << "\n";
  }
}

}  // namespace cnngen
