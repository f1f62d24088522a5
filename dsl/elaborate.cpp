// The statement walk of shape inference: the model and input lines, definitions and their
// instances, `seq` blocks, joins and conditions, down to each layer line, which infer_layer()
// checks. Definitions are expanded like templates: each instance is walked with its parameters'
// values, and an error inside one is reported once per distinct cause, with notes naming the
// instances that led to it.
#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "dsl/check_join.hpp"
#include "dsl/expression.hpp"
#include "dsl/infer_layer.hpp"
#include "dsl/infer_shapes.hpp"
#include "dsl/model_statements.hpp"
#include "dsl/overloaded.hpp"
#include "dsl/symbols.hpp"

namespace cnngen {
namespace {

/// A module scope (the model, a `seq` block, an instance), or a join's branch inside one.
struct Scope {
  std::string path;        // the module path: "" for the model, "layer1.0"
  int next_position = 0;   // the position the next unnamed child takes
  bool in_branch = false;  // children take no position; those with weights need a name
  std::string internal_base;  // in a branch: the path prefix of unnamed children
  int internal_count = 0;
  std::optional<SourceRange> unnamed_in_branch;  // an unnamed block in a branch that holds this scope
  std::map<std::string, int> joins;              // "add" → how many so far, for their paths
};

/// One step of the instantiation stack: the line that used a definition.
struct Use {
  const ast::Definition *definition;
  const ast::LayerLine *line;
  std::string path;
};

std::string joined(const std::string &scope, const std::string &tail) {
  return scope.empty() ? tail : scope + "." + tail;
}

class Walker {
 public:
  Walker(const Definitions &definitions, Network &network, Diagnostics &diagnostics)
      : definitions_(definitions), network_(network), diagnostics_(diagnostics) {}

  int statement(const ast::Statement &statement, int input, Scope &scope) {
    return boost::apply_visitor(
        Overloaded{
            [&](const ast::ModelDecl &decl) { return misplaced(decl.range, "the 'model' line", input); },
            [&](const ast::InputDecl &decl) { return misplaced(decl.range, "the 'input' line", input); },
            [&](const ast::LayerLine &line) { return layer_line(line, input, scope); },
            [&](const ast::Sequence &block) { return sequence(block, input, scope); },
            [&](const ast::Join &join) { return this->join(join, input, scope); },
            [&](const ast::Conditional &c) { return conditional(c, input, scope); },
            [&](const ast::Definition &d) { return misplaced(d.name.range, "a definition", input); },
        },
        statement);
  }

  /// True once the layer limit was reached: nothing more is walked.
  bool stopped() const { return stopped_; }

 private:
  int body(const std::vector<ast::Statement> &statements, int input, Scope &scope) {
    for (const ast::Statement &s : statements) {
      if (diagnostics_.too_many_errors() || stopped_) return -1;
      input = statement(s, input, scope);
    }
    return input;
  }

  int misplaced(SourceRange where, const char *what, int input) {
    reported([&] {
      diagnostics_.error(where, std::string(what) + " belongs at the top level of the file, not inside a block");
    });
    return input;
  }

  /// Runs `report`, then gives what it reported inside an instance the instance notes, folding
  /// a diagnostic that another instance already gave into a note on the first.
  template <typename F>
  void reported(F &&report) {
    std::size_t first = diagnostics_.all().size();
    report();
    if (uses_.empty() || diagnostics_.all().size() == first) return;
    for (Diagnostic &d : diagnostics_.take_from(first)) {
      auto key = std::make_tuple(d.severity, d.range ? d.range->begin : 0, d.range ? d.range->end : 0, d.message);
      if (auto seen = seen_.find(key); seen != seen_.end()) {
        Diagnostic &earlier = diagnostics_.at(seen->second.first);
        if (++seen->second.second <= 3) {
          earlier.note(uses_.back().line->range, "the same in '" + uses_.back().path + "', an instance of '" +
                                                     uses_.back().definition->name.name + "'");
        }
        continue;
      }
      for (auto use = uses_.rbegin(); use != uses_.rend(); ++use) {
        d.note(use->line->range, "in '" + use->path + "', an instance of '" + use->definition->name.name +
                                     "' used here");
      }
      std::size_t index = diagnostics_.all().size();
      diagnostics_.report(std::move(d));
      if (diagnostics_.all().size() == index + 1) seen_.emplace(key, std::make_pair(index, 1));
    }
  }

