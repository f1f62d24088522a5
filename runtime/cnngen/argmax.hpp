// The index of the largest of n scores (the first one on ties, like torch.argmax). Header-only.
#pragma once

namespace cnngen {

inline int argmax(const float *scores, int n) {
  int best = 0;
  for (int i = 1; i < n; ++i) {
    if (scores[i] > scores[best]) best = i;
  }
  return best;
}

}  // namespace cnngen
