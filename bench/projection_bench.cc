// projection_bench: the read side and the write-path cost of the projections (issue
// "Projections"), each next to its baseline in the same run. Three figures (README.md):
//   1. CrmReader::GetJson("account", random id) on 1,000,000 accounts — the call `crm get` makes
//      (the JSON line it prints), on a follower with one snapshot reused — vs raw RocksDB Get of
//      the same keys holding the same row bytes, with the engine's `projections` column-family
//      options                                                                       >= 50%
//   2. HistoryEntries(account, 50, 0), the newest 50 entries (the page `crm history` reads), of
//      an account with 1,000,000 entries vs the same call on an account with 10, in the same
//      database (at most 2x slower)                                                  >= 50%
//   3. the exec_bench command mix through CommandExecutor::ExecuteBatch (512 per batch) on a
//      fresh store with Options::projector = MakeCrmProjector() vs one without       >= 50%
// Durability: nosync for every write (the read databases' loads and the appends).
//
//   projection_bench [--accounts=N] [--history=N] [--commands=N] [google benchmark flags]
//   (defaults 1,000,000 / 1,000,000 / 200,000; 3 repetitions, aggregates only)
//
// References (no target): figure 1 as a Doc (CrmReader::Get, the structured read), figures 1 and
// 2 again with a 1 GiB block cache on both sides, history
// pages of 10 entries from the big account, the pages of figure 2 rendered as `crm history`
// prints them (JSON lines), and a point-in-time get (GetAsOf, `get --at`) of
// the big account half-way through its history vs of the small one (snapshots bound the fold).
//
// The read databases are built once, on first use, outside any timing, and shared by every
// repetition of figures 1 and 2 (reads do not modify them). Every append run gets a fresh store.
#include <benchmark/benchmark.h>
#include <rocksdb/db.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench_support.h"
#include "command_mix.h"
#include "crm/commands.h"
#include "crm/event_store.h"
#include "crm/projection.h"
#include "crm/projections.h"
#include "crm/replay.h"
#include "ratio_reporter.h"

