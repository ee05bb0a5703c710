// Whole-database checks (Verify) and counts (Stats). Both are sequential scans: O(log) time,
// O(1) memory in the size of the log (Stats: O(event types + stream kinds)).
#include <rocksdb/iterator.h>

#include <filesystem>
#include <map>

#include "crm/schemas/records_generated.h"
#include "engine/src/codec.h"
#include "engine/src/store.h"

namespace crm {
namespace {

// Collects problems; only the first one is described in full.
class Problems {
 public:
  explicit Problems(VerifyReport* report) : report_(report) {}
  void Add(uint64_t position, std::string what) {
    ++report_->bad_records;
    if (report_->first_problem.empty()) {
      report_->first_bad_position = position;
      report_->first_problem = std::move(what);
    }
  }
  // A problem that is not one bad record (e.g. a count mismatch).
  void AddGlobal(std::string what) {
    if (report_->first_problem.empty()) report_->first_problem = std::move(what);
  }

 private:
  VerifyReport* report_;
};

// Answers "which position holds version v of stream s", remembering the last run it read:
// a log scan visits a stream's events run by run.
class RunLookup {
 public:
  explicit RunLookup(Db& db) {
    rocksdb::ReadOptions ro;
    ro.prefix_same_as_start = true;
    it_.reset(db.db()->NewIterator(ro, db.streams()));
  }

  // The position the index gives, 0 if the index has no entry for it.
  Result<uint64_t> Position(std::string_view stream, uint64_t version) {
    if (!(valid_ && stream == stream_ && version >= first_ && version < first_ + run_.count)) {
      valid_ = false;
      it_->SeekForPrev(format::StreamRunKey(stream, version));
      if (!it_->Valid()) {
        CRM_RETURN_IF_ERROR(FromRocks(it_->status(), "reading the stream index"));
        return uint64_t{0};
      }
      format::StreamRunKeyParts key;
      if (!format::ParseStreamRunKey({it_->key().data(), it_->key().size()}, &key) ||
          !format::DecodeStreamRun({it_->value().data(), it_->value().size()}, &run_)) {
        return Status::Corruption("malformed stream index entry for '" + std::string(stream) +
                                  "'");
      }
      if (key.stream != stream || version >= key.first_version + run_.count) return uint64_t{0};
      stream_ = std::string(stream);
      first_ = key.first_version;
      valid_ = true;
    }
    return run_.first_position + (version - first_);
  }

 private:
  std::unique_ptr<rocksdb::Iterator> it_;
  bool valid_ = false;
  std::string stream_;
  uint64_t first_ = 0;
  format::StreamRun run_;
};

uint64_t DirectoryBytes(const std::string& dir) {
  namespace fs = std::filesystem;
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  }
  return total;
}

}  // namespace

