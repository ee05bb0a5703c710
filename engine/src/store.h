// EventStore's implementation: RocksDB-backed log with a leader/follower group-commit write path.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <flatbuffers/flatbuffers.h>
#include <rocksdb/write_batch.h>
#include <spdlog/logger.h>

#include "crm/event_store.h"
#include "engine/src/codec.h"
#include "engine/src/db.h"
#include "engine/src/format.h"
#include "engine/src/lru_cache.h"

namespace crm {

class StoreImpl final : public EventStore {
 public:
  StoreImpl(std::unique_ptr<Db> db, const std::string& dir, const Options& options);
  ~StoreImpl() override;

  // Loads the log's tail (last position, hash, recorded_at). Called once by EventStore::Open.
  Status Init();

  Result<AppendResult> Append(AppendRequest request) override;
  std::vector<Result<AppendResult>> AppendBatch(std::vector<AppendRequest> requests,
                                                BatchMode mode) override;
  Result<std::vector<std::string>> Links(std::string_view from) override;
  Result<std::optional<AppendResult>> LookupCommand(std::string_view command_id) override;
  Result<uint64_t> StreamVersion(std::string_view stream) override;
  uint64_t LastPosition() const override {
    return committed_position_.load(std::memory_order_acquire);
  }
  Result<std::unique_ptr<EventReader>> ReadLog(uint64_t from_position,
                                               TypeFilter filter) override;
  Result<std::unique_ptr<EventReader>> ReadLogRange(uint64_t from, uint64_t upto,
                                                    TypeFilter filter) override;
  Result<std::unique_ptr<EventReader>> ReadStream(std::string_view stream, uint64_t from_version,
                                                  Direction direction,
                                                  uint64_t max_count) override;
  Result<std::unique_ptr<Subscription>> Subscribe(uint64_t from_position,
                                                  TypeFilter filter) override;
  Status CatchUp() override;
  Result<VerifyReport> Verify() override;
  Result<StoreStats> Stats() override;
  Result<ProjectionSnapshot> ReadProjections() override;
  Status RebuildProjections(const Progress& progress) override;
  Result<std::unique_ptr<ProjectionSet>> BuildProjectionsAside(std::shared_ptr<Projector> projector,
                                                               uint64_t upto,
                                                               const Progress& progress,
                                                               const std::function<bool(const EventView&)>& include) override;
  Result<std::optional<RecordedEvent>> ReadEvent(uint64_t position) override;
  Status Checkpoint(const std::string& dir) override;
  Durability durability() const override { return options_.durability; }
  const std::string& path() const override { return dir_; }

  // For readers and subscriptions (same module).
  Db& db() { return *db_; }
  // Blocks until LastPosition() >= position or the deadline passes; returns whether it did.
  bool WaitForPosition(uint64_t position, std::chrono::steady_clock::time_point deadline);

 private:
  struct GroupState;  // the leader's scratch state for one group (store.cc)

  // One request of a caller, prepared (encoded) on the caller's thread.
  struct Item {
    AppendRequest* request = nullptr;
    bool client_command_id = false;
    // Every event of the request, stream after stream, in the request's order.
    std::vector<flatbuffers::DetachedBuffer> encoded;
    // Replaced by every path of the leader; the message fits std::string's inline buffer, so
    // that building an Item allocates nothing.
    Result<AppendResult> result = Status::IOError("not decided");
  };
  // One caller (Append or AppendBatch) while it waits for a leader to commit its items.
  struct Pending {
    enum class State : uint8_t { kQueued, kLead, kDone };
    std::vector<Item*> items;
    bool stop_at_first_failure = false;
    // kQueued until a leader has decided its items (kDone) or hands it the lead (kLead).
    // Guarded by the store's wake_mu_.
    State state = State::kQueued;
  };