namespace crm::bench {
namespace {

int64_t g_accounts = 1'000'000;  // figure 1: accounts in the read database
int64_t g_history = 1'000'000;   // figure 2: entries in the big account's history
int64_t g_commands = 200'000;    // figure 3: commands per append run

constexpr size_t kBatchLines = 512;                 // what `crm exec` hands the executor
constexpr double kReadSeconds = 2.0;                // figures 1, 2: minimum time per timed run
constexpr double kRefReadSeconds = 1.0;             // the same for the reference reads
constexpr size_t kBigCacheBytes = size_t{1} << 30;  // the references' block cache
constexpr size_t kPageSize = 50;                    // figure 2: entries per page
constexpr int64_t kSmallHistory = 10;               // figure 2: entries of the small account
constexpr char kBigAccount[] = "H1M";               // ids of the two history accounts
constexpr char kSmallAccount[] = "H10";

// Benchmark names (RateCollector keys). Durability: nosync_load = the database was written
// nosync before the timed reads; nosync = the timed appends are nosync.
constexpr char kOursGet[] = "ours/get_account/nosync_load";
constexpr char kOursGetDoc[] = "ours/get_account_doc/nosync_load";
constexpr char kRawGet[] = "raw/get_row/nosync_load";
constexpr char kHistoryBig50[] = "ours/history_50_newest/big/nosync_load";
constexpr char kHistorySmall50[] = "ours/history_50_newest/small/nosync_load";
constexpr char kHistoryBig10[] = "ours/history_10_newest/big/nosync_load";
constexpr char kHistoryBig50Json[] = "ours/history_50_newest/big/jsonl/nosync_load";
constexpr char kHistorySmall50Json[] = "ours/history_50_newest/small/jsonl/nosync_load";
// References: the same reads with a 1 GiB block cache (Options::block_cache_bytes) on both sides.
// RocksDB splits a cache into 64 shards and cannot keep a block bigger than a shard: with 64 MiB,
// index and filter blocks over 1 MiB are read from the file again on every lookup.
constexpr char kOursGetBig[] = "ours/get_account/cache_1GiB/nosync_load";
constexpr char kRawGetBig[] = "raw/get_row/cache_1GiB/nosync_load";
constexpr char kHistoryBig50Big[] = "ours/history_50_newest/big/cache_1GiB/nosync_load";
constexpr char kHistorySmall50Big[] = "ours/history_50_newest/small/cache_1GiB/nosync_load";
constexpr char kHistoryBig10Big[] = "ours/history_10_newest/big/cache_1GiB/nosync_load";
constexpr char kAsOfBig[] = "ours/get_as_of_mid_history/big/nosync_load";
constexpr char kAsOfSmall[] = "ours/get_as_of_mid_history/small/nosync_load";
constexpr char kExecWith[] = "ours/exec_mix/projections/nosync";
constexpr char kExecWithout[] = "ours/exec_mix/no_projections/nosync";

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Runs `lines` through `executor` in batches of kBatchLines; returns the number rejected.
int64_t ExecuteAll(CommandExecutor& executor, const std::vector<std::string>& lines) {
  int64_t rejected = 0;
  for (size_t i = 0; i < lines.size(); i += kBatchLines) {
    std::vector<std::string_view> batch(lines.begin() + i,
                                        lines.begin() + std::min(lines.size(), i + kBatchLines));
    for (const ExecResult& r : executor.ExecuteBatch(batch)) {
      if (!r.ok) {
        if (rejected == 0) std::fprintf(stderr, "projection_bench: rejected: %s\n", r.line.c_str());
        ++rejected;
      }
    }
  }
  return rejected;
}

// ---------------------------------------------------------------------------------------------
// The read databases (figures 1 and 2), built once.

const char* const kIndustries[] = {"Technology", "Manufacturing", "Retail",    "Healthcare",
                                   "Finance",    "Education",     "Logistics", "Energy"};

std::string OpenAccountLine(std::string_view id, int64_t n) {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                R"({"type":"OpenAccount","account_id":"%.*s","name":"Account %lld Inc","industry":"%s","phone":"555-%04lld","billing_address":{"city":"Techville","state":"TX"},"debtor_number":"D%lld"})",
                static_cast<int>(id.size()), id.data(), static_cast<long long>(n),
                kIndustries[n % 8], static_cast<long long>(n % 10000), static_cast<long long>(n));
  return buf;
}

std::string NoteLine(std::string_view id, int64_t n) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                R"({"type":"AddAccountNote","account_id":"%.*s","text":"Call %lld: asked about the renewal terms and the new price list"})",
                static_cast<int>(id.size()), id.data(), static_cast<long long>(n));
  return buf;
}

std::string AccountId(int64_t i) {
  std::string id("A");
  id += std::to_string(i);
  return id;
}

struct ReadFixture {
  TempDir dir;
  std::unique_ptr<EventStore> follower;  // opened like `crm get` does
  std::unique_ptr<CrmReader> reader;     // one snapshot, reused by every read
  std::unique_ptr<RawDb> raw;            // the same state rows, raw
  // The references: a second follower and a hard-linked copy of raw, with kBigCacheBytes.
  std::unique_ptr<EventStore> follower_big;
  std::unique_ptr<CrmReader> reader_big;
  std::unique_ptr<RawDb> raw_big;
  int64_t rows = 0;                      // account state rows copied into raw
  double row_bytes = 0;                  // their average value size
  int64_t big_entries = 0, small_entries = 0;  // history entries, counted after the load
  std::string error;
};

ReadFixture* g_fixture = nullptr;

Options CrmOptions(OpenMode mode, size_t block_cache_bytes = Options().block_cache_bytes) {
  Options o;
  o.mode = mode;
  o.block_cache_bytes = block_cache_bytes;
  o.durability = Durability::kNoSync;
  o.projector = MakeCrmProjector();
  return o;
}

// Counts the keys under `prefix` in the projections (history entries), without decoding them.
int64_t CountKeys(EventStore& store, const std::string& prefix) {
  auto snap = store.ReadProjections();
  if (!snap.ok()) return -1;
  int64_t n = 0;
  Status s = snap->reader->Scan(prefix, "", [&n](std::string_view, std::string_view) {
    ++n;
    return true;
  });
  return s.ok() ? n : -1;
}

std::string HistoryPrefix(std::string_view stream) {  // projections/src/keys.h: h:<stream>\0
  std::string k("h:");
  k.append(stream).push_back('\0');
  return k;
}

