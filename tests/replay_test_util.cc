#include "replay_test_util.h"

#include <algorithm>

#ifndef CRM_BIN
#error "CRM_BIN must name the crm binary"
#endif

namespace crm::test {
namespace {

const char* const kUsers[] = {"moses", "anna", "sam", "dustin"};
const char* const kIndustries[] = {"Retail", "Tech", "Health", "Manufacturing", "Finance"};
const char* const kAccountTypes[] = {"Suspect",  "Lead",     "Associate", "Prospect", "Customer",
                                     "Supplier", "Reseller", "Division",  "Bank"};
const char* const kStages[] = {"Prospecting", "Qualification", "NeedsAnalysis", "Proposal",
                               "Negotiation"};
const char* const kPriorities[] = {"Low", "Normal", "High", "Urgent"};
const char* const kActivityKinds[] = {"Call", "Meeting", "Email", "Task"};

template <typename T, size_t N>
const T& Of(const T (&a)[N], size_t i) {
  return a[i % N];
}

}  // namespace

WorkloadGenerator::WorkloadGenerator(uint64_t seed, std::string prefix)
    : rng_(seed), prefix_(std::move(prefix)) {}

std::vector<std::string> WorkloadGenerator::Team() const {
  return {
      Cmd("CreateUser").S("user_id", "moses").S("name", "Moses Frase").S("role", "sales"),
      Cmd("CreateUser").S("user_id", "anna").S("name", "Anna Berg").S("role", "sales"),
      Cmd("CreateUser").S("user_id", "sam").S("name", "Sam Okoye").S("role", "support"),
      Cmd("CreateUser").S("user_id", "dustin").S("name", "Dustin Hale").S("role", "manager"),
  };
}

std::string WorkloadGenerator::Money() {
  const uint64_t cents = 100 + Pick(5'000'000);
  std::string s = std::to_string(cents / 100);
  if (cents % 100) s += (cents % 100 < 10 ? ".0" : ".") + std::to_string(cents % 100);
  return s;
}

std::string WorkloadGenerator::NoteText() {
  switch (Pick(6)) {
    case 0: return "Called @" + std::string(Of(kUsers, Pick(4))) + " about the renewal";
    case 1:
      return "@" + std::string(Of(kUsers, Pick(4))) + ", @" + std::string(Of(kUsers, Pick(4))) +
             ": please follow up.";
    case 2: return "Mail from ops@acme.example, no mention";
    case 3: return "Ask @anna. Then @sam- and @nobody_" + std::to_string(Pick(50));
    case 4: return "Plain note " + std::to_string(serial_);
    default: return "Über-long note with ünïcödé and @moses " + std::string(Pick(200), 'x');
  }
}

std::string WorkloadGenerator::Next() {
  std::string line = Generate();
  // Some commands are imports (a past business time) or run as another user (some of those are
  // rejected as FORBIDDEN: part of the mix).
  const size_t r = Pick(100);
  if (r < 15) {
    const int year = 2019 + static_cast<int>(Pick(6));
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", year,
                  1 + static_cast<int>(Pick(12)), 1 + static_cast<int>(Pick(28)),
                  static_cast<int>(Pick(24)), static_cast<int>(Pick(60)),
                  static_cast<int>(Pick(60)));
    line.insert(line.size() - 1, ",\"occurred_at\":\"" + std::string(buf) + "\"");
  } else if (r < 25) {
    line.insert(line.size() - 1, ",\"actor\":\"" + std::string(Of(kUsers, Pick(4))) + "\"");
  }
  return line;
}

