// log_bench: the crm event store against raw RocksDB doing the same work on the same machine,
// in the same run. Four pairs, each with a ratio target (README.md):
//   1. nosync, 1 event per append         vs raw Put per value             >= 50%
//   2. nosync, 1000 events per append     vs raw WriteBatch of 1000 puts   >= 40%
//   3. sync, 16 concurrent writers        vs sync, 1 writer (group commit) >= 8x
//   4. ReadLog(1) with the verifier on    vs raw sequential iterator scan  >= 50%
// After Google Benchmark's own output, a summary of the ratios of the medians is printed.
//
// Every benchmark run (every repetition) gets a fresh database under /tmp, removed afterwards;
// set-up (open, pre-load) and tear-down (close) are outside the timed loop. All timings are wall
// clock (UseRealTime): the engine's writer thread and RocksDB's flushes are part of the cost.

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include <benchmark/benchmark.h>
#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include "bench_support.h"
#include "crm/event_store.h"
#include "ratio_reporter.h"

namespace crm::bench {
namespace {

// Work per benchmark run. Fixed iteration counts give every "ours" run exactly the work of its
// raw twin (same number of events, so the same memtable flushes) and bound the run time.
constexpr int kStreams = 1000;                   // pair 1 and 2 rotate over this many streams
constexpr int64_t kSingleAppends = 200'000;      // pair 1: events (= appends) per run
constexpr int64_t kBatchEvents = 1000;           // pair 2: events per append / per WriteBatch
constexpr int64_t kBatchAppends = 300;           // pair 2: 300k events per run
constexpr int64_t kSyncOneWriterAppends = 2000;  // pair 3: 1 writer, ~1 s at ~2k fsync/s
constexpr int64_t kSyncPerThreadAppends = 1000;  // pair 3: per thread of 16 (16k events)
constexpr int kWriters = 16;
constexpr int64_t kReadEvents = 300'000;         // pair 4: log size
constexpr int64_t kReadScans = 5;                // pair 4: full scans per run

// Benchmark names (RateCollector keys). The durability is part of every name.
constexpr char kOursAppend1[] = "ours/append_1ev/nosync";
constexpr char kRawPut1[] = "raw/put_1/nosync";
constexpr char kOursAppend1000[] = "ours/append_1000ev/nosync";
constexpr char kRawBatch1000[] = "raw/batch_1000/nosync";
constexpr char kOursSync[] = "ours/append_1ev/sync";
constexpr char kRawSync[] = "raw/put_1/sync";
constexpr char kOursRead[] = "ours/read_log_verified/nosync_load";
constexpr char kRawRead[] = "raw/iterator_scan/nosync_load";
// References: raw RocksDB writing / scanning exactly the bytes the engine stores (its envelopes,
// plus one stream-index entry per append in a second column family). Ours / these = the engine's
// own overhead; these / the 256-byte baselines = the cost of the envelope format itself.
constexpr char kRawPut1Same[] = "raw/put_1_envelope+index/nosync";
constexpr char kRawBatch1000Same[] = "raw/batch_1000_envelope+index/nosync";
constexpr char kRawReadSame[] = "raw/iterator_scan_envelopes/nosync_load";

const std::vector<std::string>& StreamNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    v.reserve(kStreams);
    char id[16];
    for (int i = 0; i < kStreams; ++i) {
      std::snprintf(id, sizeof id, "B%04d", i);
      v.push_back(StreamName("account", id));
    }
    return v;
  }();
  return names;
}

EventData NoteEvent(uint64_t i) {
  fb::AccountNoteAddedT note;
  note.text = Payload(i);
  EventData e;
  e.data.Set(std::move(note));
  return e;
}

AppendRequest OneStreamRequest(const std::string& stream, uint64_t first_payload, int64_t events) {
  AppendRequest req;
  req.streams.resize(1);
  StreamEvents& s = req.streams[0];
  s.stream = stream;
  s.expected = ExpectedVersion::Any();
  s.events.reserve(static_cast<size_t>(events));
  for (int64_t j = 0; j < events; ++j) s.events.push_back(NoteEvent(first_payload + j));
  return req;
}

Result<std::unique_ptr<EventStore>> OpenStore(const std::string& dir, Durability durability) {
  Options options;
  options.durability = durability;
  return EventStore::Open(dir, options);
}

void SkipWith(benchmark::State& state, std::string_view what, const Status& status) {
  state.SkipWithError((std::string(what) + ": " + status.ToString()).c_str());
}

