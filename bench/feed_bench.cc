// feed_bench: `crm events` (issue "Data in and out") next to its baseline in the same run:
//   1. PumpEvents -- the exact code `crm events --format jsonl` runs: a follower store, ReadLogRange
//      with every record verified, EventFormatter (JSONL), FdOutput -- over the whole log into
//      /dev/null, events/s, vs a raw RocksDB iterator scan of the same `events` values (same keys,
//      same bytes, events-CF options)                                                   >= 20%
//   2. reference: the same pump with --format csv (mixed types: envelope columns + data JSON)
//   3. reference: the engine's verified log read alone (ReadLog, no formatting): what the
//      formatting and writing add on top of reading
// Durability: nosync for the log's load (it is written once, before any timing); the timed runs
// only read.
//
//   feed_bench [--events=N] [google benchmark flags]   (default 1,000,000 events; 5 repetitions,
//   aggregates only)
//
// The log: N events in appends of 1,000 (100 streams x 10 events): per stream an AccountOpened
// (name, industry, phone, e-mail, website, billing address, employees, owner, debtor number) then
// 9 AccountNoteAdded with a 256-byte text (bench_support's payloads). Built once, reopened, and
// left to settle (compactions done) before any timing; the raw copy likewise.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "bench_support.h"
#include "crm/event_output.h"
#include "crm/event_store.h"
#include "ratio_reporter.h"

namespace crm::bench {
namespace {

int64_t g_events = 1'000'000;

constexpr int kStreamsPerAppend = 100;
constexpr int kEventsPerStream = 10;
constexpr size_t kRawBatchRows = 8192;

// Benchmark names (RateCollector keys).
constexpr char kJsonl[] = "ours/events_jsonl_to_devnull/nosync_load";
constexpr char kCsv[] = "ours/events_csv_to_devnull/nosync_load";
constexpr char kRead[] = "ours/read_log_verified/nosync_load";
constexpr char kRawScan[] = "raw/iterator_scan/nosync_load";

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string Thousands(int64_t n) {  // 1000000 -> "1,000,000"
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), 1, ',');
  return s;
}

struct Fixture {
  TempDir dir;
  std::unique_ptr<EventStore> follower;  // what `crm events` opens
  std::unique_ptr<RawDb> raw;            // the same values under the same keys
  uint64_t events = 0;
  int64_t event_bytes = 0;  // stored bytes of all events
  int64_t json_bytes = 0;   // bytes of the JSONL output (measured on the first run)
  int devnull = -1;
  std::string error;
};

Fixture* g_fixture = nullptr;

AppendRequest MakeAppend(int64_t first_stream) {
  AppendRequest r;
  for (int s = 0; s < kStreamsPerAppend; ++s) {
    const int64_t id = first_stream + s;
    StreamEvents& stream = r.streams.emplace_back();
    const std::string account_id = "A" + std::to_string(id);
    stream.stream = "account-" + account_id;
    stream.expected = ExpectedVersion::NoStream();
    fb::AccountOpenedT opened;
    opened.account_id = account_id;
    opened.name = "Account " + std::to_string(id) + " GmbH";
    opened.industry = "Information Technology";
    opened.phone = "+49 30 1234" + std::to_string(id % 10000);
    opened.email = "info@a" + std::to_string(id) + ".example.com";
    opened.website = "https://a" + std::to_string(id) + ".example.com";
    opened.billing_address = std::make_unique<fb::AddressT>();
    opened.billing_address->street = "Hauptstrasse " + std::to_string(id % 200);
    opened.billing_address->city = "Berlin";
    opened.billing_address->postal_code = "10115";
    opened.billing_address->country = "DE";
    opened.number_of_employees = 10 + id % 5000;
    opened.owner = "sam";
    opened.debtor_number = "D-" + std::to_string(id);
    stream.events.emplace_back().data.Set(std::move(opened));
    for (int e = 1; e < kEventsPerStream; ++e) {
      fb::AccountNoteAddedT note;
      note.text = Payload(static_cast<uint64_t>(id * kEventsPerStream + e));
      note.account_id = account_id;
      EventData& d = stream.events.emplace_back();
      d.data.Set(std::move(note));
      d.schema_version = kAccountNoteAddedVersion;
    }
  }
  r.actor = "sam";
  return r;
}

