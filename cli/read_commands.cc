#include "cli/read_commands.h"

#include <spdlog/spdlog.h>

#include <memory>

#include "cli/doc_output.h"
#include "cli/exit_codes.h"
#include "crm/projections.h"
#include "crm/replay.h"
#include "crm/time_format.h"

namespace crm::cli {
namespace {

// A read failure's exit code: stale projections count as "unreadable" (4).
int ReadExitCode(const Status& s) {
  if (s.code() == Code::kNotSupported) return kExitUnavailable;
  if (s.code() == Code::kNotFound) return kExitNotFound;
  return ExitCodeFor(s);
}

int Fail(const Status& s) {
  spdlog::error("{}", s.message());
  return ReadExitCode(s);
}

struct Session {
  std::unique_ptr<EventStore> store;
  std::unique_ptr<CrmReader> reader;
};

// Opens a follower and a projection snapshot; on failure logs and sets *exit_code.
std::optional<Session> OpenSession(const Globals& g, bool with_reader, int* exit_code) {
  auto store = EventStore::Open(g.db, g.StoreOptions(OpenMode::kFollower));
  if (!store.ok()) {
    // A missing or unreadable database is 4, not "not found" (3, for entities).
    spdlog::error("{}", store.status().message());
    *exit_code = store.status().code() == Code::kNotFound ? kExitUnavailable
                                                          : ReadExitCode(store.status());
    return std::nullopt;
  }
  Session s;
  s.store = std::move(store).value();
  if (with_reader) {
    auto reader = CrmReader::Open(*s.store);
    if (!reader.ok()) {
      *exit_code = Fail(reader.status());
      return std::nullopt;
    }
    s.reader = std::move(reader).value();
  }
  return s;
}

struct FormatArg {
  std::string name = "jsonl";
  void Add(CLI::App* cmd) {
    cmd->add_option("--format", name, "jsonl (default), table or csv")
        ->check(CLI::IsMember({"jsonl", "json", "table", "csv"}));
  }
  DocFormat get() const {
    DocFormat f = DocFormat::kJsonl;
    ParseDocFormat(name, &f);
    return f;
  }
};

// --at POSITION | --as-of TIME | --as-of-business TIME (at most one).
struct WhenArgs {
  uint64_t at = 0;
  std::string as_of, as_of_business;
  void Add(CLI::App* cmd, std::string_view what) {
    auto* a = cmd->add_option("--at", at, std::string(what) + " as it was right after this position")
                  ->check(CLI::PositiveNumber);
    auto* b = cmd->add_option("--as-of", as_of,
                              std::string(what) + " as it was at this RFC 3339 system time "
                              "(recorded_at: what the database knew then)");
    auto* c = cmd->add_option("--as-of-business", as_of_business,
                              std::string(what) + " counting only events that had occurred by "
                              "this RFC 3339 business time (occurred_at)");
    a->excludes(b)->excludes(c);
    b->excludes(c);
  }
  bool set() const { return at != 0 || !as_of.empty() || !as_of_business.empty(); }
  // On a bad time: logs, returns nullopt.
  std::optional<PointInTime> Point() const {
    if (at != 0) return PointInTime::AtPosition(at);
    const std::string& text = as_of.empty() ? as_of_business : as_of;
    auto t = ParseTimestamp(text);
    if (!t) {
      spdlog::error("'{}' is not an RFC 3339 time (e.g. 2017-03-01T16:00:00Z)", text);
      return std::nullopt;
    }
    return as_of.empty() ? PointInTime::OccurredAt(*t) : PointInTime::RecordedAt(*t);
  }
};

struct GetArgs {
  std::string kind, id;
  WhenArgs when;
  FormatArg format;
};

int RunGet(const Globals& g, const GetArgs& a) {
  int code = kExitOk;
  auto s = OpenSession(g, true, &code);
  if (!s) return code;
  std::optional<PointInTime> when;
  if (a.when.set() && !(when = a.when.Point())) return kExitUsage;
  if (!when && a.format.get() == DocFormat::kJsonl) {  // the JSON line straight from the row
    LineOut out;
    auto found = s->reader->GetJson(a.kind, a.id, &out.buffer());
    if (!found.ok()) return Fail(found.status());
    if (!*found) {
      spdlog::error("{} {} does not exist", a.kind, a.id);
      return kExitNotFound;
    }
    out.EndLine();
    return kExitOk;
  }
  auto doc = when ? GetAsOf(*s->store, *s->reader, a.kind, a.id, *when)
                  : s->reader->Get(a.kind, a.id);
  if (!doc.ok()) return Fail(doc.status());
  if (!doc->has_value()) {
    spdlog::error("{} {} {}", a.kind, a.id, when ? "did not exist then" : "does not exist");
    return kExitNotFound;
  }
  LineOut out;
  PrintDoc(**doc, a.format.get(), out);
  return kExitOk;
}

struct ListArgs {
  std::string kind;
  std::string type, status, industry, owner, stage, priority, name, after;
  size_t limit = 0;
  FormatArg format;
};

int RunList(const Globals& g, const ListArgs& a) {
  int code = kExitOk;
  auto s = OpenSession(g, true, &code);
  if (!s) return code;
  ListQuery q;
  q.kind = a.kind;
  q.limit = a.limit;
  q.after_id = a.after;
  for (auto [name, value] : {std::pair{"type", &a.type}, std::pair{"status", &a.status},
                             std::pair{"industry", &a.industry}, std::pair{"owner", &a.owner},
                             std::pair{"stage", &a.stage}, std::pair{"priority", &a.priority},
                             std::pair{"name", &a.name}}) {
    if (!value->empty()) q.filters.emplace_back(name, *value);
  }
  LineOut out;
  if (a.format.get() == DocFormat::kJsonl) {  // each line straight from its row, as it is read
    Status st = s->reader->ForEachJson(
        q, [&](std::string_view json) { return out.WriteLine(json); });  // false: reader gone
    if (!st.ok()) {
      out.Flush();
      return Fail(st);
    }
    return kExitOk;
  }
  auto docs = s->reader->List(q);
  if (!docs.ok()) return Fail(docs.status());
  PrintDocs(*docs, a.format.get(), out);
  return kExitOk;
}

struct HistoryArgs {
  std::string account_id;
  size_t limit = 50;
  uint64_t before = 0;
  WhenArgs when;
  FormatArg format;
};

int RunHistory(const Globals& g, const HistoryArgs& a) {
  int code = kExitOk;
  auto s = OpenSession(g, true, &code);
  if (!s) return code;
  std::optional<PointInTime> when;
  if (a.when.set() && !(when = a.when.Point())) return kExitUsage;
  const std::string stream = StreamName("account", a.account_id);
  LineOut out;
  if (!when && a.format.get() == DocFormat::kJsonl) {  // JSON Lines straight from the stored page
    auto page = s->reader->HistoryEntries(stream, a.limit, a.before);
    if (!page.ok()) return Fail(page.status());
    for (const HistoryPage::Entry& e : *page) {
      HistoryPage::AppendJson(e, &out.buffer());
      out.EndLine();
      if (!out.open()) break;
    }
    return kExitOk;
  }
  auto docs = when ? HistoryAsOf(*s->store, *s->reader, stream, a.limit, a.before, *when)
                   : s->reader->History(stream, a.limit, a.before);
  if (!docs.ok()) return Fail(docs.status());
  PrintDocs(*docs, a.format.get(), out);
  return kExitOk;
}

struct AuditArgs {
  std::string stream, field;
  FormatArg format;
};

int RunAudit(const Globals& g, const AuditArgs& a) {
  int code = kExitOk;
  auto s = OpenSession(g, false, &code);
  if (!s) return code;
  auto docs = Audit(*s->store, a.stream, a.field);
  if (!docs.ok()) return Fail(docs.status());
  LineOut out;
  PrintDocs(*docs, a.format.get(), out);
  return kExitOk;
}

struct ReportArgs {
  std::string name;
  int days = 30;
  std::string now;
  WhenArgs when;
  FormatArg format;
};

int RunReport(const Globals& g, const ReportArgs& a) {
  ReportOptions o;
  o.days = a.days;
  if (!a.now.empty()) {
    auto t = ParseTimestamp(a.now);
    if (!t) {
      spdlog::error("--now '{}' is not an RFC 3339 time", a.now);
      return kExitUsage;
    }
    o.now_us = *t;
  }
  int code = kExitOk;
  auto s = OpenSession(g, true, &code);
  if (!s) return code;
  std::optional<PointInTime> when;
  if (a.when.set() && !(when = a.when.Point())) return kExitUsage;
  auto docs = when ? ReportAsOf(*s->store, a.name, o, *when) : s->reader->Report(a.name, o);
  if (!docs.ok()) return Fail(docs.status());
  LineOut out;
  PrintDocs(*docs, a.format.get(), out);
  return kExitOk;
}

// A count: digits only (CLI11's NonNegativeNumber prints its range as a 300-digit double).
const CLI::Validator kCount(
    [](std::string& s) -> std::string {
      if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) {
        return "must be a whole number, 0 or more";
      }
      return "";
    },
    "N");

const char kKinds[] =
    "account, contact, lead, opportunity, ticket, activity, quote, order, invoice or user";

}  // namespace