  /// The place of a child of `scope` named `name` (or unnamed), taking a position where it does.
  NodePlace child_place(Scope &scope, const std::optional<ast::Identifier> &name) {
    NodePlace place;
    place.scope = scope.path;
    if (scope.in_branch) {
      place.index = -1;
      place.path = name ? joined(scope.path, name->name)
                        : scope.internal_base + "." + std::to_string(scope.internal_count++);
    } else {
      place.index = scope.next_position++;
      place.path = joined(scope.path, name ? name->name : std::to_string(place.index));
    }
    return place;
  }

  /// The scope of a module child of `scope` (an instance or a `seq` block, written at `range`), or
  /// nothing when its name is taken. An unnamed one inside a branch is remembered by its children.
  std::optional<Scope> child_scope(Scope &scope, const std::optional<ast::Identifier> &name,
                                   const SourceRange &range) {
    NodePlace place = child_place(scope, name);
    if (name && !claim_path(place, *name)) return std::nullopt;
    Scope inner;
    inner.path = place.path;
    inner.unnamed_in_branch = scope.unnamed_in_branch;
    if (scope.in_branch && !name) inner.unnamed_in_branch = range;
    return inner;
  }

  /// A named child's path must be new; reports the repeat otherwise.
  bool claim_path(const NodePlace &place, const ast::Identifier &name) {
    auto [it, fresh] = named_paths_.emplace(place.path, name.range);
    if (fresh) return true;
    SourceRange first = it->second;
    reported([&] {
      diagnostics_.error(name.range, "a layer named '" + place.path + "' already exists")
          .note(first, "the first '" + place.path + "' is here");
    });
    return false;
  }

  /// The arguments of `line`, evaluated in the current instance's parameters.
  std::optional<std::vector<ast::Argument>> evaluate_arguments(const ast::LayerLine &line) {
    std::vector<ast::Argument> out;
    bool ok = true;
    for (const ast::ArgumentExpression &argument : line.arguments) {
      std::optional<ExpressionValue> value;
      reported([&] { value = evaluate(argument.value, environment_, diagnostics_); });
      if (!value) {
        ok = false;
        continue;
      }
      ast::Argument evaluated;
      evaluated.range = argument.range;
      evaluated.key = argument.key;
      evaluated.value = to_argument_value(*value, argument.value.range);
      out.push_back(std::move(evaluated));
    }
    if (!ok) return std::nullopt;
    return out;
  }

  bool count_line(SourceRange where) {
    if (++lines_ <= kMaxLayers) return true;
    diagnostics_.error(where, "more than " + std::to_string(kMaxLayers) +
                                  " layers (after expanding definitions); cnngen compiles at most that many");
    stopped_ = true;
    return false;
  }

  int layer_line(const ast::LayerLine &line, int input, Scope &scope) {
    if (!count_line(line.range)) return -1;
    const std::string &kind = line.kind.name;
    auto definition = definitions_.find(kind);
    bool builtin = is_layer_kind(kind);
    if (!builtin && definition == definitions_.end()) {
      reported([&] { unknown_kind(line.kind); });
      return -1;
    }
    auto arguments = evaluate_arguments(line);
    if (!arguments) return -1;
    if (!builtin) return instance(*definition->second, line, *arguments, input, scope);

    NodePlace place = child_place(scope, line.name);
    if (line.name && !claim_path(place, *line.name)) return -1;
    ast::Layer layer;
    layer.range = line.range;
    layer.kind = line.kind;
    layer.name = line.name;
    layer.arguments = std::move(*arguments);
    std::size_t nodes = network_.nodes.size();
    int output = -1;
    reported([&] { output = infer_layer(layer, input, place, network_, diagnostics_); });
    if (network_.nodes.size() > nodes && !parameters(network_.nodes.back()).empty()) {
      if (!line.name && scope.in_branch) {
        reported([&] {
          diagnostics_.error(line.range, kind + " inside a branch needs a name: its weights are the state_dict "
                                                "entries of a module attribute")
              .with_help("name it as the PyTorch module's attribute is named, e.g. `" + kind + " conv1(…)`");
        });
        return -1;
      }
      if (scope.unnamed_in_branch && unnamed_reported_.insert(scope.unnamed_in_branch->begin).second) {
        reported([&] {
          diagnostics_.error(*scope.unnamed_in_branch,
                             "this block inside a branch holds layers with weights and needs a name")
              .note(line.range, "a layer with weights")
              .with_help("name it as the PyTorch module's attribute is named, e.g. `seq downsample {`");
        });
        return -1;
      }
    }
    return output;
  }

