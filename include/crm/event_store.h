// The event store: an append-only log of FlatBuffers envelopes in RocksDB, with per-stream
// versions, optimistic concurrency, idempotent commands, a SHA-256 hash chain, readers and
// subscriptions.
//
// Threads: an EventStore may be shared by any number of threads. Append() is thread-safe and
// concurrent appends are group-committed (one RocksDB write, one fsync for the whole group).
// Readers and Subscriptions are single-threaded objects: use each from one thread at a time.
// Lifetime: every reader and subscription must be destroyed before its EventStore, and no call may
// be in flight when the EventStore is destroyed.
//
// Processes: one process opens a database kReadWrite (it holds RocksDB's LOCK file; a second one
// gets kBusy). Any number of processes may open it kFollower at the same time; a follower sees
// what the writer has committed up to its last CatchUp().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crm/event.h"
#include "crm/projection.h"
#include "crm/status.h"

namespace crm {

enum class Durability : uint8_t {
  kSync,    // an acknowledged append has been fsync'ed (RocksDB WAL, WriteOptions::sync)
  kNoSync,  // acknowledged = written to the WAL in the OS page cache: survives a process crash,
            // not a machine crash. For bulk loads.
};

enum class OpenMode : uint8_t {
  kReadWrite,  // the single writer; creates the database when create_if_missing
  kFollower,   // a reader in any process, beside a running writer (RocksDB secondary instance)
};

struct Options {
  OpenMode mode = OpenMode::kReadWrite;
  Durability durability = Durability::kSync;
  bool create_if_missing = true;
  // Shared RocksDB block cache for all column families.
  size_t block_cache_bytes = size_t{64} << 20;
  // Entries in the writer's LRU cache of stream versions (memory ~100 bytes per entry).
  size_t stream_cache_entries = size_t{1} << 18;
  // kFollower only: where the secondary instance keeps its own info log. Empty: a fresh private
  // directory under $TMPDIR, removed on close.
  std::string follower_path;
  // Folded inline by the writer (see crm/projection.h). A follower uses only its name and
  // version, to refuse reading projections built by a different one. nullptr: none.
  std::shared_ptr<Projector> projector;
  // Called while the writer's open rebuilds or catches up the projections: (events done, total),
  // every few thousand events and once at the end.
  std::function<void(uint64_t, uint64_t)> projection_progress;
  // Applied by every reader (log, stream, subscription, ReadEvent): old payload versions are
  // handed out in the newest shape. nullptr: events are handed out as stored.
  std::shared_ptr<const Upcaster> upcaster;
};

// What the appender expects the stream's current version to be.
class ExpectedVersion {
 public:
  enum class Kind : uint8_t { kAny, kNoStream, kExists, kExact };

  static ExpectedVersion Any() { return ExpectedVersion(Kind::kAny, 0); }
  static ExpectedVersion NoStream() { return ExpectedVersion(Kind::kNoStream, 0); }
  static ExpectedVersion Exists() { return ExpectedVersion(Kind::kExists, 0); }
  // Exactly(0) is the same as NoStream().
  static ExpectedVersion Exactly(uint64_t version) {
    return version == 0 ? NoStream() : ExpectedVersion(Kind::kExact, version);
  }

  Kind kind() const { return kind_; }
  uint64_t version() const { return version_; }
  // Whether a stream currently at `current` (0 = no stream) satisfies this expectation.
  bool Matches(uint64_t current) const;
  std::string ToString() const;  // "any", "no_stream", "exists", or the number

 private:
  ExpectedVersion(Kind kind, uint64_t version) : kind_(kind), version_(version) {}
  Kind kind_;
  uint64_t version_;
};

struct StreamEvents {
  std::string stream;  // "<kind>-<id>"; non-empty, at most 512 bytes, no control characters
  ExpectedVersion expected = ExpectedVersion::Any();
  // May be empty: the stream is then only a condition of the append (its expected version must
  // hold, as for a stream written to), e.g. the state a decision was based on.
  std::vector<EventData> events;
};

// A directed relation between two streams ("account-A1" -> "contact-C1"), stored with the append
// that makes it. Relations are never removed; a later one to the same target is a no-op.
struct StreamLink {
  std::string from;
  std::string to;
};

// A rejection to remember under the request's command_id, so that a retry of the command gets the
// same answer (command-level idempotency). Codes are the caller's (e.g. "RULE_VIOLATION").
struct Rejection {
  std::string code;
  std::string message;
};

// One atomic append: all events of all streams, and the links, or nothing. A stream may appear
// once. At least one event overall, except:
//   * with `rejection` set (then streams must be empty): records the rejection;
//   * with a command_id and only condition streams: records that the command changed nothing
//     (its result has no positions; the first stream is the command's own).
struct AppendRequest {
  std::vector<StreamEvents> streams;
  std::vector<StreamLink> links;
  std::optional<Rejection> rejection;  // requires command_id
  // Idempotency key. If set and a previous append with this id committed, Append returns that
  // first result (duplicate = true) and appends nothing. If empty, a UUID is generated.
  std::string command_id;
  std::string correlation_id;  // empty: the command_id
  std::string causation_id;    // empty: the command_id
  std::string actor = "system";
  // Business time in microseconds since the epoch; 0 means "when recorded".
  int64_t occurred_at_us = 0;
};

struct StreamAppendResult {
  std::string stream;
  uint64_t first_version = 0;
  uint64_t last_version = 0;
};

struct AppendResult {
  uint64_t first_position = 0;  // 0 when nothing was appended (a rejection record)
  uint64_t last_position = 0;
  std::vector<StreamAppendResult> streams;  // in request order; condition-only streams included
  std::string command_id;
  bool duplicate = false;  // true: an earlier append with this command_id; nothing was appended
  // Set when the first result of this command_id was a recorded rejection.
  std::optional<Rejection> rejection;
};

// Which events a log reader yields. Default: all.
class TypeFilter {
 public:
  TypeFilter() = default;
  static TypeFilter Only(std::initializer_list<fb::Payload> types);
  void Add(fb::Payload type);
  bool Accepts(fb::Payload type) const;
  bool all() const { return all_; }