  Status ValidateRequest(const AppendRequest& request) const;
  // Caller's thread: fills in generated ids and encodes the envelopes.
  void Prepare(AppendRequest& request, Item* item, codec::Arena* arena) const;
  // Queues the caller's items, leads or follows a group, returns when they are decided.
  void Commit(Pending& p);
  // With mu_ held by the leader: marks the members of `done` (but `self`) done, hands the lead
  // to the first queued appender or frees it, unlocks mu_ and wakes them all. `done` (may be
  // null) is left empty; its buffer is kept for the next group.
  void ReleaseLeadership(std::unique_lock<std::mutex>& lock, std::vector<Pending*>* done,
                         const Pending* self);
  // Leader only: decides every pending append of the group, writes the survivors in one batch.
  void CommitGroup(std::vector<Pending*>& group);
  // Leader only: decides one item of the group into batch_.
  void DecideItem(Item& item, GroupState& g);
  // Leader only: the scratch state, reused from group to group.
  GroupState& Group();
  // Leader only: the stream's committed version, from the cache or the streams CF.
  Result<uint64_t> CachedStreamVersion(const std::string& stream);
  Result<uint64_t> ReadStreamVersion(std::string_view stream);
  Result<bool> StreamExists(std::string_view stream);
  Status LoadTail();
  // Writer with a projector, on open: rebuild (other projector or version) and/or catch up.
  Status SyncProjections();
  // Drops the projections (one batch with the reset meta). Leader only.
  Status ResetProjections();
  // Folds events from..last into the projections: from 1 (over projections just reset) by
  // IngestProjections, otherwise in checkpointed batches. Leader only.
  Status CatchUpProjections(uint64_t from, const Progress& progress);
  // A full rebuild over empty projections: each chunk's rows are sorted into an SST file and
  // ingested, and the checkpoint moves from 0 to the last position only once all are in (an
  // interrupted rebuild is started over by the next open). Leader only.
  Status IngestProjections(const Progress& progress);
  // Where IngestProjections writes its SST files before they are ingested.
  std::string IngestDir() const;
  // Waits (a minute at most) while the projections' L0 holds kIngestMaxL0Files files or more.
  void WaitForL0Room();
  // The fold loop shared by catch-up, rebuild and folds aside (projection_host.cc).
  Status FoldLog(Projector& projector, ProjectionReader& committed, uint64_t from, uint64_t upto,
                 const std::function<bool(const EventView&)>& include, uint64_t chunk,
                 const std::function<Status(uint64_t)>& write, const Progress& progress);
  void PutProjectionCheckpoint(rocksdb::WriteBatch* batch, uint64_t position);
  void FlushProjector(rocksdb::WriteBatch* batch);
  // Committed rows, for the projector (leader only).
  ProjectionReader& CommittedProjections();

  std::unique_ptr<Db> db_;
  const std::string dir_;
  const Options options_;
  std::shared_ptr<spdlog::logger> log_;

  // Group commit. mu_ guards pending_, spare_pending_, leader_active_, leader_waiting_ and
  // expected_group_ (a Pending's state has its own mutex).
  std::mutex mu_;
  std::condition_variable leader_cv_;  // a new appender queued while the leader gathers (sync)
  std::condition_variable commit_cv_;  // committed_position_ advanced (subscriptions)
  // Queued appenders wait on wake_cv_ for their Pending::state to leave kQueued. wake_mu_ guards
  // every Pending::state; it is taken after mu_, never before.
  std::mutex wake_mu_;
  std::condition_variable wake_cv_;
  std::vector<Pending*> pending_;
  std::vector<Pending*> spare_pending_;  // an empty buffer handed to pending_ by each leader
  bool leader_active_ = false;
  bool leader_waiting_ = false;
  // Size of the last group. Under kSync a new leader waits (at most kGroupCommitWait) until this
  // many appenders have queued: the members of the previous group are on their way back, and one
  // fsync for all of them beats two for half each (PostgreSQL's commit_delay, adaptive).
  size_t expected_group_ = 1;

  // Leader-only state (handed from leader to leader through mu_).
  uint64_t next_position_ = 1;
  Sha256Digest last_hash_{};
  int64_t last_recorded_at_us_ = 0;
  Status write_error_;  // latched: after a failed write every append fails until reopen
  LruCache<uint64_t> stream_versions_;
  rocksdb::WriteBatch batch_;
  std::unique_ptr<GroupState> group_state_;
  std::unique_ptr<ProjectionReader> committed_reader_;

  std::atomic<uint64_t> committed_position_{0};
};

}  // namespace crm
