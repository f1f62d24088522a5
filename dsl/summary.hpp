// `cnngen summary`: a table of a checked network's layers with their shapes and costs — the
// questions D2L's exercises ask (a convolution's multiply-adds, the memory it takes, what doubling
// the channels or the padding does), answered for a whole model, block by block.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "dsl/cost.hpp"
#include "dsl/network.hpp"

namespace cnngen {

/// "36.0 KiB": bytes under 1 KiB as "512 B", from 1 MiB in MiB.
std::string format_bytes(std::int64_t bytes);

/// Writes the summary table for `batch` images (with a subtotal row after each block instance
/// when the network has any), the totals, the peak working memory and, for each convolution and
/// pooling layer, D2L's formula with its numbers.
void print_summary(const Network &network, std::int64_t batch, std::ostream &out);

}  // namespace cnngen
