// The CRM's read side (SPEC §4): current state, lists, the account activity history, the audit
// trail and reports, all served from projections the writer maintains inline (crm/projection.h).
//
// Wiring: give MakeCrmProjector() to the writer's Options::projector (and to followers', which use
// only its name and version); then open a CrmReader on the store for each consistent read.
//
// Threads: a CrmReader is a snapshot (on a follower: the follower's view, which moves only when
// EventStore::CatchUp is called -- do not call it while a CrmReader is in use); use it from one
// thread at a time. It must not outlive its
// EventStore. Any number of CrmReaders may be open, in the writer's process or in followers.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crm/event_store.h"
#include "crm/projection.h"

namespace crm {

inline constexpr std::string_view kProjectorName = "crm";
// Bump on any change to what the projector stores (fields, keys, summaries): the next writable
// open then rebuilds the projections from the log.
inline constexpr uint32_t kProjectorVersion = 5;  // 2: note summaries name their mentions
                                                  // 3: match index (account e-mail and phone,
                                                  //    contact e-mail) for duplicate detection
                                                  // 4: row snapshots (p:) and StateRow.touches
                                                  // 5: StateRow.packed (fields packed, 2.5x
                                                  //    smaller rows)

struct CrmProjectorOptions {
  // Its LRU of decoded rows holds at most this many rows.
  size_t cache_entries = size_t{1} << 16;
  // A snapshot of a row is kept every this many events that changed it (its own events, and for
  // an account every event of its history), so that a point-in-time read (crm/replay.h GetAsOf)
  // folds fewer than this many events of the entity after the snapshot. 0: no snapshots.
  // Reads are correct whatever the value the rows were written with; only the bound changes.
  uint64_t snapshot_every = 64;
};

std::shared_ptr<Projector> MakeCrmProjector(const CrmProjectorOptions& options);
inline std::shared_ptr<Projector> MakeCrmProjector(size_t cache_entries = size_t{1} << 16) {
  CrmProjectorOptions o;
  o.cache_entries = cache_entries;
  return MakeCrmProjector(o);
}

// One output row: named fields in a fixed order, each as a JSON literal and as plain text (for
// tables and CSV: strings unquoted, null empty).
struct Doc {
  struct Field {
    std::string name;
    std::string json;
    std::string text;
  };
  std::vector<Field> fields;

  void Add(std::string name, std::string json, std::string text);
  const Field* Find(std::string_view name) const;
  std::string ToJson() const;  // one JSON object, no newline
};

// One page of a stream's history (CrmReader::HistoryEntries), newest first, as stored: the
// entries' bytes, each verified, in one buffer, read through zero-copy views. Nothing is rendered
// until asked (ToDoc, AppendJson), so a page costs a seek, one copy per entry and its check.
// Move-only: the views point into the page's own buffer.
class HistoryPage {
 public:
  struct Entry {
    uint64_t position = 0;       // the event's global position
    int64_t occurred_at_us = 0;  // business time
    int64_t recorded_at_us = 0;  // system time
    std::string_view actor, stream, type, summary;
  };

  HistoryPage() = default;
  HistoryPage(HistoryPage&&) noexcept = default;
  HistoryPage& operator=(HistoryPage&&) noexcept = default;
  HistoryPage(const HistoryPage&) = delete;
  HistoryPage& operator=(const HistoryPage&) = delete;

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  const Entry& operator[](size_t i) const { return entries_[i]; }
  std::vector<Entry>::const_iterator begin() const { return entries_.begin(); }
  std::vector<Entry>::const_iterator end() const { return entries_.end(); }

  // The entry as `crm history` prints it: {position, occurred_at, recorded_at, actor, stream,
  // type, summary}.
  static Doc ToDoc(const Entry& e);
  // ToDoc(e).ToJson() appended to `out`, without building the Doc.
  static void AppendJson(const Entry& e, std::string* out);

