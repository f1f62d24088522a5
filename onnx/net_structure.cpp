// Recovering chains and joins from the graph's steps (net_structure.hpp).
#include "onnx/net_structure.hpp"

#include <map>
#include <set>

namespace cnngen::onnx_import {
namespace {

class Recovery {
 public:
  Recovery(const std::vector<Step> &steps, const std::string &output, const std::string &file, Diagnostics &diagnostics)
      : file_(file), diagnostics_(diagnostics) {
    // Aliases (Identity, Dropout) pass their input through: readers read the input instead.
    for (const Step &s : steps) {
      if (s.kind == Step::Kind::alias) alias_[s.output] = resolve(s.inputs[0]);
    }
    std::map<std::vector<std::string>, std::string> concats;  // a concatenation's inputs → its output
    for (const Step &s : steps) {
      if (s.kind == Step::Kind::alias) continue;
      Step copy = s;
      for (std::string &in : copy.inputs) in = resolve(in);
      if (copy.kind == Step::Kind::join && copy.kind_name == "concat") {
        // DenseNet as exported: each layer concatenates every earlier output, cat(x0, …, xk).
        // Where an earlier concatenation holds x0 … x(k−1), this one is cat(that, xk): the
        // same values, and a series-parallel graph (D2L's DenseBlock).
        std::vector<std::string> prefix(copy.inputs.begin(), copy.inputs.end() - 1);
        if (copy.inputs.size() > 2) {
          if (auto found = concats.find(prefix); found != concats.end()) copy.inputs = {found->second, copy.inputs.back()};
        }
        concats[resolve_all(s.inputs)] = copy.output;  // keyed by all it holds, as written
      }
      original_.push_back(static_cast<int>(&s - steps.data()));
      producer_[copy.output] = static_cast<int>(steps_.size());
      for (const std::string &in : copy.inputs) readers_[in].push_back(static_cast<int>(steps_.size()));
      steps_.push_back(std::move(copy));
    }
    output_ = resolve(output);
  }

  std::optional<std::vector<Statement>> recover(const std::string &input) {
    std::vector<Statement> body;
    if (!emit(input, output_, body) || failed_) return std::nullopt;
    if (written_.size() != steps_.size()) {
      for (std::size_t i = 0; i < steps_.size(); ++i) {
        if (!written_.count(static_cast<int>(i))) {
          fail("'" + steps_[i].output + "' (" + steps_[i].origin + ") does not lead to the graph's output",
               "remove the nodes the output does not need before importing");
          break;
        }
      }
      return std::nullopt;
    }
    return body;
  }

 private:
  std::vector<std::string> resolve_all(std::vector<std::string> names) const {
    for (std::string &name : names) name = resolve(name);
    return names;
  }

  std::string resolve(const std::string &name) const {
    auto found = alias_.find(name);
    return found == alias_.end() ? name : found->second;
  }

  void fail(const std::string &message, const std::string &help = "") {
    if (failed_) return;
    failed_ = true;
    Diagnostic &d = diagnostics_.error_in(file_, message);
    if (!help.empty()) d.with_help(help);
  }

  /// Edges out of `value`: its readers, and the graph's output.
  int edges(const std::string &value) const {
    auto found = readers_.find(value);
    return (found == readers_.end() ? 0 : static_cast<int>(found->second.size())) + (value == output_ ? 1 : 0);
  }

  const std::vector<int> &readers(const std::string &value) const {
    static const std::vector<int> none;
    auto found = readers_.find(value);
    return found == readers_.end() ? none : found->second;
  }

  /// Whether `value` is reached from step `from` (its output or later).
  bool reaches(int from, const std::string &value) {
    const auto key = std::make_pair(from, value);
    if (auto found = reach_.find(key); found != reach_.end()) return found->second;
    bool result = steps_[static_cast<std::size_t>(from)].output == value;
    for (int r : readers(steps_[static_cast<std::size_t>(from)].output)) {
      if (result) break;
      result = reaches(r, value);
    }
    return reach_[key] = result;
  }