void BuildFixture(Fixture& f) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::string path = f.dir.Sub("crm");
  {
    Options o;
    o.durability = Durability::kNoSync;
    auto store = EventStore::Open(path, o);
    if (!store.ok()) {
      f.error = "open the log: " + store.status().ToString();
      return;
    }
    const int64_t appends = g_events / (kStreamsPerAppend * kEventsPerStream);
    for (int64_t a = 0; a < appends; ++a) {
      auto r = (*store)->Append(MakeAppend(a * kStreamsPerAppend));
      if (!r.ok()) {
        f.error = "append: " + r.status().ToString();
        return;
      }
    }
  }
  // Reopen (WAL recovery flushes the memtables), let the load's compactions finish, then read as
  // the CLI does: a follower.
  {
    Options o;
    auto writer = EventStore::Open(path, o);
    if (!writer.ok()) {
      f.error = "reopen the log: " + writer.status().ToString();
      return;
    }
    WaitForQuietSsts(path, std::chrono::milliseconds(2000), std::chrono::milliseconds(180000));
  }
  // Both scans read the same shape: the log compacted to its bottom level, as the raw twin below.
  if (std::string error = CompactToBottom(path, "events", RawCfOptions()); !error.empty()) {
    f.error = std::move(error);
    return;
  }
  Options fo;
  fo.mode = OpenMode::kFollower;
  auto follower = EventStore::Open(path, fo);
  if (!follower.ok()) {
    f.error = "open a follower: " + follower.status().ToString();
    return;
  }
  f.follower = std::move(follower).value();
  f.events = f.follower->LastPosition();

  // The raw copy: every event's stored bytes under its 8-byte big-endian position.
  f.raw = RawDb::Open(f.dir.Sub("raw-events"));
  if (std::string error = CopyLogToRaw(*f.follower, *f.raw, &f.event_bytes, kRawBatchRows);
      !error.empty()) {
    f.error = std::move(error);
    return;
  }
  f.raw->Reopen();
  f.raw->CompactToBottom();
  WaitForQuietSsts(f.dir.Sub("raw-events"), std::chrono::milliseconds(2000),
                   std::chrono::milliseconds(180000));
  f.devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (f.devnull < 0) {
    f.error = "open /dev/null";
    return;
  }
  std::fprintf(stderr, "feed_bench: log ready in %.1f s: %s events, %.0f stored bytes each\n",
               SecondsSince(t0), Thousands(static_cast<int64_t>(f.events)).c_str(),
               f.events ? static_cast<double>(f.event_bytes) / f.events : 0.0);
}

Fixture* GetFixture(benchmark::State& state) {
  if (g_fixture == nullptr) {
    g_fixture = new Fixture();
    BuildFixture(*g_fixture);
  }
  if (!g_fixture->error.empty()) {
    state.SkipWithError(g_fixture->error.c_str());
    return nullptr;
  }
  return g_fixture;
}

void DestroyFixture() {
  if (g_fixture == nullptr) return;
  if (g_fixture->devnull >= 0) ::close(g_fixture->devnull);
  g_fixture->follower.reset();
  g_fixture->raw.reset();
  delete g_fixture;  // removes the directory
  g_fixture = nullptr;
}

// Counts what reaches the output, for the bytes/s counter (the pump sees a normal fd).
void RunPump(benchmark::State& state, EventFormat format) {
  Fixture* f = GetFixture(state);
  if (f == nullptr) return;
  uint64_t events = 0;
  for (auto _ : state) {
    EventFormatter formatter(format);
    FdOutput out(f->devnull);
    PumpOptions o;  // from 1, every event, no follow: `crm events [--format csv]`
    auto r = PumpEvents(*f->follower, formatter, out, o);
    if (!r.ok() || r->events != f->events) {
      state.SkipWithError(r.ok() ? "the pump wrote a different number of events"
                                 : ("pump: " + r.status().ToString()).c_str());
      return;
    }
    events += r->events;
  }
  state.SetItemsProcessed(static_cast<int64_t>(events));
}

void BM_Jsonl(benchmark::State& state) {
  RunPump(state, EventFormat::kJsonl);
  Fixture* f = g_fixture;
  if (f != nullptr && f->error.empty() && f->json_bytes == 0) {
    // Output size, once, outside the timed runs (for the report).
    std::string buf;
    auto reader = f->follower->ReadLog(1);
    EventFormatter formatter(EventFormat::kJsonl);
    for (int i = 0; reader.ok() && i < 100000; ++i) {
      auto ev = (*reader)->Next();
      if (!ev.ok() || !ev->has_value()) break;
      formatter.Append(**ev, &buf);
      f->json_bytes += static_cast<int64_t>(buf.size());
      buf.clear();
    }
    f->json_bytes = f->json_bytes * static_cast<int64_t>(f->events) / 100000;
  }
}

