// `crm export <kind> [--format csv|jsonl]`: the current state of every entity of a kind, in id
// order, streamed row by row from a follower (so it runs beside a writer and needs memory for one
// row, whatever the number of entities).
//
// Columns: the kind's field table in its fixed order (DocColumns), without `version`. CSV writes
// each address as five dotted columns (billing_address.street, …) so that every part survives a
// round trip through `crm import`; JSON Lines keeps addresses as objects. CSV is RFC 4180 through
// libcsv, every field quoted, a header row even when there are no entities.
#include <spdlog/spdlog.h>

#include <memory>

#include "cli/doc_output.h"
#include "cli/exit_codes.h"
#include "cli/transfer_commands.h"
#include "crm/projections.h"

namespace crm::cli {
namespace {

struct ExportArgs {
  std::string kind;
  std::string format = "csv";
};

int RunExport(const Globals& g, const ExportArgs& a) {
  const bool csv = a.format == "csv";
  DocOptions shape;
  shape.flat_addresses = csv;
  shape.version = false;
  auto columns = DocColumns(a.kind, shape);
  if (!columns.ok()) {
    spdlog::error("{}", columns.status().message());
    return kExitUsage;
  }
  auto store = EventStore::Open(g.db, g.StoreOptions(OpenMode::kFollower));
  if (!store.ok()) {
    spdlog::error("{}", store.status().message());
    return store.status().code() == Code::kNotFound ? kExitUnavailable
                                                    : ExitCodeFor(store.status());
  }
  auto reader = CrmReader::Open(**store);
  if (!reader.ok()) {
    spdlog::error("{}", reader.status().message());
    return reader.status().code() == Code::kNotSupported ? kExitUnavailable
                                                         : ExitCodeFor(reader.status());
  }

  LineOut out;
  if (csv) {
    for (size_t i = 0; i < columns->size(); ++i) {
      if (i) out.buffer().push_back(',');
      AppendCsvField((*columns)[i], &out.buffer());
    }
    out.EndLine();
  }
  ListQuery all;
  all.kind = a.kind;
  Status s = csv ? (*reader)->ForEach(
                       all,
                       [&](Doc&& d) {
                         for (size_t i = 0; i < d.fields.size(); ++i) {
                           if (i) out.buffer().push_back(',');
                           AppendCsvField(d.fields[i].text, &out.buffer());
                         }
                         out.EndLine();
                         return out.open();  // stop once the reader has gone away
                       },
                       shape)
                 : (*reader)->ForEachJson(
                       all,
                       [&](std::string_view json) { return out.WriteLine(json); },
                       shape);
  out.Flush();
  if (!s.ok()) {
    spdlog::error("{}", s.message());
    return s.code() == Code::kNotSupported ? kExitUnavailable : ExitCodeFor(s);
  }
  return kExitOk;
}

}  // namespace

void AddExportCommand(CLI::App& app, const Globals& g, Commands* commands) {
  auto a = std::make_shared<ExportArgs>();
  auto* cmd = app.add_subcommand(
      "export",
      "Print the current state of every entity of a kind, in id order: CSV with a header row "
      "(addresses as dotted columns, e.g. billing_address.city) or JSON Lines. Runs beside a "
      "writer");
  cmd->add_option("kind", a->kind,
                  "account, contact, lead, opportunity, ticket, activity, quote, order, invoice "
                  "or user")
      ->required();
  cmd->add_option("--format", a->format, "csv (default) or jsonl")
      ->check(CLI::IsMember({"csv", "jsonl"}));
  (*commands)[cmd] = [&g, a] { return RunExport(g, *a); };
}

}  // namespace crm::cli