void BuildReadFixture(ReadFixture& f) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::string path = f.dir.Sub("crm");
  {
    auto store = EventStore::Open(path, CrmOptions(OpenMode::kReadWrite));
    if (!store.ok() || !EnsureAdminUser(**store).ok()) {
      f.error = "open the read database";
      return;
    }
    CommandExecutor executor(store->get());
    int64_t rejected = 0;
    constexpr size_t kChunk = 64 * kBatchLines;  // lines generated at a time
    std::vector<std::string> lines;
    lines.reserve(kChunk);
    auto flush = [&] {
      rejected += ExecuteAll(executor, lines);
      lines.clear();
    };
    for (int64_t i = 0; i < g_accounts; ++i) {
      lines.push_back(OpenAccountLine(AccountId(i), i));
      if (lines.size() >= kChunk) flush();
    }
    lines.push_back(OpenAccountLine(kBigAccount, g_accounts));
    lines.push_back(OpenAccountLine(kSmallAccount, g_accounts + 1));
    for (int64_t i = 1; i < kSmallHistory; ++i) lines.push_back(NoteLine(kSmallAccount, i));
    for (int64_t i = 1; i < g_history; ++i) {
      lines.push_back(NoteLine(kBigAccount, i));
      if (lines.size() >= kChunk) flush();
    }
    flush();
    if (rejected > 0) {
      f.error = "loading the read database: " + std::to_string(rejected) + " commands rejected";
      return;
    }
    std::fprintf(stderr, "projection_bench: loaded %lld accounts + %lld history entries "
                         "(%llu events) in %.1f s\n",
                 static_cast<long long>(g_accounts), static_cast<long long>(g_history),
                 static_cast<unsigned long long>((*store)->LastPosition()), SecondsSince(t0));
  }
  // Reopen as the writer: WAL recovery flushes the memtables, then wait for the compactions
  // the load triggered, so that reads see a database at rest (as after any quiet period).
  {
    auto store = EventStore::Open(path, CrmOptions(OpenMode::kReadWrite));
    if (!store.ok()) {
      f.error = "reopen the read database: " + store.status().ToString();
      return;
    }
    WaitForQuietSsts(path, std::chrono::milliseconds(2000), std::chrono::milliseconds(120000));
  }
  auto follower = EventStore::Open(path, CrmOptions(OpenMode::kFollower));
  if (!follower.ok()) {
    f.error = "open a follower: " + follower.status().ToString();
    return;
  }
  f.follower = std::move(follower).value();

  // The raw twin: every account state row (same key, same bytes) in a column family with the
  // engine's `projections` options.
  f.raw = RawDb::Open(f.dir.Sub("raw"), "projections", [] { return RawProjectionsCfOptions(); });
  {
    auto snap = f.follower->ReadProjections();
    if (!snap.ok()) {
      f.error = "read projections: " + snap.status().ToString();
      return;
    }
    rocksdb::WriteBatch wb;
    int64_t bytes = 0;
    bool write_ok = true;
    Status s = snap->reader->Scan("s:account-", "", [&](std::string_view k, std::string_view v) {
      wb.Put(f.raw->events(), rocksdb::Slice(k.data(), k.size()),
             rocksdb::Slice(v.data(), v.size()))
          .PermitUncheckedError();
      ++f.rows;
      bytes += static_cast<int64_t>(v.size());
      if (wb.Count() == 1000) {
        write_ok = write_ok && f.raw->db()->Write(rocksdb::WriteOptions(), &wb).ok();
        wb.Clear();
      }
      return write_ok;
    });
    write_ok = write_ok && f.raw->db()->Write(rocksdb::WriteOptions(), &wb).ok();
    if (!s.ok() || !write_ok) {
      f.error = "copying the state rows into raw RocksDB";
      return;
    }
    f.row_bytes = f.rows > 0 ? static_cast<double>(bytes) / static_cast<double>(f.rows) : 0;
  }
  f.raw->Reopen();
  WaitForQuietSsts(f.dir.Sub("raw"), std::chrono::milliseconds(2000),
                   std::chrono::milliseconds(120000));

  // The references' databases: the same files, a bigger block cache.
  {
    rocksdb::Checkpoint* checkpoint = nullptr;
    rocksdb::Status s = rocksdb::Checkpoint::Create(f.raw->db(), &checkpoint);
    if (s.ok()) s = checkpoint->CreateCheckpoint(f.dir.Sub("raw-big"));
    delete checkpoint;
    if (!s.ok()) {
      f.error = "checkpoint of the raw database: " + s.ToString();
      return;
    }
    f.raw_big = RawDb::Open(f.dir.Sub("raw-big"), "projections",
                            [] { return RawProjectionsCfOptions(kBigCacheBytes); });
  }
  auto follower_big = EventStore::Open(path, CrmOptions(OpenMode::kFollower, kBigCacheBytes));
  if (!follower_big.ok()) {
    f.error = "open a second follower: " + follower_big.status().ToString();
    return;
  }
  f.follower_big = std::move(follower_big).value();

  f.big_entries = CountKeys(*f.follower, HistoryPrefix(std::string("account-") + kBigAccount));
  f.small_entries = CountKeys(*f.follower, HistoryPrefix(std::string("account-") + kSmallAccount));
  auto reader = CrmReader::Open(*f.follower);
  if (!reader.ok()) {
    f.error = "open a CrmReader: " + reader.status().ToString();
    return;
  }
  f.reader = std::move(reader).value();
  auto reader_big = CrmReader::Open(*f.follower_big);
  if (!reader_big.ok()) {
    f.error = "open a CrmReader: " + reader_big.status().ToString();
    return;
  }
  f.reader_big = std::move(reader_big).value();
  std::fprintf(stderr,
               "projection_bench: read databases ready in %.1f s: %lld account rows of %.0f bytes "
               "on average; history entries: %s %lld, %s %lld\n",
               SecondsSince(t0), static_cast<long long>(f.rows), f.row_bytes, kBigAccount,
               static_cast<long long>(f.big_entries), kSmallAccount,
               static_cast<long long>(f.small_entries));
}

