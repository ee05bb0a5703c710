// import_bench: `crm import account FILE.csv` throughput -- the same code the CLI runs
// (crm::CsvImport::Run: libcsv, mapping, duplicate lookups, commands through
// CommandExecutor::ExecuteBatch, the projections inline) -- next to raw RocksDB writing the same
// rows: one Put per CSV row (8-byte big-endian row number -> the row's bytes), WriteBatches of
// the import's batch size, the same durability, reading the same file. Measured in the same run.
//
//   import_bench [--rows=N] [--batch=B] [google benchmark flags]
//   (default 1,000,000 rows, batches of 1,024; 3 repetitions, aggregates only)
//
// The CSV file (~140 bytes a row: name, e-mail, phone, industry, a billing address, employees,
// website; every row distinct, so nothing is a duplicate) is generated once in a temporary
// directory, outside any timing. Every repetition imports into a fresh database. Durability:
// nosync on both sides (WAL without fsync: what a bulk load uses; `crm --durability nosync`).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <rocksdb/write_batch.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "bench_support.h"
#include "crm/bulk.h"
#include "crm/commands.h"
#include "crm/event_store.h"
#include "crm/projections.h"
#include "ratio_reporter.h"

namespace crm::bench {
namespace {

int64_t g_rows = 1'000'000;
size_t g_batch = 1024;

constexpr char kOurs[] = "ours/import_accounts_csv/nosync";
constexpr char kRaw[] = "raw/put_csv_rows/nosync";

struct Fixture {
  TempDir dir;
  std::string csv;
  uint64_t bytes = 0;
};
Fixture* g_fixture = nullptr;

const Fixture& GetFixture() {
  if (g_fixture) return *g_fixture;
  g_fixture = new Fixture();
  g_fixture->csv = g_fixture->dir.Sub("accounts.csv");
  std::ofstream out(g_fixture->csv, std::ios::binary);
  out << "Account Name,Email,Phone,Industry,Billing Street,Billing City,Billing Postal Code,"
         "Billing Country,Employees,Website\n";
  static const char* kIndustries[] = {"Manufacturing", "Retail",      "Banking", "Software",
                                      "Logistics",     "Health care", "Energy",  "Media"};
  static const char* kCities[] = {"Berlin", "Hamburg", "München", "Köln", "Frankfurt", "Leipzig"};
  char line[512];
  for (int64_t i = 1; i <= g_rows; ++i) {
    const int n = std::snprintf(
        line, sizeof line,
        "Company %07lld GmbH,contact%07lld@example.com,+49 30 %08lld,%s,\"Hauptstr. %lld, Hof "
        "%lld\",%s,%05lld,DE,%lld,https://c%07lld.example.com\n",
        static_cast<long long>(i), static_cast<long long>(i), static_cast<long long>(i),
        kIndustries[i % 8], static_cast<long long>(i % 500 + 1), static_cast<long long>(i % 7),
        kCities[i % 6], static_cast<long long>(10000 + i % 89999),
        static_cast<long long>(i % 5000 + 1), static_cast<long long>(i));
    out.write(line, n);
    g_fixture->bytes += static_cast<uint64_t>(n);
  }
  return *g_fixture;
}

class CountingSink final : public ImportSink {
 public:
  void Row(const RowReport&) override { ++reports; }
  uint64_t reports = 0;
};

void BM_OursImport(benchmark::State& state) {
  const Fixture& f = GetFixture();
  int64_t rows = 0;
  for (auto _ : state) {
    state.PauseTiming();
    TempDir dir;
    Options options;
    options.durability = Durability::kNoSync;
    options.projector = MakeCrmProjector();
    auto store = EventStore::Open(dir.Sub("db"), options);
    if (!store.ok() || !EnsureAdminUser(**store).ok()) {
      state.SkipWithError("open");
      return;
    }
    ImportOptions io;
    io.kind = "account";
    io.batch_rows = g_batch;
    state.ResumeTiming();
    auto import = CsvImport::Open(f.csv, io);
    if (!import.ok()) {
      state.SkipWithError(import.status().ToString().c_str());
      return;
    }
    CountingSink sink;
    auto summary = (*import)->Run(**store, sink);
    state.PauseTiming();
    if (!summary.ok() || summary->created != static_cast<uint64_t>(g_rows) || sink.reports) {
      state.SkipWithError(summary.ok() ? "not every row was created"
                                       : summary.status().ToString().c_str());
      return;
    }
    rows += static_cast<int64_t>(summary->rows);
    store->reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(rows);
}

// The ceiling: the same file read in 1 MiB chunks, one Put per row, WriteBatches of g_batch.
void BM_RawPuts(benchmark::State& state) {
  const Fixture& f = GetFixture();
  int64_t rows = 0;
  for (auto _ : state) {
    state.PauseTiming();
    TempDir dir;
    auto raw = RawDb::Open(dir.Sub("db"));
    state.ResumeTiming();
    const int fd = ::open(f.csv.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      state.SkipWithError("open csv");
      return;
    }
    rocksdb::WriteOptions wo;
    rocksdb::WriteBatch wb;
    std::string buf, chunk(size_t{1} << 20, '\0');
    uint64_t row = 0;
    bool header = true;
    char key[8];
    auto put = [&](std::string_view line) {
      if (header) {
        header = false;
        return;
      }
      EncodeBigEndian64(++row, key);
      wb.Put(raw->events(), rocksdb::Slice(key, 8), rocksdb::Slice(line.data(), line.size()))
          .PermitUncheckedError();
      if (wb.Count() >= g_batch) {
        raw->db()->Write(wo, &wb).PermitUncheckedError();
        wb.Clear();
      }
    };
    for (;;) {
      const ssize_t n = ::read(fd, chunk.data(), chunk.size());
      if (n <= 0) break;
      buf.append(chunk.data(), static_cast<size_t>(n));
      size_t start = 0;
      for (size_t nl; (nl = buf.find('\n', start)) != std::string::npos; start = nl + 1) {
        put(std::string_view(buf).substr(start, nl - start));
      }
      buf.erase(0, start);
    }
    ::close(fd);
    if (!buf.empty()) put(buf);
    if (wb.Count() > 0 && !raw->db()->Write(wo, &wb).ok()) {
      state.SkipWithError("raw write");
      return;
    }
    rows += static_cast<int64_t>(row);
    state.PauseTiming();
    raw.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(rows);
}

void RegisterAll() {
  benchmark::RegisterBenchmark(kOurs, BM_OursImport)
      ->Iterations(1)
      ->UseRealTime()
      ->Unit(benchmark::kSecond);
  benchmark::RegisterBenchmark(kRaw, BM_RawPuts)
      ->Iterations(1)
      ->UseRealTime()
      ->Unit(benchmark::kSecond);
}

SummaryText Text() {
  SummaryText t;
  t.title = "crm import: ratio of MEDIAN rates";
  const Fixture& f = GetFixture();
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "file: %lld account rows, %.0f bytes a row; ours = CsvImport::Run (crm import's "
                "code: libcsv, duplicate lookups, CommandExecutor::ExecuteBatch of %zu rows, "
                "projections inline) into a fresh database;",
                static_cast<long long>(g_rows), g_rows ? double(f.bytes) / double(g_rows) : 0.0,
                g_batch);
  t.notes.push_back(buf);
  std::snprintf(buf, sizeof buf,
                "raw = the same file, one Put per row (8-byte key, the row's bytes), WriteBatches "
                "of %zu, events-CF options.",
                g_batch);
  t.notes.push_back(buf);
  t.notes.push_back("durability: nosync on both sides (WAL without fsync).");
  t.unit = "rows/s";
  return t;
}

}  // namespace
}  // namespace crm::bench

int main(int argc, char** argv) {
  using namespace crm::bench;
  std::vector<std::string> args;
  int64_t batch = static_cast<int64_t>(g_batch);
  if (!TakeCountFlags("import_bench", argc, argv, {{"--rows=", &g_rows}, {"--batch=", &batch}},
                      &args)) {
    return 1;
  }
  if (g_rows < 1 || batch < 1) {
    std::cerr << "import_bench: need --rows >= 1 and --batch >= 1\n";
    return 1;
  }
  g_batch = static_cast<size_t>(batch);
  RateCollector rates;
  std::ostream* summary = RunBenchmarks("import_bench", args, 3, RegisterAll, &rates);
  if (summary == nullptr) return 1;
  std::string command_line =
      "import_bench --rows=" + std::to_string(g_rows) + " --batch=" + std::to_string(g_batch);
  for (size_t i = 1; i < args.size(); ++i) command_line += " " + args[i];
  PrintSummary(*summary, command_line, rates,
               {{"import rows/s, nosync / raw Put per row, batches of the same size, nosync", kOurs,
                 kRaw, 0.25, false}},
               Text());
  summary->flush();
  delete g_fixture;
  return 0;
}
