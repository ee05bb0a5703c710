// Rebuilding the projections from the log: on the writer's open (another projector version, or
// a rebuild cut short), by `crm replay` (EventStore::RebuildProjections), and aside for
// `replay --verify` and point-in-time reports (BuildProjectionsAside). The fold loop is shared.
#include <rocksdb/convenience.h>
#include <rocksdb/sst_file_writer.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "engine/src/codec.h"
#include "engine/src/projection_rows.h"
#include "engine/src/store.h"

namespace crm {
namespace {

// Events folded per catch-up write: bounds the projector's pending rows.
constexpr uint64_t kCatchUpChunk = 8192;
// Events read between two progress reports of a fold.
constexpr uint64_t kProgressEvents = 8192;
// Events folded per SST file of a full rebuild (IngestProjections). A chunk's rows span the
// whole key range, so every ingested file overlaps the last and compaction merges them: larger
// files mean fewer, larger compactions. Replaying 528,859 events, 32,768 per file took 9.6-13.1 s
// of CPU against 13.0-15.7 s for 8,192, for ~50 MB more rows held in memory (maxrss 317 MB
// against 264 MB); 65,536 saved little more for another 70 MB.
constexpr uint64_t kIngestChunk = 32768;
// A full rebuild does not ingest another file while L0 holds this many (compaction catches up
// first), as writes would slow down there (RocksDB's level0_slowdown_writes_trigger default).
constexpr uint64_t kIngestMaxL0Files = 20;

}  // namespace

Status StoreImpl::ResetProjections() {
  Projector& projector = *options_.projector;
  rocksdb::WriteBatch batch;
  batch.DeleteRange(db_->projections(), "", format::kProjectionsEnd);
  batch.Put(db_->meta(), format::kMetaProjectionName, std::string(projector.name()));
  batch.Put(db_->meta(), format::kMetaProjectionVersion, std::to_string(projector.version()));
  PutProjectionCheckpoint(&batch, 0);
  batch.Delete(db_->meta(), format::kMetaProjectionRebuilding);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  CRM_RETURN_IF_ERROR(FromRocks(db_->db()->Write(wo, &batch), "resetting the projections"));
  projector.Reset();
  // Dropping the column family's files below L0 costs nothing, where compacting them away reads
  // every row (seconds for a million events). DeleteFilesInRange does not keep snapshots
  // consistent, so it runs only when no snapshot is open (a reader holding one keeps reading
  // the old rows under the range deletion; one taken since sees checkpoint 0 and refuses to read,
  // ReadProjections).
  uint64_t snapshots = 0;
  if (db_->db()->GetIntProperty(rocksdb::DB::Properties::kNumSnapshots, &snapshots) &&
      snapshots == 0) {
    Status dropped = FromRocks(
        rocksdb::DeleteFilesInRange(db_->db(), db_->projections(), nullptr, nullptr),
        "dropping the projections' files");
    if (!dropped.ok()) log_->warn("{}", dropped.message());  // only slower, not wrong
  }
  // Reads under a range tombstone that still sits in the memtable are slow in RocksDB 7.x (the
  // tombstones are re-fragmented per read), and the rebuild reads rows it misses in its cache:
  // flush the tombstone into an L0 file, where it is fragmented once when the file is opened
  // and a read it covers stops there. What DeleteFilesInRange left (L0 files; every level if a
  // snapshot was open) stays under the tombstone until compaction drops it in the background.
  // Compacting it away here instead read every old row on the rebuilding thread's critical
  // path: 1.5-3.8 s of a 13-16 s rebuild of 998,567 events after `crm replay`, which leaves
  // the last ingested files in L0.
  rocksdb::FlushOptions fo;
  fo.wait = true;
  fo.allow_write_stall = true;
  Status flushed = FromRocks(db_->db()->Flush(fo, db_->projections()),
                             "flushing the dropped projections");
  if (!flushed.ok()) log_->warn("{}", flushed.message());  // only slower, not wrong
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
    // Checkpoint 0 over a log that has events: a full rebuild (IngestProjections) was cut
    // short, and may have ingested some of its files. Start it over from empty projections.
    if (from == 1 && LastPosition() > 0) CRM_RETURN_IF_ERROR(ResetProjections());
  }
  return CatchUpProjections(from, options_.projection_progress);
}

// The one fold loop of every rebuild, live or aside: reads events from..upto, folds those
// `include` accepts, and hands the projector's rows to `write(folded_to)` every `chunk` events
// and once at the end (write Flushes the projector and writes its rows; the fold then calls
// Committed, or Abandoned if the write failed); `progress` hears of every kProgressEvents
// events read, and of the end. An unreadable record is skipped and logged (`crm verify` names
// it), so every fold sees the same events; the same error twice in a row is the reader failing
// in place, and ends the fold. On any error the projector's pending rows are abandoned.
Status StoreImpl::FoldLog(Projector& projector, ProjectionReader& committed, uint64_t from,
                          uint64_t upto, const std::function<bool(const EventView&)>& include,
                          uint64_t chunk, const std::function<Status(uint64_t)>& write,
                          const Progress& progress) {
  auto write_chunk = [&](uint64_t folded_to) {
    Status s = write(folded_to);
    if (s.ok()) {
      projector.Committed();
    } else {
      projector.Abandoned();
    }
    return s;
  };
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
    if (++pending == chunk) {
      pending = 0;
      CRM_RETURN_IF_ERROR(write_chunk(folded_to));
    }
    if (progress && (folded_to - from + 1) % kProgressEvents == 0) {
      progress(folded_to - from + 1, upto - from + 1);
    }
  }
  CRM_RETURN_IF_ERROR(write_chunk(upto));
  if (progress) progress(upto - from + 1, upto - from + 1);
  if (skipped) log_->error("{} unreadable events were left out of the projections", skipped);
  return Status::Ok();
}

