// Time travel: state, history and reports as they were at a past position or time.
//
// An entity's own fields are a fold of its own stream. An account's derived fields (counters,
// revenue, last activity) also depend on everything linked to it, and its history lists exactly
// those events (with late links backfilled): so the account as it was is the CRM projector run in
// memory over the events of its history, up to the point.
//
// System time reads start from the newest snapshot of the row at or before the point (the
// projector keeps one every CrmProjectorOptions::snapshot_every changes of a row, `p:` keys) and
// fold only what follows it:
// - any kind but account: its own stream's events after the snapshot;
// - an account: the events of its history after the snapshot that joined it natively (an entry
//   a later link brought in is applied by that link's backfill, as the live projector did). Each
//   is applied by a fresh in-memory projector that reads the account's row as folded so far, and
//   every other row as it was just before the event (PointInTimeRows below): the live projector
//   saw exactly those rows when it applied the event, so the result is the live row of then.
#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <unordered_map>

#include <flatbuffers/flatbuffers.h>

#include "crm/replay.h"
#include "projections/src/fold.h"
#include "projections/src/keys.h"
#include "projections/src/queries_internal.h"
#include "projections/src/record.h"
#include "crm/schemas/projections_generated.h"

namespace crm {
namespace {

using proj::Kind;
using proj::Record;

// Events folded per flush of the in-memory projector.
constexpr size_t kFlushEvery = 4096;

// Projection rows in memory, for one point-in-time fold.
class MapStore final : public ProjectionReader, public ProjectionWriter {
 public:
  Result<std::optional<std::string>> Get(std::string_view key) override {
    auto it = rows_.find(key);
    if (it == rows_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  Status Scan(std::string_view prefix, std::string_view start,
              const std::function<bool(std::string_view, std::string_view)>& fn) override {
    for (auto it = rows_.lower_bound(std::max(prefix, start));
         it != rows_.end() && std::string_view(it->first).starts_with(prefix); ++it) {
      if (!fn(it->first, it->second)) break;
    }
    return Status::Ok();
  }
  void Put(std::string_view key, std::string_view value) override {
    rows_[std::string(key)] = std::string(value);
  }
  void Delete(std::string_view key) override {
    if (auto it = rows_.find(key); it != rows_.end()) rows_.erase(it);
  }

 private:
  std::map<std::string, std::string, std::less<>> rows_;
};

// The last position the point covers: everything after it is out (kOccurredAt: the whole log,
// filtered per event by Includes).
Result<uint64_t> Upto(EventStore& store, const PointInTime& at) {
  switch (at.kind) {
    case PointInTime::Kind::kPosition:
      if (at.position > store.LastPosition()) {
        return Status::InvalidArgument("position " + std::to_string(at.position) +
                                       " is beyond the end of the log (" +
                                       std::to_string(store.LastPosition()) + ")");
      }
      return at.position;
    case PointInTime::Kind::kRecordedAt: return PositionRecordedAt(store, at.time_us);
    case PointInTime::Kind::kOccurredAt: return store.LastPosition();
  }
  return uint64_t{0};
}

bool Includes(const EventView& e, const PointInTime& at, uint64_t upto) {
  if (e.position > upto) return false;
  return at.kind != PointInTime::Kind::kOccurredAt || e.occurred_at_us() <= at.time_us;
}

// The event at position `p` of `stream`'s history; a position the log does not have is
// corruption of the history.
Result<RecordedEvent> ReadHistoryEvent(EventStore& store, std::string_view stream, uint64_t p) {
  auto e = store.ReadEvent(p);
  if (!e.ok()) return e.status();
  if (!e->has_value()) {
    return Status::Corruption("the history of " + std::string(stream) + " names position " +
                              std::to_string(p) + ", which is not in the log");
  }
  return std::move(**e);
}

// Business time. An account as it was: its history's events that had occurred by then, folded in
// memory.
Result<std::optional<Record>> FoldThroughHistory(EventStore& store, CrmReader& live,
                                                 std::string_view stream, const PointInTime& at,
                                                 uint64_t upto, TimeTravelStats* stats) {
  std::vector<uint64_t> positions;
  Status error;
  CRM_RETURN_IF_ERROR(live.rows().Scan(
      proj::keys::HistoryPrefix(stream), upto > 0 ? proj::keys::History(stream, upto) : "",
      [&](std::string_view k, std::string_view) {
        positions.push_back(proj::keys::HistoryPosition(k));
        return true;
      }));
  if (upto == 0) positions.clear();
  std::reverse(positions.begin(), positions.end());  // oldest first
  MapStore rows;
  auto projector = MakeCrmProjector(positions.size() + 16);
  size_t pending = 0;
  for (uint64_t p : positions) {
    auto e = ReadHistoryEvent(store, stream, p);
    if (!e.ok()) return e.status();
    EventView view = e->view();
    if (!Includes(view, at, upto)) continue;
    CRM_RETURN_IF_ERROR(projector->Apply(view, rows));
    if (stats) ++stats->events_folded;
    if (++pending == kFlushEvery) {
      projector->Flush(rows);
      projector->Committed();
      pending = 0;
    }
  }
  projector->Flush(rows);
  projector->Committed();
  return proj::ReadRow(rows, stream);
}

// Folds into `row` the events of `stream` from version `from_version` at positions up to `upto`
// that `take` accepts (given the row as folded so far).
Status FoldStreamInto(EventStore& store, std::string_view stream, uint64_t from_version,
                      uint64_t upto,
                      const std::function<bool(const EventView&, const Record&)>& take,
                      Record* row, TimeTravelStats* stats) {
  auto reader = store.ReadStream(stream, from_version, Direction::kForward);
  if (!reader.ok()) return reader.status();
  while (true) {
    auto next = (*reader)->Next();
    if (!next.ok()) return next.status();
    if (!next->has_value()) break;
    const EventView& e = **next;
    if (e.position > upto) break;
    if (!take(e, *row)) continue;
    proj::FoldOwn(e, row);
    if (stats) ++stats->events_folded;
  }
  return Status::Ok();
}

// Business time. Any other entity as it was: a fold of its own stream's events that had occurred
// by then.
Result<std::optional<Record>> FoldOwnStream(EventStore& store, Kind kind, std::string_view stream,
                                            const PointInTime& at, uint64_t upto,
                                            TimeTravelStats* stats) {
  Record row = Record::Empty(kind);
  CRM_RETURN_IF_ERROR(FoldStreamInto(
      store, stream, 1, upto,
      [&](const EventView& e, const Record& folded) {
        // Not created by then (business time): the creation had not occurred yet.
        return Includes(e, at, upto) && (folded.exists() || e.version() == 1);
      },
      &row, stats));
  if (!row.exists()) return std::optional<Record>();
  return std::optional<Record>(std::move(row));
}


// ---- snapshots (system time) ----------------------------------------------------------------

struct Snapshot {
  uint64_t position = 0;  // 0: none
  Record row;
};

// The newest snapshot of `stream` at or before `upto`, or none.
Result<Snapshot> NewestSnapshot(ProjectionReader& rows, std::string_view stream, Kind kind,
                                uint64_t upto) {
  Snapshot snap;
  snap.row = Record::Empty(kind);
  if (upto == 0) return snap;
  Status error;
  CRM_RETURN_IF_ERROR(rows.Scan(
      proj::keys::SnapshotPrefix(stream), proj::keys::Snapshot(stream, upto),
      [&](std::string_view k, std::string_view v) {
        auto r = proj::DecodeRecord(v);
        if (!r.ok() || r->kind != kind) {
          error = Status::Corruption("snapshot of " + std::string(stream) + " at position " +
                                     std::to_string(proj::keys::HistoryPosition(k)) +
                                     " fails verification (run `crm replay` to rebuild)");
          return false;
        }
        snap.position = proj::keys::HistoryPosition(k);
        snap.row = std::move(r).value();
        return false;  // the first is the newest
      }));
  if (!error.ok()) return error;
  return snap;
}

// Own-stream rows as of a position, from their newest snapshot. Remembers the last row of each
// stream, so the rows of one entity asked for at increasing positions (an account's history in
// order) are folded on from where the previous read stopped, unless a newer snapshot is nearer.
// For an account this is its own fields only (its derived ones are those of the snapshot).
class OwnRows {
 public:
  OwnRows(EventStore& store, ProjectionReader& live, TimeTravelStats* stats)
      : store_(store), live_(live), stats_(stats) {}

  // `snapshot`: the newest snapshot at or before `upto` if the caller has read it already.
  Result<Record> At(std::string_view stream, Kind kind, uint64_t upto,
                    std::optional<Snapshot> snapshot = std::nullopt) {
    auto it = memo_.find(std::string(stream));
    if (!snapshot) {
      auto snap = NewestSnapshot(live_, stream, kind, upto);
      if (!snap.ok()) return snap.status();
      snapshot = std::move(snap).value();
    }
    Folded start;
    if (it != memo_.end() && it->second.upto <= upto && it->second.upto >= snapshot->position) {
      start = it->second;
    } else {
      start.row = std::move(snapshot->row);
      start.upto = snapshot->position;
    }
    CRM_RETURN_IF_ERROR(FoldOn(stream, upto, &start));
    Record out = start.row;
    memo_[std::string(stream)] = std::move(start);
    return out;
  }

 private:
  struct Folded {
    Record row;
    uint64_t upto = 0;  // every event of the stream at or before this position is in `row`
  };

  Status FoldOn(std::string_view stream, uint64_t upto, Folded* f) {
    if (upto > f->upto) {
      const uint64_t folded_upto = f->upto;
      CRM_RETURN_IF_ERROR(FoldStreamInto(
          store_, stream, f->row.version + 1, upto,
          // Already in the row? (defensive: the versions agree)
          [folded_upto](const EventView& e, const Record&) { return e.position > folded_upto; },
          &f->row, stats_));
    }
    f->upto = std::max(f->upto, upto);
    return Status::Ok();
  }

  EventStore& store_;
  ProjectionReader& live_;
  TimeTravelStats* stats_;
  std::unordered_map<std::string, Folded> memo_;
};

// The rows an in-memory projector reads while it applies one event of an account's history:
// the account's own row as folded so far, and everything else as it was just before the event
// (`SetNow`): other rows from their snapshots and own streams, history entries that had joined
// by then. What the projector writes is kept for the account's row only.
class PointInTimeRows final : public ProjectionReader, public ProjectionWriter {
 public:
  PointInTimeRows(ProjectionReader& live, OwnRows& own, std::string target, Record row)
      : live_(live), own_(own), target_(std::move(target)),
        target_key_(proj::keys::State(target_)), row_(proj::EncodeRecord(row)) {}

  void SetNow(uint64_t position) { before_ = position - 1; }
  const std::string& row() const { return row_; }

  Result<std::optional<std::string>> Get(std::string_view key) override {
    if (key == target_key_) return std::optional<std::string>(row_);
    if (key.starts_with("s:")) {
      const std::string_view stream = key.substr(2);
      auto kind = proj::KindOfStream(stream);
      if (!kind) return std::optional<std::string>();
      auto r = own_.At(stream, *kind, before_);
      if (!r.ok()) return r.status();
      if (!r->exists()) return std::optional<std::string>();
      return std::optional<std::string>(proj::EncodeRecord(*r));
    }
    auto v = live_.Get(key);
    if (!v.ok() || !v->has_value() || !key.starts_with("h:")) return v;
    auto meta = proj::ReadHistoryMeta(HistoryStream(key), key, **v);
    if (!meta.ok()) return meta.status();
    if (meta->added_position > before_) return std::optional<std::string>();
    return v;
  }

  Status Scan(std::string_view prefix, std::string_view start,
              const std::function<bool(std::string_view, std::string_view)>& fn) override {
    if (!prefix.starts_with("h:")) return live_.Scan(prefix, start, fn);
    Status error;
    CRM_RETURN_IF_ERROR(live_.Scan(prefix, start, [&](std::string_view k, std::string_view v) {
      auto meta = proj::ReadHistoryMeta(HistoryStream(k), k, v);
      if (!meta.ok()) {
        error = meta.status();
        return false;
      }
      return meta->added_position > before_ || fn(k, v);
    }));
    return error;
  }

  void Put(std::string_view key, std::string_view value) override {
    if (key == target_key_) row_.assign(value);
  }
  void Delete(std::string_view) override {}

 private:
  static std::string_view HistoryStream(std::string_view key) {
    key.remove_prefix(2);
    return key.substr(0, key.find('\0'));
  }

  ProjectionReader& live_;
  OwnRows& own_;
  const std::string target_, target_key_;
  std::string row_;  // encoded
  uint64_t before_ = 0;
};

// An entity as it was at position `upto`, from its newest snapshot (system time).
Result<std::optional<Record>> RowFromSnapshot(EventStore& store, CrmReader& live, Kind kind,
                                              std::string_view stream, uint64_t upto,
                                              TimeTravelStats* stats) {
  auto snap = NewestSnapshot(live.rows(), stream, kind, upto);
  if (!snap.ok()) return snap.status();
  if (stats) {
    stats->from_snapshot = snap->position > 0;
    stats->snapshot_position = snap->position;
  }
  OwnRows own(store, live.rows(), stats);
  if (kind != Kind::kAccount) {
    auto r = own.At(stream, kind, upto, std::move(snap).value());
    if (!r.ok()) return r.status();
    if (!r->exists()) return std::optional<Record>();
    return std::optional<Record>(std::move(r).value());
  }
  // The history's native entries after the snapshot, up to the point, oldest first.
  std::vector<uint64_t> positions;
  Status error;
  if (upto > snap->position) {
    CRM_RETURN_IF_ERROR(live.rows().Scan(
        proj::keys::HistoryPrefix(stream), proj::keys::History(stream, upto),
        [&](std::string_view k, std::string_view v) {
          const uint64_t p = proj::keys::HistoryPosition(k);
          if (p <= snap->position) return false;
          auto meta = proj::ReadHistoryMeta(stream, k, v);
          if (!meta.ok()) {
            error = meta.status();
            return false;
          }
          if (meta->added_position == p) positions.push_back(p);
          return true;
        }));
    if (!error.ok()) return error;
  }
  std::reverse(positions.begin(), positions.end());
  PointInTimeRows rows(live.rows(), own, std::string(stream), std::move(snap->row));
  CrmProjectorOptions options;
  options.cache_entries = 1;
  options.snapshot_every = 0;
  for (uint64_t p : positions) {
    auto e = ReadHistoryEvent(store, stream, p);
    if (!e.ok()) return e.status();
    rows.SetNow(p);
    // A fresh projector for each event: it must not keep rows across events, since every row
    // but the account's is re-read as of the next event.
    auto projector = MakeCrmProjector(options);
    CRM_RETURN_IF_ERROR(projector->Apply(e->view(), rows));
    projector->Flush(rows);
    projector->Committed();
    if (stats) ++stats->events_folded;
  }
  auto r = proj::DecodeRecord(rows.row());
  if (!r.ok()) return r.status();
  if (!r->exists()) return std::optional<Record>();
  return std::optional<Record>(std::move(r).value());
}

}  // namespace

Result<uint64_t> PositionRecordedAt(EventStore& store, int64_t time_us) {
  // recorded_at never decreases along the log (the writer keeps it monotonic): binary search.
  uint64_t lo = 1, hi = store.LastPosition(), found = 0;
  while (lo <= hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    auto e = store.ReadEvent(mid);
    if (!e.ok()) return e.status();
    if (!e->has_value()) return Status::Corruption("position " + std::to_string(mid) + " is missing");
    if ((*e)->view().recorded_at_us() <= time_us) {
      found = mid;
      lo = mid + 1;
    } else {
      if (mid == 0) break;
      hi = mid - 1;
    }
  }
  return found;
}

Result<std::optional<Doc>> GetAsOf(EventStore& store, CrmReader& live, std::string_view kind,
                                   std::string_view id, const PointInTime& at,
                                   TimeTravelStats* stats) {
  auto k = proj::ParseKind(kind);
  if (!k.ok()) return k.status();
  auto upto = Upto(store, at);
  if (!upto.ok()) return upto.status();
  const std::string stream = StreamName(kind, id);
  Result<std::optional<Record>> row =
      at.kind != PointInTime::Kind::kOccurredAt
          ? RowFromSnapshot(store, live, *k, stream, *upto, stats)
      : *k == Kind::kAccount ? FoldThroughHistory(store, live, stream, at, *upto, stats)
                             : FoldOwnStream(store, *k, stream, at, *upto, stats);
  if (!row.ok()) return row.status();
  if (!row->has_value()) return std::optional<Doc>();
  return std::optional<Doc>(proj::RecordDoc(**row));
}

Result<std::vector<Doc>> HistoryAsOf(EventStore& store, CrmReader& live, std::string_view stream,
                                     size_t limit, uint64_t before, const PointInTime& at) {
  auto kind = proj::KindOfStream(stream);
  if (!kind || !proj::KeepsHistory(*kind)) {
    return Status::InvalidArgument("'" + std::string(stream) +
                                   "' has no history: accounts, contacts and leads do");
  }
  auto exists = proj::ReadRow(live.rows(), stream);
  if (!exists.ok()) return exists.status();
  if (!exists->has_value()) return Status::NotFound(std::string(stream) + " does not exist");
  auto upto = Upto(store, at);
  if (!upto.ok()) return upto.status();
  std::vector<Doc> out;
  uint64_t bound = *upto;  // newest position to consider
  if (before > 0) bound = std::min(bound, before - 1);
  if (bound == 0) return out;
  Status error;
  CRM_RETURN_IF_ERROR(live.rows().Scan(
      proj::keys::HistoryPrefix(stream), proj::keys::History(stream, bound),
      [&](std::string_view k, std::string_view v) {
        proj::HistoryMeta meta;
        auto d = proj::HistoryDoc(stream, k, v, &meta);
        if (!d.ok()) {
          error = d.status();
          return false;
        }
        const bool in = at.kind == PointInTime::Kind::kOccurredAt
                            ? meta.occurred_at_us <= at.time_us
                            : meta.added_position <= *upto;  // had joined this history by then
        if (in) out.push_back(std::move(d).value());
        return limit == 0 || out.size() < limit;
      }));
  if (!error.ok()) return error;
  return out;
}

Result<std::vector<Doc>> ReportAsOf(EventStore& store, std::string_view name,
                                    const ReportOptions& options, const PointInTime& at,
                                    const EventStore::Progress& progress) {
  if (std::find(ReportNames().begin(), ReportNames().end(), name) == ReportNames().end()) {
    return Status::InvalidArgument("unknown report '" + std::string(name) +
                                   "' (allowed: pipeline, conversion, tickets, revenue, inactive)");
  }
  auto upto = Upto(store, at);
  if (!upto.ok()) return upto.status();
  ReportOptions o = options;
  if (o.now_us == 0 && at.kind != PointInTime::Kind::kPosition) o.now_us = at.time_us;
  if (*upto == 0) {
    // Before the first event: every report over no rows.
    class Empty final : public EventStore::ProjectionSet {
     public:
      ProjectionReader& reader() override { return rows_; }
      uint64_t checkpoint() const override { return 0; }

     private:
      MapStore rows_;
    };
    return CrmReader::Open(std::make_unique<Empty>())->Report(name, o);
  }
  std::function<bool(const EventView&)> include;
  if (at.kind == PointInTime::Kind::kOccurredAt) {
    include = [t = at.time_us](const EventView& e) { return e.occurred_at_us() <= t; };
  }
  auto set = store.BuildProjectionsAside(MakeCrmProjector(), *upto, progress, include);
  if (!set.ok()) return set.status();
  return CrmReader::Open(std::move(set).value())->Report(name, o);
}

}  // namespace crm