// The fixture, built on first use; nullptr (and the benchmark skipped) when building failed.
ReadFixture* Fixture(benchmark::State& state) {
  if (g_fixture == nullptr) {
    g_fixture = new ReadFixture();
    BuildReadFixture(*g_fixture);
  }
  if (!g_fixture->error.empty()) {
    state.SkipWithError(g_fixture->error.c_str());
    return nullptr;
  }
  return g_fixture;
}

void DestroyFixture() {
  if (g_fixture == nullptr) return;
  g_fixture->reader.reset();  // before its store
  g_fixture->reader_big.reset();
  g_fixture->follower.reset();
  g_fixture->follower_big.reset();
  g_fixture->raw.reset();
  g_fixture->raw_big.reset();
  delete g_fixture;  // removes the directory
  g_fixture = nullptr;
}

// An endless deterministic sequence of random account keys "<prefix>A<n>", n < g_accounts, made
// in place (no allocation) while timed: both sides of figure 1 draw the same sequence, each
// benchmark from where its previous run stopped, so no run reads ids a previous run warmed up.
class RandomAccountKeys {
 public:
  explicit RandomAccountKeys(std::string_view prefix) : key_(prefix), prefix_(key_.size()) {
    key_.push_back('A');
  }
  std::string_view Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);  // splitmix64
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    const uint64_t n = (z ^ (z >> 31)) % static_cast<uint64_t>(g_accounts);
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
    key_.resize(prefix_ + 1);
    key_.append(digits, end);
    return key_;
  }
 private:
  std::string key_;
  size_t prefix_;
  uint64_t state_ = 0x2545F4914F6CDD1Dull;
};

// Figure 1, ours: the call `crm get account <id>` makes, on one reused snapshot.
// Figure 1: GetJson, the line `crm get` prints (as_doc: Get, the Doc an embedder reads).
void BM_OursGet(benchmark::State& state, bool big_cache, bool as_doc) {
  ReadFixture* f = Fixture(state);
  if (f == nullptr) return;
  static RandomAccountKeys keys[2] = {RandomAccountKeys(""), RandomAccountKeys("")};
  RandomAccountKeys& ids = keys[big_cache];
  CrmReader& reader = big_cache ? *f->reader_big : *f->reader;
  int64_t missing = 0;
  std::string line;
  for (auto _ : state) {
    if (as_doc) {
      auto doc = reader.Get("account", ids.Next());
      if (!doc.ok() || !doc->has_value()) {
        ++missing;
      } else {
        benchmark::DoNotOptimize((*doc)->fields.data());
      }
      continue;
    }
    line.clear();
    auto found = reader.GetJson("account", ids.Next(), &line);
    if (!found.ok() || !*found) ++missing;
    benchmark::DoNotOptimize(line.data());
  }
  if (missing > 0) {
    state.SkipWithError((std::to_string(missing) + " gets failed or found nothing").c_str());
  }
  state.SetItemsProcessed(state.iterations());
}