 private:
  friend class CrmReader;
  std::vector<char> bytes_;      // the stored values, back to back
  std::vector<Entry> entries_;  // views into bytes_
};

struct ListQuery {
  std::string kind;  // "account", "contact", ... (SPEC §1 stream kinds)
  // (filter, value): type, status, industry, owner, stage, priority (equality, case-insensitive)
  // and name (case-insensitive prefix). Which a kind supports: ListFilters(kind).
  std::vector<std::pair<std::string, std::string>> filters;
  size_t limit = 0;        // 0: no limit
  std::string after_id;    // paging: only ids greater than this
};

// How an entity's state becomes a Doc.
struct DocOptions {
  // Each address as five fields "<field>.street", ".city", ".state", ".postal_code", ".country"
  // (JSON strings or null) instead of one object whose text joins the parts: what `crm export`
  // writes, so that a CSV keeps every part in its own column.
  bool flat_addresses = false;
  // A last field "version" (the entity stream's version), as `get` and `list` print.
  bool version = true;
};

// The field names of the rows of `kind` under `options`, in order (a CSV header for a kind
// without entities). Errors: kInvalidArgument (unknown kind).
Result<std::vector<std::string>> DocColumns(std::string_view kind, const DocOptions& options = {});

// Duplicate detection (`crm import`): the match keys the projections index, and how a value is
// normalised for each -- account "name" (ASCII case-insensitive), account "email"
// (case-insensitive, surrounding spaces ignored), account "phone" (its digits; fewer than 3
// digits never match), contact "email". Returns "" for a value that matches nothing.
std::string MatchValue(std::string_view key, std::string_view value);
// Whether `kind` is indexed by match key `key`.
bool HasMatchKey(std::string_view kind, std::string_view key);

struct ReportOptions {
  int days = 30;        // `inactive`: accounts without a history entry in the last `days` days
  int64_t now_us = 0;   // "now" for `inactive`; 0: the wall clock
};

// Names of the reports: pipeline, conversion, tickets, revenue, inactive.
const std::vector<std::string_view>& ReportNames();
// The list filters a kind supports; empty for an unknown kind.
std::vector<std::string_view> ListFilters(std::string_view kind);

class CrmReader {
 public:
  // A consistent snapshot of the projections. Errors: as EventStore::ReadProjections.
  static Result<std::unique_ptr<CrmReader>> Open(EventStore& store);
  // Reads projections folded aside (EventStore::BuildProjectionsAside), e.g. as of a past
  // position; takes ownership.
  static std::unique_ptr<CrmReader> Open(std::unique_ptr<EventStore::ProjectionSet> set);
  ~CrmReader();

  // The position of the last event the snapshot reflects.
  uint64_t position() const;

  // The current state of one entity, or std::nullopt if it does not exist.
  // Errors: kInvalidArgument (unknown kind), kCorruption (a row fails verification), kIOError.
  Result<std::optional<Doc>> Get(std::string_view kind, std::string_view id,
                                 const DocOptions& options = {});
  // The same state as one JSON object, appended to *out: Get's Doc as Doc::ToJson writes it,
  // built straight from the stored row (no Doc). What `crm get` prints. Returns false, appending
  // nothing, if the entity does not exist. Errors: as Get.
  Result<bool> GetJson(std::string_view kind, std::string_view id, std::string* out,
                       const DocOptions& options = {});

  // Entities of a kind in id order. Errors: kInvalidArgument (unknown kind, filter or enum
  // value; the message lists the allowed ones), kCorruption, kIOError.
  Result<std::vector<Doc>> List(const ListQuery& query);

  // List, streamed: calls fn(doc) for each entity in order until fn returns false. Memory stays
  // O(one row) whatever the number of entities (a name-prefix filter collects the matching ids
  // first). Errors: as List.
  Status ForEach(const ListQuery& query, const std::function<bool(Doc&&)>& fn,
                 const DocOptions& options = {});
  // ForEach as JSON: fn gets each entity's JSON object (GetJson's, valid until fn returns),
  // written from the row without a Doc. What `crm list` and `crm export` print as JSON Lines.
  // Errors: as List.
  Status ForEachJson(const ListQuery& query, const std::function<bool(std::string_view json)>& fn,
                     const DocOptions& options = {});

  // Ids of the entities of `kind` whose match key `key` equals MatchValue(key, value), in id
  // order, at most `limit` (0: all). No ids for a value that matches nothing.
  // Errors: kInvalidArgument (HasMatchKey(kind, key) is false), kIOError.
  Result<std::vector<std::string>> FindMatches(std::string_view kind, std::string_view key,
                                               std::string_view value, size_t limit = 0);

  // The history of a stream that keeps one (account-…, also contact-… and lead-…), newest first:
  // at most `limit` entries (0: all) with position < `before` (0: no bound). Each entry:
  // {position, occurred_at, recorded_at, actor, stream, type, summary}.
  // Errors: kNotFound (no such entity), kInvalidArgument, kCorruption, kIOError.
  Result<std::vector<Doc>> History(std::string_view stream, size_t limit, uint64_t before);
  // The same page unrendered (HistoryPage): what `crm history` reads. Errors: as History.
  Result<HistoryPage> HistoryEntries(std::string_view stream, size_t limit, uint64_t before);

  // A report (ReportNames()); rows of one shape per report. Errors: kInvalidArgument (unknown
  // report), kCorruption, kIOError.
  Result<std::vector<Doc>> Report(std::string_view name, const ReportOptions& options);

  // The raw rows of the snapshot (projections/README.md), for replay/ and tools.
  ProjectionReader& rows();

 private:
  struct Impl;
  explicit CrmReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The field-level audit trail of one stream, oldest first: one row per changed field
// {position, recorded_at, actor, type, field, old, new}, computed by folding the stream's events
// (so it is always exactly the log's). `field` non-empty: only that field. Derived fields
// (counters, last_activity_at) are not changes of the entity and are left out.
// Errors: kNotFound (no such stream), kInvalidArgument (a stream of no known kind, unknown
// field), kCorruption (an event fails verification), kIOError.
Result<std::vector<Doc>> Audit(EventStore& store, std::string_view stream, std::string_view field);

}  // namespace crm
