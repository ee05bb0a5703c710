// The engine's side of projections (include/crm/projection.h): readers over the `projections`
// column family, and bringing a Projector up to date with the log when the writer opens.
#include <rocksdb/iterator.h>
#include <rocksdb/snapshot.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "engine/src/codec.h"
#include "engine/src/store.h"

namespace crm {
namespace {

// The smallest key greater than every key starting with `prefix` ("" if there is none).
std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty() && static_cast<uint8_t>(end.back()) == 0xff) end.pop_back();
  if (!end.empty()) end.back() = static_cast<char>(static_cast<uint8_t>(end.back()) + 1);
  return end;
}

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
    std::stable_sort(ops_.begin(), ops_.end(),
                     [this](const Op& a, const Op& b) { return Key(a) < Key(b); });
    for (const Op& op : ops_) {
      const std::string_view k = Key(op);
      if (op.del) {
        batch->Delete(cf, rocksdb::Slice(k.data(), k.size()));
      } else {
        batch->Put(cf, rocksdb::Slice(k.data(), k.size()),
                   rocksdb::Slice(bytes_.data() + op.offset + op.key_size, op.value_size));
      }
    }
  }

 private:
  struct Op {
    size_t offset;  // of the key in bytes_; the value follows it
    size_t key_size;
    size_t value_size;
    bool del;
  };
  void Add(std::string_view key, std::string_view value, bool del) {
    ops_.push_back({bytes_.size(), key.size(), value.size(), del});
    bytes_.append(key).append(value);
  }
  // std::string_view compares like memcmp, as RocksDB's bytewise comparator does.
  std::string_view Key(const Op& op) const { return {bytes_.data() + op.offset, op.key_size}; }

  std::string bytes_;
  std::vector<Op> ops_;
};

Result<std::optional<std::string>> GetMeta(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* meta,
                                           const rocksdb::Snapshot* snapshot,
                                           std::string_view key) {
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  std::string value;
  rocksdb::Status s = db->Get(ro, meta, rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocks(s, "reading " + std::string(key));
  return std::optional<std::string>(std::move(value));
}

// Events folded per catch-up write: bounds the projector's pending rows.
constexpr uint64_t kCatchUpChunk = 8192;

}  // namespace

void StoreImpl::PutProjectionCheckpoint(rocksdb::WriteBatch* batch, uint64_t position) {
  char v[8];
  format::PutU64BE(v, position);
  batch->Put(db_->meta(), format::kMetaProjectionCheckpoint, rocksdb::Slice(v, 8));
}

namespace {

// The scratch writer of the thread flushing a projector (a group's leader, a catch-up or a
// rebuild), cleared for each flush.
SortedBatchWriter& ScratchWriter() {
  thread_local SortedBatchWriter writer;
  writer.Clear();
  return writer;
}

}  // namespace

void StoreImpl::FlushProjector(rocksdb::WriteBatch* batch) {
  SortedBatchWriter& writer = ScratchWriter();
  options_.projector->Flush(writer);
  writer.WriteTo(batch, db_->projections());
}

ProjectionReader& StoreImpl::CommittedProjections() {
  if (!committed_reader_) {
    committed_reader_ =
        std::make_unique<RocksProjectionReader>(db_->db(), db_->projections(), false);
  }
  return *committed_reader_;
}

Status StoreImpl::ResetProjections() {
  Projector& projector = *options_.projector;
  rocksdb::WriteBatch batch;
  batch.DeleteRange(db_->projections(), "", format::kProjectionsEnd);
  batch.Put(db_->meta(), format::kMetaProjectionName, std::string(projector.name()));
  batch.Put(db_->meta(), format::kMetaProjectionVersion, std::to_string(projector.version()));
  PutProjectionCheckpoint(&batch, 0);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  CRM_RETURN_IF_ERROR(FromRocks(db_->db()->Write(wo, &batch), "resetting the projections"));
  projector.Reset();
  // Reads under a range tombstone that still sits in the memtable are slow in RocksDB 7.x (the
  // tombstones are re-fragmented per read), and the rebuild reads rows it misses in its cache:
  // compact the deleted range away first, so the rebuild starts from an empty column family.
  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  Status compacted = FromRocks(db_->db()->CompactRange(co, db_->projections(), nullptr, nullptr),
                               "compacting the dropped projections");
  if (!compacted.ok()) log_->warn("{}", compacted.message());  // only slower, not wrong
  return Status::Ok();
}

