// Readers: the whole log by position, one stream by version, and live subscriptions.
// Every record is verified (codec::VerifyEnvelope) before a view of it is handed out.
#include <rocksdb/iterator.h>
#include <rocksdb/snapshot.h>

#include "engine/src/codec.h"
#include "engine/src/store.h"

namespace crm {
namespace {

// Holds a snapshot for the lifetime of a reader on the writer (followers have none: their view
// only moves on CatchUp()).
class SnapshotHolder {
 public:
  explicit SnapshotHolder(Db& db) : db_(db) {
    if (!db.follower()) snapshot_ = db.db()->GetSnapshot();
  }
  ~SnapshotHolder() {
    if (snapshot_) db_.db()->ReleaseSnapshot(snapshot_);
  }
  const rocksdb::Snapshot* get() const { return snapshot_; }

 private:
  Db& db_;
  const rocksdb::Snapshot* snapshot_ = nullptr;
};

// Hands out `view`, upcast to the newest payload version when an upcaster knows its version.
// `buffer` keeps the re-encoded bytes alive until the reader's next call.
EventView MaybeUpcast(const Upcaster* upcaster, EventView view, std::string* buffer) {
  if (upcaster && upcaster->Upcast(view, buffer)) {
    view.bytes = *buffer;
    view.envelope = fb::GetEnvelope(buffer->data());
  }
  return view;
}

class LogReader final : public EventReader {
 public:
  LogReader(Db& db, uint64_t from, uint64_t upto, TypeFilter filter, const Upcaster* upcaster)
      : snapshot_(db), next_(from == 0 ? 1 : from), filter_(std::move(filter)),
        upcaster_(upcaster) {
    rocksdb::ReadOptions ro;
    ro.snapshot = snapshot_.get();
    ro.readahead_size = 2 << 20;  // scans are sequential
    if (upto != 0) {
      format::PutU64BE(upper_, upto + 1);
      upper_slice_ = rocksdb::Slice(upper_, 8);
      ro.iterate_upper_bound = &upper_slice_;
    }
    it_.reset(db.db()->NewIterator(ro, db.events()));
  }

  Result<std::optional<EventView>> Next() override {
    if (!sticky_.ok()) return sticky_;
    while (true) {
      if (!started_) {
        started_ = true;
        char key[8];
        format::PutU64BE(key, next_);
        it_->Seek(rocksdb::Slice(key, 8));
      } else if (advance_) {
        it_->Next();
      }
      advance_ = true;
      if (!it_->Valid()) {
        if (!it_->status().ok()) {
          sticky_ = Status::Corruption("reading the log at position " + std::to_string(next_) +
                                       ": " + it_->status().ToString());
          return sticky_;
        }
        return std::optional<EventView>();
      }
      if (it_->key().size() != 8) {
        return Status::Corruption("malformed event key after position " +
                                  std::to_string(next_ - 1));
      }
      const uint64_t position = format::GetU64BE(it_->key().data());
      if (position != next_) {
        // A hole in the log: report it once, then carry on with the record that is there.
        const uint64_t missing = next_;
        next_ = position;
        advance_ = false;
        return Status::Corruption("event at position " + std::to_string(missing) +
                                  " is missing (the log continues at " +
                                  std::to_string(position) + ")");
      }
      ++next_;
      std::string_view bytes(it_->value().data(), it_->value().size());
      if (!filter_.all()) {
        // A record the filter drops is never used: check only what reading its type needs.
        auto type = codec::PeekPayloadType(position, bytes);
        if (!type.ok()) return type.status();
        if (!filter_.Accepts(*type)) continue;
      }
      auto env = codec::VerifyEnvelope(position, bytes);
      if (!env.ok()) return env.status();
      return std::optional<EventView>(
          MaybeUpcast(upcaster_, EventView{position, bytes, *env}, &upcast_));
    }
  }

 private:
  SnapshotHolder snapshot_;
  std::unique_ptr<rocksdb::Iterator> it_;
  uint64_t next_;
  TypeFilter filter_;
  bool started_ = false;
  bool advance_ = true;  // false: the iterator already stands on the next record
  Status sticky_;
  const Upcaster* upcaster_;
  std::string upcast_;
  char upper_[8];
  rocksdb::Slice upper_slice_;
};

class StreamReader final : public EventReader {
 public:
  StreamReader(Db& db, std::string_view stream, uint64_t from_version, Direction direction,
               uint64_t max_count, const Upcaster* upcaster)
      : db_(db), upcaster_(upcaster), stream_(stream), version_(from_version), direction_(direction),
        remaining_(max_count) {
    if (direction_ == Direction::kForward && version_ == 0) version_ = 1;
  }

