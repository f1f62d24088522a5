// Layer costs and the summary table; see summary.hpp.
#include "dsl/summary.hpp"

#include <algorithm>
#include <iomanip>
#include <sstream>

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

std::string bytes(std::int64_t b) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(1);
  if (b < 1024) return std::to_string(b) + " B";
  if (b < 1024 * 1024) out << b / 1024.0 << " KiB";
  else out << b / (1024.0 * 1024.0) << " MiB";
  return out.str();
}

/// Display width of UTF-8 text (× and ⌊ are one column each).
std::size_t width(const std::string &s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

void print_table(const std::vector<std::vector<std::string>> &rows, std::ostream &out) {
  std::vector<std::size_t> widths;
  for (const auto &row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], width(row[i]));
  }
  for (const auto &row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      std::string pad(widths[i] - width(row[i]), ' ');
      // Text columns (name, kind) align left, numbers right.
      line += (i == 1 || i == 2 ? row[i] + pad : pad + row[i]) + "  ";
    }
    out << line.substr(0, line.find_last_not_of(' ') + 1) << "\n";
  }
}

/// Receptive field along one axis: its size on the input and the input step between neighbours.
struct Field {
  std::int64_t size = 1, jump = 1;
};

}  // namespace

std::vector<LayerCost> layer_costs(const Network &network) {
  std::vector<LayerCost> costs;
  std::vector<std::pair<Field, Field>> fields(network.tensors.size());
  std::vector<bool> whole(network.tensors.size(), false);
  whole[static_cast<std::size_t>(network.input)] =
      network.tensors[static_cast<std::size_t>(network.input)].shape.size() != 3;
  for (const Node &node : network.nodes) {
    auto in = static_cast<std::size_t>(node.inputs[0]);
    auto out = static_cast<std::size_t>(node.output);
    const Shape &out_shape = network.tensors[out].shape;
    LayerCost cost;
    for (const Parameter &p : parameters(node)) cost.parameters += element_count(p.shape);
    if (const auto *conv = std::get_if<Conv2d>(&node.op)) {
      cost.macs = element_count(out_shape) * (conv->in_channels / conv->groups) * conv->kernel.h *
                  conv->kernel.w;
    } else if (const auto *linear = std::get_if<Linear>(&node.op)) {
      cost.macs = linear->in_features * linear->out_features;
    }
    cost.output_bytes = element_count(out_shape) * 4;
    fields[out] = fields[in];
    whole[out] = whole[in] || std::holds_alternative<Flatten>(node.op) ||
                 std::holds_alternative<Linear>(node.op);
    if (auto w = windows_of(node.op)) {
      auto grow = [](Field f, const Window &window) {
        return Field{f.size + (window.span() - 1) * f.jump, f.jump * window.stride};
      };
      fields[out] = {grow(fields[in].first, w->h), grow(fields[in].second, w->w)};
    }
    cost.receptive_field = whole[out] ? "all" : std::to_string(fields[out].first.size) + "×" +
                                                    std::to_string(fields[out].second.size);
    costs.push_back(cost);
  }
  return costs;
}

std::int64_t peak_working_bytes(const Network &network, std::int64_t batch, const Node **layer) {
  std::int64_t peak = 0;
  for (const Node &node : network.nodes) {
    std::int64_t working =
        (element_count(network.tensors[static_cast<std::size_t>(node.inputs[0])].shape) +
         element_count(network.tensors[static_cast<std::size_t>(node.output)].shape)) * 4 * batch;
    if (working > peak) {
      peak = working;
      if (layer) *layer = &node;
    }
  }
  return peak;
}

void print_summary(const Network &network, std::int64_t batch, std::ostream &out) {
  const Shape &input = network.tensors[static_cast<std::size_t>(network.input)].shape;
  out << "model " << network.name << ": input " << describe(input) << ", batch " << batch << "\n\n";
  std::vector<LayerCost> costs = layer_costs(network);
  std::vector<std::vector<std::string>> rows{
      {"#", "layer", "kind", "output", "parameters", "MACs", "activations", "receptive field"}};
  std::int64_t parameters = 0, macs = 0;
  for (std::size_t i = 0; i < network.nodes.size(); ++i) {
    const Node &node = network.nodes[i];
    const LayerCost &c = costs[i];
    const Shape &shape = network.tensors[static_cast<std::size_t>(node.output)].shape;
    rows.push_back({std::to_string(node.index), node.user_name.empty() ? "-" : node.user_name,
                    node.kind, describe(shape), grouped(c.parameters), grouped(c.macs * batch),
                    bytes(c.output_bytes * batch), c.receptive_field});
    parameters += c.parameters;
    macs += c.macs;
  }
  const Node *peak_layer = nullptr;
  std::int64_t peak = peak_working_bytes(network, batch, &peak_layer);
  rows.push_back({"", "total", "", "", grouped(parameters), grouped(macs * batch), "", ""});
  print_table(rows, out);
  out << "\nparameters: " << grouped(parameters) << " (" << bytes(parameters * 4) << " as float32)\n"
      << "multiply-accumulates: " << grouped(macs) << " per image, " << grouped(macs * batch)
      << " for the batch (" << grouped(2 * macs * batch) << " FLOP)\n"
      << "peak working memory: " << bytes(peak) << " at batch " << batch << " (input and output of "
      << (peak_layer ? describe(*peak_layer) : "the input") << ")\n";

  bool heading = false;
  for (const Node &node : network.nodes) {
    auto w = windows_of(node.op);
    if (!w) continue;
    if (!heading) {
      out << "\nspatial sizes, out = ⌊(n + 2p − d·(k−1) − 1)/s⌋ + 1:\n";
      heading = true;
    }
    const Shape &in = network.tensors[static_cast<std::size_t>(node.inputs[0])].shape;
    std::string height = w->h.formula(in[1]), width = w->w.formula(in[2]);
    out << "  " << describe(node) << ": "
        << (height == width ? "height and width " + height : "height " + height + ", width " + width)
        << "\n";
  }
}

}  // namespace cnngen
