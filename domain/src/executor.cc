// CommandExecutor: parse, authorize, load state, decide, append -- pipelined in batches.
#include <rapidjson/writer.h>

#include <algorithm>
#include <chrono>
#include <unordered_map>
#include <unordered_set>

#include "crm/commands.h"
#include "domain/src/command.h"
#include "domain/src/decide.h"
#include "domain/src/state.h"
#include "engine/src/lru_cache.h"

namespace crm {
namespace {

using namespace domain;

// Business time may be supplied for the past (imports), not for the future beyond clock skew.
constexpr int64_t kMaxFutureSkewUs = int64_t{5} * 60 * 1'000'000;

int64_t NowMicros() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

struct StringSink {
  using Ch = char;
  std::string* out;
  void Put(char c) { out->push_back(c); }
  void Flush() {}
};

ExecResult ErrorLine(ErrorCode code, std::string_view message) {
  ExecResult r;
  StringSink sink{&r.line};
  rapidjson::Writer<StringSink> w(sink);
  w.StartObject();
  w.Key("ok");
  w.Bool(false);
  w.Key("error");
  w.StartObject();
  w.Key("code");
  auto name = ErrorCodeName(code);
  w.String(name.data(), static_cast<rapidjson::SizeType>(name.size()));
  w.Key("message");
  w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
  w.EndObject();
  w.EndObject();
  return r;
}

ExecResult ErrorLine(const Error& e) { return ErrorLine(e.code, e.message); }

ErrorCode CodeFromName(std::string_view name) {
  for (int c = 0; c <= static_cast<int>(ErrorCode::kStorageError); ++c) {
    if (ErrorCodeName(static_cast<ErrorCode>(c)) == name) return static_cast<ErrorCode>(c);
  }
  return ErrorCode::kStorageError;
}

ErrorCode CodeFromStatus(const Status& s) {
  switch (s.code()) {
    case Code::kConcurrencyConflict: return ErrorCode::kConcurrencyConflict;
    case Code::kInvalidArgument: return ErrorCode::kBadRequest;
    default: return ErrorCode::kStorageError;
  }
}

// {"ok":true,"position":P,"stream":S,"version":V,"events":[...]}; no position when nothing was
// appended (a command that changed nothing).
ExecResult OkLine(uint64_t position, std::string_view stream, uint64_t version,
                  const std::vector<std::string_view>& events) {
  ExecResult r;
  r.ok = true;
  StringSink sink{&r.line};
  rapidjson::Writer<StringSink> w(sink);
  w.StartObject();
  w.Key("ok");
  w.Bool(true);
  if (position != 0) {
    w.Key("position");
    w.Uint64(position);
  }
  w.Key("stream");
  w.String(stream.data(), static_cast<rapidjson::SizeType>(stream.size()));
  w.Key("version");
  w.Uint64(version);
  w.Key("events");
  w.StartArray();
  for (auto e : events) w.String(e.data(), static_cast<rapidjson::SizeType>(e.size()));
  w.EndArray();
  w.EndObject();
  return r;
}

// Folds a stream from the log.
Result<StreamState> LoadFromStore(EventStore& store, const std::string& stream) {
  StreamState state = Initial(stream);
  auto reader = store.ReadStream(stream, 1, Direction::kForward);
  if (!reader.ok()) return reader.status();
  for (;;) {
    auto next = (*reader)->Next();
    if (!next.ok()) return next.status();
    if (!next->has_value()) break;
    const fb::Envelope* env = (**next).envelope;
    fb::PayloadUnion event;
    event.type = env->data_type();
    event.value = fb::PayloadUnion::UnPack(env->data(), env->data_type(), nullptr);
    Apply(event, &state);
  }
  return state;
}

}  // namespace

class CommandExecutor::Impl {
 public:
  Impl(EventStore* store, ExecOptions options)
      : store_(*store), options_(std::move(options)), cache_(options_.state_cache_entries) {}

  std::vector<ExecResult> ExecuteBatch(const std::vector<std::string_view>& lines);

