#include "projections_test_util.h"

#include "crm/time_format.h"

namespace crm::test {

int64_t Us(std::string_view rfc3339) {
  auto t = ParseTimestamp(rfc3339);
  EXPECT_TRUE(t.has_value()) << rfc3339;
  return t.value_or(0);
}

std::string J(const Doc& d, std::string_view field) {
  const Doc::Field* f = d.Find(field);
  return f ? f->json : "<absent>";
}

std::string Tx(const Doc& d, std::string_view field) {
  const Doc::Field* f = d.Find(field);
  return f ? f->text : "<absent>";
}

std::vector<std::string> Column(const std::vector<Doc>& docs, std::string_view field) {
  std::vector<std::string> out;
  for (const auto& d : docs) out.push_back(Tx(d, field));
  return out;
}

std::vector<std::string> FieldNames(const Doc& d) {
  std::vector<std::string> out;
  for (const auto& f : d.fields) out.push_back(f.name);
  return out;
}

Result<std::map<std::string, std::string>> AllProjectionRows(EventStore& store) {
  auto snapshot = store.ReadProjections();
  if (!snapshot.ok()) return snapshot.status();
  std::map<std::string, std::string> rows;
  Status s = snapshot->reader->Scan("", "", [&](std::string_view k, std::string_view v) {
    rows.emplace(std::string(k), std::string(v));
    return true;
  });
  if (!s.ok()) return s;
  return rows;
}

namespace {

class VersionedProjector final : public Projector {
 public:
  VersionedProjector(std::shared_ptr<Projector> inner, uint32_t version)
      : inner_(std::move(inner)), version_(version) {}
  std::string_view name() const override { return inner_->name(); }
  uint32_t version() const override { return version_; }
  Status Apply(const EventView& e, ProjectionReader& committed) override {
    return inner_->Apply(e, committed);
  }
  void Flush(ProjectionWriter& out) override { inner_->Flush(out); }
  void Committed() override { inner_->Committed(); }
  void Abandoned() override { inner_->Abandoned(); }
  void Reset() override { inner_->Reset(); }