// 1024 envelopes exactly as the engine stores them (one per payload of the pool), harvested from
// a scratch store once, for the "same bytes" raw references.
const std::vector<std::string>& EnvelopePool() {
  static const std::vector<std::string> pool = [] {
    std::vector<std::string> v;
    TempDir dir;
    auto store = OpenStore(dir.Sub("db"), Durability::kNoSync);
    if (!store.ok()) std::abort();
    const auto& streams = StreamNames();
    for (uint64_t i = 0; i < 1024; ++i) {
      if (!(*store)->Append(OneStreamRequest(streams[i % kStreams], i, 1)).ok()) std::abort();
    }
    auto reader = (*store)->ReadLog(1);
    if (!reader.ok()) std::abort();
    for (;;) {
      auto next = (*reader)->Next();
      if (!next.ok()) std::abort();
      if (!next->has_value()) break;
      v.emplace_back((**next).bytes);
    }
    return v;
  }();
  return pool;
}

// A stream-index entry as the engine writes one per stream per append: "<stream>\0<version>" ->
// 16 bytes.
std::string IndexKey(uint64_t i) {
  std::string k = StreamNames()[i % kStreams];
  k.push_back('\0');
  char v[8];
  EncodeBigEndian64(i / kStreams + 1, v);
  k.append(v, 8);
  return k;
}

// ---- pair 1 and 2: nosync appends ----------------------------------------------------------

// Each iteration appends `events_per_append` events to one stream (rotating over kStreams) with
// ExpectedVersion::Any(). For batches the request (the caller's objects) is built with the
// timer paused; for single events building it costs ~2% of an append and pausing would cost more,
// so it is timed.
void BM_OursAppend(benchmark::State& state, int64_t events_per_append) {
  TempDir dir;
  auto store = OpenStore(dir.Sub("db"), Durability::kNoSync);
  if (!store.ok()) return SkipWith(state, "open", store.status());
  const auto& streams = StreamNames();
  uint64_t appends = 0;
  for (auto _ : state) {
    if (events_per_append > 1) state.PauseTiming();
    AppendRequest req = OneStreamRequest(streams[appends % kStreams],
                                         appends * events_per_append, events_per_append);
    if (events_per_append > 1) state.ResumeTiming();
    auto result = (*store)->Append(std::move(req));
    if (!result.ok()) {
      SkipWith(state, "append", result.status());
      break;
    }
    ++appends;
  }
  state.SetItemsProcessed(static_cast<int64_t>(appends) * events_per_append);
}

