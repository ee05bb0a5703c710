#include "bench_support.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <thread>
#include <utility>

#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>

namespace crm::bench {

TempDir::TempDir() {
  std::string tmpl = "/tmp/crm-bench-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) {
    std::perror("crm bench: mkdtemp under /tmp");
    std::abort();
  }
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;  // best effort: a leftover directory must not fail the run
  std::filesystem::remove_all(path_, ec);
  if (ec) std::fprintf(stderr, "crm bench: could not remove %s: %s\n", path_.c_str(),
                       ec.message().c_str());
}

const std::vector<std::string>& PayloadPool() {
  static const std::vector<std::string> pool = [] {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    uint64_t state = 0x9E3779B97F4A7C15ull;  // splitmix64: deterministic across runs
    auto next = [&state] {
      uint64_t z = (state += 0x9E3779B97F4A7C15ull);
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      return z ^ (z >> 31);
    };
    std::vector<std::string> out(1024);
    for (auto& s : out) {
      s.resize(kPayloadBytes);
      for (auto& c : s) c = kAlphabet[next() % (sizeof(kAlphabet) - 1)];
    }
    return out;
  }();
  return pool;
}

// Both functions mirror engine/src/db.cc (Db::Open and Descriptors(), the `events` column
// family) so that the ratio measures the engine's own work, not a configuration difference.
// Keep them in step when the engine's options change.
namespace {

// (name, size) of every *.sst file in `dir`, sorted.
std::vector<std::pair<std::string, uintmax_t>> SstFingerprint(const std::string& dir) {
  std::vector<std::pair<std::string, uintmax_t>> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".sst") continue;
    std::error_code size_ec;
    const uintmax_t size = entry.file_size(size_ec);  // the file may vanish meanwhile
    out.emplace_back(entry.path().filename().string(), size_ec ? 0 : size);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

void WaitForQuietSsts(const std::string& db_dir, std::chrono::milliseconds stable_for,
                      std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  auto last = SstFingerprint(db_dir);
  auto stable_since = Clock::now();
  while (Clock::now() - stable_since < stable_for) {
    if (Clock::now() > deadline) {
      std::fprintf(stderr, "crm bench: %s still compacting after %lld ms; timing anyway\n",
                   db_dir.c_str(), static_cast<long long>(timeout.count()));
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto now = SstFingerprint(db_dir);
    if (now != last) {
      last = std::move(now);
      stable_since = Clock::now();
    }
  }
}

rocksdb::DBOptions RawDbOptions() {
  rocksdb::DBOptions o;
  o.create_if_missing = true;
  o.create_missing_column_families = true;
  o.max_background_jobs = 2;
  o.bytes_per_sync = 1 << 20;
  o.keep_log_file_num = 4;
  o.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  o.avoid_unnecessary_blocking_io = true;
  return o;
}

namespace {

// The engine's per-family basics and table options (engine/src/db.cc: Descriptors, TableOptions).
rocksdb::ColumnFamilyOptions RawBaseCfOptions() {
  rocksdb::ColumnFamilyOptions o;
  o.level_compaction_dynamic_level_bytes = true;
  o.compression = rocksdb::kLZ4Compression;
  o.bottommost_compression = rocksdb::kZSTD;
  return o;
}

std::shared_ptr<rocksdb::TableFactory> RawTable(size_t block_cache_bytes, size_t block_size,
                                                bool bloom, bool whole_key_filtering = true) {
  rocksdb::BlockBasedTableOptions t;
  t.block_cache = rocksdb::NewLRUCache(block_cache_bytes, 4);  // crm::Options::block_cache_bytes
  t.block_size = block_size;
  t.cache_index_and_filter_blocks = true;
  t.cache_index_and_filter_blocks_with_high_priority = true;
  t.pin_l0_filter_and_index_blocks_in_cache = true;
  t.format_version = 5;
  t.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
  t.metadata_block_size = 4096;
  t.pin_top_level_index_and_filter = true;
  if (bloom) {
    t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    t.partition_filters = true;
    t.whole_key_filtering = whole_key_filtering;
  }
  return std::shared_ptr<rocksdb::TableFactory>(rocksdb::NewBlockBasedTableFactory(t));
}

// The engine's `streams` prefix: everything up to and including the first 0x00 (db.cc).
class RawStreamPrefix : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "crm.bench.StreamPrefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    const char* sep = static_cast<const char*>(std::memchr(key.data(), '\0', key.size()));
    return rocksdb::Slice(key.data(), sep - key.data() + 1);
  }
  bool InDomain(const rocksdb::Slice& key) const override {
    return std::memchr(key.data(), '\0', key.size()) != nullptr;
  }
};

}  // namespace


rocksdb::ColumnFamilyOptions RawCfOptions() {
  rocksdb::ColumnFamilyOptions o = RawBaseCfOptions();
  o.table_factory = RawTable(size_t{64} << 20, 16 * 1024, /*bloom=*/false);  // every key exists
  return o;
}

rocksdb::ColumnFamilyOptions RawStreamsCfOptions() {
  rocksdb::ColumnFamilyOptions o = RawBaseCfOptions();
  o.prefix_extractor = std::make_shared<RawStreamPrefix>();
  o.memtable_prefix_bloom_size_ratio = 0.1;
  o.memtable_insert_with_hint_prefix_extractor = o.prefix_extractor;
  o.table_factory = RawTable(size_t{64} << 20, 4 * 1024, /*bloom=*/true,
                             /*whole_key_filtering=*/false);  // prefix seeks
  return o;
}

