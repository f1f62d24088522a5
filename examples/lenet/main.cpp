// Classifies the 10,000 Fashion-MNIST test images with the LeNet library cnngen generated from
// lenet.net, and prints the accuracy and the throughput; --predictions FILE also writes the
// predicted class of each image, one a line (CI compares a cross-compiled build's with x86's).
//   usage: lenet_classify [FASHION_MNIST_DIR] [--batch N] [--predictions FILE]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "cnngen/argmax.hpp"
#include "cnngen/error_handler.hpp"
#include "cnngen/gpu_device.hpp"
#include "cnngen/idx.hpp"
#include "cnngen/tensor_buffer.hpp"
#include "lenet.h"

namespace {

constexpr int kClasses = 10;
const char *const kClassNames[kClasses] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};

int usage(const char *message) {
  std::fprintf(stderr,
               "lenet_classify: %s\n"
               "usage: lenet_classify [FASHION_MNIST_DIR] [--batch N] [--predictions FILE]\n",
               message);
  return 2;
}

}  // namespace

int main(int argc, char **argv) {
  std::string dir = "/usr/share/datasets/fashion-mnist";
  int batch = 256;
  std::string predictions_path;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--batch" && i + 1 < argc) {
      batch = std::atoi(argv[++i]);
      if (batch < 1) return usage("--batch needs a positive number");
    } else if (arg == "--predictions" && i + 1 < argc) {
      predictions_path = argv[++i];
    } else if (!arg.empty() && arg[0] != '-') {
      dir = arg;
    } else {
      return usage(("unknown argument " + arg).c_str());
    }
  }

  cnngen::install_error_handler();
  std::string error;
  auto images = cnngen::read_idx(dir + "/t10k-images-idx3-ubyte.gz", error);
  auto labels = images ? cnngen::read_idx(dir + "/t10k-labels-idx1-ubyte.gz", error) : std::nullopt;
  if (!images || !labels) {
    std::fprintf(stderr, "lenet_classify: %s\n", error.c_str());
    return 1;
  }
  const int count = images->dims[0];
  std::vector<float> pixels = cnngen::unit_floats(*images);
  std::vector<float> logits(static_cast<std::size_t>(count) * kClasses);

  auto start = std::chrono::steady_clock::now();
  for (int first = 0; first < count; first += batch) {
    int n = std::min(batch, count - first);
    auto input = cnngen::tensor_buffer(pixels.data() + static_cast<std::size_t>(first) * 28 * 28,
                                       {n, 1, 28, 28});
    auto output = cnngen::tensor_buffer(logits.data() + static_cast<std::size_t>(first) * kClasses,
                                        {n, kClasses});
    if (int status = lenet(input, output)) {
      std::fprintf(stderr, "lenet_classify: the model returned error %d: %s\n", status,
                   cnngen::last_error().c_str());
      cnngen::GpuDevice device = cnngen::device_for_target(lenet_metadata()->target);
      if (!device.present) {
        std::fprintf(stderr, "note: the library was built for %s, and here there is %s\n",
                     lenet_metadata()->target, device.name.c_str());
      }
      return 1;
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::FILE *predictions = nullptr;
  if (!predictions_path.empty() && !(predictions = std::fopen(predictions_path.c_str(), "w"))) {
    std::fprintf(stderr, "lenet_classify: cannot write %s\n", predictions_path.c_str());
    return 1;
  }
  int correct = 0;
  std::vector<int> class_total(kClasses), class_correct(kClasses);
  for (int i = 0; i < count; ++i) {
    int predicted = cnngen::argmax(&logits[static_cast<std::size_t>(i) * kClasses], kClasses);
    if (predictions) std::fprintf(predictions, "%d\n", predicted);
    int label = labels->data[i];
    correct += predicted == label;
    class_total[label]++;
    class_correct[label] += predicted == label;
  }
  if (predictions && std::fclose(predictions) != 0) {
    std::fprintf(stderr, "lenet_classify: cannot write %s\n", predictions_path.c_str());
    return 1;
  }
  std::printf("Fashion-MNIST test set: %d images, batch %d\n", count, batch);
  for (int c = 0; c < kClasses; ++c) {
    std::printf("  %-12s %4d/%4d\n", kClassNames[c], class_correct[c], class_total[c]);
  }
  std::printf("accuracy: %.4f (%d correct)\n", static_cast<double>(correct) / count, correct);
  std::printf("throughput: %.0f images/s (%.3f s, the first call's setup included)\n", count / seconds,
              seconds);
  std::printf("ran on: %s (target %s)\n",
              cnngen::device_for_target(lenet_metadata()->target).name.c_str(), lenet_metadata()->target);
  return 0;
}