Status StoreImpl::CatchUpProjections(uint64_t from, const Progress& progress) {
  Projector& projector = *options_.projector;
  const uint64_t last = LastPosition();
  if (from > last) return Status::Ok();
  if (from == 1) return IngestProjections(progress);
  log_->info("folding events {}..{} into the projections", from, last);
  rocksdb::WriteBatch batch;  // one per catch-up: Clear() keeps its buffer for the next chunk
  return FoldLog(projector, CommittedProjections(), from, last, {}, kCatchUpChunk,
                 [&](uint64_t folded_to) {
    batch.Clear();
    FlushProjector(&batch);
    PutProjectionCheckpoint(&batch, folded_to);
    rocksdb::WriteOptions wo;
    wo.sync = folded_to == last;
    return FromRocks(db_->db()->Write(wo, &batch), "writing rebuilt projections");
  }, progress);
}

void StoreImpl::WaitForL0Room() {
  // Bounded: compaction that cannot catch up (an error) must not hang the rebuild, which is
  // only slower for going on.
  for (int i = 0; i < 6000; ++i) {
    uint64_t files = 0;
    if (!db_->db()->GetIntProperty(db_->projections(), "rocksdb.num-files-at-level0", &files) ||
        files < kIngestMaxL0Files) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string StoreImpl::IngestDir() const { return dir_ + "/" + format::kIngestDir; }

Status StoreImpl::IngestProjections(const Progress& progress) {
  namespace fs = std::filesystem;
  Projector& projector = *options_.projector;
  const uint64_t last = LastPosition();
  log_->info("rebuilding the projections from events 1..{}", last);
  const std::string dir = IngestDir();
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError("creating " + dir + ": " + ec.message());
  rocksdb::DB* db = db_->db();
  rocksdb::Options sst_options(db->GetDBOptions(), db->GetOptions(db_->projections()));
  // The files land in L0 and compaction rewrites them into the column family's own shape
  // (ZSTD at the bottom level). SstFileWriter would compress them with the bottommost
  // compression, ~8% of the rebuilding thread's time (perf); uncompressed they cost nothing.
  sst_options.compression = rocksdb::kNoCompression;
  sst_options.bottommost_compression = rocksdb::kDisableCompressionOption;
  rocksdb::IngestExternalFileOptions ingest;
  ingest.move_files = true;  // hard-linked into the database, not copied
  uint64_t files = 0;
  Status s = FoldLog(projector, CommittedProjections(), 1, last, {}, kIngestChunk,
                     [&](uint64_t folded_to) {
    SortedBatchWriter& writer = ScratchWriter();
    projector.Flush(writer);
    Status st;
    if (!writer.empty()) {
      const std::string path = dir + "/" + std::to_string(++files) + ".sst";
      rocksdb::SstFileWriter sst(rocksdb::EnvOptions(), sst_options, db_->projections(),
                                 /*invalidate_page_cache=*/false);
      st = FromRocks(sst.Open(path), "creating " + path);
      if (st.ok()) st = writer.WriteTo(&sst);
      if (st.ok()) st = FromRocks(sst.Finish(), "finishing " + path);
      if (st.ok()) WaitForL0Room();
      if (st.ok()) {
        st = FromRocks(db->IngestExternalFile(db_->projections(), {path}, ingest),
                       "ingesting " + path);
      }
      fs::remove(path, ec);  // left behind only if the ingestion failed
    }
    if (st.ok()) {  // progress for readers, who refuse the projections until the end
      char v[8];
      format::PutU64BE(v, folded_to);
      st = FromRocks(db->Put(rocksdb::WriteOptions(), db_->meta(),
                             format::kMetaProjectionRebuilding, rocksdb::Slice(v, 8)),
                     "recording the rebuild's progress");
    }
    return st;
  }, progress);
  fs::remove_all(dir, ec);
  CRM_RETURN_IF_ERROR(s);
  rocksdb::WriteBatch batch;
  PutProjectionCheckpoint(&batch, last);
  batch.Delete(db_->meta(), format::kMetaProjectionRebuilding);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  return FromRocks(db->Write(wo, &batch), "recording the rebuilt projections' checkpoint");
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
  CRM_RETURN_IF_ERROR(FoldLog(*projector, set->reader(), 1, upto, include, kCatchUpChunk,
                              [&](uint64_t /*folded_to*/) {
    batch.Clear();
    SortedBatchWriter& writer = ScratchWriter();
    projector->Flush(writer);
    writer.WriteTo(&batch, set->db()->DefaultColumnFamily());
    return FromRocks(set->db()->Write(wo, &batch), "writing projections aside");
  }, progress));
  set->set_checkpoint(upto);
  return std::unique_ptr<EventStore::ProjectionSet>(std::move(set));
}

}  // namespace crm