Result<VerifyReport> StoreImpl::Verify() {
  VerifyReport report;
  Problems problems(&report);
  rocksdb::ReadOptions scan;
  scan.readahead_size = 2 << 20;
  scan.total_order_seek = true;

  // 1. The log: positions, records, hash chain, time order, and each event's index entry.
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(scan, db_->events()));
    RunLookup runs(*db_);
    uint64_t expected = 1;
    Sha256Digest prev{};
    bool chain_known = true;  // false right after a record whose hash could not be read
    int64_t last_recorded = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (it->key().size() != 8) {
        problems.Add(expected, "malformed key in the events column family");
        chain_known = false;
        continue;
      }
      const uint64_t position = format::GetU64BE(it->key().data());
      if (position != expected) {
        problems.Add(expected, "positions " + std::to_string(expected) + ".." +
                                   std::to_string(position - 1) + " are missing from the log");
        chain_known = false;
      }
      expected = position + 1;
      report.last_position = position;
      ++report.events;
      std::string_view bytes(it->value().data(), it->value().size());
      auto env = codec::VerifyEnvelope(position, bytes);
      if (!env.ok()) {
        problems.Add(position, env.status().message());
        chain_known = false;
        continue;
      }
      EventView view{position, bytes, *env};
      if (chain_known && view.prev_hash() != prev) {
        problems.Add(position, "hash chain broken at position " + std::to_string(position) +
                                   ": prev_hash differs from the hash of position " +
                                   std::to_string(position - 1));
      }
      if (codec::ComputeHash(bytes, *env) != view.hash()) {
        problems.Add(position, "event at position " + std::to_string(position) +
                                   " does not match its hash: its bytes were altered");
      }
      prev = view.hash();
      chain_known = true;
      if (view.recorded_at_us() < last_recorded) {
        problems.Add(position, "recorded_at of position " + std::to_string(position) +
                                   " is earlier than the previous event's");
      }
      last_recorded = view.recorded_at_us();
      auto indexed = runs.Position(view.stream(), view.version());
      if (!indexed.ok()) return indexed.status();
      if (*indexed != position) {
        problems.Add(position, "stream index does not point to position " +
                                   std::to_string(position) + " for version " +
                                   std::to_string(view.version()) + " of '" +
                                   std::string(view.stream()) + "'");
      }
    }
    if (!it->status().ok()) {
      problems.Add(expected, "the log cannot be read past position " +
                                 std::to_string(expected - 1) + ": " + it->status().ToString());
    }
  }

  // 2. The stream index: each stream's runs tile versions 1..N, and point inside the log.
  uint64_t indexed_events = 0;
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(scan, db_->streams()));
    std::string stream;
    uint64_t next_version = 1;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      format::StreamRunKeyParts key;
      format::StreamRun run;
      if (!format::ParseStreamRunKey({it->key().data(), it->key().size()}, &key) ||
          !format::DecodeStreamRun({it->value().data(), it->value().size()}, &run)) {
        problems.AddGlobal("malformed entry in the stream index");
        continue;
      }
      if (key.stream != stream) {
        stream = std::string(key.stream);
        next_version = 1;
        ++report.streams;
      }
      if (key.first_version != next_version) {
        problems.AddGlobal("stream '" + stream + "' has a version gap or overlap at version " +
                           std::to_string(next_version));
      }
      if (run.first_position + run.count - 1 > report.last_position) {
        problems.AddGlobal("stream index of '" + stream + "' points past the end of the log");
      }
      next_version = key.first_version + run.count;
      indexed_events += run.count;
    }
    CRM_RETURN_IF_ERROR(FromRocks(it->status(), "reading the stream index"));
  }
  // Every event has its own index entry (checked above) and the counts agree: a bijection.
  if (indexed_events != report.events) {
    problems.AddGlobal("the stream index covers " + std::to_string(indexed_events) +
                       " events but the log holds " + std::to_string(report.events));
  }

  // 3. Idempotency records decode and point inside the log.
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(scan, db_->commands()));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const auto* base = reinterpret_cast<const uint8_t*>(it->value().data());
      flatbuffers::Verifier v(base, it->value().size());
      if (it->value().size() < 8 || !fb::CommandRecordBufferHasIdentifier(base) ||
          !fb::VerifyCommandRecordBuffer(v) ||
          fb::GetCommandRecord(base)->last_position() > report.last_position) {
        problems.AddGlobal("idempotency record of command '" + it->key().ToString() +
                           "' is unreadable or points past the end of the log");
      }
    }
    CRM_RETURN_IF_ERROR(FromRocks(it->status(), "reading idempotency records"));
  }

  // 4. Links name two streams and point inside the log.
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(scan, db_->links()));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      std::string_view key(it->key().data(), it->key().size());
      const size_t sep = key.find('\0');
      if (sep == std::string_view::npos || sep == 0 || sep + 1 == key.size() ||
          it->value().size() != 8 ||
          format::GetU64BE(it->value().data()) > report.last_position) {
        problems.AddGlobal("malformed link entry '" + it->key().ToString(true) + "'");
      }
    }
    CRM_RETURN_IF_ERROR(FromRocks(it->status(), "reading links"));
  }
  return report;
}

Result<StoreStats> StoreImpl::Stats() {
  StoreStats stats;
  std::map<std::string, uint64_t, std::less<>> by_type;
  std::map<std::string, StoreStats::Kind, std::less<>> by_kind;
  rocksdb::ReadOptions scan;
  scan.readahead_size = 2 << 20;
  std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(scan, db_->events()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const uint64_t position = it->key().size() == 8 ? format::GetU64BE(it->key().data()) : 0;
    stats.last_position = std::max(stats.last_position, position);
    ++stats.events;
    std::string_view bytes(it->value().data(), it->value().size());
    auto env = codec::VerifyEnvelope(position, bytes);
    if (!env.ok()) {
      ++stats.unreadable;
      continue;
    }
    EventView view{position, bytes, *env};
    ++by_type[std::string(view.type_name())];
    std::string_view kind = StreamKind(view.stream());
    auto k = by_kind.find(kind);
    if (k == by_kind.end()) k = by_kind.emplace(std::string(kind), StoreStats::Kind{}).first;
    ++k->second.events;
    if (view.version() == 1) {
      ++k->second.streams;
      ++stats.streams;
    }
  }
  CRM_RETURN_IF_ERROR(FromRocks(it->status(), "scanning the log"));
  for (auto& [name, n] : by_type) stats.events_by_type.emplace_back(name, n);
  for (auto& [name, k] : by_kind) {
    k.kind = name;
    stats.by_kind.push_back(k);
  }
  stats.bytes_on_disk = DirectoryBytes(dir_);
  for (auto* cf : {db_->events(), db_->streams(), db_->commands(), db_->meta()}) {
    uint64_t v = 0;
    if (db_->db()->GetIntProperty(cf, "rocksdb.live-sst-files-size", &v)) {
      stats.live_sst_bytes += v;
    }
  }
  uint64_t keys = 0;
  if (db_->db()->GetIntProperty(db_->commands(), "rocksdb.estimate-num-keys", &keys)) {
    stats.idempotency_keys = keys;
  }
  return stats;
}

}  // namespace crm
