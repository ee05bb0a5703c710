// `crm import <kind> FILE.csv`: runs crm::CsvImport and prints its report on stdout as JSON Lines
// -- one line per unknown column (a warning), one per failed or skipped row, and a summary line
// last. A progress line goes to stderr when it is a terminal.
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>

#include "cli/exit_codes.h"
#include "cli/output.h"
#include "cli/progress.h"
#include "cli/transfer_commands.h"
#include "crm/bulk.h"
#include "crm/commands.h"

namespace crm::cli {
namespace {

struct ImportArgs {
  std::string kind;
  std::string file;
  std::vector<std::string> maps;
  std::string on_duplicate = "skip";
  bool dry_run = false;
};

void Str(JsonWriter& w, const char* key, std::string_view value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

// Report lines on stdout, flushed as they come (a long import shows its problems early).
class PrintingSink final : public ImportSink {
 public:
  explicit PrintingSink(LineOut& out) : out_(out) {}

  void Row(const RowReport& r) override {
    JsonLine line(out_);
    JsonWriter& w = line.w();
    w.StartObject();
    w.Key("row");
    w.Uint64(r.row);
    w.Key("line");
    w.Uint64(r.line);
    Str(w, "outcome", r.outcome == RowReport::Outcome::kFailed ? "failed" : "skipped");
    w.Key("column");
    if (r.column.empty()) {
      w.Null();
    } else {
      w.String(r.column.data(), static_cast<rapidjson::SizeType>(r.column.size()));
    }
    w.Key("field");
    if (r.field.empty()) {
      w.Null();
    } else {
      w.String(r.field.data(), static_cast<rapidjson::SizeType>(r.field.size()));
    }
    if (!r.code.empty()) Str(w, "code", r.code);
    Str(w, "message", r.message);
    if (!r.id.empty()) Str(w, "id", r.id);
    if (!r.duplicate_of.empty()) {
      Str(w, "duplicate_of", r.duplicate_of);
      Str(w, "match", r.match);
      w.Key("duplicate_in_file");
      w.Bool(r.duplicate_in_file);
      if (r.duplicate_of_row) {
        w.Key("duplicate_of_row");
        w.Uint64(r.duplicate_of_row);
      }
    }
    if (!r.applied.empty()) {
      w.Key("applied");
      w.StartArray();
      for (const auto& a : r.applied) w.String(a.c_str());
      w.EndArray();
    }
    w.EndObject();
    out_.EndLine();
  }

 private:
  LineOut& out_;
};

int RunImport(const Globals& g, const ImportArgs& a) {
  const auto started = std::chrono::steady_clock::now();
  ImportOptions options;
  options.kind = a.kind;
  options.actor = g.user;
  options.on_duplicate = a.on_duplicate == "update"  ? OnDuplicate::kUpdate
                         : a.on_duplicate == "error" ? OnDuplicate::kError
                                                     : OnDuplicate::kSkip;
  for (const auto& m : a.maps) {
    const size_t eq = m.find('=');
    if (eq == std::string::npos || eq == 0) {
      spdlog::error("--map '{}': expected SRC=FIELD (SRC= ignores the column SRC)", m);
      return kExitUsage;
    }
    options.column_map.emplace_back(m.substr(0, eq), m.substr(eq + 1));
  }
  auto bar = std::make_shared<ProgressBar>("importing", "rows");
  options.progress = [bar](uint64_t rows, uint64_t bytes, uint64_t total) {
    // The total is estimated from the bytes read so far.
    const uint64_t estimate =
        total > 0 && bytes > 0 ? static_cast<uint64_t>(double(rows) * double(total) / double(bytes))
                               : rows;
    bar->Update(rows, std::max(rows, estimate));
  };

  // The file and its header first: a usage error never touches the database.
  auto import = CsvImport::Open(a.file, options);
  if (!import.ok()) {
    spdlog::error("{}", import.status().message());
    return kExitUsage;
  }
  LineOut out;
  for (const ImportColumn& c : (*import)->columns()) {
    if (c.use != ImportColumn::Use::kUnknown) continue;
    JsonLine line(out);
    JsonWriter& w = line.w();
    w.StartObject();
    Str(w, "warning", "unknown column");
    Str(w, "column", c.header);
    Str(w, "message",
        (c.header.empty() ? std::string("a column without a header")
                          : "column \"" + c.header + "\"") +
            " matches no " + a.kind + " field; it is ignored (see --map)");
    w.EndObject();
    out.EndLine();
  }
  out.Flush();

  PrintingSink sink(out);
  auto run = [&]() -> Result<ImportSummary> {
    if (a.dry_run) return (*import)->DryRun(g.db, g.StoreOptions(OpenMode::kReadWrite), sink);
    auto store = EventStore::Open(g.db, g.StoreOptions(OpenMode::kReadWrite));
    if (!store.ok()) return store.status();
    auto created = EnsureAdminUser(**store);
    if (!created.ok()) return created.status();
    return (*import)->Run(**store, sink);
  };
  Result<ImportSummary> summary = run();
  bar->Finish();
  if (!summary.ok()) {
    out.Flush();
    spdlog::error("{}", summary.status().message());
    return summary.status().code() == Code::kInvalidArgument ? kExitUsage
                                                             : ExitCodeFor(summary.status());
  }
  const ImportSummary& s = *summary;
  {
    JsonLine line(out);
    JsonWriter& w = line.w();
    w.StartObject();
    w.Key("ok");
    w.Bool(s.failed == 0 && s.complete);
    Str(w, "kind", a.kind);
    Str(w, "file", a.file);
    w.Key("dry_run");
    w.Bool(a.dry_run);
    for (auto [key, value] : {std::pair{"rows", s.rows}, std::pair{"created", s.created},
                              std::pair{"updated", s.updated}, std::pair{"unchanged", s.unchanged},
                              std::pair{"skipped", s.skipped}, std::pair{"failed", s.failed},
                              std::pair{"events", s.events}}) {
      w.Key(key);
      w.Uint64(value);
    }
    w.Key("complete");
    w.Bool(s.complete);
    w.Key("seconds");
    w.Double(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    w.EndObject();
    out.EndLine();
  }
  return s.failed == 0 && s.complete ? kExitOk : kExitRejected;
}

}  // namespace

void AddImportCommand(CLI::App& app, const Globals& g, Commands* commands) {
  auto a = std::make_shared<ImportArgs>();
  auto* cmd = app.add_subcommand(
      "import",
      "Import a CSV file (RFC 4180, header row) as accounts, contacts, leads, opportunities or "
      "tickets: each row becomes the commands `crm exec` would run. Prints one JSON line per "
      "failed or skipped row and a summary line. Exit 1 if some rows failed (the others are "
      "imported)");
  cmd->add_option("kind", a->kind, "account, contact, lead, opportunity or ticket")->required();
  cmd->add_option("file", a->file, "The CSV file")->required();
  cmd->add_option("--map", a->maps,
                  "SRC=FIELD: the column SRC holds FIELD (overrides the header aliases); SRC= "
                  "ignores the column. Repeatable");
  cmd->add_option("--on-duplicate", a->on_duplicate,
                  "A row matching an existing entity (same id; accounts: same name, e-mail or "
                  "phone; contacts: same e-mail): skip (default), update or error")
      ->check(CLI::IsMember({"skip", "update", "error"}));
  cmd->add_flag("--dry-run", a->dry_run,
                "Validate everything and report what would happen, on a throwaway copy of the "
                "database; nothing is written");
  (*commands)[cmd] = [&g, a] { return RunImport(g, *a); };
}

}  // namespace crm::cli
