// Opening the store, and the write path.
//
// Group commit follows RocksDB's own WriteThread: an appender encodes its envelopes on its own
// thread, queues itself, and if no leader is active becomes the leader for everything queued so
// far. The leader decides each queued append against the stream versions (the committed ones plus
// those decided earlier in the same group), stamps positions and hashes, and commits the
// survivors with one WriteBatch and one Write (one fsync under kSync). An uncontended appender
// therefore never switches threads; under contention the group grows with the queue. When done,
// the leader hands the lead straight to the first appender queued meanwhile and wakes the group's
// members and that next leader with one broadcast (a queued appender may see a wake-up meant for
// others and wait again).
#include "engine/src/store.h"

#include <rocksdb/iterator.h>
#include <rocksdb/utilities/checkpoint.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <unordered_set>

#include "crm/schemas/records_generated.h"
#include "engine/src/codec.h"

namespace crm {
namespace {

// Upper bound on how long a sync leader waits for the previous group's members to queue again.
// Small against an fsync (0.25-1 ms here); never paid by a lone appender (expected group of 1).
constexpr auto kGroupCommitWait = std::chrono::microseconds(200);

std::shared_ptr<spdlog::logger> EngineLogger() {
  if (auto existing = spdlog::get("engine")) return existing;
  auto logger = spdlog::stderr_color_mt("engine");
  logger->set_level(spdlog::get_level());
  return logger;
}

std::string EncodeCommandRecord(const AppendResult& r, int64_t recorded_at_us) {
  flatbuffers::FlatBufferBuilder fbb(128);
  std::vector<flatbuffers::Offset<fb::StreamResult>> streams;
  streams.reserve(r.streams.size());
  for (const auto& s : r.streams) {
    streams.push_back(
        fb::CreateStreamResult(fbb, fbb.CreateString(s.stream), s.first_version, s.last_version));
  }
  flatbuffers::Offset<flatbuffers::String> code, message;
  if (r.rejection) {
    code = fbb.CreateString(r.rejection->code);
    message = fbb.CreateString(r.rejection->message);
  }
  fbb.Finish(fb::CreateCommandRecord(fbb, r.first_position, r.last_position,
                                     fbb.CreateVector(streams), recorded_at_us, code, message),
             fb::CommandRecordIdentifier());
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

Result<AppendResult> DecodeCommandRecord(std::string_view command_id, std::string_view bytes) {
  const auto* base = reinterpret_cast<const uint8_t*>(bytes.data());
  flatbuffers::Verifier verifier(base, bytes.size());
  if (bytes.size() < 8 || !fb::CommandRecordBufferHasIdentifier(base) ||
      !fb::VerifyCommandRecordBuffer(verifier)) {
    return Status::Corruption("idempotency record of command '" + std::string(command_id) +
                              "' fails verification");
  }
  const fb::CommandRecord* rec = fb::GetCommandRecord(base);
  AppendResult r;
  r.first_position = rec->first_position();
  r.last_position = rec->last_position();
  r.command_id = std::string(command_id);
  r.duplicate = true;
  if (rec->streams()) {
    for (const auto* s : *rec->streams()) {
      r.streams.push_back({s->stream()->str(), s->first_version(), s->last_version()});
    }
  }
  if (rec->error_code()) {
    r.rejection = Rejection{rec->error_code()->str(),
                            rec->error_message() ? rec->error_message()->str() : std::string()};
  }
  return r;
}

bool HasControlCharacter(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

// Empties a hash table for reuse. One that a big batch grew is replaced instead: clear() costs
// its whole bucket array, every group after.
template <typename Table>
void ClearForReuse(Table& t) {
  if (t.bucket_count() > 1024) {
    t = Table();
  } else {
    t.clear();
  }
}

// The versions decided so far in one group, by stream. Groups are usually small (one append,
// or a few hundred under load): a linear search of a vector beats hashing, and a hash index is
// built only past kLinear streams.
class GroupVersions {
 public:
  void Clear() {
    entries_.clear();
    ClearForReuse(index_);
  }
  const uint64_t* Find(std::string_view stream) const {
    const size_t i = IndexOf(stream);
    return i == kNone ? nullptr : &entries_[i].second;
  }
  void Set(std::string_view stream, uint64_t version) {
    if (const size_t i = IndexOf(stream); i != kNone) {
      entries_[i].second = version;
      return;
    }
    entries_.emplace_back(stream, version);
    if (entries_.size() == kLinear + 1) {
      for (size_t i = 0; i < entries_.size(); ++i) index_.emplace(entries_[i].first, i);
    } else if (entries_.size() > kLinear + 1) {
      index_.emplace(stream, entries_.size() - 1);
    }
  }
  const std::vector<std::pair<std::string_view, uint64_t>>& entries() const { return entries_; }

 private:
  static constexpr size_t kLinear = 16;
  static constexpr size_t kNone = static_cast<size_t>(-1);
  size_t IndexOf(std::string_view stream) const {
    if (entries_.size() > kLinear) {
      auto it = index_.find(stream);
      return it == index_.end() ? kNone : it->second;
    }
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (entries_[i].first == stream) return i;
    }
    return kNone;
  }
  std::vector<std::pair<std::string_view, uint64_t>> entries_;
  std::unordered_map<std::string_view, size_t> index_;  // stream -> entries_ index, past kLinear
};

}  // namespace

// What the leader has decided so far in one group, visible to the group's later items. One
// instance lives as long as the store and is cleared per group, so that its containers keep
// their memory.
struct StoreImpl::GroupState {
  // Keys view stream names and command ids inside the group's requests, which outlive the group.
  GroupVersions versions;
  std::unordered_map<std::string_view, const Item*> commands;
  std::unordered_set<std::string> links;
  std::vector<Item*> accepted;  // whose result depends on this group's write
  std::vector<uint64_t> current;  // DecideItem's scratch: the versions of one item's streams
  uint64_t position = 0;
  Sha256Digest hash{};
  int64_t now = 0;
  Status projection_error;  // the first failure of the projector: fails the whole group