  Result<std::optional<EventView>> Next() override {
    if (remaining_ == 0 || done_) return std::optional<EventView>();
    if (!positioned_) {
      positioned_ = true;
      // The reader sees the stream as of its first Next(): snapshot and iterators start here.
      snapshot_.emplace(db_);
      // A stream's first run starts at version 1: a missing stream is one bloom-filtered Get,
      // without creating iterators (every creating command reads its new stream).
      {
        rocksdb::ReadOptions probe;
        probe.snapshot = snapshot_->get();
        std::string ignored;
        rocksdb::Status s =
            db_.db()->Get(probe, db_.streams(), format::StreamRunKey(stream_, 1), &ignored);
        if (s.IsNotFound()) {
          done_ = true;
          return std::optional<EventView>();
        }
        CRM_RETURN_IF_ERROR(FromRocks(s, "looking up " + stream_));
      }
      rocksdb::ReadOptions ro;
      ro.snapshot = snapshot_->get();
      ro.prefix_same_as_start = true;
      runs_.reset(db_.db()->NewIterator(ro, db_.streams()));
      rocksdb::ReadOptions eo;
      eo.snapshot = snapshot_->get();
      events_.reset(db_.db()->NewIterator(eo, db_.events()));
      if (version_ == 0) {  // backward from before version 1
        done_ = true;
        return std::optional<EventView>();
      }
      runs_->SeekForPrev(format::StreamRunKey(stream_, version_));
      if (direction_ == Direction::kForward && !runs_->Valid() && runs_->status().ok()) {
        runs_->Seek(format::StreamRunKey(stream_, version_));  // `from` before the first run
      }
      CRM_RETURN_IF_ERROR(LoadRun());
      if (done_) return std::optional<EventView>();
      if (direction_ == Direction::kForward) {
        version_ = std::max(version_, run_first_version_);
      } else {
        version_ = std::min(version_, run_first_version_ + run_.count - 1);
      }
    }
    // Move to the run holding version_, if it left the current one.
    while (version_ < run_first_version_ || version_ >= run_first_version_ + run_.count) {
      if (direction_ == Direction::kForward) {
        runs_->Next();
      } else {
        runs_->Prev();
      }
      CRM_RETURN_IF_ERROR(LoadRun());
      if (done_) return std::optional<EventView>();
      if (direction_ == Direction::kForward ? run_first_version_ != version_
                                            : run_first_version_ + run_.count - 1 != version_) {
        return Status::Corruption("stream index of '" + stream_ + "' has a gap at version " +
                                  std::to_string(version_));
      }
    }
    const uint64_t position = run_.first_position + (version_ - run_first_version_);
    CRM_RETURN_IF_ERROR(Seek(position));
    std::string_view bytes(events_->value().data(), events_->value().size());
    auto env = codec::VerifyEnvelope(position, bytes);
    const uint64_t version = version_;
    if (direction_ == Direction::kForward) {
      ++version_;
    } else if (--version_ == 0) {
      done_ = true;
    }
    --remaining_;
    if (!env.ok()) return env.status();
    if ((*env)->stream()->string_view() != stream_ || (*env)->stamp()->version() != version) {
      return Status::Corruption("event at position " + std::to_string(position) +
                                " is not version " + std::to_string(version) + " of '" +
                                stream_ + "' as the stream index says");
    }
    return std::optional<EventView>(
        MaybeUpcast(upcaster_, EventView{position, bytes, *env}, &upcast_));
  }

 private:
  // Reads the run under runs_, or sets done_ at the end of the stream.
  Status LoadRun() {
    if (!runs_->Valid()) {
      CRM_RETURN_IF_ERROR(FromRocks(runs_->status(), "reading the stream index of " + stream_));
      done_ = true;
      return Status::Ok();
    }
    format::StreamRunKeyParts key;
    if (!format::ParseStreamRunKey({runs_->key().data(), runs_->key().size()}, &key) ||
        !format::DecodeStreamRun({runs_->value().data(), runs_->value().size()}, &run_)) {
      return Status::Corruption("malformed stream index entry of '" + stream_ + "'");
    }
    if (key.stream != stream_) {
      done_ = true;
      return Status::Ok();
    }
    run_first_version_ = key.first_version;
    return Status::Ok();
  }

