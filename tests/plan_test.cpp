// The schedule plan (codegen/plan.hpp): which stages fuse into a convolution's tiles on graphs with
// forks and joins, and which are stored whole.
#include "codegen/plan.hpp"

#include <memory>

#include <gtest/gtest.h>

#include "check_source.hpp"

namespace cnngen::testing {
namespace {

using Role = NodePlan::Role;

struct Planned {
  Network network;
  SchedulePlan plan;
  /// The plan of the node at `path`.
  const NodePlan &at(const std::string &path) const {
    for (std::size_t i = 0; i < network.nodes.size(); ++i) {
      if (network.nodes[i].path == path) return plan[i];
    }
    ADD_FAILURE() << "no node " << path;
    return plan[0];
  }
  /// The plan of the network's one mul (a join has no name of its own).
  const NodePlan &only_mul() const {
    for (std::size_t i = 0; i < network.nodes.size(); ++i) {
      if (std::holds_alternative<Mul>(network.nodes[i].op)) return plan[i];
    }
    ADD_FAILURE() << "no mul";
    return plan[0];
  }
  int index(const std::string &path) const {
    for (std::size_t i = 0; i < network.nodes.size(); ++i) {
      if (network.nodes[i].path == path) return static_cast<int>(i);
    }
    return -1;
  }
};

/// `text` checked and planned with weights as arguments (no batch norm folded).
std::unique_ptr<Planned> planned(const std::string &text, const PlanOptions &options = {}) {
  std::string diagnostics;
  std::optional<Network> network = check_source(text, &diagnostics);
  EXPECT_TRUE(network) << diagnostics;
  auto out = std::make_unique<Planned>();
  if (!network) return out;
  out->network = *network;
  out->plan = plan_network(out->network, false, options);
  return out;
}

// ResNet's basic block: the second convolution computes batch norm, the add and the relu in its
// tiles; the first convolution's relu is read by the next convolution alone and is its tail.
TEST(Plan, ResidualEpilogueFusesIntoTheSecondConvolution) {
  auto p = planned(R"(model m
input 8x8x8
conv2d c0(8, 3, padding=1)
relu r0
add {
  branch {
    conv2d c1(8, 3, padding=1)
    batchnorm2d bn1
    relu r1
    conv2d c2(8, 3, padding=1)
    batchnorm2d bn2
  }
  branch {}
}
relu out
)");
  EXPECT_EQ(p->at("c2").role, Role::head);
  EXPECT_EQ(p->at("c2").tail, p->index("out"));
  EXPECT_EQ(p->at("bn2").role, Role::fused);
  EXPECT_EQ(p->at("add0").role, Role::fused);
  EXPECT_EQ(p->at("out").role, Role::tail);
  EXPECT_EQ(p->at("c1").tail, p->index("r1"));
  EXPECT_EQ(p->at("bn1").role, Role::fused);
  // r0 is read by c1 and by the add: the tail of c0's chain, which cannot go further.
  EXPECT_EQ(p->at("c0").tail, p->index("r0"));
  EXPECT_EQ(p->at("r0").readers, 2);
}

// A convolution whose output is read by its relu and by a later add is stored whole: the relu
// does not compute it in its tiles.
TEST(Plan, ForkedConvolutionOutputIsNotFused) {
  auto p = planned(R"(model m
input 8x8x8
conv2d c0(8, 3, padding=1)
add {
  branch { relu r }
  branch {}
}
)");
  EXPECT_EQ(p->at("c0").role, Role::head);
  EXPECT_EQ(p->at("c0").tail, p->index("c0"));
  EXPECT_EQ(p->at("c0").readers, 2);
  EXPECT_EQ(p->at("r").role, Role::root);
  EXPECT_EQ(p->at("add0").role, Role::root);
}

// An add joins the chain of the convolution computed last, whose other inputs are stored by then;
// the downsample convolution comes after the main branch's, so the epilogue is the downsample's.
TEST(Plan, AddJoinsTheLaterConvolution) {
  auto p = planned(R"(model m
input 8x8x8
add {
  branch {
    conv2d a(16, 3, padding=1, stride=2)
  }
  branch {
    conv2d b(16, 1, stride=2)
  }
}
relu out
)");
  EXPECT_EQ(p->at("a").tail, p->index("a"));
  EXPECT_EQ(p->at("b").tail, p->index("out"));
  EXPECT_EQ(p->at("add0").head, p->index("b"));
}

// Concat and the stages after it are stored whole; each branch's convolution keeps its chain, and
// the concatenation, its chain's only reader, is where its tiles may be written (concat_input).
TEST(Plan, ConcatIsStoredAndBranchesKeepTheirChains) {
  auto p = planned(R"(model m
input 8x8x8
concat {
  branch {
    conv2d a(8, 1)
    relu ra
  }
  branch {
    conv2d b(8, 3, padding=1)
  }
  branch {}
}
sigmoid s
)");
  EXPECT_EQ(p->at("a").tail, p->index("ra"));
  EXPECT_EQ(p->at("b").tail, p->index("b"));
  EXPECT_EQ(p->at("concat0").role, Role::root);
  EXPECT_EQ(p->at("s").role, Role::root);
  EXPECT_EQ(p->at("a").concat, p->index("concat0"));
  EXPECT_EQ(p->at("a").concat_input, 0);
  EXPECT_EQ(p->at("b").concat, p->index("concat0"));
  EXPECT_EQ(p->at("b").concat_input, 1);
}

// A chain read by a concatenation and by another stage is stored by its head: no slice.
TEST(Plan, SharedBranchOutputIsNotWrittenIntoASlice) {
  auto p = planned(R"(model m
input 8x8x8
conv2d a(8, 1)
concat {
  branch {}
  branch { conv2d b(8, 1) }
}
conv2d c(8, 1)
)");
  EXPECT_EQ(p->at("a").concat, -1);  // read by the concatenation and by b
  EXPECT_EQ(p->at("b").concat, p->index("concat0"));
  EXPECT_EQ(p->at("b").concat_input, 1);
  EXPECT_EQ(p->at("c").concat, -1);
}

// A pooling that tiles its input and alone reads a convolution's chain is that chain's pool.
TEST(Plan, TilingPoolAfterAResidualAdd) {
  auto p = planned(R"(model m
input 8x8x8
add {
  branch { conv2d a(8, 3, padding=1) }
  branch {}
}
relu r
maxpool2d pool(2)
)");
  EXPECT_EQ(p->at("a").tail, p->index("r"));
  EXPECT_EQ(p->at("a").pool, p->index("pool"));
}

// An inverted residual's expansion: a pointwise convolution whose chain a depthwise convolution
// alone reads is offered to that convolution's strips, for cnngen's own CPU schedule only. Not a
// 3×3 convolution, not a chain read twice, not a grouped convolution that is not depthwise.
TEST(Plan, ExpansionReadOnlyByADepthwiseConvolution) {
  PlanOptions own;
  own.own_cpu_schedule = true;
  const std::string expansion = R"(model m
input 8x16x16
conv2d e(48, 1)
relu6
conv2d d(48, 3, padding=1, groups=48)
)";
  auto p = planned(expansion, own);
  EXPECT_EQ(p->at("e").strip_reader, p->index("d"));
  EXPECT_EQ(p->at("d").strip_reader, -1);
  EXPECT_EQ(planned(expansion)->at("e").strip_reader, -1);  // the GPU's and autoschedulers' plans