Status StoreImpl::SyncProjections() {
  Projector& projector = *options_.projector;
  rocksdb::DB* db = db_->db();
  auto name = GetMeta(db, db_->meta(), nullptr, format::kMetaProjectionName);
  if (!name.ok()) return name.status();
  auto version = GetMeta(db, db_->meta(), nullptr, format::kMetaProjectionVersion);
  if (!version.ok()) return version.status();
  auto checkpoint = GetMeta(db, db_->meta(), nullptr, format::kMetaProjectionCheckpoint);
  if (!checkpoint.ok()) return checkpoint.status();

  uint64_t from = 1;
  const std::string want_version = std::to_string(projector.version());
  if (*name != std::string(projector.name()) || *version != want_version || !*checkpoint ||
      (*checkpoint)->size() != 8) {
    if (name->has_value()) {
      log_->warn("projections were built by {} v{}; rebuilding them with {} v{}", **name,
                 version->value_or("?"), projector.name(), want_version);
    }
    CRM_RETURN_IF_ERROR(ResetProjections());
  } else {
    from = format::GetU64BE((*checkpoint)->data()) + 1;
  }
  return CatchUpProjections(from, options_.projection_progress);
}

// The one fold loop of every rebuild, live or aside: reads events from..upto, folds those
// `include` accepts, and hands the projector's rows to `write(folded_to)` every kCatchUpChunk
// events and once at the end (which must Flush the projector and then call Committed or
// Abandoned). An unreadable record is skipped and logged (`crm verify` names it), so every fold
// sees the same events; the same error twice in a row is the reader failing in place, and ends
// the fold. On any error the projector's pending rows are abandoned.
Status StoreImpl::FoldLog(Projector& projector, ProjectionReader& committed, uint64_t from,
                          uint64_t upto, const std::function<bool(const EventView&)>& include,
                          const std::function<Status(uint64_t)>& write) {
  auto reader = ReadLogRange(from, upto, TypeFilter());
  if (!reader.ok()) return reader.status();
  uint64_t folded_to = from - 1, pending = 0, skipped = 0;
  std::string last_error;
  while (true) {
    auto next = (*reader)->Next();
    if (!next.ok()) {
      if (next.status().message() == last_error) {
        projector.Abandoned();
        return next.status();
      }
      last_error = next.status().message();
      ++skipped;
      log_->error("projections skip an unreadable event: {}", next.status().message());
      continue;
    }
    last_error.clear();
    if (!next->has_value()) break;
    folded_to = (*next)->position;
    if (include && !include(**next)) continue;
    Status applied = projector.Apply(**next, committed);
    if (!applied.ok()) {
      projector.Abandoned();
      return applied;
    }
    if (++pending == kCatchUpChunk) {
      pending = 0;
      CRM_RETURN_IF_ERROR(write(folded_to));
    }
  }
  CRM_RETURN_IF_ERROR(write(upto));
  if (skipped) log_->error("{} unreadable events were left out of the projections", skipped);
  return Status::Ok();
}