std::string WorkloadGenerator::Generate() {
  // Until there is something to act on, create accounts.
  const size_t op = accounts_.size() < 5 ? 0 : Pick(100);
  if (op < 8) {  // OpenAccount
    const std::string id = Id("A");
    Cmd c("OpenAccount");
    c.S("account_id", id).S("name", "Account " + id).S("industry", Of(kIndustries, Pick(5)));
    if (Chance(70)) c.S("owner", Of(kUsers, Pick(2)));
    if (Chance(50)) c.S("debtor_number", "D-" + id);
    if (Chance(15)) c.S("creditor_number", "K-" + id);
    if (Chance(10)) c.S("type", Of(kAccountTypes, Pick(3)));
    if (Chance(10) && !accounts_.empty()) c.S("parent_account_id", Any(accounts_));
    if (Chance(20)) c.I("number_of_employees", static_cast<int64_t>(Pick(5000)));
    accounts_.push_back(id);
    return c;
  }
  if (op < 11) {  // UpdateAccount
    Cmd c("UpdateAccount");
    c.S("account_id", Any(accounts_));
    switch (Pick(5)) {
      case 0: c.S("name", "Renamed " + std::to_string(serial_++)); break;
      case 1: c.S("phone", "+1 555 " + std::to_string(1000 + Pick(8999))); break;
      case 2: c.S("industry", Of(kIndustries, Pick(5))); break;
      case 3: c.I("number_of_employees", static_cast<int64_t>(Pick(900))); break;
      default: c.Raw("industry", "null"); break;
    }
    return c;
  }
  if (op < 14) {  // ChangeAccountType
    return Cmd("ChangeAccountType").S("account_id", Any(accounts_)).S("type", Of(kAccountTypes, Pick(9)));
  }
  if (op < 17) return Cmd("AssignAccount").S("account_id", Any(accounts_)).S("owner", Of(kUsers, Pick(4)));
  if (op < 18) {
    if (!inactive_.empty() && Chance(60)) {
      const std::string id = inactive_.back();
      inactive_.pop_back();
      return Cmd("ReactivateAccount").S("account_id", id);
    }
    inactive_.push_back(Any(accounts_));
    return Cmd("DeactivateAccount").S("account_id", inactive_.back()).S("reason", "Dormant");
  }
  if (op < 23) return Cmd("AddAccountNote").S("account_id", Any(accounts_)).S("text", NoteText());
  if (op < 25) {
    return Cmd("RecordAccountRevenue").S("account_id", Any(accounts_)).S("amount", Money())
        .S("description", "Consulting");
  }
  if (op < 31) {  // CreateContact
    const std::string id = Id("C");
    Cmd c("CreateContact");
    c.S("contact_id", id).S("first_name", "First" + id).S("last_name", "Last" + id);
    if (Chance(60)) c.S("account_id", Any(accounts_));
    if (Chance(30)) c.S("email", id + "@example.com");
    contacts_.push_back(id);
    return c;
  }
  if (op < 33 && !contacts_.empty()) {
    return Cmd("UpdateContact").S("contact_id", Any(contacts_)).S("title", Chance(50) ? "CFO" : "CTO");
  }
  if (op < 37 && !contacts_.empty()) {  // LinkContact: links and moves
    return Cmd("LinkContact").S("contact_id", Any(contacts_)).S("account_id", Any(accounts_));
  }
  if (op < 42) {  // CreateLead
    const std::string id = Id("L");
    Cmd c("CreateLead");
    c.S("lead_id", id).S("last_name", "Lead" + id);
    if (Chance(70)) c.S("company", "Company " + id);
    if (Chance(50)) c.S("owner", Of(kUsers, Pick(2)));
    if (Chance(50)) c.S("industry", Of(kIndustries, Pick(5)));
    leads_.push_back(id);
    return c;
  }
  if (op < 47 && !leads_.empty()) {
    const size_t i = Pick(leads_.size());
    const std::string id = leads_[i];
    switch (Pick(5)) {
      case 0: return Cmd("UpdateLead").S("lead_id", id).S("source", "Web form");
      case 1: return Cmd("QualifyLead").S("lead_id", id);
      case 2:
        leads_.erase(leads_.begin() + static_cast<long>(i));
        return Cmd("DisqualifyLead").S("lead_id", id).S("reason", "No budget");
      default: {
        leads_.erase(leads_.begin() + static_cast<long>(i));
        Cmd c("ConvertLead");
        c.S("lead_id", id);
        if (Chance(50)) {
          c.S("account_id", Any(accounts_));
        } else {
          const std::string account = Id("A");
          accounts_.push_back(account);
          c.S("account_id", account);
        }
        const std::string contact = Id("C");
        contacts_.push_back(contact);
        c.S("contact_id", contact);
        if (Chance(50)) {
          const std::string opp = Id("O");
          c.S("opportunity_id", opp).S("amount", Money());
          opportunities_.push_back({opp, "", 0});
        }
        return c;
      }
    }
  }
  if (op < 53) {  // OpenOpportunity
    const std::string id = Id("O");
    const std::string account = Any(accounts_);
    Cmd c("OpenOpportunity");
    c.S("opportunity_id", id).S("account_id", account).S("name", "Deal " + id).S("amount", Money());
    const int stage = Chance(70) ? 0 : static_cast<int>(Pick(3));
    if (stage) c.S("stage", kStages[stage]);
    if (Chance(50)) c.S("owner", Of(kUsers, Pick(2)));
    if (Chance(30)) c.S("close_date", "2025-12-31");
    opportunities_.push_back({id, account, stage});
    return c;
  }
  if (op < 61 && !opportunities_.empty()) {
    const size_t i = Pick(opportunities_.size());
    Opportunity& o = opportunities_[i];
    const size_t what = Pick(8);
    if (what < 4 && o.stage < 4) {
      o.stage += 1 + static_cast<int>(Pick(static_cast<size_t>(4 - o.stage)));
      return Cmd("ChangeOpportunityStage").S("opportunity_id", o.id).S("stage", kStages[o.stage]);
    }
    const std::string id = o.id;
    opportunities_.erase(opportunities_.begin() + static_cast<long>(i));
    if (what < 6) {
      Cmd c("WinOpportunity");
      c.S("opportunity_id", id);
      if (Chance(30)) c.S("amount", Money());
      return c;
    }
    if (what == 6) return Cmd("ChangeOpportunityStage").S("opportunity_id", id).S("stage", "ClosedLost");
    return Cmd("LoseOpportunity").S("opportunity_id", id).S("reason", "Price");
  }
  if (op < 66) {  // OpenTicket
    const std::string id = Id("T");
    Cmd c("OpenTicket");
    c.S("ticket_id", id).S("account_id", Any(accounts_)).S("subject", "Issue " + id)
        .S("priority", Of(kPriorities, Pick(4)));
    if (Chance(50) && !contacts_.empty()) c.S("contact_id", Any(contacts_));
    if (Chance(50)) c.S("origin", Chance(50) ? "Email" : "Phone");
    tickets_.push_back({id, 0});
    return c;
  }
  if (op < 79 && !tickets_.empty()) {  // the ticket lifecycle
    Ticket& t = tickets_[Pick(tickets_.size())];
    if (Chance(15)) return Cmd("CommentOnTicket").S("ticket_id", t.id).S("text", "Looking @sam");
    switch (t.status) {
      case 0:
        t.status = 1;
        return Cmd("AssignTicket").S("ticket_id", t.id).S("assignee", Chance(70) ? "sam" : "dustin");
      case 1:
        t.status = 2;
        return Cmd("ChangeTicketStatus").S("ticket_id", t.id).S("status", "InProgress");
      case 2:
        if (Chance(40)) {
          t.status = 3;
          return Cmd("ChangeTicketStatus").S("ticket_id", t.id).S("status", "Pending");
        }
        t.status = 4;
        return Cmd("ResolveTicket").S("ticket_id", t.id).S("resolution", "Fixed");
      case 3:
        if (Chance(50)) {
          t.status = 2;
          return Cmd("ChangeTicketStatus").S("ticket_id", t.id).S("status", "InProgress");
        }
        t.status = 4;
        return Cmd("ResolveTicket").S("ticket_id", t.id).S("resolution", "Workaround");
      case 4:
        if (Chance(30)) {
          t.status = 2;
          return Cmd("ReopenTicket").S("ticket_id", t.id).S("reason", "Came back");
        }
        t.status = 5;
        return Chance(50) ? std::string(Cmd("CloseTicket").S("ticket_id", t.id))
                          : std::string(Cmd("ChangeTicketStatus").S("ticket_id", t.id).S("status", "Closed"));
      default:
        t.status = 2;
        return Cmd("ReopenTicket").S("ticket_id", t.id);
    }
  }
  if (op < 85) {  // LogActivity against one or two entities
    const std::string id = Id("ACT");
    Cmd c("LogActivity");
    c.S("activity_id", id).S("kind", Of(kActivityKinds, Pick(4))).S("subject", "Follow-up " + id);
    const size_t target = Pick(6);
    if (target == 0 || target == 5) c.S("account_id", Any(accounts_));
    if ((target == 1 || target == 5) && !contacts_.empty()) c.S("contact_id", Any(contacts_));
    if (target == 2 && !leads_.empty()) c.S("lead_id", Any(leads_));
    if (target == 3 && !opportunities_.empty()) c.S("opportunity_id", Any(opportunities_).id);
    if (target == 4 && !tickets_.empty()) c.S("ticket_id", Any(tickets_).id);
    if (Chance(30)) c.S("due_at", "2025-01-15T10:00:00Z");
    activities_.push_back(id);
    return c;
  }
  if (op < 88 && !activities_.empty()) {
    const size_t i = Pick(activities_.size());
    const std::string id = activities_[i];
    activities_.erase(activities_.begin() + static_cast<long>(i));
    return Chance(70) ? std::string(Cmd("CompleteActivity").S("activity_id", id).S("outcome", "Done"))
                      : std::string(Cmd("CancelActivity").S("activity_id", id));
  }
  if (op < 90) {  // CreateQuote
    const std::string id = Id("Q");
    const std::string account = Any(accounts_);
    quotes_.push_back({id, account});
    return Cmd("CreateQuote").S("quote_id", id).S("account_id", account).S("amount", Money());
  }
  if (op < 92 && !quotes_.empty()) {
    const size_t i = Pick(quotes_.size());
    Quote q = quotes_[i];
    quotes_.erase(quotes_.begin() + static_cast<long>(i));
    accepted_quotes_.push_back(q);
    return Cmd("AcceptQuote").S("quote_id", q.id);
  }
  if (op < 94) {  // PlaceOrder, from an accepted quote or not
    const std::string id = Id("OR");
    Cmd c("PlaceOrder");
    c.S("order_id", id);
    if (!accepted_quotes_.empty() && Chance(50)) {
      const Quote& q = Any(accepted_quotes_);
      c.S("account_id", q.account).S("quote_id", q.id);
    } else {
      c.S("account_id", Any(accounts_));
    }
    return c.S("amount", Money());
  }
  if (op < 97) {  // IssueInvoice
    const std::string id = Id("I");
    invoices_.push_back(id);
    Cmd c("IssueInvoice");
    c.S("invoice_id", id).S("account_id", Any(accounts_)).S("amount", Money());
    if (Chance(40)) c.S("due_date", "2025-03-01");
    return c;
  }
  if (!invoices_.empty()) {
    const size_t i = Pick(invoices_.size());
    const std::string id = invoices_[i];
    invoices_.erase(invoices_.begin() + static_cast<long>(i));
    return Cmd("PayInvoice").S("invoice_id", id);
  }
  return Cmd("AddAccountNote").S("account_id", Any(accounts_)).S("text", NoteText());
}