  auto wide = planned(R"(model m
input 8x16x16
conv2d e(48, 3, padding=1)
conv2d d(48, 3, padding=1, groups=48)
)", own);
  EXPECT_EQ(wide->at("e").strip_reader, -1);

  auto twice = planned(R"(model m
input 8x16x16
conv2d e(48, 1)
add {
  branch { conv2d d(48, 3, padding=1, groups=48) }
  branch {}
}
)", own);
  EXPECT_EQ(twice->at("e").strip_reader, -1);

  auto grouped = planned(R"(model m
input 8x16x16
conv2d e(48, 1)
conv2d d(48, 3, padding=1, groups=4)
)", own);
  EXPECT_EQ(grouped->at("e").strip_reader, -1);
}

// Squeeze-and-excitation's mul read by the projection convolution: stored by cnngen's CPU
// schedules (inlined, it was recomputed for every block of the convolution's output channels), and
// inlined by the GPU's and the autoschedulers' plans. A mul read by an add (ConvNeXt's layer
// scale) stays inlined into the add.
TEST(Plan, MulReadByAConvolutionIsStored) {
  PlanOptions own;
  own.own_cpu_schedule = true;
  const std::string excitation = R"(model m
input 16x8x8
conv2d d(16, 3, padding=1, groups=16)
relu
mul {
  branch {}
  branch {
    adaptiveavgpool2d(1)
    conv2d fc1(4, 1)
    relu
    conv2d fc2(16, 1)
    sigmoid
  }
}
conv2d project(8, 1)
)";
  EXPECT_EQ(planned(excitation, own)->only_mul().role, Role::root);
  EXPECT_EQ(planned(excitation)->only_mul().role, Role::none);

  auto scaled = planned(R"(model m
input 16x8x8
add {
  branch {}
  branch {
    mul {
      branch { conv2d c(16, 3, padding=1) }
      branch { parameter gamma((16, 1, 1)) }
    }
  }
}
)", own);
  EXPECT_EQ(scaled->only_mul().role, Role::none);
}

}  // namespace
}  // namespace cnngen::testing
