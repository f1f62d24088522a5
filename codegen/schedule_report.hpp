// What cnngen's CPU schedule chose for each convolution and linear layer, and the working set of
// each loop level against the cache it must stay in: `cnngen schedule` prints it. The entries are
// made from the choices the schedule applies (cpu_choices.hpp), so the report is the schedule's own
// account of its cache blocking (docs/architecture.md, "The CPU schedule").
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "codegen/cpu_choices.hpp"
#include "dsl/network.hpp"
#include "dsl/source.hpp"

namespace cnngen {

/// What one loop level keeps in one cache between its uses, and the budget it was sized against
/// (0: none; it streams through).
struct WorkingSet {
  std::string level;  // "L1", "L2", "L3"
  std::string what;
  std::int64_t bytes = 0;
  std::int64_t budget = 0;
};

/// One layer's schedule: how it is computed (the algorithm and its register tile), what the
/// threads share, and its working sets, innermost level first.
struct LayerSchedule {
  std::size_t node = 0;  // index into the scheduled network's nodes
  std::string how;
  std::string tasks;
  std::vector<WorkingSet> sets;
};

/// The report of one network scheduled for one target.
struct ScheduleReport {
  std::string target;
  int vector = 0;            // floats per vector register
  int batch_vector = 0;      // > 0: from this many images a batch-vectorized copy runs instead
  bool weights_embedded = false;
  std::vector<LayerSchedule> layers;
};

/// One head's report, from the choice its schedule applied; `node` indexes the scheduled network.
LayerSchedule report_head(const HeadChoice &choice, std::size_t node);

/// The report as text: one block per layer, its line in `source` and its shapes from `network`.
void print_schedule_report(const ScheduleReport &report, const Network &network, const SourceFile &source,
                           std::ostream &out);

}  // namespace cnngen
