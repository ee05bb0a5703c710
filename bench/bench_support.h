// Shared pieces of the bench programs: fresh temporary databases, 256-byte payloads, 8-byte
// big-endian keys, and a raw RocksDB handle configured like the engine's `events` column family
// (the ceiling every crm benchmark is compared with).
//
// Threads: TempDir and payload helpers are values; RawDb may be shared by writer threads exactly
// as a rocksdb::DB may (Put/Write are thread-safe), but Open/Reopen/Close are single-threaded.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include "crm/event_store.h"

namespace crm::bench {

// Payload size of every benchmark event: AccountNoteAdded.text for crm, the value for raw RocksDB.
inline constexpr size_t kPayloadBytes = 256;

// A fresh directory /tmp/crm-bench-XXXXXX, removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // A path inside the directory (not created).
  std::string Sub(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

// 1024 distinct, deterministic, 256-byte alphanumeric strings. Random enough that LZ4/Snappy
// gain almost nothing (so compression settings cannot flatter either side), built once.
const std::vector<std::string>& PayloadPool();
inline const std::string& Payload(uint64_t i) { return PayloadPool()[i & 1023]; }

// `value` as 8 bytes, most significant first: the engine's `events` key layout.
inline void EncodeBigEndian64(uint64_t value, char* out) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
}

// Waits until RocksDB's background work in `db_dir` has settled: the set of SST files and their
// sizes has not changed for `stable_for` (a running flush or compaction grows or creates files).
// Gives up after `timeout` and says so on stderr. Used before timing reads, so that a compaction
// triggered by the pre-load does not compete with the scan on a 2-core machine.
void WaitForQuietSsts(const std::string& db_dir,
                      std::chrono::milliseconds stable_for = std::chrono::milliseconds(1000),
                      std::chrono::milliseconds timeout = std::chrono::milliseconds(60000));

// A raw RocksDB database with one extra column family, "events", configured by RawCfOptions().
// Owns the DB and both handles (closed in the destructor).
class RawDb {
 public:
  // Creates (or opens) the database at `path`. Aborts the benchmark program on failure: a raw
  // ceiling that cannot be measured makes every ratio meaningless.
  static std::unique_ptr<RawDb> Open(const std::string& path);
  // The same with another column family in place of `events` (events() then returns it), its
  // options made by `cf_options` at every open (so a reopen starts with an empty block cache).
  static std::unique_ptr<RawDb> Open(const std::string& path, const std::string& cf_name,
                                     std::function<rocksdb::ColumnFamilyOptions()> cf_options);
  ~RawDb();
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  // Closes and reopens: WAL recovery flushes the memtable into L0, so a scan reads SST files,
  // as the engine's reader does after its own reopen.
  void Reopen();

  // Compacts the events family (or the named one) down to its bottom level; see
  // CompactToBottom below.
  void CompactToBottom();

  rocksdb::DB* db() const { return db_.get(); }
  rocksdb::ColumnFamilyHandle* events() const { return events_; }

 private:
  RawDb() = default;
  void OpenOrDie();
  void Close();

  std::string path_;
  std::string cf_name_ = "events";
  std::function<rocksdb::ColumnFamilyOptions()> cf_options_;
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* events_ = nullptr;  // owned; destroyed before db_
};

// The raw baseline's DB-wide options, its `events` column family options and its scan options:
// the same as the engine's (engine/src/db.cc, engine/src/readers.cc), see README.md.
rocksdb::DBOptions RawDbOptions();
rocksdb::ColumnFamilyOptions RawCfOptions();
// The engine's `streams` options (prefix extractor, blooms, insert hint), for the raw "same
// bytes" references' stream-index entries (the raw database's default column family).
rocksdb::ColumnFamilyOptions RawStreamsCfOptions();
rocksdb::ReadOptions RawScanReadOptions();
// The engine's `projections` column family options (8 KiB blocks, 10-bit whole-key bloom filter),
// for raw point-read ceilings of projection rows (projection_bench). `block_cache_bytes`: as
// crm::Options::block_cache_bytes (default 64 MiB).
rocksdb::ColumnFamilyOptions RawProjectionsCfOptions(size_t block_cache_bytes = size_t{64} << 20);

// Copies every event's stored bytes from `store`'s log into `raw`'s events column family under
// its 8-byte big-endian position, in WriteBatches of `batch_rows` (no WAL sync): the raw twin of
// a log for scan and write ceilings. Adds the bytes copied to *bytes. Returns "" on success, else
// what failed.
std::string CopyLogToRaw(EventStore& store, RawDb& raw, int64_t* bytes, size_t batch_rows);

// Compacts column family `cf` of the closed database at `path` down to its bottom level, writing
// with `cf_options` (give the engine's own options for that family, e.g. RawCfOptions() for
// `events`); the other families are opened with default options and left as they are.
// Used before timing scans, so that both sides of a "same log" comparison read the same shape:
// a pre-load leaves the raw twin in L0 files (LZ4) while the engine's bigger load has already
// been compacted to the bottom level (ZSTD), and decompression is a third of a scan. Returns ""
// on success, else what failed.
std::string CompactToBottom(const std::string& path, const std::string& cf,
                            const rocksdb::ColumnFamilyOptions& cf_options);

// The raw scan ceiling: one iterator over `raw`'s events column family (RawScanReadOptions),
// touching each value's size and first byte (added to *sum). Returns the values seen, or -1 if
// the iterator failed.
int64_t ScanRawEvents(RawDb& raw, uint64_t* sum);

}  // namespace crm::bench