WorkloadStats RunWorkload(CommandExecutor& exec, WorkloadGenerator& gen, size_t commands,
                          size_t batch) {
  WorkloadStats stats;
  auto run = [&](const std::vector<std::string>& lines) {
    std::vector<std::string_view> views(lines.begin(), lines.end());
    std::vector<ExecResult> results = exec.ExecuteBatch(views);
    EXPECT_EQ(results.size(), lines.size());
    for (size_t i = 0; i < results.size(); ++i) {
      ++stats.commands;
      if (results[i].ok) {
        ++stats.ok;
        continue;
      }
      ++stats.rejected;
      const auto at = results[i].line.find("\"code\":\"");
      std::string code = at == std::string::npos
                             ? "?"
                             : results[i].line.substr(at + 8, results[i].line.find('"', at + 8) - at - 8);
      ++stats.rejections_by_code[code];
      EXPECT_NE(code, "STORAGE_ERROR") << lines[i] << " -> " << results[i].line;
      EXPECT_NE(code, "BAD_REQUEST") << lines[i] << " -> " << results[i].line;
      EXPECT_NE(code, "VALIDATION_ERROR") << lines[i] << " -> " << results[i].line;
    }
  };
  run(gen.Team());
  std::vector<std::string> lines;
  for (size_t i = 0; i < commands; ++i) {
    lines.push_back(gen.Next());
    if (lines.size() == batch || i + 1 == commands) {
      run(lines);
      lines.clear();
    }
  }
  return stats;
}

