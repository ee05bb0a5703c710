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
#include "crm/commands.h"
#include "crm/event_store.h"
#include "ratio_reporter.h"

namespace crm::bench {
namespace {

int64_t g_commands = 1'000'000;
constexpr size_t kBatchLines = 512;  // what `crm exec` hands the executor from a file

constexpr char kOursExec[] = "ours/exec_mix/nosync";
constexpr char kRawBatch100[] = "raw/batch_100/nosync";

// A realistic mix, deterministic: per 20 commands, 2 accounts, 4 contacts, 4 opportunities
// (opened, then advanced / won), 3 tickets (opened, assigned), 5 activities (logged,
// completed), 2 notes. Each refers to entities created earlier in the stream of commands.
std::vector<std::string> MakeCommands(int64_t n) {
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(n) + 2);
  out.push_back(R"({"type":"CreateUser","user_id":"sam","name":"Sam","role":"sales"})");
  out.push_back(R"({"type":"CreateUser","user_id":"sue","name":"Sue","role":"support"})");
  char buf[512];
  int64_t accounts = 0, contacts = 0, opps = 0, tickets = 0, activities = 0;
  // An existing account, spread over all of them (Knuth's multiplicative hash of k).
  auto account = [&](int64_t k) {
    return static_cast<int64_t>((static_cast<uint64_t>(k) * 2654435761u) %
                                static_cast<uint64_t>(std::max<int64_t>(accounts, 1)));
  };
  for (int64_t i = 0; static_cast<int64_t>(out.size()) < n; ++i) {
    switch (i % 20) {
      case 0: case 10:
        std::snprintf(buf, sizeof buf,
                      R"({"type":"OpenAccount","account_id":"A%lld","name":"Account %lld Inc","industry":"Technology","phone":"555-%04lld","billing_address":{"city":"Techville","state":"TX"},"debtor_number":"D%lld"})",
                      (long long)accounts, (long long)accounts, (long long)(accounts % 10000),
                      (long long)accounts);
        ++accounts;
        break;
      case 1: case 5: case 11: case 15:
        std::snprintf(buf, sizeof buf,
                      R"({"type":"CreateContact","contact_id":"C%lld","first_name":"Jo","last_name":"Smith %lld","email":"jo%lld@example.com","account_id":"A%lld"})",
                      (long long)contacts, (long long)contacts, (long long)contacts,
                      (long long)account(contacts));
        ++contacts;
        break;
      case 2: case 12:
        std::snprintf(buf, sizeof buf,
                      R"({"type":"OpenOpportunity","opportunity_id":"O%lld","account_id":"A%lld","name":"Deal %lld","amount":"%lld.50","actor":"sam"})",
                      (long long)opps, (long long)account(opps), (long long)opps,
                      (long long)(1000 + opps % 9000));
        ++opps;
        break;
      case 3: case 13:
        std::snprintf(buf, sizeof buf,
                      R"({"type":"ChangeOpportunityStage","opportunity_id":"O%lld","stage":"Proposal"})",
                      (long long)(opps - 1));
        break;
      case 4: case 14:
        std::snprintf(buf, sizeof buf, R"({"type":"WinOpportunity","opportunity_id":"O%lld"})",
                      (long long)(opps - 1));
        break;
      case 6: case 16: case 19:
        std::snprintf(buf, sizeof buf,
                      R"({"type":"OpenTicket","ticket_id":"T%lld","account_id":"A%lld","subject":"Printer jams again","priority":"High","origin":"Email"})",
                      (long long)tickets, (long long)account(tickets));
        ++tickets;
        break;
      case 7: case 17:
        std::snprintf(buf, sizeof buf,
                      R"({"type":"AssignTicket","ticket_id":"T%lld","assignee":"sue"})",
                      (long long)(tickets - 1));
        break;
      case 8: case 18: case 9:
        std::snprintf(buf, sizeof buf,
                      R"({"type":"LogActivity","activity_id":"V%lld","kind":"Call","subject":"Follow-up call","account_id":"A%lld","contact_id":"C%lld"})",
                      (long long)activities, (long long)account(activities),
                      (long long)(contacts - 1));
        ++activities;
        break;
    }
    out.emplace_back(buf);
  }
  return out;
}

const std::vector<std::string>& Commands() {
  static const std::vector<std::string> commands = MakeCommands(g_commands);
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
