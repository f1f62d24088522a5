/* A plain C program (compiled as C99, no C++ runtime) that calls the generated LeNet through its C
 * entry point alone: halide_buffer_t built by hand, the golden images in, PyTorch's logits out.
 * Then, with nothing installed, wrong buffers: each call returns its error code, the message that
 * cnngen_last_error() gives names the problem, and the program goes on to a good call.
 * Run from tests/; exits 0 only when every logit matches within the project's tolerance and every
 * wrong buffer was refused so. */
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

/* Calls lenet with buffers it must refuse: expects `code` and a message holding `needle`. */
static int expect_refused(const char *what, halide_buffer_t *input, halide_buffer_t *output, int code,
                          const char *needle) {
  cnngen_clear_last_error();
  int status = lenet(input, output);
  const char *message = cnngen_last_error();
  int ok = status == code && strstr(message, needle) != NULL;
  printf("lenet_c_test: %s: %s %d, \"%s\"\n", what, ok ? "refused with" : "FAILED: returned", status,
         message);
  if (!ok) fprintf(stderr, "  expected %d and a message holding \"%s\"\n", code, needle);
  return ok ? 0 : 1;
}

/* Wrong buffers of two images, each refused with its code and message; then a good call. */
static int check_wrong_buffers(float *pixels, float *logits) {
  enum { kBatch = 2 };
  halide_dimension_t in_dims[4], out_dims[2], bad_dims[4];
  const int in_extents[4] = {28, 28, 1, kBatch}, out_extents[2] = {kClasses, kBatch};
  const int narrow_extents[4] = {27, 28, 1, kBatch}, more_images[2] = {kClasses, kBatch + 1};
  const int rank3_extents[3] = {28, 28, kBatch};
  int failures = 0;
  halide_buffer_t input = float_buffer(pixels, in_dims, in_extents, 4);
  halide_buffer_t output = float_buffer(logits, out_dims, out_extents, 2);
  halide_buffer_t bad;

  bad = float_buffer(pixels, bad_dims, rank3_extents, 3);
  failures += expect_refused("input of rank 3", &bad, &output, halide_error_code_bad_dimensions, "input");
  bad = float_buffer(pixels, bad_dims, in_extents, 4);
  bad.type.code = halide_type_uint;
  bad.type.bits = 8;
  failures += expect_refused("uint8 input", &bad, &output, halide_error_code_bad_type, "input");
  bad = float_buffer(pixels, bad_dims, out_extents, 2);
  bad.type.bits = 64;
  failures += expect_refused("float64 output", &input, &bad, halide_error_code_bad_type, "output");
  bad = float_buffer(pixels, bad_dims, narrow_extents, 4);
  failures += expect_refused("input 2x1x28x27", &bad, &output, halide_error_code_access_out_of_bounds,
                             "input is accessed at 27");
  bad = float_buffer(pixels, bad_dims, in_extents, 4);
  bad_dims[1].stride = 29; /* rows padded to 29 floats: not dense */
  failures += expect_refused("input rows of stride 29", &bad, &output,
                             halide_error_code_constraint_violated, "input.stride.1 (29) == ");
  bad = float_buffer(NULL, bad_dims, in_extents, 4);
  failures += expect_refused("null input host", &bad, &output, halide_error_code_host_is_null, "input");
  bad = float_buffer(NULL, bad_dims, out_extents, 2);
  failures += expect_refused("null output host", &input, &bad, halide_error_code_host_is_null,
                             "lenet_output");
  bad = float_buffer(logits, bad_dims, more_images, 2);
  failures += expect_refused("3 outputs for 2 images", &input, &bad,
                             halide_error_code_access_out_of_bounds, "input is accessed at 2");

  int status = lenet(&input, &output);
  if (status != 0) {
    fprintf(stderr, "lenet_c_test: a good call after the errors returned %d: %s\n", status,
            cnngen_last_error());
    ++failures;
  }
  return failures;
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
  int refusals = check_wrong_buffers(pixels, logits);
  return mismatches == 0 && refusals == 0 ? 0 : 1;
}