// Raw RocksDB: one Put per value (batch == 1) or one WriteBatch of `batch` puts per iteration,
// sequential 8-byte big-endian keys, WAL on, no fsync.
// With `same_bytes`, every value is one of the engine's stored envelopes and each write also
// puts one stream-index entry into the default column family (a second memtable with the
// engine's `streams` options: RawStreamsCfOptions): the engine's exact write, minus the engine.
void BM_RawWrite(benchmark::State& state, int64_t batch, bool same_bytes) {
  TempDir dir;
  auto raw = RawDb::Open(dir.Sub("db"));
  rocksdb::WriteOptions wo;
  wo.sync = false;
  uint64_t key = 0;
  char k[8];
  rocksdb::WriteBatch wb;
  const auto& envelopes = EnvelopePool();
  auto value = [&](uint64_t i) -> rocksdb::Slice {
    return same_bytes ? rocksdb::Slice(envelopes[i & 1023]) : rocksdb::Slice(Payload(i));
  };
  char run[16] = {};
  for (auto _ : state) {
    rocksdb::Status s;
    if (batch == 1 && !same_bytes) {
      EncodeBigEndian64(++key, k);
      s = raw->db()->Put(wo, raw->events(), rocksdb::Slice(k, 8), value(key));
    } else {
      wb.Clear();
      for (int64_t j = 0; j < batch; ++j) {
        EncodeBigEndian64(++key, k);
        s = wb.Put(raw->events(), rocksdb::Slice(k, 8), value(key));
      }
      if (same_bytes) s = wb.Put(IndexKey(key), rocksdb::Slice(run, sizeof run));
      if (s.ok()) s = raw->db()->Write(wo, &wb);
    }
    if (!s.ok()) {
      state.SkipWithError(("raw write: " + s.ToString()).c_str());
      break;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(key));
}

// ---- pair 3: sync appends from 1 or 16 threads ----------------------------------------------

// What the threads of one multi-threaded run share. Thread 0 creates it before the timed loop
// (Google Benchmark's start barrier publishes it to the other threads); the last thread to leave
// destroys it, so no thread can still be appending when the store closes.
struct SharedRun {
  TempDir dir;
  std::unique_ptr<EventStore> store;
  std::unique_ptr<RawDb> raw;
  std::string error;                 // set by thread 0 when set-up failed
  std::atomic<uint64_t> next_key{0};  // raw: sequential keys across threads
  std::atomic<int> threads_left{0};
};
SharedRun* g_shared = nullptr;  // written by thread 0 before the start barrier only

void SetUpShared(benchmark::State& state, bool raw) {
  if (state.thread_index() != 0) return;
  auto* shared = new SharedRun();
  shared->threads_left = state.threads();
  if (raw) {
    shared->raw = RawDb::Open(shared->dir.Sub("db"));
  } else {
    auto store = OpenStore(shared->dir.Sub("db"), Durability::kSync);
    if (store.ok()) {
      shared->store = std::move(store).value();
    } else {
      shared->error = "open: " + store.status().ToString();
    }
  }
  g_shared = shared;
}

// Called by every thread after its loop (i.e. after the start barrier).
void TearDownShared() {
  SharedRun* shared = g_shared;
  if (shared->threads_left.fetch_sub(1) == 1) {
    g_shared = nullptr;
    delete shared;
  }
}

// Each thread appends 1 event per append to its own stream, durability sync: the engine must
// group-commit concurrent appends into one write + one fsync.
void BM_OursAppendSync(benchmark::State& state) {
  SetUpShared(state, /*raw=*/false);
  char id[16];
  std::snprintf(id, sizeof id, "W%02d", state.thread_index());
  const std::string stream = StreamName("account", id);
  SharedRun* shared = nullptr;
  uint64_t appends = 0;
  for (auto _ : state) {
    if (shared == nullptr) {
      shared = g_shared;
      if (!shared->error.empty()) {
        state.SkipWithError(shared->error.c_str());
        break;
      }
    }
    auto result = shared->store->Append(OneStreamRequest(stream, appends, 1));
    if (!result.ok()) {
      SkipWith(state, "append", result.status());
      break;
    }
    ++appends;
  }
  state.SetItemsProcessed(static_cast<int64_t>(appends));
  TearDownShared();
}

// Raw RocksDB Put with WriteOptions::sync from 1 or 16 threads (RocksDB's own write-group
// leader batches concurrent writers: the group-commit ceiling).
void BM_RawPutSync(benchmark::State& state) {
  SetUpShared(state, /*raw=*/true);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  SharedRun* shared = nullptr;
  uint64_t puts = 0;
  char k[8];
  for (auto _ : state) {
    if (shared == nullptr) shared = g_shared;
    const uint64_t key = shared->next_key.fetch_add(1, std::memory_order_relaxed) + 1;
    EncodeBigEndian64(key, k);
    rocksdb::Status s = shared->raw->db()->Put(wo, shared->raw->events(), rocksdb::Slice(k, 8),
                                               Payload(key));
    if (!s.ok()) {
      state.SkipWithError(("raw put: " + s.ToString()).c_str());
      break;
    }
    ++puts;
  }
  state.SetItemsProcessed(static_cast<int64_t>(puts));
  TearDownShared();
}

// ---- pair 4: full sequential reads ----------------------------------------------------------

// Pre-writes kReadEvents events (nosync, 1000 per append), reopens the store (its memtable goes
// to SST files, as after any restart), waits for any compaction that triggered to finish (a log
// at rest), then each iteration reads the whole log with ReadLog(1): every record is verified by
// the engine, and the stream name and type of each are touched.
void BM_OursReadLog(benchmark::State& state) {
  TempDir dir;
  const std::string path = dir.Sub("db");
  {
    auto store = OpenStore(path, Durability::kNoSync);
    if (!store.ok()) return SkipWith(state, "open", store.status());
    const auto& streams = StreamNames();
    for (int64_t i = 0; i * kBatchEvents < kReadEvents; ++i) {
      auto r = (*store)->Append(
          OneStreamRequest(streams[i % kStreams], i * kBatchEvents, kBatchEvents));
      if (!r.ok()) return SkipWith(state, "load", r.status());
    }
  }
  {  // reopen: WAL recovery flushes the memtables
    auto store = OpenStore(path, Durability::kNoSync);
    if (!store.ok()) return SkipWith(state, "reopen", store.status());
  }
  // The log at rest, compacted to its bottom level like the raw side's: both scans read the same
  // shape (bench_support.h, CompactToBottom).
  if (std::string error = CompactToBottom(path, "events", RawCfOptions()); !error.empty()) {
    return state.SkipWithError(error.c_str());
  }
  auto store = OpenStore(path, Durability::kNoSync);
  if (!store.ok()) return SkipWith(state, "reopen", store.status());
  WaitForQuietSsts(path);

  int64_t events = 0;
  uint64_t touched = 0;
  for (auto _ : state) {
    auto reader = (*store)->ReadLog(1);
    if (!reader.ok()) {
      SkipWith(state, "ReadLog", reader.status());
      break;
    }
    int64_t scanned = 0;
    for (;;) {
      auto next = (*reader)->Next();
      if (!next.ok()) {
        SkipWith(state, "Next", next.status());
        break;
      }
      const std::optional<EventView>& ev = *next;
      if (!ev) break;
      touched += ev->stream().size() + static_cast<uint64_t>(ev->type());
      ++scanned;
    }
    if (state.error_occurred()) break;
    if (scanned != kReadEvents) {
      state.SkipWithError(("ReadLog returned " + std::to_string(scanned) + " events, expected " +
                           std::to_string(kReadEvents))
                              .c_str());
      break;
    }
    events += scanned;
  }
  benchmark::DoNotOptimize(touched);
  state.SetItemsProcessed(events);
}

// Raw RocksDB: the same number of 256-byte values under sequential keys (WriteBatches of 1000,
// nosync), reopened, settled like the engine's, then scanned front to back with one iterator (the
// engine's read options); each value's bytes are touched.
void BM_RawScan(benchmark::State& state, bool same_bytes) {
  const auto& envelopes = EnvelopePool();
  auto value = [&](uint64_t i) -> rocksdb::Slice {
    return same_bytes ? rocksdb::Slice(envelopes[i & 1023]) : rocksdb::Slice(Payload(i));
  };
  TempDir dir;
  auto raw = RawDb::Open(dir.Sub("db"));
  {
    rocksdb::WriteOptions wo;
    rocksdb::WriteBatch wb;
    char k[8];
    for (uint64_t key = 1; key <= static_cast<uint64_t>(kReadEvents);) {
      wb.Clear();
      for (int64_t j = 0; j < kBatchEvents && key <= static_cast<uint64_t>(kReadEvents); ++j) {
        EncodeBigEndian64(key, k);
        wb.Put(raw->events(), rocksdb::Slice(k, 8), value(key)).PermitUncheckedError();
        ++key;
      }
      rocksdb::Status s = raw->db()->Write(wo, &wb);
      if (!s.ok()) return state.SkipWithError(("raw load: " + s.ToString()).c_str());
    }
  }
  raw->Reopen();
  raw->CompactToBottom();
  WaitForQuietSsts(dir.Sub("db"));

  int64_t events = 0;
  uint64_t touched = 0;
  for (auto _ : state) {
    std::unique_ptr<rocksdb::Iterator> it(raw->db()->NewIterator(RawScanReadOptions(),
                                                                 raw->events()));
    int64_t scanned = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const rocksdb::Slice v = it->value();
      touched += v.size() + static_cast<unsigned char>(v.data()[0]);
      ++scanned;
    }
    if (!it->status().ok()) {
      state.SkipWithError(("raw scan: " + it->status().ToString()).c_str());
      break;
    }
    events += scanned;
  }
  benchmark::DoNotOptimize(touched);
  state.SetItemsProcessed(events);
}

