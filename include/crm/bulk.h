// Bulk import of CSV files (`crm import`, SPEC §4): each data row becomes the SPEC §2 commands
// that create (or update) one entity, run through CommandExecutor exactly as `crm exec` runs them
// (same validation, same events), thousands of rows per group commit.
//
// What a row means, column mapping, duplicate rules and the report are documented in the README
// ("Importing and exporting") and in bulk/README.md.
//
// Threads: ImportCsv uses the store from the calling thread only; the store may be shared with
// other threads (their appends interleave with the import's batches). Lifetime: the store must
// outlive the call. Memory: bounded by the batch size, whatever the size of the file or the
// database (rows are streamed; duplicates are looked up in the projections' match index).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crm/event_store.h"
#include "crm/status.h"

namespace crm {

// The kinds `crm import` accepts: account, contact, lead, opportunity, ticket.
const std::vector<std::string_view>& ImportKinds();

// What to do with a row that matches an existing entity (or an earlier row of the file).
enum class OnDuplicate : uint8_t {
  kSkip,    // leave the entity as it is; report the row as skipped (the default)
  kUpdate,  // change the entity to the row's non-empty values
  kError,   // report the row as failed (ALREADY_EXISTS)
};

struct ImportOptions {
  std::string kind;  // one of ImportKinds()
  // --map SRC=FIELD: the column whose header is SRC (exactly, or case/space/underscore-
  // insensitively) maps to FIELD, overriding the aliases; an empty FIELD ignores the column.
  std::vector<std::pair<std::string, std::string>> column_map;
  OnDuplicate on_duplicate = OnDuplicate::kSkip;
  std::string actor = "admin";  // the user the commands run as
  size_t batch_rows = 1024;     // rows per group commit (larger groups were slower: bench/README)
  // Called after each batch: rows read so far, bytes read, the file's size (0 if unknown).
  std::function<void(uint64_t rows, uint64_t bytes, uint64_t total_bytes)> progress;
};

// How a header column was understood.
struct ImportColumn {
  std::string header;  // as in the file
  std::string field;   // the field it maps to; empty: not imported
  enum class Use : uint8_t {
    kField,     // imported
    kIgnored,   // --map SRC= (ignored on purpose)
    kComputed,  // a column `crm export` writes that crm computes (counters, …): not imported
    kUnknown,   // matches no field: reported as a warning, ignored
  } use = Use::kUnknown;
};

// One row that was not imported as it stands: failed, or skipped as a duplicate.
struct RowReport {
  enum class Outcome : uint8_t { kFailed, kSkipped };
  Outcome outcome = Outcome::kFailed;
  uint64_t row = 0;    // data row, from 1 after the header (blank rows are not counted)
  uint64_t line = 0;   // line of the file where the row starts, from 1
  std::string column;  // header of the column at fault (or matched); empty when none is
  std::string field;   // the field that column maps to
  std::string code;    // failed: SPEC §2 error code (ALREADY_EXISTS for --on-duplicate error)
  std::string message;
  std::string id;  // the entity id of the row (given or generated), when known
  // Duplicates: the existing entity, the match key ("id", "name", "email", "phone"), whether
  // that entity was created by this import, and its row when that is known.
  std::string duplicate_of;
  std::string match;
  bool duplicate_in_file = false;
  uint64_t duplicate_of_row = 0;
  // Commands of the row that had already succeeded when a later one failed (a row is several
  // commands when it carries a status, e.g. OpenAccount then DeactivateAccount).
  std::vector<std::string> applied;
};

struct ImportSummary {
  uint64_t rows = 0;  // data rows read (blank rows are not rows)
  uint64_t created = 0;
  uint64_t updated = 0;    // --on-duplicate update, and something changed
  uint64_t unchanged = 0;  // --on-duplicate update, nothing to change
  uint64_t skipped = 0;
  uint64_t failed = 0;
  uint64_t events = 0;   // events appended
  bool complete = true;  // false: reading stopped at a malformed row (reported as failed)
};

// Receives the report as the import goes.
class ImportSink {
 public:
  virtual ~ImportSink() = default;
  // Every failed or skipped row, in row order (after its batch has committed).
  virtual void Row(const RowReport& report) = 0;
};

// One CSV file being imported as one kind.
class CsvImport {
 public:
  // Opens the file and maps its header row to fields; nothing is imported yet, no database is
  // touched. Errors: kInvalidArgument (a kind that is not importable, a bad --map, no header row,
  // no usable column, a field every row needs without a column), kNotFound and kIOError (the file
  // cannot be read).
  static Result<std::unique_ptr<CsvImport>> Open(const std::string& path,
                                                 const ImportOptions& options);
  ~CsvImport();

  // How each header column was understood (kUnknown ones deserve a warning).
  const std::vector<ImportColumn>& columns() const;

  // Imports every row into `store`. Rows that fail are reported and the others still imported.
  // Errors after some rows were imported: kIOError (reading the file, or storage: the store
  // latches, see EventStore::Append). Call once.
  Result<ImportSummary> Run(EventStore& store, ImportSink& sink);

  // Run on a throwaway copy of the database in `db_dir` (EventStore::Checkpoint; a fresh
  // database when there is none): the report and the summary are the real import's, and nothing
  // is written to `db_dir`. The copy lives next to `db_dir` (so SST files are hard links), or
  // under $TMPDIR, and is removed when done. `store_options`: as for opening `db_dir` for
  // writing. Errors: as Run, and EventStore::Open's (kBusy: another process writes the database).
  Result<ImportSummary> DryRun(const std::string& db_dir, const Options& store_options,
                               ImportSink& sink);

 private:
  struct Impl;
  explicit CsvImport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace crm