Status StoreImpl::CatchUpProjections(uint64_t from, const Progress& progress) {
  Projector& projector = *options_.projector;
  const uint64_t last = LastPosition();
  if (from > last) return Status::Ok();
  log_->info("folding events {}..{} into the projections", from, last);
  rocksdb::WriteBatch batch;  // one per catch-up: Clear() keeps its buffer for the next chunk
  return FoldLog(projector, CommittedProjections(), from, last, {}, [&](uint64_t folded_to) {
    batch.Clear();
    FlushProjector(&batch);
    PutProjectionCheckpoint(&batch, folded_to);
    rocksdb::WriteOptions wo;
    wo.sync = folded_to == last;
    Status s = FromRocks(db_->db()->Write(wo, &batch), "writing rebuilt projections");
    if (!s.ok()) {
      projector.Abandoned();
      return s;
    }
    projector.Committed();
    if (progress) progress(folded_to - from + 1, last - from + 1);
    return s;
  });
}

Status StoreImpl::RebuildProjections(const Progress& progress) {
  if (db_->follower()) return Status::NotSupported("a follower cannot rebuild the projections");
  if (!options_.projector) return Status::NotSupported("no projector is configured");
  // Become the leader, so that no group commits while the projections are rebuilt.
  std::unique_lock<std::mutex> lock(mu_);
  commit_cv_.wait(lock, [&] { return !leader_active_; });
  leader_active_ = true;
  lock.unlock();
  Status s = write_error_.ok() ? ResetProjections() : write_error_;
  if (s.ok()) s = CatchUpProjections(1, progress);
  if (!s.ok() && write_error_.ok()) {
    // The projections are behind the log now: a later group must not write a checkpoint that
    // claims they are complete. Appends fail until a reopen finishes the rebuild.
    write_error_ = Status::IOError("rebuilding the projections failed (" + s.message() +
                                   "); reopen the database to finish the rebuild");
  }
  lock.lock();
  ReleaseLeadership(lock, nullptr, nullptr);
  return s;
}

namespace {

// A private RocksDB in a temporary directory holding projections folded aside.
class AsideSet final : public EventStore::ProjectionSet {
 public:
  ~AsideSet() override {
    reader_.reset();
    if (db_) db_->Close().PermitUncheckedError();
    db_.reset();
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }

  Status Open() {
    dir_ = (std::filesystem::temp_directory_path() /
            ("crm-aside-" + std::to_string(::getpid()) + "-" + codec::NewUuidString()))
               .string();
    rocksdb::Options o;
    o.create_if_missing = true;
    o.write_buffer_size = 64 << 20;
    o.compression = rocksdb::kNoCompression;
    o.max_background_jobs = 2;
    rocksdb::DB* raw = nullptr;
    CRM_RETURN_IF_ERROR(FromRocks(rocksdb::DB::Open(o, dir_, &raw), "creating a temporary store"));
    db_.reset(raw);
    reader_ = std::make_unique<RocksProjectionReader>(db_.get(), db_->DefaultColumnFamily(), false);
    return Status::Ok();
  }

  ProjectionReader& reader() override { return *reader_; }
  uint64_t checkpoint() const override { return checkpoint_; }

  rocksdb::DB* db() { return db_.get(); }
  void set_checkpoint(uint64_t c) { checkpoint_ = c; }

 private:
  std::string dir_;
  std::unique_ptr<rocksdb::DB> db_;
  std::unique_ptr<RocksProjectionReader> reader_;
  uint64_t checkpoint_ = 0;
};

}  // namespace

