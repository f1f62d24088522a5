// The checks prepended to a lowered entry point; see error_reporting.hpp.
#include "codegen/error_reporting.hpp"

#include <stdexcept>
#include <vector>

namespace cnngen {
namespace {

using Halide::Expr;
using namespace Halide::Internal;

/// Refuses a buffer whose host pointer is null (and that has no device memory) with
/// halide_error_host_is_null: Halide would take it for a bounds query, fill in its shape and return
/// 0 without computing anything. A null buffer pointer is left to Halide's own check.
Stmt refuse_bounds_query(const LoweredArgument &argument) {
  Expr buffer = Variable::make(Halide::type_of<halide_buffer_t *>(), argument.name + ".buffer");
  Expr is_query = Call::make(Halide::Bool(), Call::buffer_is_bounds_query, {buffer}, Call::Extern);
  Expr error = Call::make(Halide::Int(32), "halide_error_host_is_null", {Expr(argument.name)},
                          Call::Extern);
  Expr not_null = Halide::reinterpret(Halide::UInt(64), buffer) != make_zero(Halide::UInt(64));
  return IfThenElse::make(not_null, AssertStmt::make(!is_query, error));
}

/// `body` with Halide's user_context bound to cnngen_error_context(): the runtime passes it to
/// every call it makes for the function, and to its parallel tasks on other threads.
Stmt with_error_context(const Stmt &body) {
  Expr context = Call::make(Halide::type_of<void *>(), "cnngen_error_context", {}, Call::Extern);
  return LetStmt::make("__user_context", context, body);
}

}  // namespace

void add_error_context(Halide::Module &module) {
  for (LoweredFunc &f : module.functions()) {
    // Parallel tasks, lowered into functions of their own, receive the user_context as their
    // first argument: theirs is the caller's already.
    if (!f.args.empty() && f.args.front().name == "__user_context") continue;
    f.body = with_error_context(f.body);
  }
}

void add_entry_checks(Halide::Module &module, const std::string &function) {
  bool found = false;
  for (LoweredFunc &f : module.functions()) {
    if (f.name != function) continue;
    found = true;
    std::vector<Stmt> body;
    for (const LoweredArgument &argument : f.args) {
      if (argument.is_buffer()) body.push_back(refuse_bounds_query(argument));
    }
    body.push_back(f.body);
    f.body = Block::make(body);
  }
  if (!found) {
    throw std::logic_error("the lowered module has no function '" + function + "' to add the entry checks to");
  }
  add_error_context(module);
}

}  // namespace cnngen