// Figure 1, raw: Get of the same keys (s:account-<id>) holding the same bytes.
void BM_RawGet(benchmark::State& state, bool big_cache) {
  ReadFixture* f = Fixture(state);
  if (f == nullptr) return;
  static RandomAccountKeys all[2] = {RandomAccountKeys("s:account-"),
                                     RandomAccountKeys("s:account-")};
  RandomAccountKeys& keys = all[big_cache];
  RawDb& raw = big_cache ? *f->raw_big : *f->raw;
  int64_t missing = 0;
  rocksdb::ReadOptions ro;
  rocksdb::PinnableSlice value;
  for (auto _ : state) {
    value.Reset();
    const std::string_view key = keys.Next();
    if (!raw.db()->Get(ro, raw.events(), rocksdb::Slice(key.data(), key.size()), &value).ok()) {
      ++missing;
    } else {
      benchmark::DoNotOptimize(value.data());
    }
  }
  if (missing > 0) {
    state.SkipWithError((std::to_string(missing) + " raw gets failed or found nothing").c_str());
  }
  state.SetItemsProcessed(state.iterations());
}

// Figure 2: HistoryEntries(account-<id>, limit, 0), the newest `limit` entries, read and
// verified; with `jsonl`, also rendered as `crm history` prints them. Items = pages.
void BM_History(benchmark::State& state, const char* account, size_t limit, bool big_cache,
                bool jsonl) {
  ReadFixture* f = Fixture(state);
  if (f == nullptr) return;
  const std::string stream = std::string("account-") + account;
  const int64_t entries = account == std::string_view(kBigAccount) ? f->big_entries
                                                                   : f->small_entries;
  const size_t expected = std::min<size_t>(limit, static_cast<size_t>(std::max<int64_t>(entries, 0)));
  CrmReader& reader = big_cache ? *f->reader_big : *f->reader;
  int64_t wrong = 0;
  std::string out;
  for (auto _ : state) {
    auto page = reader.HistoryEntries(stream, limit, 0);
    if (!page.ok() || page->size() != expected) ++wrong;
    if (jsonl && page.ok()) {
      out.clear();
      for (const HistoryPage::Entry& e : *page) {
        HistoryPage::AppendJson(e, &out);
        out.push_back('\n');
      }
      benchmark::DoNotOptimize(out.data());
    }
    benchmark::DoNotOptimize(page);
  }
  if (wrong > 0) {
    state.SkipWithError((std::to_string(wrong) + " pages failed or had a wrong size").c_str());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["entries_per_page"] = benchmark::Counter(static_cast<double>(expected));
}

// Reference: GetAsOf("account", id, position half-way through its history); items = reads.
void BM_AsOf(benchmark::State& state, const char* account) {
  ReadFixture* f = Fixture(state);
  if (f == nullptr) return;
  const std::string stream = std::string("account-") + account;
  // The positions of the account's newest and oldest entries, then the one between them.
  auto newest = f->reader->History(stream, 1, 0);
  const int64_t entries = account == std::string_view(kBigAccount) ? f->big_entries
                                                                   : f->small_entries;
  if (!newest.ok() || newest->empty() || entries < 2) {
    state.SkipWithError("no history");
    return;
  }
  const uint64_t last = std::stoull(newest->front().Find("position")->json);
  const uint64_t at = last - static_cast<uint64_t>(entries / 2);
  int64_t wrong = 0, folded = 0;
  for (auto _ : state) {
    TimeTravelStats stats;
    auto doc = GetAsOf(*f->follower, *f->reader, "account", account, PointInTime::AtPosition(at),
                       &stats);
    if (!doc.ok() || !doc->has_value()) ++wrong;
    folded += static_cast<int64_t>(stats.events_folded);
    benchmark::DoNotOptimize(doc);
  }
  if (wrong > 0) state.SkipWithError((std::to_string(wrong) + " reads failed").c_str());
  state.SetItemsProcessed(state.iterations());
  state.counters["events_folded"] =
      benchmark::Counter(static_cast<double>(folded) / std::max<int64_t>(state.iterations(), 1));
}

// ---------------------------------------------------------------------------------------------
// Figure 3: appends with and without the projector, fresh store per run.

const std::vector<std::string>& Commands() {
  static const std::vector<std::string> commands = MakeCommandMix(g_commands);
  return commands;
}

void BM_Exec(benchmark::State& state, bool projections) {
  const auto& commands = Commands();
  int64_t events = 0, executed = 0, rejected = 0;
  for (auto _ : state) {
    state.PauseTiming();
    TempDir dir;
    Options options;
    options.durability = Durability::kNoSync;
    if (projections) options.projector = MakeCrmProjector();
    auto store = EventStore::Open(dir.Sub("db"), options);
    if (!store.ok() || !EnsureAdminUser(**store).ok()) {
      state.SkipWithError("open");
      return;
    }
    const uint64_t start = (*store)->LastPosition();
    CommandExecutor executor(store->get());
    state.ResumeTiming();
    rejected += ExecuteAll(executor, commands);
    executed += static_cast<int64_t>(commands.size());
    state.PauseTiming();
    events += static_cast<int64_t>((*store)->LastPosition() - start);
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

void RegisterAll() {
  // Reads: Google Benchmark picks the iteration count (at least kReadSeconds per run; later
  // repetitions reuse the first one's count), as a read costs from ~1 us to milliseconds
  // depending on the database size and the block cache.
  auto read = [](const char* name, double seconds, auto&&... args) {
    benchmark::RegisterBenchmark(name, args...)
        ->MinTime(seconds)->UseRealTime()->Unit(benchmark::kMicrosecond);
  };
  read(kOursGet, kReadSeconds, BM_OursGet, false, false);
  read(kRawGet, kReadSeconds, BM_RawGet, false);
  read(kHistoryBig50, kReadSeconds, BM_History, kBigAccount, kPageSize, false, false);
  read(kHistorySmall50, kReadSeconds, BM_History, kSmallAccount, kPageSize, false, false);
  read(kHistoryBig10, kReadSeconds, BM_History, kBigAccount, size_t{10}, false, false);
  read(kHistoryBig50Json, kRefReadSeconds, BM_History, kBigAccount, kPageSize, false, true);
  read(kHistorySmall50Json, kRefReadSeconds, BM_History, kSmallAccount, kPageSize, false, true);
  read(kOursGetBig, kRefReadSeconds, BM_OursGet, true, false);
  read(kOursGetDoc, kRefReadSeconds, BM_OursGet, false, true);
  read(kRawGetBig, kRefReadSeconds, BM_RawGet, true);
  read(kHistoryBig50Big, kRefReadSeconds, BM_History, kBigAccount, kPageSize, true, false);
  read(kHistorySmall50Big, kRefReadSeconds, BM_History, kSmallAccount, kPageSize, true, false);
  read(kHistoryBig10Big, kRefReadSeconds, BM_History, kBigAccount, size_t{10}, true, false);
  read(kAsOfBig, kRefReadSeconds, BM_AsOf, kBigAccount);
  read(kAsOfSmall, kRefReadSeconds, BM_AsOf, kSmallAccount);
  benchmark::RegisterBenchmark(kExecWith, BM_Exec, true)
      ->Iterations(1)->UseRealTime()->Unit(benchmark::kSecond);
  benchmark::RegisterBenchmark(kExecWithout, BM_Exec, false)
      ->Iterations(1)->UseRealTime()->Unit(benchmark::kSecond);
}

std::string Thousands(int64_t n) {  // 1000000 -> "1,000,000"
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), 1, ',');
  return s;
}

std::string Short(int64_t n) {  // 1000000 -> "1M", 20000 -> "20k"
  if (n >= 1'000'000 && n % 1'000'000 == 0) return std::to_string(n / 1'000'000) + "M";
  if (n >= 1000 && n % 1000 == 0) return std::to_string(n / 1000) + "k";
  return std::to_string(n);
}

std::vector<RatioLine> SummaryLines() {
  const std::string big = Short(g_history);
  return {
      {"1. get account / raw Get of the same row", kOursGet, kRawGet, 0.50, false},
      {"2. history 50 newest: " + big + "-entry / 10-entry acct", kHistoryBig50, kHistorySmall50,
       0.50, false},
      {"3. exec mix, nosync: with projections / without", kExecWith, kExecWithout, 0.50, false},
      {"   ref: 10 newest of " + big + " / 50 newest of 10 (10 each)", kHistoryBig10,
       kHistorySmall50, 0, false},
      {"   ref: history 50 as JSON lines: " + big + " / 10-entry", kHistoryBig50Json,
       kHistorySmall50Json, 0, false},
      {"   ref: get as a Doc (CrmReader::Get) / raw Get", kOursGetDoc, kRawGet, 0, false},
      {"   ref: get / raw Get, both with a 1 GiB block cache", kOursGetBig, kRawGetBig, 0, false},
      {"   ref: get, 64 MiB (default) / 1 GiB block cache", kOursGet, kOursGetBig, 0, false},
      {"   ref: history 50, 1 GiB cache: " + big + " / 10-entry", kHistoryBig50Big,
       kHistorySmall50Big, 0, false},
      {"   ref: same, 10 newest of " + big + " / 50 of 10 (10 each)", kHistoryBig10Big,
       kHistorySmall50Big, 0, false},
      {"   ref: get --at mid-history: " + big + "-entry / 10-entry acct", kAsOfBig, kAsOfSmall, 0,
       false},
  };
}

SummaryText Text() {
  SummaryText t;
  t.title = "crm projections: ratios of MEDIAN rates";
  char buf[512];
  const ReadFixture* f = g_fixture;
  std::snprintf(buf, sizeof buf,
                "1. gets/s: CrmReader::GetJson(\"account\", random id) on %s accounts (follower, "
                "one snapshot reused: the line `crm get` prints)",
                Thousands(g_accounts).c_str());
  t.notes.push_back(buf);
  std::snprintf(buf, sizeof buf,
                "   vs raw RocksDB Get (PinnableSlice) of the same keys holding the same rows "
                "(%s rows, avg %.0f bytes), projections-CF options.",
                f ? Thousands(f->rows).c_str() : "-", f ? f->row_bytes : 0.0);
  t.notes.push_back(buf);
  std::snprintf(buf, sizeof buf,
                "2. pages/s: HistoryEntries(account, 50, 0) of an account with %s entries vs one with "
                "%s, same database (target: <= 2x slower).",
                f ? Thousands(f->big_entries).c_str() : Thousands(g_history).c_str(),
                f ? Thousands(f->small_entries).c_str() : "10");
  t.notes.push_back(buf);
  std::snprintf(buf, sizeof buf,
                "3. events/s: %s commands of the exec_bench mix, ExecuteBatch of %zu, fresh store "
                "with MakeCrmProjector() vs without.",
                Thousands(static_cast<int64_t>(Commands().size())).c_str(), kBatchLines);
  t.notes.push_back(buf);
  t.notes.push_back(
      "ref 1 GiB: the same reads on a second follower / a hard-linked copy of the raw database, "
      "both with a 1 GiB block cache (default: 64 MiB).");
  t.notes.push_back(
      "durability: nosync (WAL without fsync: survives a process crash, not a power loss) for "
      "every write:");
  t.notes.push_back("            the read databases' loads (nosync_load) and the timed appends.");
  t.unit = "gets/s (1), pages/s (2), events/s (3)";
  return t;
}


}  // namespace
}  // namespace crm::bench

