// Each lowered and scheduled layer kind, JIT-compiled, against the naive reference on random data,
// over a grid of configurations (non-square kernels, padding, stride, dilation, groups, ceil_mode,
// adaptive windows, joins) and batch sizes 1 and 3, with weights both embedded and passed as
// arguments (batch norm folded into the layer before it and not).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include <gtest/gtest.h>

#include "check_source.hpp"
#include "cpu_test_targets.hpp"
#include "codegen/autoschedule.hpp"
#include "codegen/lower.hpp"
#include "codegen/schedule_cpu.hpp"
#include "codegen/schedule_report.hpp"
#include "codegen/schedule_batched.hpp"
#include "codegen/target_features.hpp"
#include "reference_forward.hpp"
#include "under_asan.hpp"

namespace cnngen::testing {
namespace {

struct NumericsCase {
  const char *name;
  const char *input;   // the `input` dims
  const char *layers;  // one or more layer lines
};

std::ostream &operator<<(std::ostream &out, const NumericsCase &c) { return out << c.name; }

/// The test name a parameterized case gets: the case's own name.
std::string case_name(const ::testing::TestParamInfo<NumericsCase> &info) { return info.param.name; }

/// The case as a checked network (failing the test, with the diagnostics, where it does not check).
std::optional<Network> checked_case(const NumericsCase &c) {
  std::string diagnostics;
  auto network = check_source(std::string("model t\ninput ") + c.input + "\n" + c.layers + "\n", &diagnostics);
  EXPECT_TRUE(network) << diagnostics;
  return network;
}

std::vector<float> random_values(std::size_t count, float scale, std::mt19937 &rng) {
  std::uniform_real_distribution<float> uniform(-scale, scale);
  std::vector<float> values(count);
  for (float &v : values) v = uniform(rng);
  return values;
}

TensorFile random_weights(const Network &network, std::mt19937 &rng) {
  TensorFile weights;
  for (const Node &node : network.nodes) {
    for (const Parameter &p : parameters(node)) {
      std::vector<float> values = random_values(static_cast<std::size_t>(element_count(p.shape)), 0.5f, rng);
      // A variance is positive: 0.5 + u with u in [0, 1), so that 1/√(var + eps) stays moderate.
      if (p.role == ParameterRole::running_var) {
        for (float &v : values) v += 1.0f;
      }
      weights[p.name] = {p.shape, std::move(values)};
    }
  }
  return weights;
}

Halide::Buffer<float> halide_buffer(const Shape &shape, int batch) {
  std::vector<int> extents = halide_extents(shape);
  if (batch > 0) extents.push_back(batch);
  return Halide::Buffer<float>(extents);
}

class LayerNumerics : public ::testing::TestWithParam<NumericsCase> {};

/// Whether a case is compiled with its weights embedded, as arguments, or both: both, except under
/// AddressSanitizer, where each case takes one form, alternating from case to case by its name (a
/// Winograd case the embedded one: with weights as arguments it is direct). The sanitizers watch
/// cnngen's lowering, which the grid's cases reach in both forms; the JIT compiles they would
/// double are Halide's and LLVM's, not instrumented, and were most of the sanitizer run's time
/// (the plain build compiles every case both ways).
std::vector<bool> embedded_forms(const NumericsCase &c, bool winograd) {
#ifdef CNNGEN_UNDER_ASAN
  if (winograd) return {true};
  unsigned sum = 0;
  for (const char *p = c.name; *p; ++p) sum += static_cast<unsigned char>(*p);
  return {sum % 2 == 0};
#else
  (void)c;
  (void)winograd;
  return {true, false};
#endif
}

/// Lowers `c` with `options`, schedules it with `schedule` ("manual" or an autoscheduler),
/// JIT-compiles it and compares it with the reference at batch sizes 1 and 3 (and 2 blocks + 1 when
/// the network has a batch-vectorized copy), weights embedded and as arguments (embedded_forms).
/// Each output within allclose(rtol=1e-4, atol=1e-4 × `atol_scale`), where `atol_scale` is 1 or,
/// with `atol_by_rms`, the outputs' root mean square (at least 1).
void expect_matches_reference(const NumericsCase &c, const std::string &schedule,
                              ConvAlgorithm conv = ConvAlgorithm::automatic, bool fold = true,
                              bool atol_by_rms = false) {
  auto network = checked_case(c);
  ASSERT_TRUE(network);
  std::mt19937 rng(42);
  TensorFile weights = random_weights(*network, rng);
  const Shape &in_shape = network->tensors[static_cast<std::size_t>(network->input)].shape;
  const Shape &out_shape = network->tensors[static_cast<std::size_t>(network->output)].shape;

  // The manual schedules depend on the vector width (cpu_test_targets); the autoschedulers' alone
  // on the host.
  std::vector<Halide::Target> targets = cpu_test_targets();
  if (schedule != "manual") targets.resize(1);
  // Winograd is lowered without the batch-vectorized copy (lower()): forced, it is tested on the
  // per-image schedule.
  const bool winograd = conv == ConvAlgorithm::winograd || conv == ConvAlgorithm::winograd4;
  for (const Halide::Target &target : targets)
  for (bool embedded : embedded_forms(c, winograd)) {
    SCOPED_TRACE(std::to_string(target.natural_vector_size(Halide::Float(32))) + "-float vectors");
    // The manual schedule of a small network also carries the batch-vectorized copy, which
    // batches of at least one vector of images take: 2 blocks + 1 image tests its shifted tail.
    int batch_vector = schedule == "manual" && !winograd ? batch_vector_width(*network, target) : 0;
    // As the driver plans for cnngen's own CPU schedule: concatenations in slices, the output's
    // values a Func of their own.
    PlanOptions plan_options;
    plan_options.fold_batch_norm = fold;
    plan_options.own_cpu_schedule = schedule == "manual";
    LoweredNetwork lowered = lower(*network, plan_network(*network, embedded, plan_options),
                                   embedded ? &weights : nullptr, "t", batch_vector, conv);
    if (schedule == "manual") schedule_cpu(lowered, *network, target);
    else autoschedule(lowered, *network, target, schedule, 3);
    Halide::Pipeline pipeline(lowered.output);
    for (WeightArgument &w : lowered.weight_arguments) {
      Halide::Buffer<float> buffer = halide_buffer(w.parameter.shape, 0);
      const std::vector<float> &data = weights.at(w.parameter.name).data;
      std::copy(data.begin(), data.end(), buffer.data());
      w.param.set(buffer);
    }
    std::vector<int> batches{1, 3};
    if (batch_vector > 0) batches.push_back(2 * batch_vector + 1);
    for (int batch : batches) {
      SCOPED_TRACE(std::string(embedded ? "embedded" : "argument") + " weights, batch " +
                   std::to_string(batch));
      std::vector<float> input =
          random_values(static_cast<std::size_t>(element_count(in_shape) * batch), 2.0f, rng);
      Halide::Buffer<float> in = halide_buffer(in_shape, batch);
      std::copy(input.begin(), input.end(), in.data());
      lowered.input.set(in);
      Halide::Buffer<float> out = halide_buffer(out_shape, batch);
      pipeline.realize(out, target);  // not the default JIT target: the one scheduled for

      std::vector<double> expected = reference_forward(*network, weights, input, batch);
      ASSERT_EQ(expected.size(), out.number_of_elements());
      double atol_scale = 1;
      if (atol_by_rms) {
        double squares = 0;
        for (double value : expected) squares += value * value;
        atol_scale = std::max(1.0, std::sqrt(squares / static_cast<double>(expected.size())));
      }
      int mismatches = 0;
      for (std::size_t i = 0; i < expected.size(); ++i) {
        // The absolute part covers sums that cancel to near zero.
        double tolerance = 1e-4 * (atol_scale + std::abs(expected[i]));
        if (std::abs(out.data()[i] - expected[i]) > tolerance && ++mismatches <= 5) {
          ADD_FAILURE() << "element " << i << ": cnngen " << out.data()[i] << ", reference "
                        << expected[i];
        }
      }
      EXPECT_EQ(mismatches, 0);
    }
  }
}

TEST_P(LayerNumerics, MatchesNaiveReference) { expect_matches_reference(GetParam(), "manual"); }

// Halide's autoschedulers (--schedule) schedule the same algorithm; the results must not change.
TEST(Autoschedulers, Adams2019MatchesNaiveReference) {
  // A greedy search (beam 1, Halide's own variable) schedules the same algorithm in 4 s rather than
  // the default beam's 59 (2-core Zen 3); what is checked is the scheduled pipeline's numbers.
  setenv("HL_BEAM_SIZE", "1", 1);
  expect_matches_reference({"cnn", "3x12x12", "conv2d(16, kernel=3, padding=1)\nrelu\nmaxpool2d(2)\n"
                                              "flatten\nlinear(10)\nsoftmax"}, "adams2019");
  unsetenv("HL_BEAM_SIZE");
}

TEST(Autoschedulers, Mullapudi2016MatchesNaiveReference) {
  expect_matches_reference({"cnn", "3x12x12", "conv2d(16, kernel=3, padding=1)\nrelu\navgpool2d(2)\n"
                                              "flatten\nlinear(10)\nsigmoid"}, "mullapudi2016");
}

// AlexNet's second layer, smaller, computed directly (the default takes F(2×2, 5×5) for it): 5×5
// taps over 96 input channels summed a few at a time (2 with AVX-512) into rows of partial sums
// (14 columns: a ragged last register tile), computed row by row inside the 2×2 pooling.
TEST(DirectConv, ChunkedFiveByFiveMatchesNaiveReference) {
  expect_matches_reference({"big_conv_chunked_pool", "96x14x14", "conv2d(64, kernel=5, padding=2)\nrelu\nmaxpool2d(2)"},
                           "manual", ConvAlgorithm::direct);
}

/// What the threads share in each layer of `c` as cnngen's CPU schedule for `target` places it (the
/// schedule report's `tasks`, as `cnngen schedule` prints them): a test checks that the schedule it
/// means to test is the one taken.
std::vector<std::string> scheduled_tasks(const NumericsCase &c, const Halide::Target &target) {
  auto network = checked_case(c);
  if (!network) return {};
  PlanOptions options;
  options.own_cpu_schedule = true;
  LoweredNetwork lowered = lower(*network, plan_network(*network, false, options), nullptr, "t");
  ScheduleReport report;
  schedule_cpu(lowered, *network, target, nullptr, &report);
  std::vector<std::string> tasks;
  for (const LayerSchedule &layer : report.layers) tasks.push_back(layer.tasks);
  return tasks;
}

// Inverted residuals whose expanded tensor outgrows the L2 budget (over 1 MiB an image): the
// depthwise convolution runs in strips of rows and the expansion is computed inside them
// (cpu_choices.hpp, depthwise_strip_rows; the schedule report says so, or the test would pass on
// the schedule it means to test). MobileNetV3's form with a ragged 72 channels, a residual add and
// a stride-1 3×3; EfficientNet's with squeeze-and-excitation after a stride-2 5×5 (the depthwise
// output read twice, so stored whole) on an odd height.
TEST(InvertedResidualStrips, MatchNaiveReference) {
  const NumericsCase cases[] = {
      {"strips_ragged_residual", "16x64x64",
       "add {\n  branch {}\n  branch {\n    conv2d e(72, 1)\n    hardswish\n"
       "    conv2d d(72, 3, padding=1, groups=72)\n    relu\n    conv2d p(16, 1)\n  }\n}"},
      {"strips_stride2_squeeze_excitation", "16x63x62",
       "conv2d e(96, 1)\nrelu6\nconv2d d(96, 5, stride=2, padding=2, groups=96)\nsilu\n"
       "mul {\n  branch {}\n  branch {\n    adaptiveavgpool2d(1)\n    conv2d fc1(8, 1)\n    relu\n"
       "    conv2d fc2(96, 1)\n    sigmoid\n  }\n}\nconv2d p(24, 1)"},
  };
  for (const NumericsCase &c : cases) {
    SCOPED_TRACE(c.name);
    for (const Halide::Target &target : cpu_test_targets()) {
      int strips = 0;
      for (const std::string &tasks : scheduled_tasks(c, target)) strips += tasks.find("strip") != std::string::npos;
      EXPECT_EQ(strips, 2) << "the depthwise convolution in strips and the expansion inside them";
    }
    expect_matches_reference(c, "manual");
  }
}

// 1×1 convolutions whose input outgrows half of L2 and whose weights outgrow it too, as ResNet-50's
// layer3 reductions: with 8-float vectors each task computes its band for a group of blocks of output
// channels (cpu_choices.hpp, DirectChoice::task_blocks; the schedule report says so, or the test
// would pass on the schedule it means to test). 1024×12×12 → 236: 15 blocks of 16, the last shifted
// inwards, in groups of 3; → 256: 16 blocks in groups of 4. With 16-float vectors a block's weights
// fill the group's budget alone: one block per task.
TEST(DirectConv, GroupsOfBlocksPerTaskMatchNaiveReference) {
  for (const char *layers : {"conv2d(236, 1)\nrelu", "conv2d(256, 1)\nrelu"}) {
    const NumericsCase c{"groups_of_blocks", "1024x12x12", layers};
    SCOPED_TRACE(c.layers);
    for (const Halide::Target &target : cpu_test_targets()) {
      const std::vector<std::string> tasks = scheduled_tasks(c, target);
      ASSERT_FALSE(tasks.empty());
      const bool grouped = tasks[0].find("group") != std::string::npos;
      EXPECT_EQ(grouped, target.natural_vector_size(Halide::Float(32)) == 8) << tasks[0];
    }
    expect_matches_reference(c, "manual");
  }
}

// Batch norms lowered as a scale and shift even with embedded weights (the bench's --no-fold).
TEST(BatchNormFolding, UnfoldedEmbeddedMatchesNaiveReference) {
  expect_matches_reference({"unfolded", "5x7x9",
                            "conv2d(16, kernel=3, padding=1, bias=false)\nbatchnorm2d\nrelu\n"
                            "flatten\nlinear(8)\nbatchnorm1d"},
                           "manual", ConvAlgorithm::automatic, false);
}

// Only a batch norm that alone reads a conv2d's or linear's output is folded, only with embedded
// weights, and only when folding is on; a folded one has no Func, an unfolded one its own.
TEST(BatchNormFolding, FoldsOnlyTheSoleReaderOfAConvOrLinear) {
  std::string diagnostics;
  auto network = check_source(
      "model t\ninput 3x6x6\n"
      "conv2d c1(4, kernel=3, padding=1, bias=false)\nbatchnorm2d bn1\nrelu\nbatchnorm2d bn2\n"
      "conv2d c2(4, kernel=3, padding=1)\n"
      "add {\n  branch { batchnorm2d bn3 }\n  branch {}\n}\n"
      "flatten\nlinear fc(6)\nbatchnorm1d bn4\n",
      &diagnostics);
  ASSERT_TRUE(network) << diagnostics;
  std::mt19937 rng(7);
  TensorFile weights = random_weights(*network, rng);
  auto folded_names = [&](const SchedulePlan &plan, const TensorFile *w) {
    LoweredNetwork lowered = lower(*network, plan, w, "t");
    std::vector<std::string> names;
    for (std::size_t i = 0; i < lowered.layers.size(); ++i) {
      const LoweredLayer &layer = lowered.layers[i];
      if (!std::holds_alternative<BatchNorm>(layer.node->op)) continue;
      const int into = plan[i].folded_into;
      EXPECT_EQ(layer.func.defined(), into < 0) << layer.node->path;
      if (into >= 0) names.push_back(layer.node->path + "->" + network->nodes[static_cast<std::size_t>(into)].path);
    }
    return names;
  };
  const SchedulePlan plan = plan_network(*network, true);
  EXPECT_EQ(folded_names(plan, &weights), (std::vector<std::string>{"bn1->c1", "bn4->fc"}));
  LoweredNetwork lowered = lower(*network, plan, &weights, "t");
  for (std::size_t i = 0; i < lowered.layers.size(); ++i) {
    const LoweredLayer &layer = lowered.layers[i];
    if (layer.node->path == "c1") {
      EXPECT_TRUE(layer.conv().weights.bias.has_value()) << "a folded conv without bias gains one";
      ASSERT_GE(plan[i].folded_norm, 0);
      EXPECT_EQ(network->nodes[static_cast<std::size_t>(plan[i].folded_norm)].path, "bn1");
    }
    if (layer.node->path == "bn2") {
      EXPECT_EQ(layer.per_channel().size(), 2u);
    }
  }
  PlanOptions unfolded;
  unfolded.fold_batch_norm = false;
  EXPECT_TRUE(folded_names(plan_network(*network, true, unfolded), &weights).empty());
  EXPECT_TRUE(folded_names(plan_network(*network, false), nullptr).empty());
}

INSTANTIATE_TEST_SUITE_P(
    Layers, LayerNumerics,
    ::testing::Values(
        NumericsCase{"conv_3x3_same", "3x8x8", "conv2d(4, kernel=3, padding=1)"},
        NumericsCase{"conv_nonsquare_kernel", "2x8x8", "conv2d(3, kernel=(5, 3), padding=(2, 1))"},
        NumericsCase{"conv_stride2", "3x8x8", "conv2d(2, kernel=3, padding=1, stride=2)"},
        NumericsCase{"conv_d2l_stride_3_4", "1x8x8",
                     "conv2d(2, kernel=(3, 5), padding=(0, 1), stride=(3, 4))"},
        NumericsCase{"conv_dilation", "2x11x10", "conv2d(3, kernel=3, dilation=2, padding=2)"},
        NumericsCase{"conv_groups", "4x6x7", "conv2d(6, kernel=3, groups=2)"},
        NumericsCase{"conv_depthwise_no_bias", "3x6x6",
                     "conv2d(3, kernel=3, groups=3, padding=1, bias=false)"},
        NumericsCase{"conv_everything", "4x13x12",
                     "conv2d(4, kernel=(3, 5), stride=(3, 2), padding=(1, 2), dilation=(2, 1), groups=2)"},
        NumericsCase{"conv_1x1", "8x5x5", "conv2d(16, kernel=1)"},
        NumericsCase{"conv_wide", "3x4x40", "conv2d(5, kernel=3, padding=1)"},
        NumericsCase{"maxpool_padded", "3x7x7", "maxpool2d(3, stride=2, padding=1)"},
        NumericsCase{"maxpool_d2l_nonsquare", "1x4x4",
                     "maxpool2d((2, 3), stride=(2, 3), padding=(0, 1))"},
        // Issue 33: pooling's dilation and count_include_pad=false (ONNX's AveragePool default);
        // PyTorch's padding layers, before a convolution and pooling.
        NumericsCase{"maxpool_dilated", "3x11x10", "maxpool2d(3, stride=(1, 2), padding=1, dilation=(2, 3))"},
        NumericsCase{"avgpool_padding_uncounted", "2x7x6",
                     "avgpool2d(3, stride=2, padding=1, ceil_mode=true, count_include_pad=false)"},
        NumericsCase{"pads", "3x6x7",
                     "zeropad2d((1, 2, 0, 3))\nreflectionpad2d((2, 1, 3, 2))\nreplicationpad2d((0, 1, 2, 0))\n"
                     "constantpad2d(1, -1.5)\nconv2d(4, 3)\nmaxpool2d(2, padding=1)"},
        NumericsCase{"maxpool_overlapping", "2x9x9", "maxpool2d(3, stride=1)"},
        NumericsCase{"avgpool_padded_counts_zeros", "3x7x7", "avgpool2d(3, stride=2, padding=1)"},
        NumericsCase{"avgpool_default_stride", "2x8x6", "avgpool2d(2)"},
        NumericsCase{"avgpool_nonsquare", "2x9x8", "avgpool2d((3, 2), stride=(2, 1), padding=(1, 0))"},
        NumericsCase{"relu_image", "2x5x9", "relu"},
        NumericsCase{"sigmoid_image", "2x5x9", "sigmoid"},
        NumericsCase{"tanh_image", "2x5x9", "tanh"},
        NumericsCase{"relu_features", "33", "relu"},
        NumericsCase{"softmax_features", "10", "softmax"},
        NumericsCase{"softmax_channels", "4x3x5", "softmax"},
        // An FCN head: each pixel's maximum and sum over 21 channels computed once per pixel,
        // rows of 19 and 96 columns (a vector and a ragged one; whole vectors), the second over
        // 10 M multiply-adds (threads share the rows of all images).
        NumericsCase{"softmax_channels_rows", "8x5x19", "conv2d(21, kernel=1)\nsoftmax"},
        NumericsCase{"softmax_channels_threads", "64x96x96", "conv2d(21, kernel=1)\nsoftmax"},
        NumericsCase{"flatten", "3x4x5", "flatten"},
        NumericsCase{"dropout_is_identity", "3x4x5", "dropout(0.5)"},
        NumericsCase{"linear", "17", "linear(9)"},
        NumericsCase{"linear_no_bias_wide", "40", "linear(33, bias=false)"},
        NumericsCase{"flatten_linear", "3x4x5", "flatten\nlinear(7)"},
        NumericsCase{"conv_many_channels_relu", "32x9x13", "conv2d(64, kernel=3, padding=1)\nrelu"},
        NumericsCase{"conv_48_channels_no_activation", "5x7x20", "conv2d(48, kernel=(3, 2), stride=2)"},
        NumericsCase{"conv_grouped_many_channels", "32x6x6",
                     "conv2d(32, kernel=3, padding=2, dilation=2, groups=4, bias=false)\nsigmoid"},
        NumericsCase{"conv_narrower_than_a_tile", "16x3x3", "conv2d(32, kernel=3, padding=1)\ntanh"},
        // Groups narrower than a vector (a vector of output channels spans groups whose inputs
        // differ lane by lane): one input and two output channels per group, unpadded with a
        // non-square kernel and stride, and over 10 M multiply-adds (threads share rows): 4 per
        // group (ResNeXt's) with a folded batch norm and relu, then 8 per group (RegNet's) at
        // stride 2 in a residual block.
        NumericsCase{"conv_groups_multiplier", "8x9x11", "conv2d(16, kernel=3, padding=1, groups=8)\nrelu"},
        NumericsCase{"conv_groups_unpadded", "12x7x19", "conv2d(24, kernel=(3, 2), stride=(1, 2), groups=4)"},
        NumericsCase{"conv_groups_threads", "96x56x40",
                     "conv2d(96, kernel=3, padding=1, groups=24, bias=false)\nbatchnorm2d\nrelu\n"
                     "add {\n  branch {\n    conv2d a(96, kernel=3, stride=2, padding=1, groups=12)\n"
                     "    relu\n    conv2d b(96, kernel=1)\n  }\n  branch { avgpool2d(2) }\n}\nrelu"},
        NumericsCase{"vgg_block", "3x16x16",
                     "conv2d(32, kernel=3, padding=1)\nrelu\nconv2d(32, kernel=3, padding=1)\nrelu\n"
                     "maxpool2d(2)\nflatten\nlinear(40)\nrelu\ndropout\nlinear(5)"},
        // Over 10 M multiply-adds: threads share rows of an image, the 64-channel convolutions take
        // tiles of 4 vectors × 3 columns × 2 rows (odd sizes: shifted last tiles), and the first
        // is computed row by row inside its 2×2 pooling, the second inside the 3×3 one.
        NumericsCase{"big_conv_pool", "8x30x31",
                     "conv2d(64, kernel=3, padding=1)\nrelu\nmaxpool2d(2)\nconv2d(64, kernel=3)\n"
                     "avgpool2d(3)\nflatten\nlinear(10)"},
        // Over 10 M multiply-adds with a C×H×W output whose channels fill vectors and whose rows
        // are wider than one (37: a last block of columns shifted inwards): copied into the planar
        // output in transposed blocks of vectors.
        NumericsCase{"big_conv_transposed_output", "32x20x37", "conv2d(64, kernel=3, padding=1)\nrelu"},
        // Over 10 M multiply-adds at 7×7 outputs: 1.2 MB of weights summed a few input channels at
        // a time (4 with AVX-512, 16 with AVX2) into the partial sums of the whole image (one block
        // of output channels: 12.5 KB with AVX-512), in register tiles of one row (7 is odd) and
        // 4 columns, the last ragged (3); the blocks share the threads.
        NumericsCase{"big_conv_7x7_output", "256x14x14", "conv2d(128, kernel=3, stride=2, padding=1)\nrelu"},
        // The same at 8×8 outputs (dilated: never Winograd): the whole image's partial sums, in
        // register tiles of 2 rows × 2 columns with AVX-512.
        NumericsCase{"big_conv_8x8_whole_image", "256x8x8", "conv2d(128, kernel=3, padding=2, dilation=2)\nrelu"},
        NumericsCase{"linear_relu", "64", "linear(48)\nrelu"},
        // Over 10 M multiply-adds in a linear layer whose outputs are whole blocks of 16 (embedded
        // weights packed block by block), in tiles of 64 features for the whole batch; its sums
        // are short, so float32 stays within the tolerance.
        NumericsCase{"big_linear", "256", "linear(40960)\nrelu"},
        // Few channels, 7 rows (not a multiple of the 4-row tiles), 84 and 120 features (not
        // multiples of the linear tiles).
        NumericsCase{"few_channels_odd_rows", "2x9x11",
                     "conv2d(6, kernel=3)\nrelu\nflatten\nlinear(120)\nsigmoid\nlinear(84)\ntanh"},
        NumericsCase{"small_cnn", "2x12x12",
                     "conv2d(4, kernel=3, padding=1)\nrelu\nmaxpool2d(2)\nconv2d(6, kernel=3)\n"
                     "tanh\navgpool2d(2, padding=1)\nflatten\ndropout\nlinear(10)\nsoftmax"},
        // Batch norm: embedded weights fold it into the conv2d or linear it alone reads; weights
        // as arguments (and every other position) keep it as a per-channel scale and shift.
        NumericsCase{"conv_batchnorm2d", "3x8x8", "conv2d(4, kernel=3, padding=1)\nbatchnorm2d"},
        NumericsCase{"conv_no_bias_batchnorm2d_relu", "5x7x9",
                     "conv2d(16, kernel=3, padding=1, bias=false)\nbatchnorm2d(16)\nrelu"},
        NumericsCase{"conv_batchnorm2d_eps_no_affine", "3x6x5",
                     "conv2d(5, kernel=(3, 2), stride=2)\nbatchnorm2d(eps=0.1, affine=false)"},
        NumericsCase{"relu_batchnorm2d_not_folded", "3x5x6", "conv2d(4, kernel=3)\nrelu\nbatchnorm2d"},
        NumericsCase{"batchnorm2d_of_input_many_channels", "16x4x5", "batchnorm2d(eps=1e-3)\nrelu"},
        NumericsCase{"linear_batchnorm1d", "20", "linear(12)\nbatchnorm1d\nrelu"},
        NumericsCase{"linear_no_bias_batchnorm1d_no_affine", "20",
                     "linear(32, bias=false)\nbatchnorm1d(affine=false)"},
        NumericsCase{"batchnorm1d_of_features", "17", "batchnorm1d(17, eps=0.5)"},
        // PyTorch's adaptive windows [⌊i·n/o⌋, ⌈(i+1)·n/o⌉): global, divisible and not, overlapping,
        // wider outputs than inputs.
        NumericsCase{"adaptiveavgpool2d_global", "3x7x7", "adaptiveavgpool2d(1)"},
        NumericsCase{"adaptiveavgpool2d_3_on_7x7", "2x7x7", "adaptiveavgpool2d(3)"},
        NumericsCase{"adaptiveavgpool2d_2x5_on_5x9", "2x5x9", "adaptiveavgpool2d((2, 5))"},
        NumericsCase{"adaptiveavgpool2d_3x2_on_8x5", "2x8x5", "adaptiveavgpool2d((3, 2))"},
        NumericsCase{"adaptiveavgpool2d_divisible", "2x8x6", "adaptiveavgpool2d((4, 3))"},
        NumericsCase{"adaptiveavgpool2d_larger_output", "2x3x4", "adaptiveavgpool2d((5, 6))"},
        NumericsCase{"adaptiveavgpool2d_resnet_head", "16x7x7",
                     "adaptiveavgpool2d(1)\nflatten\nlinear(10)"},
        NumericsCase{"adaptivemaxpool2d_3_on_7x7", "2x7x7", "adaptivemaxpool2d(3)"},
        NumericsCase{"adaptivemaxpool2d_2x5_on_5x9", "16x5x9", "adaptivemaxpool2d((2, 5))"},
        NumericsCase{"adaptivemaxpool2d_global", "3x5x6", "adaptivemaxpool2d(1)"},
        // ceil_mode: the last window overhangs the input (no padding), overhangs the right padding,
        // or would start in the right padding and is dropped.
        NumericsCase{"maxpool_ceil_overhang", "3x8x8", "maxpool2d(3, stride=2, ceil_mode=true)"},
        NumericsCase{"maxpool_ceil_padded", "2x6x7", "maxpool2d(3, stride=2, padding=1, ceil_mode=true)"},
        NumericsCase{"maxpool_ceil_window_in_padding_dropped", "2x5x5",
                     "maxpool2d(2, stride=2, padding=1, ceil_mode=true)"},
        NumericsCase{"maxpool_ceil_nonsquare", "2x8x9",
                     "maxpool2d((3, 2), stride=(2, 3), padding=(1, 0), ceil_mode=true)"},
        NumericsCase{"maxpool_ceil_many_channels", "16x9x9", "maxpool2d(2, ceil_mode=true)"},
        NumericsCase{"avgpool_ceil_overhang", "3x8x8", "avgpool2d(3, stride=2, ceil_mode=true)"},
        NumericsCase{"avgpool_ceil_padded", "2x6x7", "avgpool2d(3, stride=2, padding=1, ceil_mode=true)"},
        NumericsCase{"avgpool_ceil_window_in_padding_dropped", "2x5x5",
                     "avgpool2d(2, stride=2, padding=1, ceil_mode=true)"},
        NumericsCase{"avgpool_ceil_nonsquare", "2x8x9",
                     "avgpool2d((3, 2), stride=(2, 3), padding=(1, 0), ceil_mode=true)"},
        NumericsCase{"avgpool_ceil_many_channels", "16x9x9", "avgpool2d(2, ceil_mode=true)"},
        NumericsCase{"avgpool_ceil_mode_exact_fit", "2x7x7", "avgpool2d(3, stride=2, ceil_mode=true)"},
        // relu6 clips both sides: sums of 200 and 288 products reach far past 6.
        NumericsCase{"linear_relu6", "200", "linear(32)\nrelu6"},
        NumericsCase{"conv_relu6", "32x6x6", "conv2d(16, kernel=3, padding=1)\nrelu6"},
        // leaky_relu in a convolution's and a linear layer's epilogue and alone, slopes of each sign.
        NumericsCase{"conv_leaky_relu", "32x6x6", "conv2d(16, kernel=3, padding=1)\nleaky_relu"},
        NumericsCase{"linear_leaky_relu_negative_slope", "200", "linear(32)\nleaky_relu(-0.5)"},
        NumericsCase{"leaky_relu_alone", "3x4x5", "leaky_relu(negative_slope=0.2)"},
        // Issue 32's activations in a convolution's and a linear layer's epilogue and alone; sums of
        // 288 products reach the tails of each (hardswish's and hardsigmoid's ±3, gelu's far tails).
        NumericsCase{"conv_silu", "32x6x6", "conv2d(16, kernel=3, padding=1)\nsilu"},
        NumericsCase{"linear_silu", "200", "linear(32)\nsilu"},
        NumericsCase{"silu_alone", "3x4x5", "silu"},
        NumericsCase{"conv_hardswish", "32x6x6", "conv2d(16, kernel=3, padding=1)\nhardswish"},
        NumericsCase{"linear_hardswish", "200", "linear(32)\nhardswish"},
        NumericsCase{"hardswish_alone", "3x4x5", "hardswish"},
        NumericsCase{"conv_hardsigmoid", "32x6x6", "conv2d(16, kernel=3, padding=1)\nhardsigmoid"},
        NumericsCase{"linear_hardsigmoid", "200", "linear(32)\nhardsigmoid"},
        NumericsCase{"hardsigmoid_alone", "3x4x5", "hardsigmoid"},
        NumericsCase{"conv_gelu", "32x6x6", "conv2d(16, kernel=3, padding=1)\ngelu"},
        NumericsCase{"linear_gelu", "200", "linear(32)\ngelu"},
        NumericsCase{"gelu_alone", "3x4x5", "gelu"},
        // mul: squeeze-and-excitation's C×1×1 scale broadcast over C×H×W (read by a projection
        // convolution, by the output); two full tensors; flat features times one feature.
        NumericsCase{"mul_squeeze_excitation", "16x7x7",
                     "conv2d(32, kernel=3, padding=1)\nhardswish\n"
                     "mul {\n"
                     "  branch {}\n"
                     "  branch {\n    adaptiveavgpool2d(1)\n    conv2d fc1(8, 1)\n    relu\n"
                     "    conv2d fc2(32, 1)\n    hardsigmoid\n  }\n"
                     "}\nconv2d(24, 1)"},
        NumericsCase{"mul_is_the_output", "8x5x6",
                     "mul {\n  branch { conv2d a(8, kernel=3, padding=1) }\n"
                     "  branch {\n    adaptivemaxpool2d(1)\n    sigmoid\n  }\n}"},
        NumericsCase{"mul_full_tensors_three_branches", "4x6x6",
                     "mul {\n  branch { conv2d a(5, kernel=1) }\n  branch { conv2d b(5, kernel=3, padding=1) }\n"
                     "  branch { conv2d c(1, kernel=1) }\n}\nrelu"},
        NumericsCase{"mul_features", "12",
                     "linear(6)\nmul {\n  branch {}\n  branch { linear g(1) }\n}\nlinear(3)"},
        // ShuffleNetV2's split and shuffle, read through by a concatenation and a convolution.
        NumericsCase{"chunk_concat_shuffle", "24x6x6",
                     "concat {\n  branch { chunk(2, 0) }\n"
                     "  branch {\n    chunk(2, 1)\n    conv2d a(12, 1)\n    relu\n  }\n}\n"
                     "channel_shuffle(2)\nnarrow(5, 18)\nconv2d(16, 3, padding=1)"},
        // ConvNeXt: LayerNorm2d alone and on features; a block with its channels-last MLP (a
        // linear over channels, computed as a 1×1 convolution), a layer scale and the residual add.
        NumericsCase{"layernorm2d_alone", "20x4x5", "layernorm2d(eps=1e-6)"},
        NumericsCase{"layernorm_features", "30", "linear(24)\nlayernorm\nrelu"},
        NumericsCase{"convnext_block", "32x7x7",
                     "add {\n  branch {}\n  branch {\n    mul {\n      branch {\n"
                     "        conv2d dw(32, 7, padding=3, groups=32)\n        permute((0, 2, 3, 1))\n"
                     "        layernorm ln(eps=1e-6)\n        linear fc1(128)\n        gelu\n"
                     "        linear fc2(32)\n        permute((0, 3, 1, 2))\n      }\n"
                     "      branch { parameter scale((32, 1, 1)) }\n    }\n  }\n}"},
        NumericsCase{"identity", "3x4x5", "conv2d(4, kernel=3)\nidentity\nrelu"},
        NumericsCase{"identity_of_input", "7", "identity"},
        // Joins: uneven branches, an empty branch (the identity), batch norm inside a branch.
        NumericsCase{"concat_uneven_branches", "4x6x6",
                     "concat {\n"
                     "  branch { conv2d a(5, kernel=1) }\n"
                     "  branch { conv2d b(7, kernel=3, padding=1) }\n"
                     "  branch {}\n"
                     "}\nrelu"},
        NumericsCase{"concat_then_conv", "8x5x5",
                     "concat {\n"
                     "  branch {\n    conv2d a(8, kernel=1)\n    relu\n  }\n"
                     "  branch {\n    maxpool2d(3, stride=1, padding=1)\n    conv2d b(8, kernel=1)\n  }\n"
                     "}\nconv2d(8, kernel=3, padding=1)"},
        // Branches whose last convolution writes its tiles straight into its slice (channels in
        // whole vectors, tiles dividing the image), beside copied ones: a pooling, the input.
        NumericsCase{"concat_written_in_place", "8x6x6",
                     "concat {\n"
                     "  branch {\n    conv2d a(16, kernel=1)\n    relu\n  }\n"
                     "  branch { conv2d b(32, kernel=3, padding=1) }\n"
                     "  branch {\n    maxpool2d(3, stride=1, padding=1)\n    conv2d c(16, kernel=1)\n  }\n"
                     "  branch {}\n"
                     "}\nconv2d(16, kernel=3, padding=1)"},
        // 7 columns: no tile of 6 divides them (copied); a tile of 12 shrinks to the 7 (in place).
        NumericsCase{"concat_in_place_and_copied", "8x5x7",
                     "concat {\n"
                     "  branch {\n    conv2d a(32, kernel=3, padding=1)\n    relu\n  }\n"
                     "  branch { conv2d b(16, kernel=1, bias=false) }\n"
                     "}"},
        // DenseNet's dense block: each concatenation the input of the next.
        NumericsCase{"concat_dense_block", "16x6x6",
                     "concat {\n"
                     "  branch {}\n"
                     "  branch {\n    batchnorm2d bn1\n    relu\n    conv2d conv1(16, kernel=3, padding=1)\n  }\n"
                     "}\n"
                     "concat {\n"
                     "  branch {}\n"
                     "  branch {\n    batchnorm2d bn2\n    relu\n    conv2d conv2(16, kernel=3, padding=1)\n  }\n"
                     "}"},
        NumericsCase{"add_conv_bn_branch_and_empty", "4x6x6",
                     "add {\n"
                     "  branch {\n    conv2d conv(4, kernel=3, padding=1, bias=false)\n    batchnorm2d bn\n  }\n"
                     "  branch {}\n"
                     "}\nrelu"},
        // The conv's output is read by the batch norm and by the join: not foldable.
        NumericsCase{"add_batchnorm_of_shared_tensor", "3x6x6",
                     "conv2d(8, kernel=3, padding=1)\n"
                     "add {\n  branch { batchnorm2d bn }\n  branch {}\n  branch { relu }\n}"},
        NumericsCase{"residual_network", "3x12x12",
                     "conv2d(16, kernel=3, padding=1, bias=false)\nbatchnorm2d\nrelu\n"
                     "add {\n"
                     "  branch {\n"
                     "    conv2d conv1(16, kernel=3, padding=1, bias=false)\n    batchnorm2d bn1\n    relu\n"
                     "    conv2d conv2(16, kernel=3, padding=1, bias=false)\n    batchnorm2d bn2\n"
                     "  }\n"
                     "  branch {}\n"
                     "}\nrelu\nadaptiveavgpool2d(1)\nflatten\nlinear(10)"}),
    case_name);

// Winograd F(2×2, 3×3) and F(4×4, 3×3) (codegen/winograd.hpp) forced on every 3×3 stride-1
// convolution: output sizes that are and are not multiples of the tile (the last tiles overhang the
// output and read zeros past the input), padding 0, 1 and 2, few input channels (a partial vector
// in the input transform), output channels in blocks of 16, 32 and 64, a folded batch norm and
// fused epilogues, a residual add, and bands of tile rows (over 28 tiles) with the threads on the
// bands or on the blocks of output channels (F(4×4) at 28×28: two uneven bands, two blocks).
class WinogradNumerics : public ::testing::TestWithParam<NumericsCase> {};

TEST_P(WinogradNumerics, F2MatchesNaiveReference) {
  expect_matches_reference(GetParam(), "manual", ConvAlgorithm::winograd);
}

// F(4×4)'s transforms hold factors up to 8 and 1/24: its rounding error grows with the terms a sum
// cancels, not with the output, so outputs near zero are compared with an absolute tolerance of
// 1e-4 of the outputs' RMS (measured: at most 1.6e-4 where the RMS is 9.8, F(2×2) 1.1e-5).
TEST_P(WinogradNumerics, F4MatchesNaiveReference) {
  expect_matches_reference(GetParam(), "manual", ConvAlgorithm::winograd4, true, true);
}

INSTANTIATE_TEST_SUITE_P(
    Layers, WinogradNumerics,
    ::testing::Values(
        NumericsCase{"even", "16x8x8", "conv2d(16, kernel=3, padding=1)"},
        NumericsCase{"odd_sizes_relu", "24x7x9", "conv2d(32, kernel=3, padding=1)\nrelu"},
        NumericsCase{"no_padding", "16x9x6", "conv2d(48, kernel=3)"},
        NumericsCase{"padding_2", "16x5x5", "conv2d(16, kernel=3, padding=2)\nsigmoid"},
        NumericsCase{"three_inputs", "3x10x10", "conv2d(16, kernel=3, padding=1)"},
        // Not a multiple of 16 outputs: the last block of channels shifted inwards over the one
        // before (17: [1, 17)); 304 = 19 vectors in blocks of 4, the last at 240.
        NumericsCase{"seventeen_outputs", "16x6x6", "conv2d(17, kernel=3, padding=1)"},
        NumericsCase{"ragged_outputs_relu", "24x7x9", "conv2d(72, kernel=3, padding=1)\nrelu"},
        NumericsCase{"ragged_blocks_of_four", "16x5x6", "conv2d(304, kernel=3, padding=1)"},
        NumericsCase{"folded_batchnorm", "32x6x10",
                     "conv2d(64, kernel=3, padding=1, bias=false)\nbatchnorm2d\nrelu"},
        NumericsCase{"residual", "32x8x8",
                     "add {\n  branch {\n    conv2d a(32, kernel=3, padding=1)\n    relu\n"
                     "    conv2d b(32, kernel=3, padding=1)\n  }\n  branch {}\n}\nrelu"},
        NumericsCase{"bands_threads_on_bands", "16x30x6", "conv2d(32, kernel=3, padding=1)\nrelu"},
        NumericsCase{"bands_threads_on_channels", "64x21x15",
                     "conv2d(256, kernel=3, padding=1)\nmaxpool2d(2)"},
        NumericsCase{"two_bands_two_blocks", "16x28x28", "conv2d(128, kernel=3, padding=1)\nrelu"}),
    case_name);

// Winograd F(2×2, 5×5) (codegen/winograd.hpp), which `winograd` and `winograd4` both take for
// every 5×5 stride-1 convolution: the cases above with 5×5 kernels, and AlexNet's second layer
// smaller (96 input channels, inside its pooling). Its transforms are F(4×4, 3×3)'s (interpolation
// at 0, ±1, ±2 and ∞, factors up to 4 and 2/3 in G), so its error is compared as F(4×4)'s, with an
// absolute part of 1e-4 of the outputs' RMS (measured on an AlexNet-shaped layer in float32
// against float64: at most 1.3e-5 of the RMS; 7e-5 relative where an output exceeds a tenth of it).
class Winograd5x5Numerics : public ::testing::TestWithParam<NumericsCase> {};

TEST_P(Winograd5x5Numerics, MatchesNaiveReference) {
  for (ConvAlgorithm conv : {ConvAlgorithm::winograd, ConvAlgorithm::winograd4}) {
    expect_matches_reference(GetParam(), "manual", conv, true, true);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Layers, Winograd5x5Numerics,
    ::testing::Values(
        NumericsCase{"even", "16x8x8", "conv2d(16, kernel=5, padding=2)"},
        NumericsCase{"odd_sizes_relu", "24x7x9", "conv2d(32, kernel=5, padding=2)\nrelu"},
        NumericsCase{"no_padding", "16x9x10", "conv2d(48, kernel=5)"},
        NumericsCase{"padding_1", "16x6x6", "conv2d(16, kernel=5, padding=1)\nsigmoid"},
        NumericsCase{"three_inputs", "3x10x10", "conv2d(16, kernel=5, padding=2)"},
        NumericsCase{"seventeen_outputs", "16x6x6", "conv2d(17, kernel=5, padding=2)"},
        NumericsCase{"ragged_outputs", "16x7x6", "conv2d(200, kernel=5, padding=2)\nrelu"},
        NumericsCase{"folded_batchnorm", "32x6x10",
                     "conv2d(64, kernel=5, padding=2, bias=false)\nbatchnorm2d\nrelu"},
        NumericsCase{"residual", "32x8x8",
                     "add {\n  branch {\n    conv2d a(32, kernel=5, padding=2)\n    relu\n"
                     "    conv2d b(32, kernel=5, padding=2)\n  }\n  branch {}\n}\nrelu"},
        NumericsCase{"bands_threads_on_bands", "16x30x6", "conv2d(32, kernel=5, padding=2)\nrelu"},
        NumericsCase{"bands_threads_on_channels", "64x21x15",
                     "conv2d(256, kernel=5, padding=2)\nmaxpool2d(2)"},
        NumericsCase{"alexnet_conv2_pool", "96x14x14", "conv2d(64, kernel=5, padding=2)\nrelu\nmaxpool2d(2)"}),
    case_name);

// With concatenations in slices, a branch's chain (here conv2d a, relu) is computed in the
// concatenation's update and never stored on its own; lowered as one select, it is stored and
// copied (the check can fail).
TEST(ConcatSlices, BranchesAreWrittenStraightIntoTheirSlices) {
  auto network = check_source("model t\ninput 8x6x6\n"
                              "concat {\n"
                              "  branch {\n    conv2d a(16, kernel=1)\n    relu\n  }\n"
                              "  branch {}\n"
                              "}\n");
  ASSERT_TRUE(network);
  std::mt19937 rng(3);
  TensorFile weights = random_weights(*network, rng);
  auto stored = [&](bool slices) {
    PlanOptions options;
    options.own_cpu_schedule = slices;
    LoweredNetwork lowered = lower(*network, plan_network(*network, true, options), &weights, "t");
    Halide::Target target = cpu_test_targets().front();
    schedule_cpu(lowered, *network, target);
    std::string relu;
    for (const LoweredLayer &layer : lowered.layers) {
      if (std::holds_alternative<Activation>(layer.node->op)) relu = layer.func.name();
    }
    const std::string path = ::testing::TempDir() + "concat_slices.stmt";
    lowered.output.compile_to_lowered_stmt(path, lowered.arguments(), Halide::Text, target);
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    EXPECT_NE(text.str().find("produce t_output"), std::string::npos);
    return text.str().find("produce " + relu + " ") != std::string::npos;
  };
  EXPECT_FALSE(stored(true));
  EXPECT_TRUE(stored(false));
}

// Where the automatic choice (the default) puts Winograd: 3×3 stride-1 convolutions of at least 64
// input and output channels (a multiple of 16 or not), 5×5 ones of at least 48 inputs and 64
// outputs, with embedded weights, in networks without a batch-vectorized copy.
TEST(Winograd, ChosenWhereMeasuredFaster) {
  auto network = check_source(
      "model t\ninput 64x12x12\n"
      "conv2d(64, kernel=3, padding=1)\nrelu\n"            // 0: Winograd, 12×12: F(4×4)
      "conv2d(32, kernel=3, padding=1)\n"                  // 2: 32 outputs: direct
      "conv2d(64, kernel=3, padding=1)\n"                  // 3: 32 inputs: direct
      "conv2d(64, kernel=3, padding=1, stride=2)\n"        // 4: stride 2: direct
      "conv2d(64, kernel=1)\n"                             // 5: 1×1: direct
      "conv2d(64, kernel=3, padding=2, dilation=2)\n"      // 6: dilated: direct
      "conv2d(80, kernel=3, padding=1)\n"                  // 7: 80 = 5 × 16, 6×6: F(2×2)
      "conv2d(64, kernel=5, padding=2)\n"                  // 8: 5×5, 80 inputs: F(2×2, 5×5)
      "conv2d(48, kernel=5, padding=2)\n"                  // 9: 5×5, 48 outputs: direct
      "conv2d(64, kernel=5, padding=2)\n"                  // 10: 5×5, 48 inputs: F(2×2, 5×5)
      "conv2d(64, kernel=1)\nconv2d(32, kernel=1)\n"       // 11, 12: 1×1 to 32 channels
      "conv2d(64, kernel=5, padding=2)\n"                  // 13: 5×5, 32 inputs: direct
      "conv2d(64, kernel=5, stride=2, padding=2)\n"        // 14: stride 2: direct
      "conv2d(72, kernel=3, padding=1)\n");                // 15: 72 = 4.5 vectors, 6×6: F(2×2)
  ASSERT_TRUE(network);
  std::mt19937 rng(1);
  TensorFile weights = random_weights(*network, rng);
  using Layers = std::vector<std::pair<std::size_t, int>>;  // (layer, output tile)
  auto winograd_layers = [&](const TensorFile *w, int batch_vector, ConvAlgorithm conv) {
    LoweredNetwork lowered = lower(*network, plan_network(*network, w != nullptr), w, "t", batch_vector, conv);
    Layers out;
    for (std::size_t i = 0; i < lowered.layers.size(); ++i) {
      const auto *stages = std::get_if<ConvStages>(&lowered.layers[i].stages);
      if (stages && stages->winograd) out.emplace_back(i, stages->weights.winograd->tile);
    }
    return out;
  };
  EXPECT_EQ(winograd_layers(&weights, 0, ConvAlgorithm::automatic), (Layers{{0, 4}, {7, 2}, {8, 2}, {10, 2}, {15, 2}}));
  EXPECT_EQ(winograd_layers(&weights, 0, ConvAlgorithm::winograd),
            (Layers{{0, 2}, {2, 2}, {3, 2}, {7, 2}, {8, 2}, {9, 2}, {10, 2}, {13, 2}, {15, 2}}));
  EXPECT_EQ(winograd_layers(&weights, 0, ConvAlgorithm::winograd4),
            (Layers{{0, 4}, {2, 4}, {3, 4}, {7, 4}, {8, 2}, {9, 2}, {10, 2}, {13, 2}, {15, 4}}));
  EXPECT_EQ(winograd_layers(&weights, 0, ConvAlgorithm::direct), Layers{});
  EXPECT_EQ(winograd_layers(nullptr, 0, ConvAlgorithm::winograd), Layers{}) << "weights as arguments";
  EXPECT_EQ(winograd_layers(&weights, 16, ConvAlgorithm::winograd), Layers{}) << "batch-vectorized";
}

// F(4×4) from 12×12 outputs whatever the target's vectors: at 28×28 its 7 tiles fill AVX-512's
// register tiles of 7 but not AVX2's of 3, and it is faster there all the same (docs/performance.md).
TEST(Winograd, F4FromTwelveByTwelve) {
  auto tile = [](const char *source) {
    auto network = check_source(source);
    if (!network) return -1;
    std::mt19937 rng(2);
    TensorFile weights = random_weights(*network, rng);
    LoweredNetwork lowered = lower(*network, plan_network(*network, true), &weights, "t");
    const ConvStages &stages = lowered.layers.front().conv();
    return stages.winograd ? stages.weights.winograd->tile : 0;
  };
  EXPECT_EQ(tile("model t\ninput 64x28x28\nconv2d(128, kernel=3, padding=1)\n"), 4);
  EXPECT_EQ(tile("model t\ninput 64x56x56\nconv2d(128, kernel=3, padding=1)\n"), 4);
  EXPECT_EQ(tile("model t\ninput 64x12x13\nconv2d(128, kernel=3, padding=1)\n"), 4);
  EXPECT_EQ(tile("model t\ninput 64x13x11\nconv2d(128, kernel=3, padding=1)\n"), 2);
  EXPECT_EQ(tile("model t\ninput 64x7x7\nconv2d(128, kernel=3, padding=1)\n"), 2);
}

}  // namespace
}  // namespace cnngen::testing
