// Ratios of median throughputs, computed inside the bench program from the runs Google Benchmark
// reports: a reporter that wraps the normal console (or JSON/CSV) reporter, collects
// items_per_second per benchmark, and a summary printer for "ours / raw" lines with a target.
//
// Threads: Google Benchmark calls reporters from its main thread only; so does PrintSummary.
#pragma once

#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <benchmark/benchmark.h>

namespace crm::bench {

// items_per_second of every reported run, keyed by RateKey(run).
class RateCollector {
 public:
  using Run = benchmark::BenchmarkReporter::Run;

  // "<registered name>" or "<registered name>/threads:N" when the benchmark sets Threads().
  static std::string RateKey(const Run& run);

  void Add(const Run& run);

  // The median items/s: the "median" aggregate when repetitions produced one, otherwise the
  // median of the individual runs. std::nullopt when the benchmark did not run or failed.
  std::optional<double> Median(const std::string& key) const;
  // How many repetitions the median summarises (0 when unknown).
  int Repetitions(const std::string& key) const;
  // The error message of a failed benchmark, empty if it did not fail.
  std::string Error(const std::string& key) const;

 private:
  struct Entry {
    std::vector<double> runs;
    std::optional<double> median_aggregate;
    int repetitions = 0;
    std::string error;
  };
  std::map<std::string, Entry> entries_;
};

// Forwards everything to `Base` (ConsoleReporter, JSONReporter, ...) and records each run.
template <class Base>
class CollectingReporter : public Base {
 public:
  template <class... Args>
  explicit CollectingReporter(RateCollector* collector, Args&&... args)
      : Base(std::forward<Args>(args)...), collector_(collector) {}

  void ReportRuns(const std::vector<benchmark::BenchmarkReporter::Run>& runs) override {
    for (const auto& run : runs) collector_->Add(run);
    Base::ReportRuns(runs);
  }

 private:
  RateCollector* collector_;  // not owned; outlives the reporter
};

// One summary line: numerator / denominator against a minimum target.
struct RatioLine {
  std::string label;        // what is compared, durability included
  std::string numerator;    // RateKey of "ours" (or of 16 writers)
  std::string denominator;  // RateKey of the baseline (raw RocksDB, or 1 writer)
  double target = 0;        // PASS when ratio >= target; 0 = reference line, no verdict
  bool as_factor = false;   // print "8.0x" instead of "50%"
};

// What the summary says above and below its table.
struct SummaryText {
  std::string title;               // the "=== ... ===" line
  std::vector<std::string> notes;  // lines after the command: durability, sizes, ...
  std::string unit;                // what measured/baseline count, e.g. "events/s"
};
// The text of log_bench and exec_bench: the event store vs raw RocksDB, events/s.
SummaryText EventStoreSummaryText();

// Prints the summary table, headed by `command_line` (the effective arguments, defaults included);
// returns the number of lines that MISSED their target (a line whose benchmark failed counts as
// missed; one whose benchmarks were filtered out does not).
int PrintSummary(std::ostream& out, const std::string& command_line, const RateCollector& rates,
                 const std::vector<RatioLine>& lines,
                 const SummaryText& text = EventStoreSummaryText());

// Whether an argument starts with `prefix`; the value after the last one that does ("" if none).
bool HasFlag(const std::vector<std::string>& args, std::string_view prefix);
std::string FlagValue(const std::vector<std::string>& args, std::string_view prefix);

// A bench program's own size flags, `--NAME=N` (whole numbers), taken out of argv; every other
// argument (argv[0] first) goes to *rest, for RunBenchmarks. A value that is not a number is
// explained on stderr (naming `program`) and returns false.
struct CountFlag {
  std::string_view name;  // "--events="
  int64_t* value;
};
bool TakeCountFlags(const char* program, int argc, char** argv,
                    std::initializer_list<CountFlag> flags, std::vector<std::string>* rest);

// The shared driver of the bench programs: adds the documented defaults unless given
// (`default_repetitions` repetitions, aggregates only: medians are what the ratios use),
// initialises Google Benchmark with `args` (argv[0] first), calls `register_all`, and runs every
// benchmark through a console (or, with --benchmark_format=json, JSON) reporter feeding `rates`.
// Returns the stream the summary belongs on -- stderr when stdout carries JSON -- or nullptr
// after explaining a bad flag on stderr. `args` receives the added defaults. With `interleave`,
// repetitions of all benchmarks run in a random order unless --benchmark_enable_random_interleaving
// is given, so that both sides of a pair see the same drift of a shared machine.
std::ostream* RunBenchmarks(const char* program, std::vector<std::string>& args,
                            int default_repetitions, const std::function<void()>& register_all,
                            RateCollector* rates, bool interleave = false);

}  // namespace crm::bench
