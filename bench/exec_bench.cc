// exec_bench: end-to-end command throughput through the same code path as `crm exec`
// (CommandExecutor::ExecuteBatch: JSON parsing, validation, state loading, decisions, appends)
// on a realistic mix, next to raw RocksDB batched puts (one 256-byte value per event, batches of
// 100) measured in the same run. Durability: nosync on both sides.
//
//   exec_bench [--commands=N] [--dump] [google benchmark flags]   (N default 1,000,000;
//   --dump prints the generated commands instead, e.g. to feed `crm exec`)
#include <benchmark/benchmark.h>
#include <rocksdb/write_batch.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "bench_support.h"
#include "command_mix.h"
#include "crm/commands.h"
#include "crm/event_store.h"
#include "ratio_reporter.h"

namespace crm::bench {
namespace {

int64_t g_commands = 1'000'000;
constexpr size_t kBatchLines = 512;  // what `crm exec` hands the executor from a file

constexpr char kOursExec[] = "ours/exec_mix/nosync";
constexpr char kRawBatch100[] = "raw/batch_100/nosync";

const std::vector<std::string>& Commands() {
  static const std::vector<std::string> commands = MakeCommandMix(g_commands);
  return commands;
}

void BM_OursExec(benchmark::State& state) {
  const auto& commands = Commands();
  int64_t events = 0, executed = 0, rejected = 0;
  for (auto _ : state) {
    state.PauseTiming();
    TempDir dir;
    Options options;
    options.durability = Durability::kNoSync;
    auto store = EventStore::Open(dir.Sub("db"), options);
    if (!store.ok() || !EnsureAdminUser(**store).ok()) {
      state.SkipWithError("open");
      return;
    }
    CommandExecutor executor(store->get());
    state.ResumeTiming();
    for (size_t i = 0; i < commands.size(); i += kBatchLines) {
      std::vector<std::string_view> batch(commands.begin() + i,
                                          commands.begin() + std::min(commands.size(), i + kBatchLines));
      for (const ExecResult& r : executor.ExecuteBatch(batch)) {
        if (!r.ok) ++rejected;
      }
      executed += static_cast<int64_t>(batch.size());
    }
    state.PauseTiming();
    events += static_cast<int64_t>((*store)->LastPosition()) - 1;  // less the admin user
    store->reset();
    state.ResumeTiming();
  }
  if (rejected > 0) {
    state.SkipWithError(("the mix had " + std::to_string(rejected) + " rejected commands").c_str());
  }
  state.SetItemsProcessed(events);
  state.counters["commands_per_second"] =
      benchmark::Counter(static_cast<double>(executed), benchmark::Counter::kIsRate);
  state.counters["events_per_command"] =
      benchmark::Counter(static_cast<double>(events) / std::max<int64_t>(executed, 1));
}

// The ceiling: the same number of events as the mix produced (measured), as 256-byte values in
// WriteBatches of 100, nosync.
void BM_RawBatch100(benchmark::State& state) {
  const int64_t total = static_cast<int64_t>(Commands().size()) * 13 / 10;  // ~events of the mix
  int64_t written = 0;
  for (auto _ : state) {
    state.PauseTiming();
    TempDir dir;
    auto raw = RawDb::Open(dir.Sub("db"));
    state.ResumeTiming();
    rocksdb::WriteOptions wo;
    rocksdb::WriteBatch wb;
    char k[8];
    for (int64_t key = 1; key <= total;) {
      wb.Clear();
      for (int j = 0; j < 100 && key <= total; ++j, ++key) {
        EncodeBigEndian64(static_cast<uint64_t>(key), k);
        wb.Put(raw->events(), rocksdb::Slice(k, 8), Payload(static_cast<uint64_t>(key)))
            .PermitUncheckedError();
      }
      if (!raw->db()->Write(wo, &wb).ok()) {
        state.SkipWithError("raw write");
        return;
      }
    }
    written += total;
    state.PauseTiming();
    raw.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(written);
}

}  // namespace
}  // namespace crm::bench

int main(int argc, char** argv) {
  using namespace crm::bench;
  std::vector<std::string> args;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--commands=", 0) == 0) {
      g_commands = std::stoll(a.substr(11));
      continue;
    }
    if (a == "--dump") {  // print the generated commands (JSON Lines) and exit: `crm exec` input
      for (const auto& line : Commands()) std::printf("%s\n", line.c_str());
      return 0;
    }
    args.push_back(a);
  }
  bool has_reps = false;
  for (const auto& a : args) has_reps = has_reps || a.rfind("--benchmark_repetitions", 0) == 0;
  if (!has_reps) {
    args.push_back("--benchmark_repetitions=3");
    args.push_back("--benchmark_report_aggregates_only=true");
  }
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  int cargc = static_cast<int>(cargs.size());
  benchmark::Initialize(&cargc, cargs.data());
  benchmark::RegisterBenchmark(kOursExec, BM_OursExec)
      ->Iterations(1)->UseRealTime()->Unit(benchmark::kSecond);
  benchmark::RegisterBenchmark(kRawBatch100, BM_RawBatch100)
      ->Iterations(1)->UseRealTime()->Unit(benchmark::kSecond);
  std::printf("commands: %lld (a realistic mix: accounts, contacts, opportunities, tickets, "
              "activities)\n",
              static_cast<long long>(Commands().size()));
  RateCollector rates;
  CollectingReporter<benchmark::ConsoleReporter> display(&rates, benchmark::ConsoleReporter::OO_None);
  benchmark::RunSpecifiedBenchmarks(&display);
  benchmark::Shutdown();
  std::string command_line;
  for (const auto& a : args) command_line += (command_line.empty() ? "" : " ") + a;
  PrintSummary(std::cout, command_line, rates,
               {{"exec mix events/s, nosync / raw batch 100, nosync", kOursExec, kRawBatch100,
                 0.30, false}});
  return 0;
}