 private:
  bool all_ = true;
  std::vector<bool> accepted_;  // indexed by the union's wire value
};

// A forward or backward reader. Next() yields the next event, std::nullopt at a clean end, or
// kCorruption naming the position of a record that failed verification; after a corruption the
// reader has moved past that record, so calling Next() again continues with the following one.
class EventReader {
 public:
  virtual ~EventReader() = default;
  // The returned view is valid until the next call to Next() or the reader's destruction.
  virtual Result<std::optional<EventView>> Next() = 0;
};

enum class Direction : uint8_t { kForward, kBackward };

// Catches up from a position, then follows live appends of the writer in this process: every
// committed event at or after the start position is delivered exactly once, in position order.
class Subscription {
 public:
  virtual ~Subscription() = default;
  // Waits up to `timeout` for the next event: the event, std::nullopt on timeout, or an error
  // (kCorruption naming the position; the subscription then stays at that position).
  // The view is valid until the next call to Next().
  virtual Result<std::optional<EventView>> Next(std::chrono::milliseconds timeout) = 0;
  // The position the next delivered event will have.
  virtual uint64_t next_position() const = 0;
};

struct VerifyReport {
  uint64_t events = 0;          // records checked
  uint64_t streams = 0;         // streams seen in the index
  uint64_t last_position = 0;
  uint64_t bad_records = 0;     // records that failed any check
  // The first problem found, if any.
  uint64_t first_bad_position = 0;  // 0 when the problem is not tied to a position
  std::string first_problem;
  bool ok() const { return bad_records == 0 && first_problem.empty(); }
};

struct StoreStats {
  uint64_t last_position = 0;
  uint64_t events = 0;
  uint64_t streams = 0;
  uint64_t unreadable = 0;  // records that fail verification (run Verify() for details)
  std::vector<std::pair<std::string, uint64_t>> events_by_type;  // sorted by name
  struct Kind {
    std::string kind;
    uint64_t streams = 0;
    uint64_t events = 0;
  };
  std::vector<Kind> by_kind;  // sorted by kind
  uint64_t bytes_on_disk = 0;      // every file in the database directory
  uint64_t live_sst_bytes = 0;     // RocksDB's live SST files
  uint64_t idempotency_keys = 0;   // RocksDB's estimate
};

class EventStore {
 public:
  // Opens (or, for kReadWrite with create_if_missing, creates) the database in `dir`.
  // Errors: kNotFound (no database and not creating), kBusy (another process holds the writer
  // lock), kCorruption (unreadable metadata or a newer on-disk format), kIOError.
  static Result<std::unique_ptr<EventStore>> Open(const std::string& dir, const Options& options);

  virtual ~EventStore() = default;
  EventStore(const EventStore&) = delete;
  EventStore& operator=(const EventStore&) = delete;

  // Appends atomically. Errors: kInvalidArgument (malformed request), kConcurrencyConflict
  // (an expected version did not match; nothing appended), kNotSupported (follower),
  // kIOError (storage failed; this and every later append fail until the store is reopened).
  // A rejected append never affects other appends committed in the same group.
  virtual Result<AppendResult> Append(AppendRequest request) = 0;

  // Appends several independent requests in one group (one RocksDB write, one fsync): each is
  // decided on its own, in order, seeing the effects of the earlier ones; results are in request
  // order. For pipelines (crm exec) that have many commands ready at once.
  // kStopAtFirstFailure: once one request fails or turns out to be a duplicate, the later ones
  // are not applied (kAborted) -- for pipelines whose later requests were decided assuming the
  // earlier ones commit.
  enum class BatchMode : uint8_t { kIndependent, kStopAtFirstFailure };
  virtual std::vector<Result<AppendResult>> AppendBatch(
      std::vector<AppendRequest> requests, BatchMode mode = BatchMode::kIndependent) = 0;

  // The streams `from` links to, in the order of the link's key (stream name).
  virtual Result<std::vector<std::string>> Links(std::string_view from) = 0;

