// The overload set for std::visit and boost::apply_visitor: one lambda per alternative, so that a
// visit names every alternative it handles (a missing one does not compile).
#pragma once

namespace cnngen {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

}  // namespace cnngen