  void unknown_kind(const ast::Identifier &kind) {
    std::vector<std::string_view> names = layer_kind_names();
    for (const auto &[name, definition] : definitions_) names.push_back(name);
    Diagnostic &d = diagnostics_.error(kind.range, "unknown layer '" + kind.name + "'");
    std::string suggestion = closest_match(kind.name, names);
    if (!suggestion.empty()) d.with_fix("did you mean '" + suggestion + "'?", kind.range, suggestion);
  }

  /// Binds an instance's arguments to its definition's parameters; defaults may use the
  /// parameters before them.
  std::optional<Environment> bind(const ast::Definition &definition, const ast::LayerLine &line,
                                  const std::vector<ast::Argument> &arguments) {
    const std::string &name = definition.name.name;
    std::vector<std::string_view> names;
    for (const ast::ParameterDecl &p : definition.parameters) names.push_back(p.name.name);
    std::map<std::string, const ast::Argument *, std::less<>> given;
    std::size_t positional = 0;
    bool ok = true;
    for (const ast::Argument &argument : arguments) {
      std::string key;
      if (argument.key) {
        key = argument.key->name;
        if (std::find(names.begin(), names.end(), key) == names.end()) {
          Diagnostic &d = diagnostics_.error(argument.key->range, name + " has no parameter '" + key + "'");
          std::string suggestion = closest_match(key, names);
          if (!suggestion.empty()) d.with_fix("did you mean '" + suggestion + "'?", argument.key->range, suggestion);
          d.note(definition.name.range, "'" + name + "' is defined here");
          ok = false;
          continue;
        }
      } else {
        if (positional >= names.size()) {
          diagnostics_.error(argument.range, name + " takes " + std::to_string(names.size()) + " argument" +
                                                 (names.size() == 1 ? "" : "s") + ", this is one more")
              .note(definition.name.range, "'" + name + "' is defined here");
          ok = false;
          continue;
        }
        key = std::string(names[positional++]);
      }
      if (!given.emplace(key, &argument).second) {
        diagnostics_.error(argument.range, name + " argument '" + key + "' is given twice")
            .note(given[key]->range, "first given here");
        ok = false;
      }
    }
    if (!ok) return std::nullopt;
    Environment environment;
    for (const ast::ParameterDecl &p : definition.parameters) {
      if (auto it = given.find(p.name.name); it != given.end()) {
        environment[p.name.name] = from_argument(it->second->value);
      } else if (p.fallback) {
        std::optional<ExpressionValue> value = evaluate(*p.fallback, environment, diagnostics_);
        if (!value) return std::nullopt;
        environment[p.name.name] = *value;
      } else {
        diagnostics_.error(line.range, name + " needs argument '" + p.name.name + "'")
            .note(p.range, "the parameter, without a default")
            .with_help("write " + name + "(…, " + p.name.name + "=…)");
        ok = false;
      }
    }
    if (!ok) return std::nullopt;
    return environment;
  }

  static ExpressionValue from_argument(const ast::Value &value) {
    return boost::apply_visitor(
        Overloaded{
            [](double v) -> ExpressionValue { return v; },
            [](std::int64_t v) -> ExpressionValue { return v; },
            [](const ast::Tuple &t) -> ExpressionValue { return t.items; },
            [](const ast::Identifier &w) -> ExpressionValue {
              if (w.name == "true") return true;
              if (w.name == "false") return false;
              return Word{w.name};
            },
        },
        value);
  }