  void Reset(uint64_t next_position, const Sha256Digest& last_hash, int64_t now_us) {
    versions.Clear();
    ClearForReuse(commands);
    ClearForReuse(links);
    accepted.clear();
    position = next_position;
    hash = last_hash;
    now = now_us;
    projection_error = Status::Ok();
  }
};

StoreImpl::GroupState& StoreImpl::Group() {
  if (!group_state_) group_state_ = std::make_unique<GroupState>();
  return *group_state_;
}

Result<std::unique_ptr<EventStore>> EventStore::Open(const std::string& dir,
                                                     const Options& options) {
  auto db = Db::Open(dir, options);
  if (!db.ok()) return db.status();
  auto store = std::make_unique<StoreImpl>(std::move(db).value(), dir, options);
  CRM_RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<EventStore>(std::move(store));
}

StoreImpl::StoreImpl(std::unique_ptr<Db> db, const std::string& dir, const Options& options)
    : db_(std::move(db)),
      dir_(dir),
      options_(options),
      log_(EngineLogger()),
      stream_versions_(options.stream_cache_entries) {}

StoreImpl::~StoreImpl() {
  std::lock_guard<std::mutex> lock(mu_);
  assert(pending_.empty() && !leader_active_ && "EventStore destroyed during an append");
}

Status StoreImpl::Init() {
  CRM_RETURN_IF_ERROR(LoadTail());
  if (options_.projector && !db_->follower()) CRM_RETURN_IF_ERROR(SyncProjections());
  log_->debug("opened {} ({}, {}), last position {}", dir_,
              db_->follower() ? "follower" : "writer",
              options_.durability == Durability::kSync ? "sync" : "nosync", LastPosition());
  return Status::Ok();
}

// The tail of the log is derived, not stored: the last key of `events`.
Status StoreImpl::LoadTail() {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(rocksdb::ReadOptions(), db_->events()));
  it->SeekToLast();
  if (!it->Valid()) {
    CRM_RETURN_IF_ERROR(FromRocks(it->status(), "reading the end of the log"));
    next_position_ = 1;
    last_hash_ = {};
    last_recorded_at_us_ = 0;
    committed_position_.store(0, std::memory_order_release);
    return Status::Ok();
  }
  if (it->key().size() != 8) return Status::Corruption("malformed key at the end of the log");
  uint64_t position = format::GetU64BE(it->key().data());
  std::string_view bytes(it->value().data(), it->value().size());
  auto env = codec::VerifyEnvelope(position, bytes);
  committed_position_.store(position, std::memory_order_release);
  if (!env.ok()) {
    // Still open, so the damage can be inspected (Verify, readers); but the hash chain cannot be
    // continued, so appends are refused.
    write_error_ = Status::Corruption("the last event cannot be read, so the log cannot be "
                                      "extended; run `crm verify`: " + env.status().message());
    if (!db_->follower()) log_->error("{}", write_error_.message());
    next_position_ = position + 1;
    return Status::Ok();
  }
  next_position_ = position + 1;
  std::memcpy(last_hash_.data(), &(*env)->stamp()->hash(), 32);
  last_recorded_at_us_ = (*env)->stamp()->recorded_at_us();
  return Status::Ok();
}

Status StoreImpl::ValidateRequest(const AppendRequest& request) const {
  auto check_name = [](std::string_view what, const std::string& name) -> Status {
    if (name.empty()) return Status::InvalidArgument(std::string(what) + " name is empty");
    if (name.size() > format::kMaxStreamNameBytes) {
      return Status::InvalidArgument(std::string(what) + " name is longer than " +
                                     std::to_string(format::kMaxStreamNameBytes) + " bytes");
    }
    if (HasControlCharacter(name)) {
      return Status::InvalidArgument(std::string(what) + " name contains a control character");
    }
    return Status::Ok();
  };
  if (request.rejection) {
    if (request.command_id.empty()) {
      return Status::InvalidArgument("recording a rejection needs a command_id");
    }
    if (!request.streams.empty() || !request.links.empty()) {
      return Status::InvalidArgument("a rejection record carries no streams or links");
    }
    return Status::Ok();
  }
  if (request.streams.empty()) return Status::InvalidArgument("an append needs at least one stream");
  std::unordered_set<std::string_view> seen;
  size_t events = 0;
  for (const auto& s : request.streams) {
    CRM_RETURN_IF_ERROR(check_name("stream", s.stream));
    if (!seen.insert(s.stream).second) {
      return Status::InvalidArgument("stream '" + s.stream + "' appears twice in one append");
    }
    for (const auto& e : s.events) {
      if (e.data.type == fb::Payload::NONE || e.data.value == nullptr) {
        return Status::InvalidArgument("an event for stream '" + s.stream + "' has no payload");
      }
    }
    events += s.events.size();
  }
  if (events == 0 && request.command_id.empty()) {
    return Status::InvalidArgument("an append needs at least one event");
  }
  for (const auto& l : request.links) {
    CRM_RETURN_IF_ERROR(check_name("linked stream", l.from));
    CRM_RETURN_IF_ERROR(check_name("linked stream", l.to));
  }
  return Status::Ok();
}

void StoreImpl::Prepare(AppendRequest& request, Item* item, codec::Arena* arena) const {
  item->request = &request;
  item->client_command_id = !request.command_id.empty();
  if (!item->client_command_id) request.command_id = codec::NewUuidString();
  size_t events = 0;
  for (const StreamEvents& s : request.streams) events += s.events.size();
  item->encoded.reserve(events);
  for (size_t i = 0; i < request.streams.size(); ++i) {
    const StreamEvents& s = request.streams[i];
    for (const auto& e : s.events) {
      // Correlation and causation default to the command (SPEC §1): views, not copies.
      codec::Header h{s.stream,
                      request.command_id,
                      request.correlation_id.empty() ? std::string_view(request.command_id)
                                                     : std::string_view(request.correlation_id),
                      request.causation_id.empty() ? std::string_view(request.command_id)
                                                   : std::string_view(request.causation_id),
                      e.actor.empty() ? std::string_view(request.actor) : std::string_view(e.actor),
                      request.occurred_at_us};
      item->encoded.push_back(codec::Encode(h, e, arena));
    }
  }
}

Result<AppendResult> StoreImpl::Append(AppendRequest request) {
  if (db_->follower()) return Status::NotSupported("this handle is a read-only follower");
  CRM_RETURN_IF_ERROR(ValidateRequest(request));
  codec::Arena arena;  // before the item: its buffers live in it
  Item item;
  Prepare(request, &item, &arena);
  Pending p;
  p.items.push_back(&item);
  Commit(p);
  return std::move(item.result);
}

std::vector<Result<AppendResult>> StoreImpl::AppendBatch(std::vector<AppendRequest> requests,
                                                         BatchMode mode) {
  codec::Arena arena;  // before the items: their buffers live in it
  std::vector<Item> items(requests.size());
  Pending p;
  p.stop_at_first_failure = mode == BatchMode::kStopAtFirstFailure;
  bool stopped = false;
  for (size_t i = 0; i < requests.size(); ++i) {
    if (stopped) {
      items[i].result = Status::Aborted("an earlier append of the batch was not applied");
      continue;
    }
    Status s = db_->follower() ? Status::NotSupported("this handle is a read-only follower")
                               : ValidateRequest(requests[i]);
    if (!s.ok()) {
      items[i].result = std::move(s);
      stopped = p.stop_at_first_failure;
      continue;
    }
    Prepare(requests[i], &items[i], &arena);
    p.items.push_back(&items[i]);
  }
  if (!p.items.empty()) Commit(p);
  std::vector<Result<AppendResult>> out;
  out.reserve(items.size());
  for (auto& item : items) out.push_back(std::move(item.result));
  return out;
}

void StoreImpl::ReleaseLeadership(std::unique_lock<std::mutex>& lock, std::vector<Pending*>* done,
                                  const Pending* self) {
  Pending* next = pending_.empty() ? nullptr : pending_.front();
  leader_active_ = next != nullptr;  // handed over directly: no window for another thread
  {
    std::lock_guard<std::mutex> wake(wake_mu_);
    if (done != nullptr) {
      for (Pending* g : *done) {
        if (g != self) g->state = Pending::State::kDone;
      }
    }
    if (next != nullptr) next->state = Pending::State::kLead;
  }
  if (done != nullptr) {  // its members may return as soon as mu_ is released: keep the buffer
    done->clear();
    spare_pending_.swap(*done);
  }
  lock.unlock();
  // One broadcast for the whole group and the next leader: on a small machine a wake-up each
  // (a system call and a context switch apiece, issued one after the other by the leader) took
  // longer than the next group needs to gather.
  wake_cv_.notify_all();
  commit_cv_.notify_all();
}

void StoreImpl::Commit(Pending& p) {
  std::unique_lock<std::mutex> lock(mu_);
  pending_.push_back(&p);
  if (leader_active_) {
    // Wake a gathering leader only when its group is complete, not on every arrival.
    if (leader_waiting_ && pending_.size() >= expected_group_) leader_cv_.notify_one();
    lock.unlock();
    {
      std::unique_lock<std::mutex> wake(wake_mu_);
      wake_cv_.wait(wake, [&] { return p.state != Pending::State::kQueued; });
      if (p.state == Pending::State::kDone) return;
    }
    lock.lock();  // handed the lead; leader_active_ stayed true for us
  } else {
    leader_active_ = true;
  }

  // Leader: optionally gather the rest of the previous group, then take everything queued (this
  // caller included) and commit it.
  if (options_.durability == Durability::kSync && pending_.size() < expected_group_) {
    leader_waiting_ = true;
    leader_cv_.wait_for(lock, kGroupCommitWait,
                        [&] { return pending_.size() >= expected_group_; });
    leader_waiting_ = false;
  }
  std::vector<Pending*> group;
  group.swap(pending_);
  pending_.swap(spare_pending_);  // keeps a buffer: no allocation per group
  // Grow at once, shrink slowly: one descheduled appender must not halve the next groups, and
  // appenders that went away stop costing waits after a few groups.
  expected_group_ = std::max(group.size(), expected_group_ * 3 / 4);
  lock.unlock();

  CommitGroup(group);

  lock.lock();
  ReleaseLeadership(lock, &group, &p);
}

void StoreImpl::CommitGroup(std::vector<Pending*>& group) {
  if (!write_error_.ok()) {
    for (Pending* p : group) {
      for (Item* item : p->items) item->result = write_error_;
    }
    return;
  }
  batch_.Clear();
  GroupState& g = Group();
  g.Reset(next_position_, last_hash_, std::max(codec::NowMicros(), last_recorded_at_us_));
  for (Pending* p : group) {
    bool stopped = false;
    for (Item* item : p->items) {
      if (stopped) {
        item->result = Status::Aborted("an earlier append of the batch was not applied");
        continue;
      }
      DecideItem(*item, g);
      stopped = p->stop_at_first_failure && (!item->result.ok() || item->result->duplicate);
    }
  }

  Projector* projector = options_.projector.get();
  if (!g.projection_error.ok()) {
    // Nothing of the group is written: the projections must stay a fold of the log.
    log_->error("projections failed, the write group is not committed: {}",
                g.projection_error.ToString());
    for (Item* item : g.accepted) item->result = g.projection_error;
    projector->Abandoned();
    return;
  }
  if (batch_.Count() == 0) return;
  const bool appended = g.position != next_position_;
  if (projector && appended) {
    FlushProjector(&batch_);
    PutProjectionCheckpoint(&batch_, g.position - 1);
  }
  rocksdb::WriteOptions wo;
  wo.sync = options_.durability == Durability::kSync;
  Status s = FromRocks(db_->db()->Write(wo, &batch_), "committing a write group");
  if (!s.ok()) {
    // The outcome on disk is unknown (the write may be durable even though fsync failed), so
    // positions cannot be reused safely: latch the error until the store is reopened.
    log_->error("{}; refusing further appends until reopened", s.ToString());
    write_error_ = s;
    for (Item* item : g.accepted) item->result = s;
    if (projector && appended) projector->Abandoned();
    return;
  }
  if (projector && appended) projector->Committed();
  next_position_ = g.position;
  last_hash_ = g.hash;
  last_recorded_at_us_ = g.now;
  for (const auto& [stream, version] : g.versions.entries()) stream_versions_.Put(stream, version);
  committed_position_.store(g.position - 1, std::memory_order_release);
}

void StoreImpl::DecideItem(Item& item, GroupState& g) {
  AppendRequest& req = *item.request;
  if (item.client_command_id) {
    if (auto it = g.commands.find(req.command_id); it != g.commands.end()) {
      AppendResult first = it->second->result.value();
      first.duplicate = true;
      item.result = std::move(first);
      g.accepted.push_back(&item);  // its answer stands or falls with this group's write
      return;
    }
    auto previous = LookupCommand(req.command_id);
    if (!previous.ok()) {
      item.result = previous.status();
      return;
    }
    if (previous->has_value()) {
      item.result = std::move(**previous);
      return;
    }
  }

  if (req.rejection) {
    AppendResult r;
    r.command_id = req.command_id;
    r.rejection = req.rejection;
    batch_.Put(db_->commands(), req.command_id, EncodeCommandRecord(r, g.now));
    g.commands.emplace(req.command_id, &item);
    item.result = std::move(r);
    g.accepted.push_back(&item);
    return;
  }

  // Phase 1: every expectation holds, or nothing of this append is written.
  std::vector<uint64_t>& current = g.current;
  current.assign(req.streams.size(), 0);
  for (size_t i = 0; i < req.streams.size(); ++i) {
    const StreamEvents& s = req.streams[i];
    if (const uint64_t* decided = g.versions.Find(s.stream)) {
      current[i] = *decided;
    } else {
      auto v = CachedStreamVersion(s.stream);
      if (!v.ok()) {
        item.result = v.status();
        return;
      }
      current[i] = *v;
    }
    if (!s.expected.Matches(current[i])) {
      item.result = Status::ConcurrencyConflict(
          "stream '" + s.stream + "' is at version " + std::to_string(current[i]) +
          ", expected " + s.expected.ToString());
      return;
    }
  }
  std::vector<std::pair<std::string, const StreamLink*>> new_links;
  for (const StreamLink& l : req.links) {
    std::string key = format::LinkKey(l.from, l.to);
    if (g.links.count(key)) continue;
    bool repeated = false;
    for (const auto& n : new_links) repeated = repeated || n.first == key;
    if (repeated) continue;
    std::string ignored;
    rocksdb::Status ls = db_->db()->Get(rocksdb::ReadOptions(), db_->links(), key, &ignored);
    if (ls.ok()) continue;  // linked before
    if (!ls.IsNotFound()) {
      item.result = FromRocks(ls, "reading link " + l.from + " -> " + l.to);
      return;
    }
    new_links.emplace_back(std::move(key), &l);
  }

  // Phase 2: assign positions (each stream's events contiguous), stamp, hash, batch.
  AppendResult r;
  r.command_id = req.command_id;
  const size_t events = item.encoded.size();
  size_t next_encoded = 0;  // item.encoded runs through the streams in order
  r.first_position = events == 0 ? 0 : g.position;  // 0: a record of a command that changed nothing
  for (size_t i = 0; i < req.streams.size(); ++i) {
    const StreamEvents& s = req.streams[i];
    const uint64_t count = s.events.size();
    if (count == 0) {  // a condition only
      r.streams.push_back({s.stream, current[i], current[i]});
      continue;
    }
    const uint64_t first_version = current[i] + 1;
    const uint64_t run_start = g.position;
    for (size_t j = 0; j < count; ++j) {
      flatbuffers::DetachedBuffer& buf = item.encoded[next_encoded++];
      g.hash = codec::Stamp(buf.data(), buf.size(), {g.position, first_version + j, g.now, g.hash});
      if (options_.projector && g.projection_error.ok()) {
        EventView view{g.position,
                       std::string_view(reinterpret_cast<const char*>(buf.data()), buf.size()),
                       fb::GetEnvelope(buf.data())};
        g.projection_error = options_.projector->Apply(view, CommittedProjections());
      }
      char key[8];
      format::PutU64BE(key, g.position);
      batch_.Put(db_->events(), rocksdb::Slice(key, 8),
                 rocksdb::Slice(reinterpret_cast<const char*>(buf.data()), buf.size()));
      ++g.position;
    }
    char key[format::kMaxStreamNameBytes + 9];
    char run[format::kStreamRunValueBytes];
    format::EncodeStreamRunTo({run_start, count}, run);
    batch_.Put(db_->streams(),
               rocksdb::Slice(key, format::StreamRunKeyTo(s.stream, first_version, key)),
               rocksdb::Slice(run, sizeof(run)));
    g.versions.Set(s.stream, first_version + count - 1);
    r.streams.push_back({s.stream, first_version, first_version + count - 1});
  }
  r.last_position = events == 0 ? 0 : g.position - 1;
  for (auto& [key, l] : new_links) {
    char pos[8];
    format::PutU64BE(pos, r.first_position);
    batch_.Put(db_->links(), key, rocksdb::Slice(pos, 8));
    g.links.insert(std::move(key));  // only now: this item can no longer fail
  }
  if (item.client_command_id) {
    batch_.Put(db_->commands(), req.command_id, EncodeCommandRecord(r, g.now));
    g.commands.emplace(req.command_id, &item);
  }
  item.result = std::move(r);
  g.accepted.push_back(&item);
}

Result<std::vector<std::string>> StoreImpl::Links(std::string_view from) {
  rocksdb::ReadOptions ro;
  ro.prefix_same_as_start = true;
  std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(ro, db_->links()));
  const std::string prefix = format::StreamPrefix(from);
  std::vector<std::string> out;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    out.emplace_back(it->key().data() + prefix.size(), it->key().size() - prefix.size());
  }
  CRM_RETURN_IF_ERROR(FromRocks(it->status(), "reading the links of " + std::string(from)));
  return out;
}

