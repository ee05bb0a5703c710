// Replay and time travel (DESIGN "Replay and time travel"): rebuilding and verifying the
// projections from the log, and reading any past state.
//
// Threads: functions take the store and use it from the calling thread only. Each call opens its
// own readers; none outlives the call except the returned values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crm/event_store.h"
#include "crm/projections.h"

namespace crm {

// ---- schema evolution ----------------------------------------------------------------------

// Upcasts every old payload version this build knows (today: AccountNoteAdded v1 -> v2, which
// derives `mentions` from the text). Give it to Options::upcaster of every open.
std::shared_ptr<const Upcaster> MakeCrmUpcaster();

// ---- replay --verify ----------------------------------------------------------------------

// The live projections compared with a rebuild folded aside from the same events.
struct ProjectionComparison {
  struct Family {
    std::string name;            // "state", "lists", "history"
    uint64_t live_rows = 0, rebuilt_rows = 0;
    std::string live_digest, rebuilt_digest;  // SHA-256 over (key, value) pairs, hex
    bool equal() const { return live_digest == rebuilt_digest && live_rows == rebuilt_rows; }
  };
  uint64_t position = 0;  // both are folds of events 1..position
  std::vector<Family> families;
  // The first key (in key order) that differs, when any does.
  std::string first_family;
  std::string first_key;      // printable: non-printable bytes as \xNN
  std::string first_problem;  // "missing from the live projections", "…rebuilt…", "values differ"
  bool equal() const { return first_key.empty(); }
};

// Rebuilds the projections aside (a private temporary store) from the events the live ones
// reflect, then compares digests per family and finds the first differing key.
// Errors: as EventStore::ReadProjections and BuildProjectionsAside.
Result<ProjectionComparison> CompareProjections(EventStore& store,
                                                const EventStore::Progress& progress = {});

// ---- time travel --------------------------------------------------------------------------

// A point in the past. System time (`recorded_at`) maps to a position: the log is in recorded
// order. Business time (`occurred_at`) does not (imports backdate events): it selects the events
// that had occurred by then.
struct PointInTime {
  enum class Kind : uint8_t { kPosition, kRecordedAt, kOccurredAt };
  Kind kind = Kind::kPosition;
  uint64_t position = 0;  // kPosition
  int64_t time_us = 0;    // kRecordedAt, kOccurredAt

  static PointInTime AtPosition(uint64_t p) { return {Kind::kPosition, p, 0}; }
  static PointInTime RecordedAt(int64_t t) { return {Kind::kRecordedAt, 0, t}; }
  static PointInTime OccurredAt(int64_t t) { return {Kind::kOccurredAt, 0, t}; }
};

// The last position recorded at or before `time_us` (0: none). O(log n) point reads.
Result<uint64_t> PositionRecordedAt(EventStore& store, int64_t time_us);

// What one GetAsOf did, for tests and benchmarks.
struct TimeTravelStats {
  bool from_snapshot = false;  // started from a stored snapshot of the entity's row
  uint64_t snapshot_position = 0;
  uint64_t events_folded = 0;  // events read from the log and folded, all entities together
};

// The state of one entity as it was. std::nullopt if it did not exist then.
// System time (kPosition, kRecordedAt): the newest snapshot of the entity's row at or before the
// point (CrmProjectorOptions::snapshot_every), then the events after it: its own stream's for
// most kinds; for an account, the events of its history (they are what changed it), each folded
// with the rows of the entities it involves as they were just before it. So a read folds a
// bounded number of events however long the entity's past (snapshot_every for the entity, and
// at most snapshot_every for each entity such an event involves).
// Business time (kOccurredAt): a filter, not a prefix of the log, so snapshots do not apply; the
// events that had occurred by then are folded from the beginning (for an account: its history).
// Errors: kInvalidArgument (unknown kind, a position beyond the log), kCorruption, kIOError.
Result<std::optional<Doc>> GetAsOf(EventStore& store, CrmReader& live, std::string_view kind,
                                   std::string_view id, const PointInTime& at,
                                   TimeTravelStats* stats = nullptr);

// The history of a stream as it stood then (entries that had joined it by then), newest first,
// paged like CrmReader::History. Errors: kNotFound (no such entity now), kInvalidArgument, ….
Result<std::vector<Doc>> HistoryAsOf(EventStore& store, CrmReader& live, std::string_view stream,
                                     size_t limit, uint64_t before, const PointInTime& at);

// A report as it would have printed then: the projections folded aside up to that point.
Result<std::vector<Doc>> ReportAsOf(EventStore& store, std::string_view name,
                                    const ReportOptions& options, const PointInTime& at,
                                    const EventStore::Progress& progress = {});

}  // namespace crm