  // The first result of the command with this id, if it committed.
  virtual Result<std::optional<AppendResult>> LookupCommand(std::string_view command_id) = 0;

  // The stream's current version; 0 if it does not exist.
  virtual Result<uint64_t> StreamVersion(std::string_view stream) = 0;

  // The position of the last committed event (0 for an empty log). For a follower: as of the
  // last CatchUp().
  virtual uint64_t LastPosition() const = 0;

  // The whole log from `from_position` (inclusive) in position order.
  virtual Result<std::unique_ptr<EventReader>> ReadLog(uint64_t from_position,
                                                       TypeFilter filter = {}) = 0;

  // The log from `from_position` to `upto`, both inclusive (upto 0: to the end). A follower
  // tails the writer with it: CatchUp(), then read up to the LastPosition() that CatchUp()
  // loaded, then continue from the position after it -- every event is read exactly once,
  // whatever arrives while a range is being read.
  virtual Result<std::unique_ptr<EventReader>> ReadLogRange(uint64_t from_position, uint64_t upto,
                                                            TypeFilter filter = {}) = 0;

  // One stream from `from_version` (inclusive; kBackward with UINT64_MAX starts at the end),
  // at most `max_count` events.
  virtual Result<std::unique_ptr<EventReader>> ReadStream(std::string_view stream,
                                                          uint64_t from_version,
                                                          Direction direction,
                                                          uint64_t max_count = UINT64_MAX) = 0;

  // REQUIRES: kReadWrite. See Subscription.
  virtual Result<std::unique_ptr<Subscription>> Subscribe(uint64_t from_position,
                                                          TypeFilter filter = {}) = 0;

  // kFollower: catches up with the writer's committed data (whole appends only: an append is
  // one RocksDB write batch) and reloads LastPosition(). Cheap when nothing changed (a poll
  // every few milliseconds is fine). No-op for the writer. Errors: kIOError, kCorruption.
  virtual Status CatchUp() = 0;

  // Checks the whole log: every record verifies, keys match stamps, positions gap-free from 1,
  // the hash chain is intact, stream versions are gap-free and the stream index agrees with the
  // log both ways. Problems are reported in the VerifyReport; the Status is for failures to read.
  virtual Result<VerifyReport> Verify() = 0;

  virtual Result<StoreStats> Stats() = 0;

  // A consistent snapshot of the projections (all rows as of one commit) and the position they
  // are folded up to. Errors: kNotSupported (no projector configured; the projections on disk
  // were built by a different projector name/version; or they are behind the log, e.g. being
  // rebuilt: opening the database for writing brings them up to date), kIOError.
  struct ProjectionSnapshot {
    std::unique_ptr<ProjectionReader> reader;
    uint64_t checkpoint = 0;
  };
  virtual Result<ProjectionSnapshot> ReadProjections() = 0;

  // (events done, total), every few thousand events and once at the end.
  using Progress = std::function<void(uint64_t done, uint64_t total)>;

  // Drops the projections and folds the whole log into them again, in batches, each with its
  // checkpoint: interrupted (even by SIGKILL), the next writable open finishes the rebuild, and
  // readers refuse the projections until it has (they are behind the log). Appends wait.
  // REQUIRES: kReadWrite with a projector (else kNotSupported). Errors: kIOError, kCorruption.
  virtual Status RebuildProjections(const Progress& progress = {}) = 0;

  // Projections folded aside, in a private temporary store removed on destruction.
  class ProjectionSet {
   public:
    virtual ~ProjectionSet() = default;
    virtual ProjectionReader& reader() = 0;
    virtual uint64_t checkpoint() const = 0;  // the last position folded
  };
  // Folds events 1..upto (0: the whole log) with `projector` (a fresh one: its caches must be
  // empty) into a private temporary store; the live projections are not touched. For
  // `replay --verify` and reads as of a past position. Works on followers.
  // Errors: kInvalidArgument (upto beyond the log), kCorruption (an event fails verification),
  // kIOError.
  // `include`, if set, picks the events to fold (e.g. by business time); the others are skipped.
  virtual Result<std::unique_ptr<ProjectionSet>> BuildProjectionsAside(
      std::shared_ptr<Projector> projector, uint64_t upto, const Progress& progress = {},
      const std::function<bool(const EventView&)>& include = {}) = 0;

  // One event by position; std::nullopt if there is none. Errors: kCorruption, kIOError.
  virtual Result<std::optional<RecordedEvent>> ReadEvent(uint64_t position) = 0;

  // A consistent copy of the whole database in `dir` (which must not exist yet), openable as a
  // database of its own: SST files are hard-linked when `dir` is on the same file system (copied
  // otherwise) and the write-ahead log is copied, so the live database is not changed. For work
  // that must not touch the database, e.g. `crm import --dry-run` runs on such a copy.
  // REQUIRES: kReadWrite (else kNotSupported). Errors: kInvalidArgument (`dir` exists), kIOError.
  virtual Status Checkpoint(const std::string& dir) = 0;

  virtual Durability durability() const = 0;
  virtual const std::string& path() const = 0;

 protected:
  EventStore() = default;
};

}  // namespace crm