// ---- registration, defaults, summary ---------------------------------------------------------

void RegisterAll() {
  using benchmark::RegisterBenchmark;
  RegisterBenchmark(kOursAppend1, BM_OursAppend, int64_t{1})
      ->Iterations(kSingleAppends)->UseRealTime()->Unit(benchmark::kMicrosecond);
  RegisterBenchmark(kRawPut1, BM_RawWrite, int64_t{1}, false)
      ->Iterations(kSingleAppends)->UseRealTime()->Unit(benchmark::kMicrosecond);
  RegisterBenchmark(kRawPut1Same, BM_RawWrite, int64_t{1}, true)
      ->Iterations(kSingleAppends)->UseRealTime()->Unit(benchmark::kMicrosecond);
  RegisterBenchmark(kOursAppend1000, BM_OursAppend, kBatchEvents)
      ->Iterations(kBatchAppends)->UseRealTime()->Unit(benchmark::kMillisecond);
  RegisterBenchmark(kRawBatch1000, BM_RawWrite, kBatchEvents, false)
      ->Iterations(kBatchAppends)->UseRealTime()->Unit(benchmark::kMillisecond);
  RegisterBenchmark(kRawBatch1000Same, BM_RawWrite, kBatchEvents, true)
      ->Iterations(kBatchAppends)->UseRealTime()->Unit(benchmark::kMillisecond);
  RegisterBenchmark(kOursSync, BM_OursAppendSync)
      ->Threads(1)->Iterations(kSyncOneWriterAppends)->UseRealTime()
      ->Unit(benchmark::kMicrosecond);
  RegisterBenchmark(kOursSync, BM_OursAppendSync)
      ->Threads(kWriters)->Iterations(kSyncPerThreadAppends)->UseRealTime()
      ->Unit(benchmark::kMicrosecond);
  RegisterBenchmark(kRawSync, BM_RawPutSync)
      ->Threads(1)->Iterations(kSyncOneWriterAppends)->UseRealTime()
      ->Unit(benchmark::kMicrosecond);
  RegisterBenchmark(kRawSync, BM_RawPutSync)
      ->Threads(kWriters)->Iterations(kSyncPerThreadAppends)->UseRealTime()
      ->Unit(benchmark::kMicrosecond);
  RegisterBenchmark(kOursRead, BM_OursReadLog)
      ->Iterations(kReadScans)->UseRealTime()->Unit(benchmark::kMillisecond);
  RegisterBenchmark(kRawRead, BM_RawScan, false)
      ->Iterations(kReadScans)->UseRealTime()->Unit(benchmark::kMillisecond);
  RegisterBenchmark(kRawReadSame, BM_RawScan, true)
      ->Iterations(kReadScans)->UseRealTime()->Unit(benchmark::kMillisecond);
}