int main(int argc, char** argv) {
  using namespace crm::bench;
  std::vector<std::string> args;
  if (!TakeCountFlags("projection_bench", argc, argv,
                      {{"--accounts=", &g_accounts},
                       {"--history=", &g_history},
                       {"--commands=", &g_commands}},
                      &args)) {
    return 1;
  }
  if (g_accounts < 1 || g_history < kSmallHistory || g_commands < 2) {
    std::cerr << "projection_bench: need --accounts >= 1, --history >= 10, --commands >= 2\n";
    return 1;
  }
  RateCollector rates;
  const auto t0 = std::chrono::steady_clock::now();
  std::ostream* summary = RunBenchmarks("projection_bench", args, 3, RegisterAll, &rates,
                                        /*interleave=*/true);
  if (summary == nullptr) return 1;

  std::ostream& out = *summary;
  std::string command_line = "projection_bench --accounts=" + std::to_string(g_accounts) +
                             " --history=" + std::to_string(g_history) +
                             " --commands=" + std::to_string(g_commands);
  for (size_t i = 1; i < args.size(); ++i) command_line += " " + args[i];
  PrintSummary(out, command_line, rates, SummaryLines(), Text());
  out << "total run time: " << static_cast<int>(SecondsSince(t0)) << " s\n";
  out.flush();
  DestroyFixture();
  return 0;
}