void BM_Csv(benchmark::State& state) { RunPump(state, EventFormat::kCsv); }

void BM_Read(benchmark::State& state) {
  Fixture* f = GetFixture(state);
  if (f == nullptr) return;
  uint64_t n = 0, sum = 0;
  for (auto _ : state) {
    n = 0;
    auto reader = f->follower->ReadLog(1);
    if (!reader.ok()) {
      state.SkipWithError("read");
      return;
    }
    for (;;) {
      auto ev = (*reader)->Next();
      if (!ev.ok()) {
        state.SkipWithError(("read: " + ev.status().ToString()).c_str());
        return;
      }
      if (!ev->has_value()) break;
      sum += (*ev)->stream().size() + static_cast<uint8_t>((*ev)->type());
      ++n;
    }
    if (n != f->events) {
      state.SkipWithError("the reader saw a different number of events");
      return;
    }
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * f->events));
}

void BM_RawScan(benchmark::State& state) {
  Fixture* f = GetFixture(state);
  if (f == nullptr) return;
  uint64_t sum = 0;
  for (auto _ : state) {
    if (ScanRawEvents(*f->raw, &sum) != static_cast<int64_t>(f->events)) {
      state.SkipWithError("raw scan failed or saw a different number of values");
      return;
    }
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * f->events));
}

void RegisterAll() {
  // One whole-log pass per run; repetitions give the medians. The raw scan runs first and last
  // so that neither side alone benefits from a page cache warmed by the other.
  for (auto [name, fn] : {std::pair{kRawScan, &BM_RawScan}, std::pair{kJsonl, &BM_Jsonl},
                          std::pair{kRead, &BM_Read}, std::pair{kCsv, &BM_Csv}}) {
    benchmark::RegisterBenchmark(name, fn)->Iterations(1)->UseRealTime()->Unit(
        benchmark::kMillisecond);
  }
}

std::vector<RatioLine> SummaryLines() {
  return {
      {"1. crm events --format jsonl > /dev/null / raw scan", kJsonl, kRawScan, 0.20, false},
      {"2. crm events --format csv > /dev/null / raw scan", kCsv, kRawScan, 0, false},
      {"3. verified log read alone / raw scan", kRead, kRawScan, 0, false},
      {"   jsonl events / verified read alone", kJsonl, kRead, 0, false},
  };
}

SummaryText Text() {
  SummaryText t;
  t.title = "crm events output vs raw RocksDB scan: ratios of MEDIAN events/s";
  const Fixture* f = g_fixture;
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "log: %s events (10%% AccountOpened with an address, 90%% AccountNoteAdded with "
                "256-byte text), %.0f stored bytes each; JSONL output %.0f bytes per event.",
                f ? Thousands(static_cast<int64_t>(f->events)).c_str() : "-",
                f && f->events ? static_cast<double>(f->event_bytes) / f->events : 0.0,
                f && f->events ? static_cast<double>(f->json_bytes) / f->events : 0.0);
  t.notes.push_back(buf);
  t.notes.push_back(
      "ours: PumpEvents (the code of `crm events`) on a follower store, every record verified, "
      "formatted and written to /dev/null in 64 KiB writes;");
  t.notes.push_back(
      "raw: one iterator over the same event values (same keys and bytes, events-CF options, "
      "2 MiB readahead), reading each value's size and first byte.");
  t.notes.push_back(
      "durability: nosync for the log's load (before any timing); the timed runs only read.");
  t.unit = "events/s";
  return t;
}

}  // namespace
}  // namespace crm::bench

int main(int argc, char** argv) {
  using namespace crm::bench;
  std::vector<std::string> args;
  if (!TakeCountFlags("feed_bench", argc, argv, {{"--events=", &g_events}}, &args)) return 1;
  if (g_events < kStreamsPerAppend * kEventsPerStream) {
    std::cerr << "feed_bench: need --events >= " << kStreamsPerAppend * kEventsPerStream << "\n";
    return 1;
  }
  RateCollector rates;
  const auto t0 = std::chrono::steady_clock::now();
  std::ostream* summary = RunBenchmarks("feed_bench", args, 5, RegisterAll, &rates);
  if (summary == nullptr) return 1;
  std::ostream& out = *summary;
  std::string command_line = "feed_bench --events=" + std::to_string(g_events);
  for (size_t i = 1; i < args.size(); ++i) command_line += " " + args[i];
  PrintSummary(out, command_line, rates, SummaryLines(), Text());
  out << "total run time: " << static_cast<int>(SecondsSince(t0)) << " s\n";
  out.flush();
  DestroyFixture();
  return 0;
}