  int instance(const ast::Definition &definition, const ast::LayerLine &line,
               const std::vector<ast::Argument> &arguments, int input, Scope &scope) {
    for (const Use &use : uses_) {
      if (use.definition != &definition) continue;
      reported([&] {
        Diagnostic &d = diagnostics_.error(line.kind.range, "'" + definition.name.name + "' uses itself");
        d.note(definition.name.range, "'" + definition.name.name + "' is defined here");
        d.with_help("a definition may use others, but not itself, directly or through them");
      });
      return -1;
    }
    std::optional<Environment> environment;
    reported([&] { environment = bind(definition, line, arguments); });
    if (!environment) return -1;
    std::optional<Scope> inner = child_scope(scope, line.name, line.range);
    if (!inner) return -1;
    uses_.push_back({&definition, &line, inner->path});
    std::swap(environment_, *environment);
    int output = body(definition.body, input, *inner);
    std::swap(environment_, *environment);
    uses_.pop_back();
    return output;
  }

  int sequence(const ast::Sequence &block, int input, Scope &scope) {
    if (!count_line(block.keyword.range)) return -1;
    std::optional<Scope> inner = child_scope(scope, block.name, block.keyword.range);
    return inner ? body(block.body, input, *inner) : -1;
  }

  int conditional(const ast::Conditional &c, int input, Scope &scope) {
    std::optional<ExpressionValue> value;
    reported([&] { value = evaluate(c.condition, environment_, diagnostics_); });
    if (!value) return -1;
    const bool *taken = std::get_if<bool>(&*value);
    if (!taken) {
      reported([&] {
        diagnostics_.error(c.condition.range, std::string("an if condition must be true or false, not ") +
                                                  type_name(*value));
      });
      return -1;
    }
    if (!*taken) false_conditions_.push_back(c.condition.range);
    if (*taken) return body(c.then_body, input, scope);
    return c.else_body ? body(*c.else_body, input, scope) : input;
  }

  int join(const ast::Join &join, int input, Scope &scope) {
    const std::string &kind = join.kind.name;
    std::string path = joined(scope.path, kind + std::to_string(scope.joins[kind]++));
    std::vector<WalkedBranch> branches;
    bool known = input >= 0;
    for (std::size_t i = 0; i < join.branches.size(); ++i) {
      Scope branch;
      branch.path = scope.path;
      branch.in_branch = true;
      branch.internal_base = path + "." + std::to_string(i);
      branch.unnamed_in_branch = scope.unnamed_in_branch;
      WalkedBranch walked;
      walked.range = join.branches[i].keyword.range;
      walked.first_node = network_.nodes.size();
      std::size_t conditions = false_conditions_.size();
      walked.output = body(join.branches[i].body, input, branch);
      walked.end_node = network_.nodes.size();
      walked.false_conditions.assign(false_conditions_.begin() + static_cast<std::ptrdiff_t>(conditions),
                                     false_conditions_.end());
      known = known && walked.output >= 0;
      branches.push_back(std::move(walked));
    }
    if (!known && branches.size() >= 2) return -1;
    std::optional<Shape> shape;
    reported([&] { shape = check_join(join.kind, input, branches, network_, diagnostics_); });
    if (!shape || !known) return -1;
    // Branches end in one view: all channels first, or all channels last (and stay so).
    const bool channels_last = network_.tensors[static_cast<std::size_t>(branches[0].output)].channels_last;
    for (const WalkedBranch &b : branches) {
      if (network_.tensors[static_cast<std::size_t>(b.output)].channels_last == channels_last) continue;
      reported([&] {
        diagnostics_.error(join.kind.range, kind + " joins a channels-last branch (after permute((0, 2, 3, 1))) "
                                                   "with a channels-first one")
            .with_help("permute both branches alike");
      });
      return -1;
    }
    if (channels_last && kind == "concat") {
      // torch.cat(dim=1) of N×H×W×C tensors joins their heights, not their channels.
      reported([&] {
        diagnostics_.error(join.kind.range, "concat cannot join channels-last tensors (H×W×C, after "
                                            "permute((0, 2, 3, 1))): torch.cat(dim=1) would join their heights")
            .with_help("permute((0, 3, 1, 2)) back to C×H×W at the end of each branch (add and mul may join "
                       "channels-last tensors: they are element-wise)");
      });
      return -1;
    }
    Node node;
    node.kind = kind;
    node.index = -1;
    node.path = path;
    node.scope = scope.path;
    if (kind == "add") node.op = Add{};
    else if (kind == "mul") node.op = Mul{};
    else node.op = Concat{};
    for (const WalkedBranch &b : branches) node.inputs.push_back(b.output);
    node.output = static_cast<int>(network_.tensors.size());
    node.range = join.kind.range;
    network_.tensors.push_back({*shape, static_cast<int>(network_.nodes.size()), channels_last});
    network_.nodes.push_back(std::move(node));
    return network_.nodes.back().output;
  }