Result<std::unique_ptr<EventStore::ProjectionSet>> StoreImpl::BuildProjectionsAside(
    std::shared_ptr<Projector> projector, uint64_t upto, const Progress& progress,
    const std::function<bool(const EventView&)>& include) {
  if (!projector) return Status::InvalidArgument("no projector given");
  const uint64_t last = LastPosition();
  if (upto == 0) upto = last;
  if (upto > last) {
    return Status::InvalidArgument("position " + std::to_string(upto) +
                                   " is beyond the end of the log (" + std::to_string(last) + ")");
  }
  auto set = std::make_unique<AsideSet>();
  CRM_RETURN_IF_ERROR(set->Open());
  rocksdb::WriteOptions wo;
  wo.disableWAL = true;  // a temporary store: nothing to recover
  rocksdb::WriteBatch batch;
  CRM_RETURN_IF_ERROR(FoldLog(*projector, set->reader(), 1, upto, include, [&](uint64_t done) {
    batch.Clear();
    SortedBatchWriter& writer = ScratchWriter();
    projector->Flush(writer);
    writer.WriteTo(&batch, set->db()->DefaultColumnFamily());
    Status s = FromRocks(set->db()->Write(wo, &batch), "writing projections aside");
    if (!s.ok()) {
      projector->Abandoned();
      return s;
    }
    projector->Committed();
    if (progress) progress(done, upto);
    return s;
  }));
  set->set_checkpoint(upto);
  return std::unique_ptr<EventStore::ProjectionSet>(std::move(set));
}

Result<std::optional<RecordedEvent>> StoreImpl::ReadEvent(uint64_t position) {
  char key[8];
  format::PutU64BE(key, position);
  std::string value;
  rocksdb::Status s = db_->db()->Get(rocksdb::ReadOptions(), db_->events(), rocksdb::Slice(key, 8),
                                     &value);
  if (s.IsNotFound()) return std::optional<RecordedEvent>();
  if (!s.ok()) return FromRocks(s, "reading position " + std::to_string(position));
  auto env = codec::VerifyEnvelope(position, value);
  if (!env.ok()) return env.status();
  RecordedEvent e;
  e.position = position;
  std::string upcast;
  if (options_.upcaster &&
      options_.upcaster->Upcast(EventView{position, value, *env}, &upcast)) {
    e.bytes = std::move(upcast);
  } else {
    e.bytes = std::move(value);
  }
  return std::optional<RecordedEvent>(std::move(e));
}

Result<EventStore::ProjectionSnapshot> StoreImpl::ReadProjections() {
  if (!options_.projector) return Status::NotSupported("no projector is configured");
  if (!db_->projections()) {
    return Status::NotSupported("this database has no projections yet: open it for writing once "
                                "(any crm write command) to build them");
  }
  // Read before the snapshot: a commit landing in between only makes the checkpoint larger.
  const uint64_t last = LastPosition();
  auto reader = std::make_unique<RocksProjectionReader>(db_->db(), db_->projections(),
                                                        !db_->follower());
  const rocksdb::Snapshot* snap = reader->snapshot();
  auto name = GetMeta(db_->db(), db_->meta(), snap, format::kMetaProjectionName);
  if (!name.ok()) return name.status();
  auto version = GetMeta(db_->db(), db_->meta(), snap, format::kMetaProjectionVersion);
  if (!version.ok()) return version.status();
  auto checkpoint = GetMeta(db_->db(), db_->meta(), snap, format::kMetaProjectionCheckpoint);
  if (!checkpoint.ok()) return checkpoint.status();
  const std::string want_version = std::to_string(options_.projector->version());
  if (*name != std::string(options_.projector->name()) || *version != want_version ||
      !*checkpoint || (*checkpoint)->size() != 8) {
    return Status::NotSupported(
        "the projections on disk were built by " + name->value_or("nothing") + " v" +
        version->value_or("?") + ", this crm reads " + std::string(options_.projector->name()) +
        " v" + want_version + ": open the database for writing once (any crm write command) "
        "to rebuild them");
  }
  ProjectionSnapshot out;
  out.checkpoint = format::GetU64BE((*checkpoint)->data());
  // Never serve half a projection: behind the log means a rebuild or catch-up is under way (or
  // was interrupted), or the log was written by a program that ran without the projector.
  if (out.checkpoint < last) {
    return Status::NotSupported(
        "the projections reflect the log up to position " + std::to_string(out.checkpoint) +
        " of " + std::to_string(last) +
        ": they are being rebuilt, or the log was written without them; open the database for "
        "writing (any crm write command) to bring them up to date");
  }
  out.reader = std::move(reader);
  return out;
}

}  // namespace crm
