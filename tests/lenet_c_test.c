/* A plain C program (compiled as C, no C++ runtime) that calls the generated LeNet through its C
 * entry point alone: halide_buffer_t built by hand, the golden images in, PyTorch's logits out.
 * Run from tests/; exits 0 only when every logit matches within the project's tolerance. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "HalideRuntime.h"
#include "lenet.h"

enum { kImages = 64, kPixels = 28 * 28, kClasses = 10 };

static int read_images(const char *path, float *pixels) {
  unsigned char header[16], bytes[kImages * kPixels];
  FILE *file = fopen(path, "rb");
  int ok = file && fread(header, 1, 16, file) == 16 && header[2] == 0x08 && header[3] == 3 &&
           header[7] == kImages && fread(bytes, 1, sizeof bytes, file) == sizeof bytes;
  if (file) fclose(file);
  for (int i = 0; ok && i < kImages * kPixels; ++i) pixels[i] = (float)bytes[i] / 255.0f;
  return ok;
}

static int read_logits(const char *path, float *logits) {
  char line[4096];
  int count = 0;
  FILE *file = fopen(path, "r");
  if (!file) return 0;
  while (fgets(line, sizeof line, file)) {
    if (line[0] == '#') continue;
    char *at = line, *end;
    for (float v = strtof(at, &end); end != at && count < kImages * kClasses; v = strtof(at, &end)) {
      logits[count++] = v;
      at = end;
    }
  }
  fclose(file);
  return count == kImages * kClasses;
}

/* A dense float32 buffer whose Halide dimensions are `extents`, innermost first. */
static halide_buffer_t float_buffer(float *data, halide_dimension_t *dims, const int *extents,
                                    int rank) {
  halide_buffer_t buffer;
  memset(&buffer, 0, sizeof buffer);
  int stride = 1;
  for (int d = 0; d < rank; ++d) {
    dims[d].min = 0;
    dims[d].extent = extents[d];
    dims[d].stride = stride;
    dims[d].flags = 0;
    stride *= extents[d];
  }
  buffer.host = (uint8_t *)data;
  buffer.type.code = halide_type_float;
  buffer.type.bits = 32;
  buffer.type.lanes = 1;
  buffer.dimensions = rank;
  buffer.dim = dims;
  return buffer;
}

int main(void) {
  static float pixels[kImages * kPixels], logits[kImages * kClasses], golden[kImages * kClasses];
  if (!read_images("golden/lenet_images.idx", pixels) || !read_logits("golden/lenet_logits.txt", golden)) {
    fprintf(stderr, "lenet_c_test: cannot read the golden data (run from tests/)\n");
    return 1;
  }
  halide_dimension_t input_dims[4], output_dims[2];
  const int input_extents[4] = {28, 28, 1, kImages}, output_extents[2] = {kClasses, kImages};
  halide_buffer_t input = float_buffer(pixels, input_dims, input_extents, 4);
  halide_buffer_t output = float_buffer(logits, output_dims, output_extents, 2);
  int status = lenet(&input, &output);
  if (status != 0) {
    fprintf(stderr, "lenet_c_test: lenet returned %d\n", status);
    return 1;
  }
  int mismatches = 0;
  double worst = 0;
  for (int i = 0; i < kImages * kClasses; ++i) {
    double difference = fabs((double)logits[i] - golden[i]);
    if (difference > worst) worst = difference;
    if (difference > 1e-4 * (1.0 + fabs(golden[i]))) {
      if (mismatches++ < 5) fprintf(stderr, "logit %d: %g, PyTorch %g\n", i, logits[i], golden[i]);
    }
  }
  printf("lenet_c_test: %d logits, %d mismatches, max |C - PyTorch| %g\n", kImages * kClasses,
         mismatches, worst);
  return mismatches == 0 ? 0 : 1;
}