  const Definitions &definitions_;
  Network &network_;
  Diagnostics &diagnostics_;
  Environment environment_;
  std::vector<Use> uses_;
  std::map<std::string, SourceRange, std::less<>> named_paths_;
  std::map<std::tuple<Severity, std::size_t, std::size_t, std::string>, std::pair<std::size_t, int>> seen_;
  std::set<std::size_t> unnamed_reported_;
  std::vector<SourceRange> false_conditions_;
  int lines_ = 0;
  bool stopped_ = false;
};

}  // namespace

std::optional<Network> infer_shapes(const ast::Model &model, Diagnostics &diagnostics) {
  Network network;
  const ast::ModelDecl *model_decl = nullptr;
  const ast::InputDecl *input_decl = nullptr;
  Definitions definitions = collect_definitions(model, diagnostics);
  Walker walker(definitions, network, diagnostics);
  Scope top;
  int current = -1;  // the tensor the next statement reads; -1 while unknown
  bool seen_layer = false;
  bool has_input = std::any_of(model.statements.begin(), model.statements.end(), [](const auto &s) {
    return boost::get<ast::InputDecl>(&s.get()) != nullptr;
  });
  for (const ast::Statement &statement : model.statements) {
    if (diagnostics.too_many_errors() || walker.stopped()) break;
    if (const auto *decl = boost::get<ast::ModelDecl>(&statement.get())) {
      if (model_decl) {
        diagnostics.error(decl->range, "a file holds one model; this is a second 'model' line")
            .note(model_decl->range, "the model is declared here");
        continue;
      }
      if (input_decl || seen_layer) diagnostics.error(decl->range, "the 'model' line must come first");
      model_decl = decl;
      network.name = decl->name.name;
    } else if (const auto *decl = boost::get<ast::InputDecl>(&statement.get())) {
      if (input_decl) {
        diagnostics.error(decl->range, "the model has a second 'input' line")
            .note(input_decl->range, "the input is declared here");
        continue;
      }
      input_decl = decl;
      if (seen_layer) diagnostics.error(decl->range, "'input' must come before the layers");
      else if (declare_input(*decl, network, diagnostics)) current = network.input;
    } else if (as_definition(statement)) {
      continue;  // collected above; expanded where used
    } else {
      if (has_input && !input_decl && !seen_layer) {
        const auto *line = boost::get<ast::LayerLine>(&statement.get());
        diagnostics.error(line ? line->range : SourceRange{0, 0}, "layer before the model's 'input' line")
            .with_help("declare the input shape first, for example 'input 1x28x28'");
      }
      seen_layer = true;
      current = walker.statement(statement, current, top);
    }
  }
  if (!model_decl) {
    diagnostics.error({0, 0}, "missing 'model NAME' line")
        .with_help("start the file with for example 'model lenet'");
  }
  if (!input_decl && model_decl) {
    diagnostics.error(model_decl->range, "model '" + network.name + "' has no 'input' line")
        .with_help("declare the input shape after the model line, for example 'input 1x28x28'");
  }
  if (diagnostics.has_errors()) return std::nullopt;
  network.output = current;
  assign_symbols(network);
  return network;
}

}  // namespace cnngen
