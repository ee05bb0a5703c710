// Rows of the `projections` column family as the engine reads and writes them: a reader over
// the column family (the projector's committed rows, and CrmReader's snapshots), and the writer
// that hands a projector's writes to RocksDB in key order (a write batch, or an SST file for a
// rebuild). Engine-internal (engine/src only).
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/snapshot.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crm/projection.h"
#include "crm/status.h"
#include "engine/src/db.h"

namespace crm {

// The smallest key greater than every key starting with `prefix` ("" if there is none).
inline std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty() && static_cast<uint8_t>(end.back()) == 0xff) end.pop_back();
  if (!end.empty()) end.back() = static_cast<char>(static_cast<uint8_t>(end.back()) + 1);
  return end;
}

// Reads one column family of projection rows, at a snapshot of its own or at the latest state.
// Not thread-safe; `db` and `cf` must outlive it.
class RocksProjectionReader final : public ProjectionReader {
 public:
  // Takes a snapshot when `snapshot` (a follower's view only moves on CatchUp anyway).
  RocksProjectionReader(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, bool snapshot)
      : db_(db), cf_(cf), snapshot_(snapshot ? db->GetSnapshot() : nullptr) {}
  ~RocksProjectionReader() override {
    if (snapshot_) db_->ReleaseSnapshot(snapshot_);
  }
  const rocksdb::Snapshot* snapshot() const { return snapshot_; }

  Result<std::optional<std::string>> Get(std::string_view key) override {
    rocksdb::ReadOptions ro;
    ro.snapshot = snapshot_;
    std::string value;
    rocksdb::Status s = db_->Get(ro, cf_, rocksdb::Slice(key.data(), key.size()), &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (!s.ok()) return FromRocks(s, "reading a projection row");
    return std::optional<std::string>(std::move(value));
  }

  Status Scan(std::string_view prefix, std::string_view start,
              const std::function<bool(std::string_view, std::string_view)>& fn) override {
    rocksdb::ReadOptions ro;
    ro.snapshot = snapshot_;
    const std::string end = PrefixEnd(prefix);
    rocksdb::Slice upper(end);
    if (!end.empty()) ro.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf_));
    std::string_view from = start > prefix ? start : prefix;
    for (it->Seek(rocksdb::Slice(from.data(), from.size())); it->Valid(); it->Next()) {
      std::string_view k(it->key().data(), it->key().size());
      // The upper bound already ends the scan at the prefix's end; a prefix of 0xff bytes only
      // has none.
      if (end.empty() && !k.starts_with(prefix)) break;
      if (!fn(k, std::string_view(it->value().data(), it->value().size()))) return Status::Ok();
    }
    return FromRocks(it->status(), "scanning projection rows");
  }

 private:
  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* cf_;
  const rocksdb::Snapshot* snapshot_;
};

// Collects a projector's writes and adds them to a batch in key order. RocksDB's memtable keeps
// a splice at its last insert, so keys that arrive sorted are linked in next to one another; in
// the projector's own order (stream by stream, then history, snapshots, index keys) each insert
// searched the projections' skiplist from the top, which was a third of the instructions of a
// command with projections inline (callgrind, projection_bench's exec mix).
class SortedBatchWriter final : public ProjectionWriter {
 public:
  void Put(std::string_view key, std::string_view value) override { Add(key, value, false); }
  void Delete(std::string_view key) override { Add(key, {}, true); }

  // Empties the writer for the next flush. Its buffers are kept (a catch-up chunk's are
  // megabytes: reallocating them grew them by copying, onto fresh pages, every chunk) unless a
  // flush larger than kKeepBytes grew them.
  void Clear() {
    constexpr size_t kKeepBytes = 64 << 20;
    if (bytes_.capacity() > kKeepBytes) {
      std::string().swap(bytes_);
      std::vector<Op>().swap(ops_);
    }
    bytes_.clear();
    ops_.clear();
  }

