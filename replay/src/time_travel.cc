// Time travel: state, history and reports as they were at a past position or time.
//
// An entity's own fields are a fold of its own stream. An account's derived fields (counters,
// revenue, last activity) also depend on everything linked to it, and its history lists exactly
// those events (with late links backfilled): so the account as it was is the CRM projector run in
// memory over the events of its history, up to the point.
#include <algorithm>
#include <map>

#include "crm/replay.h"
#include "projections/src/fold.h"
#include "projections/src/keys.h"
#include "projections/src/queries_internal.h"
#include "projections/src/record.h"

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

// An account (or any stream with a history) as it was: its history's events, folded in memory.
Result<std::optional<Record>> FoldThroughHistory(EventStore& store, CrmReader& live,
                                                 std::string_view stream, const PointInTime& at,
                                                 uint64_t upto) {
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
    auto e = store.ReadEvent(p);
    if (!e.ok()) return e.status();
    if (!e->has_value()) {
      return Status::Corruption("the history of " + std::string(stream) + " names position " +
                                std::to_string(p) + ", which is not in the log");
    }
    EventView view = (*e)->view();
    if (!Includes(view, at, upto)) continue;
    CRM_RETURN_IF_ERROR(projector->Apply(view, rows));
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

// Any other entity as it was: a fold of its own stream.
Result<std::optional<Record>> FoldOwnStream(EventStore& store, Kind kind, std::string_view stream,
                                            const PointInTime& at, uint64_t upto) {
  auto reader = store.ReadStream(stream, 1, Direction::kForward);
  if (!reader.ok()) return reader.status();
  Record row = Record::Empty(kind);
  while (true) {
    auto next = (*reader)->Next();
    if (!next.ok()) return next.status();
    if (!next->has_value()) break;
    const EventView& e = **next;
    if (e.position > upto) break;
    if (!Includes(e, at, upto)) continue;
    if (!row.exists() && e.version() != 1) continue;  // not created by then (business time)
    proj::FoldOwn(e, &row);
  }
  if (!row.exists()) return std::optional<Record>();
  return std::optional<Record>(std::move(row));
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
                                   std::string_view id, const PointInTime& at) {
  auto k = proj::ParseKind(kind);
  if (!k.ok()) return k.status();
  auto upto = Upto(store, at);
  if (!upto.ok()) return upto.status();
  const std::string stream = StreamName(kind, id);
  auto row = *k == Kind::kAccount ? FoldThroughHistory(store, live, stream, at, *upto)
                                  : FoldOwnStream(store, *k, stream, at, *upto);
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
