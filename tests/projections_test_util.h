// Helpers for the projections tests (projections_*_test.cc): a store with the CRM projector, its
// admin user and an executor; readers of get/list/history/report; the scenarios several tests
// share, with every time given as occurred_at so that the expected output is exact.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crm/commands.h"
#include "crm/event_store.h"
#include "crm/projections.h"
#include "domain_test_util.h"
#include "test_util.h"

namespace crm::test {

// Microseconds since the epoch of "YYYY-MM-DDTHH:MM:SSZ".
int64_t Us(std::string_view rfc3339);

// A field of a row: its JSON literal / plain text; "<absent>" when the row has no such field.
std::string J(const Doc& d, std::string_view field);
std::string Tx(const Doc& d, std::string_view field);
// One field of every row, as plain text.
std::vector<std::string> Column(const std::vector<Doc>& docs, std::string_view field);
// The names of a row's fields, in order.
std::vector<std::string> FieldNames(const Doc& d);

// Every row of the projections column family (key -> value).
Result<std::map<std::string, std::string>> AllProjectionRows(EventStore& store);

// A projector that is the CRM projector in all but its version: opening a database with it
// rebuilds the projections from the log (a fresh fold).
std::shared_ptr<Projector> RebuildingProjector(uint32_t version = 1000);

// A fresh store (no fsync) with the CRM projector, its admin user and an executor (default actor
// admin).
class ProjectionsTest : public ::testing::Test {
 protected:
  void SetUp() override;

  // Runs a command that must succeed / be rejected with `code` (a non-fatal failure otherwise).
  Outcome Ok(const std::string& line);
  Outcome Rejected(const std::string& line, std::string_view code);

  std::unique_ptr<CrmReader> Reader();
  // The entity's state, std::nullopt if it does not exist (failures fail the test).
  std::optional<Doc> Get(std::string_view kind, std::string_view id);
  // Its JSON line; "<missing>" if it does not exist.
  std::string GetJson(std::string_view kind, std::string_view id);
  // One field of the entity's state (JSON literal); "<missing>" if it does not exist.
  std::string Field(std::string_view kind, std::string_view id, std::string_view field);

  Result<std::vector<Doc>> ListResult(const ListQuery& q);
  // The ids (first field) of a list; failures fail the test.
  std::vector<std::string> ListIds(std::string_view kind,
                                   std::vector<std::pair<std::string, std::string>> filters = {},
                                   size_t limit = 0, std::string after = "");

  Result<std::vector<Doc>> HistoryResult(std::string_view stream, size_t limit = 0,
                                         uint64_t before = 0);
  // The history of account `id` (failures fail the test).
  std::vector<Doc> History(std::string_view account_id, size_t limit = 0, uint64_t before = 0);
  std::vector<std::string> Summaries(std::string_view account_id);

  Result<std::vector<Doc>> ReportResult(std::string_view name, ReportOptions o = {});
  std::vector<std::string> ReportJson(std::string_view name, ReportOptions o = {});

  Result<std::vector<Doc>> AuditResult(std::string_view stream, std::string_view field = "");
  // "type field old->new" per audit row (JSON literals), e.g. "AccountAssigned owner "a"->"b"".
  std::vector<std::string> AuditLines(std::string_view stream, std::string_view field = "");

  void AddUser(const std::string& id, const std::string& role);
  void SetStrict(bool strict);

  // Users moses (sales), anna (sales), sam (support), dustin (manager).
  void AddTeam();
  // Account A1 "Acme Corp" with two contacts, three opportunities (won, lost, open), a quote, an
  // order, two invoices (one paid), recorded revenue, two tickets (one closed), an activity, a
  // note and an update. Every command carries occurred_at (2024-03-..). Needs AddTeam().
  void BuildAcme();

  TempDir dir_;
  std::unique_ptr<EventStore> store_;
  std::unique_ptr<CommandExecutor> exec_;
  // The projector's snapshot interval for this test's store (set before SetUp).
  uint64_t snapshot_every_ = CrmProjectorOptions{}.snapshot_every;
};

}  // namespace crm::test