rocksdb::ColumnFamilyOptions RawProjectionsCfOptions(size_t block_cache_bytes) {
  rocksdb::ColumnFamilyOptions o = RawBaseCfOptions();
  o.table_factory = RawTable(block_cache_bytes, 8 * 1024, /*bloom=*/true);
  return o;
}

rocksdb::ReadOptions RawScanReadOptions() {
  rocksdb::ReadOptions ro;
  ro.readahead_size = 2 << 20;  // as the engine's log reader (engine/src/readers.cc)
  return ro;
}

std::unique_ptr<RawDb> RawDb::Open(const std::string& path) {
  return Open(path, "events", &RawCfOptions);
}

std::unique_ptr<RawDb> RawDb::Open(const std::string& path, const std::string& cf_name,
                                   std::function<rocksdb::ColumnFamilyOptions()> cf_options) {
  std::unique_ptr<RawDb> raw(new RawDb());
  raw->path_ = path;
  raw->cf_name_ = cf_name;
  raw->cf_options_ = std::move(cf_options);
  raw->OpenOrDie();
  return raw;
}

void RawDb::OpenOrDie() {
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      // The default family takes the "same bytes" references' stream-index entries.
      {rocksdb::kDefaultColumnFamilyName, RawStreamsCfOptions()},
      {cf_name_, cf_options_()},
  };
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(RawDbOptions(), path_, cfs, &handles, &db);
  if (!s.ok()) {
    std::fprintf(stderr, "crm bench: raw RocksDB open %s: %s\n", path_.c_str(),
                 s.ToString().c_str());
    std::abort();
  }
  db_.reset(db);
  // Only `events` (or the named family) is used; the default CF's handle is released at once.
  db_->DestroyColumnFamilyHandle(handles[0]).PermitUncheckedError();
  events_ = handles[1];
}

void RawDb::Close() {
  if (!db_) return;
  if (events_ != nullptr) db_->DestroyColumnFamilyHandle(events_).PermitUncheckedError();
  events_ = nullptr;
  rocksdb::Status s = db_->Close();
  if (!s.ok()) std::fprintf(stderr, "crm bench: raw close: %s\n", s.ToString().c_str());
  db_.reset();
}

void RawDb::Reopen() {
  Close();
  OpenOrDie();
}

void RawDb::CompactToBottom() {
  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  rocksdb::Status s = db_->CompactRange(co, events_, nullptr, nullptr);
  if (!s.ok()) {
    std::fprintf(stderr, "crm bench: raw compaction %s: %s\n", path_.c_str(), s.ToString().c_str());
    std::abort();
  }
}

RawDb::~RawDb() { Close(); }

std::string CompactToBottom(const std::string& path, const std::string& cf,
                            const rocksdb::ColumnFamilyOptions& cf_options) {
  std::vector<std::string> names;
  rocksdb::Status s = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names);
  if (!s.ok()) return "list the column families of " + path + ": " + s.ToString();
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  size_t target = names.size();
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == cf) target = i;
    cfs.emplace_back(names[i], names[i] == cf ? cf_options : rocksdb::ColumnFamilyOptions());
  }
  if (target == names.size()) return path + " has no column family " + cf;
  rocksdb::DBOptions o = RawDbOptions();
  o.create_if_missing = false;
  o.create_missing_column_families = false;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  s = rocksdb::DB::Open(o, path, cfs, &handles, &raw);
  if (!s.ok()) return "open " + path + ": " + s.ToString();
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  s = db->CompactRange(co, handles[target], nullptr, nullptr);
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  rocksdb::Status closed = db->Close();
  if (!s.ok()) return "compact " + cf + " of " + path + ": " + s.ToString();
  if (!closed.ok()) return "close " + path + ": " + closed.ToString();
  return "";
}

std::string CopyLogToRaw(EventStore& store, RawDb& raw, int64_t* bytes, size_t batch_rows) {
  auto reader = store.ReadLog(1);
  if (!reader.ok()) return "read the log: " + reader.status().ToString();
  rocksdb::WriteBatch wb;
  rocksdb::WriteOptions wo;
  char key[8];
  for (;;) {
    auto ev = (*reader)->Next();
    if (!ev.ok()) return "read the log: " + ev.status().ToString();
    if (!ev->has_value()) break;
    EncodeBigEndian64((*ev)->position, key);
    wb.Put(raw.events(), rocksdb::Slice(key, 8),
           rocksdb::Slice((*ev)->bytes.data(), (*ev)->bytes.size()))
        .PermitUncheckedError();
    *bytes += static_cast<int64_t>((*ev)->bytes.size());
    if (wb.Count() == batch_rows) {
      if (!raw.db()->Write(wo, &wb).ok()) return "copying the log into raw RocksDB";
      wb.Clear();
    }
  }
  if (!raw.db()->Write(wo, &wb).ok()) return "copying the log into raw RocksDB";
  return "";
}

int64_t ScanRawEvents(RawDb& raw, uint64_t* sum) {
  std::unique_ptr<rocksdb::Iterator> it(raw.db()->NewIterator(RawScanReadOptions(), raw.events()));
  int64_t n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const rocksdb::Slice v = it->value();
    *sum += v.size() + static_cast<uint8_t>(v.empty() ? 0 : v[0]);
    ++n;
  }
  return it->status().ok() ? n : -1;
}

}  // namespace crm::bench