Result<uint64_t> StoreImpl::CachedStreamVersion(const std::string& stream) {
  if (uint64_t* v = stream_versions_.Get(stream)) return *v;
  auto v = ReadStreamVersion(stream);
  if (v.ok()) stream_versions_.Put(stream, *v);
  return v;
}

Result<bool> StoreImpl::StreamExists(std::string_view stream) {
  // Every stream's first run starts at version 1: one point lookup, answered by the prefix bloom
  // filter for a stream that does not exist (every creating command) without an iterator.
  std::string ignored;
  rocksdb::Status s = db_->db()->Get(rocksdb::ReadOptions(), db_->streams(),
                                     format::StreamRunKey(stream, 1), &ignored);
  if (s.IsNotFound()) return false;
  if (!s.ok()) return FromRocks(s, "looking up " + std::string(stream));
  return true;
}

Result<uint64_t> StoreImpl::ReadStreamVersion(std::string_view stream) {
  auto exists = StreamExists(stream);
  if (!exists.ok()) return exists.status();
  if (!*exists) return uint64_t{0};
  rocksdb::ReadOptions ro;
  ro.prefix_same_as_start = true;
  std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(ro, db_->streams()));
  it->SeekForPrev(format::StreamRunKey(stream, UINT64_MAX));
  if (!it->Valid()) {
    CRM_RETURN_IF_ERROR(FromRocks(it->status(), "reading the version of " + std::string(stream)));
    return uint64_t{0};
  }
  format::StreamRunKeyParts key;
  format::StreamRun run;
  std::string_view k(it->key().data(), it->key().size());
  if (!format::ParseStreamRunKey(k, &key) || key.stream != stream ||
      !format::DecodeStreamRun({it->value().data(), it->value().size()}, &run)) {
    return Status::Corruption("malformed stream index entry for '" + std::string(stream) + "'");
  }
  return key.first_version + run.count - 1;
}