  // Positions events_ on `position`, stepping when it is adjacent (runs are contiguous).
  Status Seek(uint64_t position) {
    auto at = [&](uint64_t p) {
      return events_->Valid() && events_->key().size() == 8 &&
             format::GetU64BE(events_->key().data()) == p;
    };
    if (position > 1 && at(position - 1)) {
      events_->Next();
    } else if (at(position + 1)) {
      events_->Prev();
    } else if (!at(position)) {
      char key[8];
      format::PutU64BE(key, position);
      events_->Seek(rocksdb::Slice(key, 8));
    }
    if (at(position)) return Status::Ok();
    CRM_RETURN_IF_ERROR(FromRocks(events_->status(), "reading position " + std::to_string(position)));
    return Status::Corruption("stream index of '" + stream_ + "' points to position " +
                              std::to_string(position) + ", which is missing from the log");
  }

  Db& db_;
  std::optional<SnapshotHolder> snapshot_;  // declared before the iterators that use it
  const Upcaster* upcaster_;
  std::string upcast_;
  std::unique_ptr<rocksdb::Iterator> runs_;
  std::unique_ptr<rocksdb::Iterator> events_;
  std::string stream_;
  uint64_t version_;
  Direction direction_;
  uint64_t remaining_;
  bool positioned_ = false;
  bool done_ = false;
  uint64_t run_first_version_ = 0;
  format::StreamRun run_;
};

class SubscriptionImpl final : public Subscription {
 public:
  SubscriptionImpl(StoreImpl& store, uint64_t from, TypeFilter filter)
      : store_(store), next_(from == 0 ? 1 : from), filter_(std::move(filter)) {}

  Result<std::optional<EventView>> Next(std::chrono::milliseconds timeout) override {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      if (reader_) {
        auto r = reader_->Next();
        if (!r.ok()) {
          reader_.reset();  // stay put: the next call retries from next_
          return r.status();
        }
        if (r->has_value()) {
          next_ = (*r)->position + 1;
          return r;
        }
        next_ = reader_upto_ + 1;  // every event up to the bound was seen (or filtered out)
        reader_.reset();
      }
      const uint64_t last = store_.LastPosition();
      if (last >= next_) {
        auto reader = store_.ReadLogRange(next_, last, filter_);
        if (!reader.ok()) return reader.status();
        reader_ = std::move(reader).value();
        reader_upto_ = last;
        continue;
      }
      if (!store_.WaitForPosition(next_, deadline)) return std::optional<EventView>();
    }
  }

  uint64_t next_position() const override { return next_; }

 private:
  StoreImpl& store_;
  uint64_t next_;
  TypeFilter filter_;
  std::unique_ptr<EventReader> reader_;
  uint64_t reader_upto_ = 0;
};

}  // namespace

Result<std::unique_ptr<EventReader>> StoreImpl::ReadLogRange(uint64_t from, uint64_t upto,
                                                             TypeFilter filter) {
  return std::unique_ptr<EventReader>(new LogReader(*db_, from, upto, std::move(filter), options_.upcaster.get()));
}

Result<std::unique_ptr<EventReader>> StoreImpl::ReadLog(uint64_t from_position,
                                                        TypeFilter filter) {
  return ReadLogRange(from_position, 0, std::move(filter));
}

Result<std::unique_ptr<EventReader>> StoreImpl::ReadStream(std::string_view stream,
                                                           uint64_t from_version,
                                                           Direction direction,
                                                           uint64_t max_count) {
  if (stream.empty() || stream.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument("invalid stream name");
  }
  return std::unique_ptr<EventReader>(
      new StreamReader(*db_, stream, from_version, direction, max_count,
                       options_.upcaster.get()));
}

Result<std::unique_ptr<Subscription>> StoreImpl::Subscribe(uint64_t from_position,
                                                           TypeFilter filter) {
  if (db_->follower()) {
    return Status::NotSupported("subscriptions follow the writer; a follower polls CatchUp()");
  }
  return std::unique_ptr<Subscription>(new SubscriptionImpl(*this, from_position, std::move(filter)));
}

}  // namespace crm
