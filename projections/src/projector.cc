// The CRM projector: folds every event into state rows, list indexes and histories, inside the
// writer's commit group (crm/projection.h).
//
// Within a group the projector is the only source of truth for rows it has touched: it keeps
// them decoded and pinned in `rows_` (and history entries it wrote in `history_`), reads
// everything else from the committed rows (through `rows_`, an LRU of decoded rows), and turns
// the pinned rows into puts at Flush. Committing a group unpins them: one map holds a row
// whether the group changed it or only read it, so nothing moves between maps per group. Index
// entries are diffed once per group: the keys a row had when the group first touched it against
// the keys it has at Flush.
#include <algorithm>
#include <climits>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "crm/projections.h"
#include "crm/schemas/projections_generated.h"
#include "engine/src/lru_cache.h"
#include "projections/src/fold.h"
#include "projections/src/index.h"
#include "projections/src/keys.h"
#include "projections/src/queries_internal.h"
#include "projections/src/record.h"

namespace crm {
namespace {

using proj::Kind;
using proj::Record;

// History holders are resolved through parents: activity -> contact -> account. Deeper chains
// do not occur in this domain; the bound only guards against cycles in damaged rows.
constexpr int kMaxParentDepth = 4;

std::string EncodeHistoryEntry(const EventView& e, std::string_view summary,
                               uint64_t added_position) {
  thread_local flatbuffers::FlatBufferBuilder fbb(1024);  // reused: one entry per event
  fbb.Clear();
  const fb::Envelope* env = e.envelope;
  auto actor = fbb.CreateString(env->actor() ? env->actor()->string_view() : "");
  auto stream = fbb.CreateString(e.stream());
  auto type = fbb.CreateString(e.type_name());
  auto text = fbb.CreateString(summary);
  fbb.Finish(fb::CreateHistoryEntry(fbb, e.position, e.occurred_at_us(), e.recorded_at_us(),
                                    actor, stream, type, text, added_position));
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

// The history entries a group wrote, in the order written, keys and values in one buffer (no
// allocation per entry). It was an ordered map, for Backfill's range reads: inserting ~48,000
// entries of a rebuild's chunk into it compared keys all the way down the tree, ~8% of the
// rebuilding thread, and the writer sorts them anyway. Backfill, which links are rare enough
// to pay for, asks for one holder's entries: an index by holder is built then, over the entries
// written since it last asked.
class GroupHistory {
 public:
  void Add(std::string_view holder, uint64_t position, std::string_view value) {
    const size_t offset = bytes_.size();
    proj::keys::AppendStreamPositionKey(&bytes_, "h:", holder, position);  // keys::History
    const size_t key_size = bytes_.size() - offset;
    bytes_.append(value);
    entries_.push_back({offset, key_size, value.size()});
  }
  size_t size() const { return entries_.size(); }
  // Valid until the next Add.
  std::string_view key(size_t i) const {
    return {bytes_.data() + entries_[i].offset, entries_[i].key_size};
  }
  std::string_view value(size_t i) const {
    return {bytes_.data() + entries_[i].offset + entries_[i].key_size, entries_[i].value_size};
  }
  // The entries of `holder` so far: their indices, in the order written.
  std::vector<size_t> Of(std::string_view holder) {
    for (; indexed_ < entries_.size(); ++indexed_) {
      by_holder_[std::string(proj::keys::StreamOfPositionKey(key(indexed_)))].push_back(indexed_);
    }
    auto it = by_holder_.find(std::string(holder));
    return it == by_holder_.end() ? std::vector<size_t>() : it->second;
  }
  // Empties it for the next group, keeping its buffers unless a large group grew them.
  void Clear() {
    constexpr size_t kKeepBytes = 64 << 20;
    if (bytes_.capacity() > kKeepBytes) {
      std::string().swap(bytes_);
      std::vector<Entry>().swap(entries_);
    }
    bytes_.clear();
    entries_.clear();
    by_holder_.clear();
    indexed_ = 0;
  }

 private:
  struct Entry {
    size_t offset;
    size_t key_size;
    size_t value_size;
  };
  std::string bytes_;
  std::vector<Entry> entries_;
  std::unordered_map<std::string, std::vector<size_t>> by_holder_;
  size_t indexed_ = 0;  // entries_[0, indexed_) are in by_holder_
};

class CrmProjector final : public Projector {
 public:
  explicit CrmProjector(const CrmProjectorOptions& o)
      : capacity_(o.cache_entries), snapshot_every_(o.snapshot_every), rows_(o.cache_entries) {}

  std::string_view name() const override { return kProjectorName; }
  uint32_t version() const override { return kProjectorVersion; }

  Status Apply(const EventView& e, ProjectionReader& committed) override {
    reader_ = &committed;
    const std::string_view stream = e.stream();
    auto kind = proj::KindOfStream(stream);
    if (!kind) return Status::Ok();  // settings: no row
    // A stream's first event: nothing to read (every creating command).
    Result<Record*> own =
        e.version() == 1 ? Result<Record*>(Create(stream, *kind)) : Load(stream, *kind);
    if (!own.ok()) return own.status();
    Record& row = **own;
    // Only a stream's first event creates its row. A later one without a row happens only in
    // folds that select events (business time): the entity did not exist yet, so it is skipped.
    if (!row.exists() && e.version() != 1) return Status::Ok();
    const proj::Prior before = proj::Prior::Of(row);
    if (!proj::FoldOwn(e, &row)) return Status::Ok();  // FoldOwn changes nothing then
    touched_.clear();
    Touch(stream, &row);
    proj::Effects fx = proj::CrossEffects(e, before, row);
    for (const auto& d : fx.deltas) {
      auto account = Load(d.account_stream, Kind::kAccount);
      if (!account.ok()) return account.status();
      if ((*account)->exists()) {
        (*account)->Add(d.field, d.delta);
        Touch(d.account_stream, *account);
      }
    }

    // History: every holder (the stream itself if it keeps one, and its parents' holders).
    std::vector<std::string> holders;
    CRM_RETURN_IF_ERROR(Holders(stream, *kind, row.parents, 0, &holders));
    for (const auto& h : fx.extra_holders) {
      if (std::find(holders.begin(), holders.end(), h) == holders.end()) holders.push_back(h);
    }
    if (!holders.empty()) {
      const std::string entry = EncodeHistoryEntry(e, proj::Summary(e, row), e.position);
      for (const auto& h : holders) {
        history_.Add(h, e.position, entry);
        if (proj::KindOfStream(h) == Kind::kAccount) {
          auto account = Load(h, Kind::kAccount);
          if (!account.ok()) return account.status();
          Record& a = **account;
          if (!a.exists()) continue;
          // Every event of an account's history counts as a change of it, whether or not it
          // moved a field: a point-in-time read folds exactly these after a snapshot.
          Touch(h, &a);
          if (!a.at(proj::account::kLastActivityAt).set ||
              a.num(proj::account::kLastActivityAt) < e.occurred_at_us()) {
            a.SetNumber(proj::account::kLastActivityAt, e.occurred_at_us());
          }
        }
      }
    }
    if (fx.backfill) {
      CRM_RETURN_IF_ERROR(Backfill(fx.backfill->first, fx.backfill->second, e.position));
    }
    // Snapshots, of the rows as this event left them.
    if (snapshot_every_ > 0) {
      for (const auto& [name, r] : touched_) {
        if (r->touches % snapshot_every_ == 0) {
          snapshots_[proj::keys::Snapshot(name, e.position)] = proj::EncodeRecord(*r);
        }
      }
    }
    return Status::Ok();
  }

  void Flush(ProjectionWriter& out) override {
    for (auto& e : rows_.pinned()) {
      Dirty& d = e.value;
      // Touched but never created (e.g. a delta to a missing account): no row.
      if (!d.row.exists()) continue;
      out.Put(proj::keys::State(e.key), proj::EncodeRecord(d.row));
      std::vector<std::string> now = proj::IndexKeys(d.row);
      for (const auto& k : d.index_keys) {
        if (!std::binary_search(now.begin(), now.end(), k)) out.Delete(k);
      }
      for (const auto& k : now) {
        if (!std::binary_search(d.index_keys.begin(), d.index_keys.end(), k)) out.Put(k, "");
      }
      d.index_keys = std::move(now);  // the committed keys once the group commits
    }
    for (size_t i = 0; i < history_.size(); ++i) out.Put(history_.key(i), history_.value(i));
    for (const auto& [k, v] : snapshots_) out.Put(k, v);
  }

  // The group's rows are the committed ones now (those never created are not rows at all).
  void Committed() override {
    rows_.UnpinAll([](const Dirty& d) { return d.row.exists(); });
    Clear();
  }
  // The group's rows were not written: the next read decodes them again from the committed rows.
  void Abandoned() override {
    rows_.DropPinned();
    Clear();
  }
  void Reset() override {
    Clear();
    rows_ = PinningLruCache<Dirty>(capacity_);
  }

 private:
  struct Dirty {
    Record row;
    std::vector<std::string> index_keys;  // of the committed row, sorted (IndexKeys)
  };

  void Clear() {
    history_.Clear();
    snapshots_.clear();
  }

  // Counts the current event as a change of `row` (once per event, however many times it is
  // touched). `row` is pinned in rows_, so it stays put; `stream` must stay valid until
  // Apply returns (the event's own stream, a delta's account, a holder: all outlive it).
  void Touch(std::string_view stream, Record* row) {
    for (const auto& t : touched_) {
      if (t.second == row) return;
    }
    ++row->touches;
    touched_.emplace_back(stream, row);
  }

  // The committed row of `stream` (decoded) with its index keys, or an empty one of `kind`.
  Result<Dirty> DecodeCommitted(std::string_view stream, Kind kind) {
    auto r = Decode(stream, kind);
    if (!r.ok()) return r.status();
    Dirty d;
    d.index_keys = proj::IndexKeys(*r);
    d.row = std::move(r).value();
    return d;
  }

  // The committed row of `stream` read from the projections, or an empty one of `kind`.
  Result<Record> Decode(std::string_view stream, Kind kind) {
    auto bytes = reader_->Get(proj::keys::State(stream));
    if (!bytes.ok()) return bytes.status();
    if (!bytes->has_value()) return Record::Empty(kind);
    auto r = proj::DecodeRecord(**bytes);
    if (!r.ok()) {
      return Status::Corruption("projection row of " + std::string(stream) + ": " +
                                r.status().message() + " (run `crm replay` to rebuild)");
    }
    if (r->kind != kind) {
      return Status::Corruption("projection row of " + std::string(stream) + " has another kind");
    }
    return r;
  }

  // The row of `stream` as this group sees it, mutable (it will be written at Flush): pinned.
  Result<Record*> Load(std::string_view stream, Kind kind) {
    if (auto* e = rows_.Find(stream, /*pin=*/true)) return &e->value.row;
    auto d = DecodeCommitted(stream, kind);
    if (!d.ok()) return d.status();
    return &rows_.Insert(stream, std::move(d).value(), /*pinned=*/true)->value.row;
  }

  // A row for a stream that has no committed row yet (its first event), pinned.
  Record* Create(std::string_view stream, Kind kind) {
    auto* e = rows_.Find(stream);
    if (e == nullptr) return &rows_.Insert(stream, Dirty{Record::Empty(kind), {}}, true)->value.row;
    if (!e->pinned) {  // one per stream and group: a cached row is replaced, not folded on
      e->value = Dirty{Record::Empty(kind), {}};
      rows_.Pin(e);
    }
    return &e->value.row;
  }

  // The parents of `stream` as this group sees them (a row it changed, or the committed one).
  Result<std::vector<std::string>> Parents(std::string_view stream) {
    auto kind = proj::KindOfStream(stream);
    if (!kind) return std::vector<std::string>();
    if (const auto* e = rows_.Find(stream)) return e->value.row.parents;
    auto d = DecodeCommitted(stream, *kind);
    if (!d.ok()) return d.status();
    std::vector<std::string> parents = d->row.parents;
    if (d->row.exists()) rows_.Insert(stream, std::move(d).value(), /*pinned=*/false);
    return parents;
  }

  Status Holders(std::string_view stream, Kind kind, const std::vector<std::string>& parents,
                 int depth, std::vector<std::string>* out) {
    if (proj::KeepsHistory(kind) &&
        std::find(out->begin(), out->end(), stream) == out->end()) {
      out->emplace_back(stream);
    }
    if (depth >= kMaxParentDepth) return Status::Ok();
    for (const auto& p : parents) {
      auto pk = proj::KindOfStream(p);
      if (!pk) continue;
      auto pp = Parents(p);
      if (!pp.ok()) return pp.status();
      CRM_RETURN_IF_ERROR(Holders(p, *pk, *pp, depth + 1, out));
    }
    return Status::Ok();
  }

  // Copies every history entry of `from` (committed, and written earlier in this group) into
  // the history of `to`.
  Status Backfill(const std::string& from, const std::string& to, uint64_t link_position) {
    const std::string prefix = proj::keys::HistoryPrefix(from);
    std::vector<std::pair<uint64_t, std::string>> entries;
    Status damaged;
    Status s = reader_->Scan(prefix, "", [&](std::string_view k, std::string_view v) {
      // Verified before it is read and mutated below: a damaged stored entry is a corruption
      // error, not a read or a write out of bounds.
      auto meta = proj::ReadHistoryMeta(from, k, v);
      if (!meta.ok()) {
        damaged = meta.status();
        return false;
      }
      entries.emplace_back(proj::keys::HistoryPosition(k), std::string(v));
      return true;
    });
    CRM_RETURN_IF_ERROR(s);
    CRM_RETURN_IF_ERROR(damaged);
    for (size_t i : history_.Of(from)) {
      entries.emplace_back(proj::keys::HistoryPosition(history_.key(i)), history_.value(i));
    }
    std::unordered_set<uint64_t> in_to;  // positions already in `to`'s history this group
    for (size_t i : history_.Of(to)) in_to.insert(proj::keys::HistoryPosition(history_.key(i)));
    int64_t newest = INT64_MIN;
    for (auto& [position, value] : entries) {
      if (!in_to.insert(position).second) continue;
      auto committed = reader_->Get(proj::keys::History(to, position));
      if (!committed.ok()) return committed.status();
      if (committed->has_value()) continue;  // joined `to`'s history at an earlier link
      newest = std::max(newest,
                        flatbuffers::GetRoot<fb::HistoryEntry>(value.data())->occurred_at_us());
      // Re-stamp when it joined `to`'s history (the field is in the table, so it can be mutated
      // in place only if present; rebuild it otherwise).
      auto* h = flatbuffers::GetMutableRoot<fb::HistoryEntry>(value.data());
      if (!h->mutate_added_position(link_position)) {
        flatbuffers::FlatBufferBuilder fbb(256);
        auto s = [&](const flatbuffers::String* x) {
          return fbb.CreateString(x ? x->string_view() : std::string_view());
        };
        fbb.Finish(fb::CreateHistoryEntry(fbb, h->position(), h->occurred_at_us(),
                                          h->recorded_at_us(), s(h->actor()), s(h->stream()),
                                          s(h->type()), s(h->summary()), link_position));
        value.assign(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
      }
      history_.Add(to, position, value);
    }
    // The entries brought along are the account's history now: its last activity counts them.
    if (newest != INT64_MIN && proj::KindOfStream(to) == Kind::kAccount) {
      auto account = Load(to, Kind::kAccount);
      if (!account.ok()) return account.status();
      Record& a = **account;
      if (a.exists()) Touch(to, &a);
      if (a.exists() && (!a.at(proj::account::kLastActivityAt).set ||
                         a.num(proj::account::kLastActivityAt) < newest)) {
        a.SetNumber(proj::account::kLastActivityAt, newest);
      }
    }
    return Status::Ok();
  }

  const size_t capacity_;
  const uint64_t snapshot_every_;
  // Decoded rows with the index keys they were committed with: those the group changed are
  // pinned (written at Flush), the others are a cache of the committed rows.
  PinningLruCache<Dirty> rows_;
  GroupHistory history_;
  std::map<std::string, std::string> snapshots_;
  std::vector<std::pair<std::string_view, Record*>> touched_;  // rows the current event changed
  ProjectionReader* reader_ = nullptr;
};

}  // namespace

std::shared_ptr<Projector> MakeCrmProjector(const CrmProjectorOptions& options) {
  return std::make_shared<CrmProjector>(options);
}

}  // namespace crm