Result<uint64_t> StoreImpl::StreamVersion(std::string_view stream) {
  return ReadStreamVersion(stream);
}

Result<std::optional<AppendResult>> StoreImpl::LookupCommand(std::string_view command_id) {
  rocksdb::PinnableSlice value;
  rocksdb::Status s = db_->db()->Get(rocksdb::ReadOptions(), db_->commands(),
                                     rocksdb::Slice(command_id.data(), command_id.size()), &value);
  if (s.IsNotFound()) return std::optional<AppendResult>();
  if (!s.ok()) return FromRocks(s, "looking up command '" + std::string(command_id) + "'");
  auto r = DecodeCommandRecord(command_id, {value.data(), value.size()});
  if (!r.ok()) return r.status();
  return std::optional<AppendResult>(std::move(r).value());
}

Status StoreImpl::CatchUp() {
  if (!db_->follower()) return Status::Ok();
  CRM_RETURN_IF_ERROR(
      FromRocks(db_->db()->TryCatchUpWithPrimary(), "catching up with the writer"));
  CRM_RETURN_IF_ERROR(LoadTail());
  commit_cv_.notify_all();
  return Status::Ok();
}

Status StoreImpl::Checkpoint(const std::string& dir) {
  if (db_->follower()) return Status::NotSupported("a follower cannot make a checkpoint");
  std::error_code ec;
  if (std::filesystem::exists(dir, ec)) {
    return Status::InvalidArgument("checkpoint directory " + dir + " already exists");
  }
  rocksdb::Checkpoint* raw = nullptr;
  CRM_RETURN_IF_ERROR(FromRocks(rocksdb::Checkpoint::Create(db_->db(), &raw), "checkpoint"));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  // No flush first (the default): the live database's files stay as they are; its write-ahead
  // log is copied instead.
  return FromRocks(checkpoint->CreateCheckpoint(dir, UINT64_MAX), "checkpoint to " + dir);
}

bool StoreImpl::WaitForPosition(uint64_t position,
                                std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  return commit_cv_.wait_until(lock, deadline, [&] { return LastPosition() >= position; });
}

}  // namespace crm