  /// The join where every path from `fork` meets again: the first step, in graph order, after
  /// which every edge still open leaves its output.
  int merge_of(const std::string &fork) {
    std::set<std::string> reached{fork};
    int open = edges(fork);
    const auto start = producer_.count(fork) ? producer_[fork] + 1 : 0;
    for (std::size_t i = static_cast<std::size_t>(start); i < steps_.size(); ++i) {
      const Step &s = steps_[i];
      int from_reached = 0;
      for (const std::string &in : s.inputs) from_reached += reached.count(in) ? 1 : 0;
      if (from_reached == 0) continue;
      if (from_reached != static_cast<int>(s.inputs.size())) {
        for (const std::string &in : s.inputs) {
          if (!reached.count(in)) {
            fail("'" + s.output + "' (" + s.origin + ") reads '" + in + "' from outside the branches that fork at '" +
                     fork + "': the graph is not a nesting of chains and joins, which the .net language writes",
                 "a DenseNet-style graph (a tensor read again far downstream) cannot be imported yet");
            return -1;
          }
        }
      }
      open -= from_reached;
      reached.insert(s.output);
      open += edges(s.output);
      if (open == edges(s.output) && s.kind == Step::Kind::join) return static_cast<int>(i);
    }
    fail("the graph is not a nesting of chains and joins: the branches that fork at '" + fork + "' never join again");
    return -1;
  }

  /// Step `index` as a layer statement at the end of `out`.
  void add_layer(int index, std::vector<Statement> &out) {
    written_.insert(index);
    Statement statement;
    statement.step = original_[static_cast<std::size_t>(index)];
    out.push_back(std::move(statement));
  }

  /// Appends to `out` the statements that compute `to` from `from`.
  bool emit(const std::string &from, const std::string &to, std::vector<Statement> &out) {
    std::string at = from;
    while (at != to && !failed_) {
      const std::vector<int> &next = readers(at);
      if (next.empty()) {
        fail("'" + at + "' is read by nothing on the way to '" + to + "'");
        return false;
      }
      if (next.size() == 1 && steps_[static_cast<std::size_t>(next[0])].kind == Step::Kind::layer && edges(at) == 1) {
        add_layer(next[0], out);
        at = steps_[static_cast<std::size_t>(next[0])].output;
        continue;
      }
      const int join = merge_of(at);
      if (join < 0) return false;
      if (!emit_join(at, join, out)) return false;
      at = steps_[static_cast<std::size_t>(join)].output;
    }
    return !failed_;
  }

  /// Appends join `join` to `out`, its branches forking at `fork`: each input's branch starts at
  /// the one reader of `fork` that reaches it (none where the input is `fork` itself).
  bool emit_join(const std::string &fork, int join, std::vector<Statement> &out) {
    const Step &j = steps_[static_cast<std::size_t>(join)];
    written_.insert(join);
    std::set<int> taken;
    std::vector<int> starts;
    for (const std::string &in : j.inputs) {
      int start = -1;
      if (in != fork) {
        for (int r : readers(fork)) {
          if (r == join || !reaches(r, in)) continue;
          if (start >= 0 || taken.count(r)) {
            fail("the graph is not a nesting of chains and joins, which the .net language writes: the branches from '" +
                 fork + "' to " + j.origin + " share '" + steps_[static_cast<std::size_t>(r)].output + "' (" +
                 steps_[static_cast<std::size_t>(r)].origin + "), where each branch computes its own");
            return false;
          }
          start = r;
        }
        if (start < 0) {
          fail("the graph is not a nesting of chains and joins: " + j.origin + " reads '" + in +
           "', which does not come from '" + fork + "', where its other branches start");
          return false;
        }
        taken.insert(start);
      }
      starts.push_back(start);
    }
    Statement statement;
    statement.step = original_[static_cast<std::size_t>(join)];
    for (std::size_t b = 0; b < starts.size(); ++b) {
      std::vector<Statement> &branch = statement.branches.emplace_back();
      if (starts[b] < 0) continue;
      const Step &first = steps_[static_cast<std::size_t>(starts[b])];
      if (first.kind == Step::Kind::join) {
        fail(first.origin + " joins values from different forks: the graph is not a nesting of chains and joins");
        return false;
      }
      add_layer(starts[b], branch);
      if (!emit(first.output, j.inputs[b], branch)) return false;
    }
    out.push_back(std::move(statement));
    return true;
  }

  const std::string &file_;
  Diagnostics &diagnostics_;
  std::vector<Step> steps_;
  std::vector<int> original_;  // per step of steps_: its index in the Steps given
  std::map<std::string, std::string> alias_;
  std::map<std::string, int> producer_;
  std::map<std::string, std::vector<int>> readers_;
  std::map<std::pair<int, std::string>, bool> reach_;
  std::set<int> written_;
  std::string output_;
  bool failed_ = false;
};

}  // namespace

std::optional<std::vector<Statement>> recover_structure(const std::vector<Step> &steps, const std::string &input,
                                                        const std::string &output, const std::string &file,
                                                        Diagnostics &diagnostics) {
  return Recovery(steps, output, file, diagnostics).recover(input);
}

}  // namespace cnngen::onnx_import