std::string WithThreads(const char* name, int n) {
  return std::string(name) + "/threads:" + std::to_string(n);
}

std::vector<RatioLine> SummaryLines() {
  return {
      {"1. append 1 ev/append, nosync / raw Put, nosync", kOursAppend1, kRawPut1, 0.50, false},
      {"2. append 1000 ev/append, nosync / raw batch 1000", kOursAppend1000, kRawBatch1000, 0.40,
       false},
      {"3. sync append: 16 writers / 1 writer", WithThreads(kOursSync, kWriters),
       WithThreads(kOursSync, 1), 8.0, true},
      {"4. ReadLog verified / raw iterator scan", kOursRead, kRawRead, 0.50, false},
      {"   ref: sync append 1 writer / raw sync Put 1", WithThreads(kOursSync, 1),
       WithThreads(kRawSync, 1), 0, false},
      {"   ref: sync append 16 writers / raw sync Put 16", WithThreads(kOursSync, kWriters),
       WithThreads(kRawSync, kWriters), 0, false},
      {"   ref: raw sync Put: 16 writers / 1 writer", WithThreads(kRawSync, kWriters),
       WithThreads(kRawSync, 1), 0, true},
      {"   ref: 1 ev/append / raw write of the same bytes", kOursAppend1, kRawPut1Same, 0, false},
      {"   ref: 1000 ev/append / raw write of the same bytes", kOursAppend1000, kRawBatch1000Same,
       0, false},
      {"   ref: ReadLog verified / raw scan of the same bytes", kOursRead, kRawReadSame, 0, false},
      {"   ref: format cost, raw same-bytes Put / raw 256-byte Put", kRawPut1Same, kRawPut1, 0,
       false},
  };
}


}  // namespace
}  // namespace crm::bench

int main(int argc, char** argv) {
  using namespace crm::bench;
  std::vector<std::string> args(argv, argv + argc);
  RateCollector rates;
  std::ostream* summary = RunBenchmarks("log_bench", args, 5, RegisterAll, &rates,
                                        /*interleave=*/true);
  if (summary == nullptr) return 1;

  std::ostream& out = *summary;
  std::string command_line;
  for (const auto& a : args) {
    if (!command_line.empty()) command_line += ' ';
    command_line += a;
  }
  PrintSummary(out, command_line, rates, SummaryLines());
  out.flush();
  return 0;
}