ProcessResult Crm(const std::string& db, std::vector<std::string> args, std::string_view input) {
  args.insert(args.begin(), {CRM_BIN, "--db", db});
  return RunProcess(args, {}, input, std::chrono::seconds(120));
}

std::string Describe(const ProcessResult& r) {
  return "exit " + std::to_string(r.exit_code) + " signal " + std::to_string(r.term_signal) +
         "\nstdout: " + r.out + "\nstderr: " + r.err;
}

std::vector<std::string> Lines(const std::string& out) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < out.size()) {
    size_t nl = out.find('\n', start);
    if (nl == std::string::npos) nl = out.size();
    lines.push_back(out.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

std::map<std::string, std::string> RowsOf(ProjectionReader& reader) {
  std::map<std::string, std::string> rows;
  Status s = reader.Scan("", "", [&](std::string_view k, std::string_view v) {
    rows.emplace(std::string(k), std::string(v));
    return true;
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return rows;
}

std::string HistoryKey(std::string_view stream, uint64_t position) {
  std::string k = "h:" + std::string(stream);
  k.push_back('\0');
  const uint64_t inv = ~position;
  for (int i = 7; i >= 0; --i) k.push_back(static_cast<char>((inv >> (i * 8)) & 0xff));
  return k;
}

std::string PrintableKey(std::string_view key) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : key) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

Options ReplayOptions(OpenMode mode) {
  Options o = FastOptions();
  o.mode = mode;
  o.projector = MakeCrmProjector();
  o.upcaster = MakeCrmUpcaster();
  if (mode == OpenMode::kFollower) o.create_if_missing = false;
  return o;
}

}  // namespace crm::test