 private:
  // A command decided and waiting for the batch's append.
  struct Planned {
    size_t index = 0;                       // into the batch's results
    std::vector<std::string_view> events;   // event type names, in append order
    std::string last_stream;                // the stream of the last event
  };

  // StateView over committed state (cache, store) plus this batch's decisions (overlay).
  class View : public StateView {
   public:
    explicit View(Impl& impl) : impl_(impl) {}
    Result<const StreamState*> Load(const std::string& stream) override {
      if (auto it = local_.find(stream); it != local_.end()) return &it->second;
      auto state = impl_.Committed(stream);
      if (!state.ok()) return state.status();
      auto [it, inserted] = local_.emplace(stream, std::move(state).value());
      order_.push_back(stream);
      return &it->second;
    }
    Result<std::vector<std::string>> Links(const std::string& from) override {
      auto links = impl_.store_.Links(from);
      if (!links.ok()) return links;
      if (auto it = impl_.overlay_links_.find(from); it != impl_.overlay_links_.end()) {
        for (const auto& to : it->second) {
          if (std::find(links->begin(), links->end(), to) == links->end()) links->push_back(to);
        }
      }
      return links;
    }
    // Streams read, in first-read order, with the state read.
    const std::vector<std::string>& order() const { return order_; }
    const StreamState& state(const std::string& stream) const { return local_.at(stream); }

   private:
    Impl& impl_;
    std::unordered_map<std::string, StreamState> local_;  // copies: cache entries may move
    std::vector<std::string> order_;
  };

  // The state of `stream` as of this batch so far.
  Result<StreamState> Committed(const std::string& stream) {
    if (auto it = overlay_.find(stream); it != overlay_.end()) return it->second;
    if (StreamState* cached = cache_.Get(stream)) return *cached;
    auto loaded = LoadFromStore(store_, stream);
    if (loaded.ok()) cache_.Put(stream, *loaded);
    return loaded;
  }

  // Parses and decides one line; returns a final result, or plans an append.
  std::optional<ExecResult> Plan(std::string_view line, size_t index,
                                 std::vector<AppendRequest>* requests,
                                 std::vector<Planned>* planned);
  ExecResult Reject(const Command& cmd, const Error& e, std::vector<AppendRequest>* requests);
  size_t ExecuteFrom(const std::vector<std::string_view>& lines, size_t start,
                     std::vector<std::optional<ExecResult>>* results);
  void ResetCaches();
  ExecResult Replay(const AppendResult& first);