void AddReadCommands(CLI::App& app, const Globals& g, Commands* commands) {
  {
    auto a = std::make_shared<GetArgs>();
    auto* cmd = app.add_subcommand("get", "Print the current state of one entity");
    cmd->add_option("kind", a->kind, kKinds)->required();
    cmd->add_option("id", a->id, "The entity's id")->required();
    a->when.Add(cmd, "The state");
    a->format.Add(cmd);
    (*commands)[cmd] = [&g, a] { return RunGet(g, *a); };
  }
  {
    auto a = std::make_shared<ListArgs>();
    auto* cmd = app.add_subcommand(
        "list", "List entities of a kind in id order, optionally filtered (case-insensitive)");
    cmd->add_option("kind", a->kind, kKinds)->required();
    cmd->add_option("--type", a->type, "account type, activity kind or user role");
    cmd->add_option("--status", a->status, "Status (account, lead, ticket, activity, quote, invoice)");
    cmd->add_option("--industry", a->industry, "Industry (account, lead)");
    cmd->add_option("--owner", a->owner, "Owner (account, lead, opportunity; ticket assignee)");
    cmd->add_option("--stage", a->stage, "Opportunity stage");
    cmd->add_option("--priority", a->priority, "Ticket priority");
    cmd->add_option("--name", a->name, "Name prefix (case-insensitive)");
    cmd->add_option("--limit", a->limit, "At most N entities (default: all)")->check(kCount);
    cmd->add_option("--after", a->after, "Only ids after this one (paging)");
    a->format.Add(cmd);
    (*commands)[cmd] = [&g, a] { return RunList(g, *a); };
  }
  {
    auto a = std::make_shared<HistoryArgs>();
    auto* cmd = app.add_subcommand(
        "history",
        "The account activity history, newest first: every event of the account and of "
        "everything linked to it, each with a one-line summary");
    cmd->add_option("account_id", a->account_id, "The account's id")->required();
    cmd->add_option("--limit", a->limit, "At most N entries (default 50; 0: all)")->check(kCount);
    cmd->add_option("--before", a->before, "Only entries before this position (paging)");
    a->when.Add(cmd, "The history");
    a->format.Add(cmd);
    (*commands)[cmd] = [&g, a] { return RunHistory(g, *a); };
  }
  {
    auto a = std::make_shared<AuditArgs>();
    auto* cmd = app.add_subcommand(
        "audit", "Field-level changes of one stream: position, recorded_at, actor, field, old, new");
    cmd->add_option("stream", a->stream, "The stream, e.g. account-A1")->required();
    cmd->add_option("--field", a->field, "Only this field");
    a->format.Add(cmd);
    (*commands)[cmd] = [&g, a] { return RunAudit(g, *a); };
  }
  {
    auto a = std::make_shared<ReportArgs>();
    auto* cmd = app.add_subcommand("report", "Analytics: pipeline, conversion, tickets, revenue, inactive");
    cmd->add_option("name", a->name, "pipeline, conversion, tickets, revenue or inactive")
        ->required()
        ->check(CLI::IsMember({"pipeline", "conversion", "tickets", "revenue", "inactive"}));
    cmd->add_option("--days", a->days, "inactive: no history entry in the last N days (default 30)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--now", a->now,
                    "inactive: evaluate as of this RFC 3339 time (default: now, or the --as-of "
                    "time)");
    a->when.Add(cmd, "The report");
    a->format.Add(cmd);
    (*commands)[cmd] = [&g, a] { return RunReport(g, *a); };
  }
}

}  // namespace crm::cli