  // Adds every write to `batch`, ordered by key (a key's own writes keep their order).
  void WriteTo(rocksdb::WriteBatch* batch, rocksdb::ColumnFamilyHandle* cf) {
    Sort();
    for (const Op& op : ops_) {
      const std::string_view k = Key(op);
      if (op.del) {
        batch->Delete(cf, rocksdb::Slice(k.data(), k.size()));
      } else {
        batch->Put(cf, rocksdb::Slice(k.data(), k.size()), Value(op));
      }
    }
  }

  bool empty() const { return ops_.empty(); }

  // Writes the outcome of every key (its last write: a value or a tombstone) to `sst` in key
  // order, as an SST file must hold it.
  Status WriteTo(rocksdb::SstFileWriter* sst) {
    Sort();
    for (size_t i = 0; i < ops_.size(); ++i) {
      // In key order the ops reach into bytes_ at random: fetch a later op's key and value
      // while this one is written (the misses were ~7% of a rebuilding thread).
      if (i + kPrefetchAhead < ops_.size()) Prefetch(ops_[i + kPrefetchAhead]);
      const std::string_view k = Key(ops_[i]);
      if (i + 1 < ops_.size() && Key(ops_[i + 1]) == k) continue;  // a later write of k wins
      const rocksdb::Slice key(k.data(), k.size());
      rocksdb::Status s = ops_[i].del ? sst->Delete(key) : sst->Put(key, Value(ops_[i]));
      if (!s.ok()) return FromRocks(s, "writing rebuilt projection rows to an SST file");
    }
    return Status::Ok();
  }

 private:
  struct Op {  // 24 bytes: the sort moves them
    size_t offset;  // of the key in bytes_; the value follows it
    uint64_t word;  // Sort's scratch: 8 bytes of the key (big-endian) at the current depth
    uint32_t key_size;
    uint32_t value_size : 31;
    uint32_t del : 1;
  };
  void Add(std::string_view key, std::string_view value, bool del) {
    // A projection row is at most a few hundred KiB (text fields are capped at 64 KiB).
    ops_.push_back({bytes_.size(), 0, static_cast<uint32_t>(key.size()),
                    static_cast<uint32_t>(value.size()), del ? 1u : 0u});
    bytes_.append(key).append(value);
  }
  // std::string_view compares like memcmp, as RocksDB's bytewise comparator does.
  std::string_view Key(const Op& op) const { return {bytes_.data() + op.offset, op.key_size}; }
  rocksdb::Slice Value(const Op& op) const {
    return {bytes_.data() + op.offset + op.key_size, op.value_size};
  }
  // By key (bytewise), a key's writes in the order they were made (offsets grow with each
  // write). A comparison sort of the keys themselves reached into bytes_ at random on every
  // comparison (two cache misses each, ~10% of a rebuilding thread); this one loads 8 bytes of
  // each key once per depth into its Op and sorts the Ops by them, then sorts each run of equal
  // words by the next 8 bytes (a multikey quicksort in 8-byte digits). Not std::stable_sort:
  // its scratch buffer, fresh pages for every flush of a rebuild, cost more in page faults
  // than the sort itself.
  void Sort() { SortRange(ops_.data(), ops_.data() + ops_.size(), 0); }
  static constexpr size_t kPrefetchAhead = 8;
  void Prefetch(const Op& op) const {
    const char* p = bytes_.data() + op.offset;
    const char* end = p + op.key_size + op.value_size;
    for (; p < end; p += 64) __builtin_prefetch(p);
  }
  void SortRange(Op* lo, Op* hi, size_t depth);

  std::string bytes_;
  std::vector<Op> ops_;
};

// The scratch writer of the thread flushing a projector (a group's leader, a catch-up or a
// rebuild), cleared for each flush.
SortedBatchWriter& ScratchWriter();

// A key of the meta column family as of `snapshot` (nullptr: the latest), or nullopt.
Result<std::optional<std::string>> GetMeta(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* meta,
                                           const rocksdb::Snapshot* snapshot,
                                           std::string_view key);

}  // namespace crm