 private:
  std::shared_ptr<Projector> inner_;
  uint32_t version_;
};

}  // namespace

std::shared_ptr<Projector> RebuildingProjector(uint32_t version) {
  return std::make_shared<VersionedProjector>(MakeCrmProjector(), version);
}

void ProjectionsTest::SetUp() {
  Options o = FastOptions();
  CrmProjectorOptions po;
  po.snapshot_every = snapshot_every_;
  o.projector = MakeCrmProjector(po);
  ASSERT_NO_FATAL_FAILURE(OpenStore(dir_.Sub("db"), o, &store_));
  ASSERT_OK_AND_ASSIGN(bool created, EnsureAdminUser(*store_));
  ASSERT_TRUE(created);
  exec_ = std::make_unique<CommandExecutor>(store_.get());
}

Outcome ProjectionsTest::Ok(const std::string& line) {
  ExecResult r = exec_->Execute(line);
  Outcome o = ParseOutcome(r.line);
  EXPECT_TRUE(r.ok) << line << "\n -> " << r.line;
  return o;
}

Outcome ProjectionsTest::Rejected(const std::string& line, std::string_view code) {
  const uint64_t before = store_->LastPosition();
  ExecResult r = exec_->Execute(line);
  Outcome o = ParseOutcome(r.line);
  EXPECT_FALSE(r.ok) << line << "\n -> " << r.line;
  EXPECT_EQ(o.code, code) << line << "\n -> " << r.line;
  EXPECT_EQ(store_->LastPosition(), before) << "a rejected command appended: " << line;
  return o;
}

std::unique_ptr<CrmReader> ProjectionsTest::Reader() {
  auto r = CrmReader::Open(*store_);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return nullptr;
  EXPECT_EQ((*r)->position(), store_->LastPosition()) << "the snapshot lags the log";
  return std::move(r).value();
}

std::optional<Doc> ProjectionsTest::Get(std::string_view kind, std::string_view id) {
  auto reader = Reader();
  if (!reader) return std::nullopt;
  auto doc = reader->Get(kind, id);
  EXPECT_TRUE(doc.ok()) << kind << " " << id << ": " << doc.status().ToString();
  if (!doc.ok()) return std::nullopt;
  return *doc;
}

std::string ProjectionsTest::GetJson(std::string_view kind, std::string_view id) {
  auto doc = Get(kind, id);
  // CrmReader::GetJson (what `crm get` prints) writes the same line without the Doc, with and
  // without each option.
  auto reader = Reader();
  if (!reader) return "<no reader>";
  for (bool flat : {false, true}) {
    for (bool version : {false, true}) {
      const DocOptions options{.flat_addresses = flat, .version = version};
      std::string line = "prefix";
      auto found = reader->GetJson(kind, id, &line, options);
      EXPECT_TRUE(found.ok()) << kind << " " << id << ": " << found.status().ToString();
      if (!found.ok()) continue;
      EXPECT_EQ(*found, doc.has_value()) << kind << " " << id;
      if (!*found) {
        EXPECT_EQ(line, "prefix") << "a missing entity appended something";
        continue;
      }
      auto expected = reader->Get(kind, id, options);
      EXPECT_TRUE(expected.ok() && expected->has_value()) << kind << " " << id;
      if (!expected.ok() || !expected->has_value()) continue;
      EXPECT_EQ(line, "prefix" + (*expected)->ToJson()) << "flat " << flat << " version " << version;
    }
  }
  return doc ? doc->ToJson() : "<missing>";
}

std::string ProjectionsTest::Field(std::string_view kind, std::string_view id,
                                   std::string_view field) {
  auto doc = Get(kind, id);
  return doc ? J(*doc, field) : "<missing>";
}

Result<std::vector<Doc>> ProjectionsTest::ListResult(const ListQuery& q) {
  auto reader = CrmReader::Open(*store_);
  if (!reader.ok()) return reader.status();
  auto docs = (*reader)->List(q);
  // ForEachJson (what `crm list` and `crm export` print) gives the same rows as JSON, and the
  // same error, with and without each option.
  for (bool flat : {false, true}) {
    for (bool version : {false, true}) {
      const DocOptions options{.flat_addresses = flat, .version = version};
      std::vector<std::string> lines;
      Status s = (*reader)->ForEachJson(q, [&](std::string_view json) {
        lines.emplace_back(json);
        return true;
      }, options);
      EXPECT_EQ(s.code(), docs.status().code()) << s.ToString();
      if (!docs.ok() || !s.ok()) continue;
      std::vector<std::string> expected;
      EXPECT_TRUE((*reader)->ForEach(q, [&](Doc&& d) {
        expected.push_back(d.ToJson());
        return true;
      }, options).ok());
      EXPECT_EQ(lines, expected) << "flat " << flat << " version " << version;
    }
  }
  return docs;
}

std::vector<std::string> ProjectionsTest::ListIds(
    std::string_view kind, std::vector<std::pair<std::string, std::string>> filters, size_t limit,
    std::string after) {
  ListQuery q;
  q.kind = std::string(kind);
  q.filters = std::move(filters);
  q.limit = limit;
  q.after_id = std::move(after);
  auto docs = ListResult(q);
  EXPECT_TRUE(docs.ok()) << docs.status().ToString();
  std::vector<std::string> ids;
  if (!docs.ok()) return ids;
  for (const auto& d : *docs) {
    EXPECT_FALSE(d.fields.empty());
    if (!d.fields.empty()) ids.push_back(d.fields.front().text);
  }
  return ids;
}

Result<std::vector<Doc>> ProjectionsTest::HistoryResult(std::string_view stream, size_t limit,
                                                        uint64_t before) {
  auto reader = CrmReader::Open(*store_);
  if (!reader.ok()) return reader.status();
  return (*reader)->History(stream, limit, before);
}

std::vector<Doc> ProjectionsTest::History(std::string_view account_id, size_t limit,
                                          uint64_t before) {
  auto h = HistoryResult(StreamName("account", account_id), limit, before);
  EXPECT_TRUE(h.ok()) << account_id << ": " << h.status().ToString();
  return h.ok() ? *h : std::vector<Doc>();
}

std::vector<std::string> ProjectionsTest::Summaries(std::string_view account_id) {
  return Column(History(account_id), "summary");
}

Result<std::vector<Doc>> ProjectionsTest::ReportResult(std::string_view name, ReportOptions o) {
  auto reader = CrmReader::Open(*store_);
  if (!reader.ok()) return reader.status();
  return (*reader)->Report(name, o);
}

std::vector<std::string> ProjectionsTest::ReportJson(std::string_view name, ReportOptions o) {
  auto rows = ReportResult(name, o);
  EXPECT_TRUE(rows.ok()) << name << ": " << rows.status().ToString();
  std::vector<std::string> out;
  if (rows.ok()) {
    for (const auto& d : *rows) out.push_back(d.ToJson());
  }
  return out;
}

Result<std::vector<Doc>> ProjectionsTest::AuditResult(std::string_view stream,
                                                      std::string_view field) {
  return Audit(*store_, stream, field);
}

std::vector<std::string> ProjectionsTest::AuditLines(std::string_view stream,
                                                     std::string_view field) {
  auto rows = AuditResult(stream, field);
  EXPECT_TRUE(rows.ok()) << stream << ": " << rows.status().ToString();
  std::vector<std::string> out;
  if (rows.ok()) {
    for (const auto& d : *rows) {
      out.push_back(Tx(d, "type") + " " + Tx(d, "field") + " " + J(d, "old") + "->" + J(d, "new"));
    }
  }
  return out;
}

void ProjectionsTest::AddUser(const std::string& id, const std::string& role) {
  Ok(Cmd("CreateUser").S("user_id", id).S("name", "User " + id).S("role", role));
}

void ProjectionsTest::SetStrict(bool strict) {
  Ok(Cmd("SetSetting").S("key", "rules.strict").S("value", strict ? "true" : "false"));
}

void ProjectionsTest::AddTeam() {
  AddUser("moses", "sales");
  AddUser("anna", "sales");
  AddUser("sam", "support");
  AddUser("dustin", "manager");
}

void ProjectionsTest::BuildAcme() {
  auto at = [](const char* day_time) { return std::string("2024-03-") + day_time + "Z"; };
  Ok(Cmd("OpenAccount")
         .S("account_id", "A1")
         .S("name", "Acme Corp")
         .S("industry", "Manufacturing")
         .S("phone", "+1 555 0100")
         .S("email", "info@acme.example")
         .S("website", "https://acme.example")
         .Raw("billing_address",
              R"({"street":"1 Main St","city":"Springfield","state":"IL","postal_code":"62701","country":"US"})")
         .Raw("shipping_address", R"({"city":"Chicago","country":"US"})")
         .I("number_of_employees", 250)
         .S("owner", "moses")
         .S("source", "Trade fair")
         .S("notes", "Key account")
         .S("debtor_number", "D-100")
         .S("actor", "moses")
         .S("occurred_at", at("01T09:00:00")));
  Ok(Cmd("CreateContact")
         .S("contact_id", "C1")
         .S("first_name", "Jane")
         .S("last_name", "Doe")
         .S("email", "jane@acme.example")
         .S("phone", "+1 555 0101")
         .S("title", "CFO")
         .S("account_id", "A1")
         .S("actor", "moses")
         .S("occurred_at", at("01T10:00:00")));
  Ok(Cmd("CreateContact")
         .S("contact_id", "C2")
         .S("first_name", "John")
         .S("last_name", "Roe")
         .S("account_id", "A1")
         .S("actor", "anna")
         .S("occurred_at", at("02T09:00:00")));
  Ok(Cmd("OpenOpportunity")
         .S("opportunity_id", "O1")
         .S("account_id", "A1")
         .S("name", "Big deal")
         .I("amount", 10000)
         .S("currency", "USD")
         .S("close_date", "2024-06-30")
         .S("owner", "moses")
         .S("actor", "moses")
         .S("occurred_at", at("03T09:00:00")));
  Ok(Cmd("OpenOpportunity")
         .S("opportunity_id", "O2")
         .S("account_id", "A1")
         .S("name", "Small deal")
         .S("amount", "2500.50")
         .S("stage", "Qualification")
         .S("owner", "anna")
         .S("actor", "anna")
         .S("occurred_at", at("04T09:00:00")));
  Ok(Cmd("OpenOpportunity")
         .S("opportunity_id", "O3")
         .S("account_id", "A1")
         .S("name", "Lost deal")
         .I("amount", 700)
         .S("actor", "moses")
         .S("occurred_at", at("04T10:00:00")));
  Ok(Cmd("ChangeOpportunityStage")
         .S("opportunity_id", "O1")
         .S("stage", "Negotiation")
         .S("actor", "moses")
         .S("occurred_at", at("05T09:00:00")));
  Ok(Cmd("WinOpportunity")
         .S("opportunity_id", "O1")
         .I("amount", 9500)
         .S("actor", "moses")
         .S("occurred_at", at("10T09:00:00")));
  Ok(Cmd("LoseOpportunity")
         .S("opportunity_id", "O3")
         .S("reason", "Too expensive")
         .S("actor", "moses")
         .S("occurred_at", at("11T09:00:00")));
  Ok(Cmd("CreateQuote")
         .S("quote_id", "Q1")
         .S("account_id", "A1")
         .S("opportunity_id", "O2")
         .I("amount", 2400)
         .S("actor", "anna")
         .S("occurred_at", at("12T09:00:00")));
  Ok(Cmd("AcceptQuote").S("quote_id", "Q1").S("actor", "anna").S("occurred_at", at("13T09:00:00")));
  Ok(Cmd("PlaceOrder")
         .S("order_id", "OR1")
         .S("account_id", "A1")
         .S("quote_id", "Q1")
         .I("amount", 2400)
         .S("actor", "anna")
         .S("occurred_at", at("14T09:00:00")));
  Ok(Cmd("IssueInvoice")
         .S("invoice_id", "I1")
         .S("account_id", "A1")
         .S("order_id", "OR1")
         .I("amount", 2400)
         .S("due_date", "2024-04-14")
         .S("actor", "dustin")
         .S("occurred_at", at("15T09:00:00")));
  Ok(Cmd("PayInvoice").S("invoice_id", "I1").S("actor", "dustin").S("occurred_at", at("20T09:00:00")));
  Ok(Cmd("IssueInvoice")
         .S("invoice_id", "I2")
         .S("account_id", "A1")
         .S("amount", "99.99")
         .S("actor", "dustin")
         .S("occurred_at", at("21T09:00:00")));
  Ok(Cmd("RecordAccountRevenue")
         .S("account_id", "A1")
         .S("amount", "150.25")
         .S("description", "Consulting")
         .S("actor", "moses")
         .S("occurred_at", at("22T09:00:00")));
  Ok(Cmd("OpenTicket")
         .S("ticket_id", "T1")
         .S("account_id", "A1")
         .S("contact_id", "C1")
         .S("subject", "Printer jams")
         .S("description", "Jams on every page")
         .S("priority", "High")
         .S("origin", "Email")
         .S("actor", "sam")
         .S("occurred_at", at("23T09:00:00")));
  Ok(Cmd("AssignTicket").S("ticket_id", "T1").S("assignee", "sam").S("actor", "sam")
         .S("occurred_at", at("23T10:00:00")));
  Ok(Cmd("ChangeTicketStatus").S("ticket_id", "T1").S("status", "InProgress").S("actor", "sam")
         .S("occurred_at", at("23T11:00:00")));
  Ok(Cmd("ResolveTicket").S("ticket_id", "T1").S("resolution", "Replaced the feed roller")
         .S("actor", "sam").S("occurred_at", at("24T09:00:00")));
  Ok(Cmd("CloseTicket").S("ticket_id", "T1").S("actor", "sam").S("occurred_at", at("25T09:00:00")));
  Ok(Cmd("OpenTicket")
         .S("ticket_id", "T2")
         .S("account_id", "A1")
         .S("subject", "Login fails")
         .S("priority", "Normal")
         .S("actor", "sam")
         .S("occurred_at", at("26T09:00:00")));
  Ok(Cmd("CommentOnTicket").S("ticket_id", "T2").S("text", "Investigating").S("actor", "sam")
         .S("occurred_at", at("26T10:00:00")));
  Ok(Cmd("LogActivity")
         .S("activity_id", "ACT1")
         .S("kind", "Call")
         .S("subject", "Kick-off call")
         .S("account_id", "A1")
         .S("contact_id", "C1")
         .S("due_at", "2024-03-28")
         .S("actor", "moses")
         .S("occurred_at", at("27T09:00:00")));
  Ok(Cmd("CompleteActivity").S("activity_id", "ACT1").S("outcome", "Agreed on the plan")
         .S("actor", "moses").S("occurred_at", at("28T09:00:00")));
  Ok(Cmd("AddAccountNote").S("account_id", "A1").S("text", "Met at the fair").S("actor", "moses")
         .S("occurred_at", at("29T09:00:00")));
  Ok(Cmd("UpdateAccount").S("account_id", "A1").S("phone", "+1 555 0199").S("actor", "moses")
         .S("occurred_at", at("30T09:00:00")));
}

}  // namespace crm::test