  EventStore& store_;
  ExecOptions options_;
  LruCache<StreamState> cache_;
  std::unordered_map<std::string, StreamState> overlay_;  // this batch's decided states
  std::unordered_map<std::string, std::vector<std::string>> overlay_links_;
  std::unordered_map<std::string, size_t> batch_commands_;  // command_id -> first index
  uint64_t seen_position_ = UINT64_MAX;  // the log's end when the cache was last known valid
};

ExecResult CommandExecutor::Impl::Reject(const Command& cmd, const Error& e,
                                         std::vector<AppendRequest>* requests) {
  // Remember the rejection so that a retry of this command gets it again (not storage errors:
  // those are not answers, and a retry may succeed).
  if (!cmd.command_id.empty() && e.code != ErrorCode::kStorageError) {
    AppendRequest r;
    r.command_id = cmd.command_id;
    r.rejection = Rejection{std::string(ErrorCodeName(e.code)), e.message};
    requests->push_back(std::move(r));
  }
  return ErrorLine(e);
}

// The first result of a command, rebuilt from its record (and the log, for the event types).
ExecResult CommandExecutor::Impl::Replay(const AppendResult& first) {
  if (first.rejection) return ErrorLine(CodeFromName(first.rejection->code), first.rejection->message);
  if (first.first_position == 0) {  // the command changed nothing; its own stream comes first
    if (first.streams.empty()) return OkLine(0, "", 0, {});
    return OkLine(0, first.streams.front().stream, first.streams.front().last_version, {});
  }
  auto reader = store_.ReadLog(first.first_position);
  if (!reader.ok()) return ErrorLine(ErrorCode::kStorageError, reader.status().ToString());
  std::vector<std::string_view> types;
  std::string stream;
  uint64_t version = 0;
  for (uint64_t p = first.first_position; p <= first.last_position; ++p) {
    auto next = (*reader)->Next();
    if (!next.ok() || !next->has_value()) {
      return ErrorLine(ErrorCode::kStorageError, "cannot read the first result of command '" +
                                                     first.command_id + "'");
    }
    types.push_back((**next).type_name());
    stream = std::string((**next).stream());
    version = (**next).version();
  }
  return OkLine(first.last_position, stream, version, types);
}

std::optional<ExecResult> CommandExecutor::Impl::Plan(std::string_view line, size_t index,
                                                      std::vector<AppendRequest>* requests,
                                                      std::vector<Planned>* planned) {
  auto parsed = ParseCommand(line);
  if (auto* e = std::get_if<Error>(&parsed)) return ErrorLine(*e);
  Command& cmd = std::get<Command>(parsed);

  if (!cmd.command_id.empty()) {
    if (batch_commands_.count(cmd.command_id)) return std::nullopt;  // answered after the batch
    auto first = store_.LookupCommand(cmd.command_id);
    if (!first.ok()) return ErrorLine(ErrorCode::kStorageError, first.status().ToString());
    if (first->has_value()) return Replay(**first);
    batch_commands_.emplace(cmd.command_id, index);
  }

  View view(*this);
  Context ctx;
  ctx.actor = cmd.actor.empty() ? options_.default_actor : cmd.actor;
  ctx.now_us = NowMicros();
  {
    auto user = view.Load(StreamName("user", ctx.actor));
    if (!user.ok()) return ErrorLine(ErrorCode::kStorageError, user.status().ToString());
    const UserState* u = As<UserState>(**user);
    if (!u) {
      return Reject(cmd, Error{ErrorCode::kForbidden, "unknown user '" + ctx.actor +
                                                          "': commands run as an existing user "
                                                          "(--as, CRM_USER or \"actor\")"},
                    requests);
    }
    ctx.role = u->role;
  }
  if (auto denied = Authorize(cmd.type, ctx.role)) return Reject(cmd, *denied, requests);
  {
    auto settings = view.Load("config-settings");
    if (!settings.ok()) return ErrorLine(ErrorCode::kStorageError, settings.status().ToString());
    const SettingsState* s = As<SettingsState>(**settings);
    ctx.strict = s ? s->strict : true;
  }
  if (cmd.occurred_at_us > ctx.now_us + kMaxFutureSkewUs) {
    return Reject(cmd, Error{ErrorCode::kValidation, "occurred_at is in the future"}, requests);
  }
  if (cmd.expected_version) {
    const CommandSpec* spec = FindCommand(cmd.type_name);
    const std::string primary = spec->primary_id_field.empty()
                                    ? std::string("config-settings")
                                    : StreamName(spec->kind, cmd.Str(spec->primary_id_field));
    auto state = view.Load(primary);
    if (!state.ok()) return ErrorLine(ErrorCode::kStorageError, state.status().ToString());
    if (!cmd.expected_version->Matches((*state)->version)) {
      return Reject(cmd,
                    Error{ErrorCode::kConcurrencyConflict,
                          "stream '" + primary + "' is at version " +
                              std::to_string((*state)->version) + ", expected " +
                              cmd.expected_version->ToString()},
                    requests);
    }
  }

  Outcome outcome = Decide(cmd, ctx, view);
  if (auto* e = std::get_if<Error>(&outcome)) return Reject(cmd, *e, requests);
  Decision& d = std::get<Decision>(outcome);
  if (d.empty() && cmd.command_id.empty()) {
    auto state = view.Load(d.primary_stream);
    const uint64_t version = state.ok() ? (*state)->version : 0;
    return OkLine(0, d.primary_stream, version, {});
  }
  // A command that changed nothing but carries a command_id is recorded too (with its reads as
  // conditions, its own stream first), so that a retry gets this answer and not a new decision.

  // Every stream read is a condition at the version read; written streams carry their events.
  AppendRequest req;
  req.command_id = cmd.command_id;
  req.correlation_id = cmd.correlation_id;
  req.actor = ctx.actor;
  req.occurred_at_us = cmd.occurred_at_us;
  req.links = std::move(d.links);
  Planned plan;
  plan.index = index;
  // The command's own stream goes last, so the result's "last event appended" (SPEC §2) is the
  // command's entity; policy events (automatic progression) come just before it.
  std::stable_partition(d.writes.begin(), d.writes.end(),
                        [&](const StreamEvents& w) { return w.stream != d.primary_stream; });
  if (d.writes.empty()) {
    auto primary = view.Load(d.primary_stream);
    if (!primary.ok()) return ErrorLine(ErrorCode::kStorageError, primary.status().ToString());
    StreamEvents own;
    own.stream = d.primary_stream;
    d.writes.push_back(std::move(own));
    plan.last_stream = d.primary_stream;
  }
  for (StreamEvents& w : d.writes) {
    auto state = view.Load(w.stream);
    if (!state.ok()) return ErrorLine(ErrorCode::kStorageError, state.status().ToString());
    w.expected = ExpectedVersion::Exactly((*state)->version);
    if (w.events.empty()) continue;  // the own stream of a command that changed nothing
    StreamState next = **state;
    for (const EventData& e : w.events) {
      Apply(e.data, &next);
      plan.events.push_back(fb::EnumNamePayload(e.data.type));
    }
    overlay_[w.stream] = std::move(next);
    plan.last_stream = w.stream;
  }
  for (const std::string& read : view.order()) {
    bool written = false;
    for (const auto& w : d.writes) written = written || w.stream == read;
    if (written) continue;
    StreamEvents condition;
    condition.stream = read;
    condition.expected = ExpectedVersion::Exactly(view.state(read).version);
    d.writes.push_back(std::move(condition));
  }
  req.streams = std::move(d.writes);
  for (const StreamLink& l : req.links) overlay_links_[l.from].push_back(l.to);
  requests->push_back(std::move(req));
  planned->push_back(std::move(plan));
  return std::nullopt;
}

std::vector<ExecResult> CommandExecutor::Impl::ExecuteBatch(
    const std::vector<std::string_view>& lines) {
  std::vector<std::optional<ExecResult>> results(lines.size());
  size_t start = 0;
  while (start < lines.size()) start = ExecuteFrom(lines, start, &results);
  std::vector<ExecResult> out;
  out.reserve(results.size());
  for (auto& r : results) {
    out.push_back(r ? std::move(*r) : ErrorLine(ErrorCode::kStorageError, "no result"));
  }
  return out;
}

// Decides lines[start..] and commits them in one group. Returns lines.size() when every line has
// its final result, or the index to continue from: when an append of the batch fails (or turns
// out to be a duplicate), the lines after it were decided assuming it would commit, so they are
// decided again on fresh state.
size_t CommandExecutor::Impl::ExecuteFrom(const std::vector<std::string_view>& lines, size_t start,
                                          std::vector<std::optional<ExecResult>>* results) {
  // Anyone else's append since ours makes the cache suspect: drop it (it refills on demand).
  if (store_.LastPosition() != seen_position_) ResetCaches();

  std::vector<AppendRequest> requests;
  std::vector<size_t> request_line;  // the line of each request
  std::vector<Planned> planned;
  std::vector<size_t> plan_request;  // the request of each plan
  std::vector<std::pair<size_t, size_t>> duplicates;  // (line, first line with its command_id)
  for (size_t i = start; i < lines.size(); ++i) {
    const size_t planned_before = planned.size();
    const size_t requests_before = requests.size();
    (*results)[i] = Plan(lines[i], i, &requests, &planned);
    for (size_t k = requests_before; k < requests.size(); ++k) request_line.push_back(i);
    if (planned.size() > planned_before) plan_request.push_back(requests.size() - 1);
    if (!(*results)[i] && planned.size() == planned_before) {
      auto parsed = ParseCommand(lines[i]);
      duplicates.emplace_back(i, batch_commands_.at(std::get<Command>(parsed).command_id));
    }
  }

  size_t failed_line = lines.size();
  if (!requests.empty()) {
    if (options_.before_commit) options_.before_commit();
    const uint64_t before = store_.LastPosition();
    std::vector<Result<AppendResult>> appended =
        store_.AppendBatch(std::move(requests), EventStore::BatchMode::kStopAtFirstFailure);
    uint64_t ours = 0;
    std::vector<bool> has_plan(appended.size(), false);
    for (size_t k : plan_request) has_plan[k] = true;
    for (size_t k = 0; k < appended.size(); ++k) {
      const auto& r = appended[k];
      if (!r.ok() || r->duplicate) {
        failed_line = std::min(failed_line, request_line[k]);
        // A rejection record whose command_id another executor answered first: that answer.
        if (r.ok() && !has_plan[k]) (*results)[request_line[k]] = Replay(*r);
      } else if (r->first_position != 0) {
        ours += r->last_position - r->first_position + 1;
      }
    }
    for (size_t k = 0; k < planned.size(); ++k) {
      const Planned& plan = planned[k];
      if (plan.index > failed_line) continue;  // decided again below
      const Result<AppendResult>& r = appended[plan_request[k]];
      if (!r.ok()) {
        (*results)[plan.index] = ErrorLine(CodeFromStatus(r.status()), r.status().message());
      } else if (r->duplicate) {
        (*results)[plan.index] = Replay(*r);
      } else {
        uint64_t version = 0;
        for (const auto& st : r->streams) {
          if (st.stream == plan.last_stream) version = st.last_version;
        }
        (*results)[plan.index] = OkLine(r->last_position, plan.last_stream, version, plan.events);
      }
    }
    // The cache stays valid only if the log grew by exactly our events and nothing failed.
    if (failed_line == lines.size() && before + ours == store_.LastPosition() &&
        before == seen_position_) {
      for (auto& [stream, state] : overlay_) cache_.Put(stream, std::move(state));
      seen_position_ = store_.LastPosition();
    } else {
      ResetCaches();
    }
  }
  for (auto [i, first] : duplicates) {
    if (i <= failed_line) (*results)[i] = (*results)[first];
  }
  overlay_.clear();
  overlay_links_.clear();
  batch_commands_.clear();
  if (failed_line == lines.size()) return lines.size();
  for (size_t i = failed_line + 1; i < lines.size(); ++i) (*results)[i].reset();
  return failed_line + 1;
}

void CommandExecutor::Impl::ResetCaches() {
  cache_ = LruCache<StreamState>(options_.state_cache_entries);
  seen_position_ = store_.LastPosition();
}

CommandExecutor::CommandExecutor(EventStore* store, ExecOptions options)
    : impl_(std::make_unique<Impl>(store, std::move(options))) {}
CommandExecutor::~CommandExecutor() = default;

ExecResult CommandExecutor::Execute(std::string_view line) {
  return std::move(impl_->ExecuteBatch({line}).front());
}

std::vector<ExecResult> CommandExecutor::ExecuteBatch(const std::vector<std::string_view>& lines) {
  return impl_->ExecuteBatch(lines);
}

Result<bool> EnsureAdminUser(EventStore& store) {
  auto version = store.StreamVersion("user-admin");
  if (!version.ok()) return version.status();
  if (*version != 0) return false;
  fb::UserCreatedT user;
  user.user_id = "admin";
  user.name = "Administrator";
  user.role = fb::UserRole::admin;
  AppendRequest req;
  req.actor = "system";
  req.command_id = "crm-init:user-admin";
  StreamEvents s;
  s.stream = "user-admin";
  s.expected = ExpectedVersion::NoStream();
  s.events.emplace_back().data.Set(std::move(user));
  req.streams.push_back(std::move(s));
  auto r = store.Append(std::move(req));
  if (!r.ok()) return r.status();
  return !r->duplicate;
}

}  // namespace crm
