// The engine's side of projections (include/crm/projection.h): the rows of a write group, the
// projector's committed rows, single events for time travel, and the readers' snapshot of the
// projections. Rebuilding them from the log: rebuild.cc.
#include <rocksdb/iterator.h>
#include <rocksdb/snapshot.h>

#include "engine/src/codec.h"
#include "engine/src/projection_rows.h"
#include "engine/src/store.h"

namespace crm {

void StoreImpl::PutProjectionCheckpoint(rocksdb::WriteBatch* batch, uint64_t position) {
  char v[8];
  format::PutU64BE(v, position);
  batch->Put(db_->meta(), format::kMetaProjectionCheckpoint, rocksdb::Slice(v, 8));
}

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
    auto rebuilding = GetMeta(db_->db(), db_->meta(), snap, format::kMetaProjectionRebuilding);
    if (!rebuilding.ok()) return rebuilding.status();
    std::string progress;
    if (*rebuilding && (*rebuilding)->size() == 8) {
      progress = " (a full rebuild has folded events 1.." +
                 std::to_string(format::GetU64BE((*rebuilding)->data())) +
                 " so far; if it was interrupted, it starts over)";
    }
    return Status::NotSupported(
        "the projections reflect the log up to position " + std::to_string(out.checkpoint) +
        " of " + std::to_string(last) + progress +
        ": they are being rebuilt, or the log was written without them; open the database for "
        "writing (any crm write command) to bring them up to date");
  }
  out.reader = std::move(reader);
  return out;
}

}  // namespace crm

