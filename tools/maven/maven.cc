#include "tools/maven/maven.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <set>
#include <vector>

#include "bulk/src/csv_reader.h"

namespace crm::maven {
namespace {

// ---- Reading the files --------------------------------------------------------------------------

struct Row {
  size_t line = 0;  // 1-based line in the file where the record starts
  std::vector<std::string> fields;
};

struct Table {
  std::string file;
  std::vector<std::string> header;
  std::vector<Row> rows;

  // The column index of `name`; the file has it (ReadCsv checked).
  size_t Index(std::string_view name) const {
    return static_cast<size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  }
};

// Reads a whole file through the project's CSV reader (bulk/, libcsv) and checks its header.
Result<Table> ReadCsv(const std::string& dir, const std::string& name,
                      const std::vector<std::string_view>& columns) {
  Table table;
  table.file = name;
  const std::string path = dir + "/" + name;
  auto reader = bulk::CsvReader::Open(path);
  if (!reader.ok()) return Status::InvalidArgument(path + ": cannot open the file");
  bool header = true;
  for (;;) {
    auto record = (*reader)->Next();
    if (!record.ok()) return Status::InvalidArgument(path + ": " + record.status().message());
    if (!record->has_value()) break;
    bulk::CsvRecord& r = **record;
    if (!r.problem.empty()) {
      return Status::InvalidArgument(path + ": line " + std::to_string(r.line) +
                                     ": malformed CSV: " + r.problem);
    }
    if (header) {
      table.header = std::move(r.fields);
      header = false;
    } else {
      table.rows.push_back(Row{static_cast<size_t>(r.line), std::move(r.fields)});
    }
  }
  for (std::string_view c : columns) {
    if (std::find(table.header.begin(), table.header.end(), c) == table.header.end()) {
      return Status::InvalidArgument(path + ": the header has no column '" + std::string(c) + "'");
    }
  }
  for (const Row& r : table.rows) {
    if (r.fields.size() != table.header.size()) {
      return Status::InvalidArgument(path + ": line " + std::to_string(r.line) + ": " +
                                     std::to_string(r.fields.size()) + " fields, the header has " +
                                     std::to_string(table.header.size()));
    }
  }
  return table;
}

Status RowError(const Table& t, const Row& r, const std::string& what) {
  return Status::InvalidArgument(t.file + ": line " + std::to_string(r.line) + ": " + what);
}

// ---- Values -------------------------------------------------------------------------------------

// "2016-10-20" -> "2016-10-20T00:00:00Z" (RFC 3339); empty stays empty. Checked for shape only;
// the engine validates the calendar.
bool ToTimestamp(const std::string& date, std::string* out) {
  if (date.empty()) {
    out->clear();
    return true;
  }
  if (date.size() != 10 || date[4] != '-' || date[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!std::isdigit(static_cast<unsigned char>(date[i]))) return false;
  }
  *out = date + "T00:00:00Z";
  return true;
}

bool IsDecimal(const std::string& s) {
  if (s.empty()) return false;
  size_t dots = 0;
  for (char c : s) {
    if (c == '.') {
      ++dots;
    } else if (!std::isdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return dots <= 1 && s.front() != '.' && s.back() != '.';
}

// "technolgy" -> "Technology", "telecommunications" -> "Telecommunications".
std::string Industry(std::string sector) {
  if (sector == "technolgy") sector = "technology";  // the dataset's one misspelling
  if (!sector.empty()) sector[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(sector[0])));
  return sector;
}

// The pipeline's product names vs products.csv ("GTXPro" vs "GTX Pro"): compare without spaces.
std::string ProductKey(std::string_view name) {
  std::string key;
  for (char c : name) {
    if (!std::isspace(static_cast<unsigned char>(c))) {
      key.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
  }
  return key;
}

// ---- Writing commands ---------------------------------------------------------------------------

class Line {
 public:
  Line(std::string_view type, std::string_view command_id) : w_(buf_) {
    w_.StartObject();
    Str("type", type);
    Str("command_id", command_id);
  }
  Line& Str(std::string_view key, std::string_view value) {
    w_.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    w_.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
    return *this;
  }
  Line& OptStr(std::string_view key, std::string_view value) {
    return value.empty() ? *this : Str(key, value);
  }
  // Money and counts come from the files as decimal text; written as JSON numbers.
  Line& Number(std::string_view key, std::string_view decimal) {
    w_.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    w_.RawValue(decimal.data(), decimal.size(), rapidjson::kNumberType);
    return *this;
  }
  Line& Country(std::string_view key, std::string_view country) {
    w_.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    w_.StartObject();
    Str("country", country);
    w_.EndObject();
    return *this;
  }
  std::string_view Done() {
    w_.EndObject();
    return {buf_.GetString(), buf_.GetSize()};
  }

 private:
  rapidjson::StringBuffer buf_;
  rapidjson::Writer<rapidjson::StringBuffer> w_;
};

// One dated step of a deal, sorted into business-time order before it is emitted.
struct Step {
  std::string date;  // YYYY-MM-DD; empty: undated, emitted last
  int phase;         // on the same day: opens before closes
  size_t seq;        // file order
  std::string line;
};

}  // namespace

std::string Slug(std::string_view name) {
  std::string out;
  bool dash = false;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) {
      if (dash && !out.empty()) out.push_back('-');
      out.push_back(static_cast<char>(std::tolower(u)));
      dash = false;
    } else {
      dash = true;
    }
  }
  return out;
}

Result<ConversionCounts> Convert(const std::string& dir,
                                 const std::function<void(std::string_view)>& emit) {
  auto teams = ReadCsv(dir, "sales_teams.csv", {"sales_agent", "manager", "regional_office"});
  if (!teams.ok()) return teams.status();
  auto accounts = ReadCsv(dir, "accounts.csv",
                          {"account", "sector", "year_established", "revenue", "employees",
                           "office_location", "subsidiary_of"});
  if (!accounts.ok()) return accounts.status();
  auto products = ReadCsv(dir, "products.csv", {"product", "series", "sales_price"});
  if (!products.ok()) return products.status();
  auto pipeline = ReadCsv(dir, "sales_pipeline.csv",
                          {"opportunity_id", "sales_agent", "product", "account", "deal_stage",
                           "engage_date", "close_date", "close_value"});
  if (!pipeline.ok()) return pipeline.status();

  // Nothing is emitted until every file has been checked: a refused dataset loads nothing.
  ConversionCounts counts;
  std::vector<std::string> lines;
  auto out = [&](std::string_view line) { lines.emplace_back(line); };

  // Users: managers first (role manager), then their agents (role sales).
  {
    const Table& t = *teams;
    const size_t agent = t.Index("sales_agent"), manager = t.Index("manager");
    std::set<std::string> seen;
    for (size_t pass = 0; pass < 2; ++pass) {
      for (const Row& r : t.rows) {
        const std::string& name = r.fields[pass == 0 ? manager : agent];
        if (name.empty()) return RowError(t, r, "empty name");
        const std::string id = Slug(name);
        if (!seen.insert(id).second) continue;
        out(Line("CreateUser", "maven-user-" + id)
                .Str("user_id", id)
                .Str("name", name)
                .Str("role", pass == 0 ? "manager" : "sales")
                .Done());
        ++counts.users;
      }
    }
  }

  // List prices by product.
  std::map<std::string, std::string> price;
  {
    const Table& t = *products;
    for (const Row& r : t.rows) {
      const std::string& p = r.fields[t.Index("sales_price")];
      if (!IsDecimal(p)) return RowError(t, r, "sales_price '" + p + "' is not a number");
      price[ProductKey(r.fields[t.Index("product")])] = p;
    }
  }

  // The earliest dated step of each account's deals: when it became an account of ours.
  std::map<std::string, std::string> first_date;
  {
    const Table& t = *pipeline;
    const size_t account = t.Index("account"), engage = t.Index("engage_date"),
                 close = t.Index("close_date");
    for (const Row& r : t.rows) {
      const std::string& a = r.fields[account];
      const std::string& d = r.fields[engage].empty() ? r.fields[close] : r.fields[engage];
      if (a.empty() || d.empty()) continue;
      auto [it, inserted] = first_date.emplace(a, d);
      if (!inserted && d < it->second) it->second = d;
    }
  }

  // Accounts, parents before subsidiaries (the hierarchy may in principle be deeper than one).
  std::map<std::string, std::string> account_ids;  // name -> id
  {
    const Table& t = *accounts;
    const size_t name = t.Index("account"), parent = t.Index("subsidiary_of");
    std::map<std::string, const Row*> by_name;
    for (const Row& r : t.rows) {
      if (r.fields[name].empty()) return RowError(t, r, "empty account name");
      if (!by_name.emplace(r.fields[name], &r).second) {
        return RowError(t, r, "account '" + r.fields[name] + "' is listed twice");
      }
    }
    for (const Row& r : t.rows) {
      const std::string& p = r.fields[parent];
      if (!p.empty() && !by_name.count(p)) {
        return RowError(t, r, "subsidiary_of names '" + p + "', which is not in accounts.csv");
      }
    }
    std::set<std::string> done;
    std::set<std::string> visiting;
    size_t debtor = 0;
    std::function<Status(const Row&)> open = [&](const Row& r) -> Status {
      const std::string& n = r.fields[name];
      if (done.count(n)) return Status::Ok();
      if (!visiting.insert(n).second) return RowError(t, r, "the subsidiary_of chain is a cycle");
      const std::string& p = r.fields[parent];
      if (!p.empty()) {
        Status s = open(*by_name.at(p));
        if (!s.ok()) return s;
      }
      const std::string id = Slug(n);
      const std::string& employees = r.fields[t.Index("employees")];
      const std::string& revenue = r.fields[t.Index("revenue")];
      const std::string& year = r.fields[t.Index("year_established")];
      std::string notes = "Established " + year + "; annual revenue " + revenue + " M USD.";
      std::string when;
      if (auto it = first_date.find(n); it != first_date.end()) ToTimestamp(it->second, &when);
      char debtor_number[16];
      std::snprintf(debtor_number, sizeof debtor_number, "D%05zu", ++debtor);
      Line line("OpenAccount", "maven-account-" + id);
      line.Str("account_id", id)
          .Str("name", n)
          .OptStr("industry", Industry(r.fields[t.Index("sector")]))
          .OptStr("occurred_at", when);
      if (!employees.empty()) {
        if (!IsDecimal(employees) || employees.find('.') != std::string::npos) {
          return RowError(t, r, "employees '" + employees + "' is not a whole number");
        }
        line.Number("number_of_employees", employees);
      }
      if (!r.fields[t.Index("office_location")].empty()) {
        line.Country("billing_address", r.fields[t.Index("office_location")]);
      }
      if (!p.empty()) line.Str("parent_account_id", Slug(p));
      line.Str("source", "Maven CRM dataset")
          .Str("notes", notes)
          .Str("debtor_number", debtor_number);
      out(line.Done());
      ++counts.accounts;
      account_ids[n] = id;
      visiting.erase(n);
      done.insert(n);
      return Status::Ok();
    };
    for (const Row& r : t.rows) {
      Status s = open(r);
      if (!s.ok()) return s;
    }
  }

  // Deals: each becomes its dated steps; sorted into business-time order.
  std::vector<Step> steps;
  {
    const Table& t = *pipeline;
    const size_t id_col = t.Index("opportunity_id"), agent_col = t.Index("sales_agent"),
                 product_col = t.Index("product"), account_col = t.Index("account"),
                 stage_col = t.Index("deal_stage"), engage_col = t.Index("engage_date"),
                 close_col = t.Index("close_date"), value_col = t.Index("close_value");
    std::set<std::string> ids;
    std::set<std::string> agents;
    for (const Row& r : teams->rows) agents.insert(r.fields[teams->Index("sales_agent")]);
    for (const Row& r : t.rows) {
      const std::string& id = r.fields[id_col];
      const std::string& agent_name = r.fields[agent_col];
      const std::string& product = r.fields[product_col];
      const std::string& account = r.fields[account_col];
      const std::string& stage = r.fields[stage_col];
      const std::string& close_value = r.fields[value_col];
      if (id.empty()) return RowError(t, r, "empty opportunity_id");
      if (!ids.insert(id).second) return RowError(t, r, "opportunity_id " + id + " repeats");
      if (!agents.count(agent_name)) {
        return RowError(t, r, "sales_agent '" + agent_name + "' is not in sales_teams.csv");
      }
      std::string engage, close;
      if (!ToTimestamp(r.fields[engage_col], &engage) || !ToTimestamp(r.fields[close_col], &close)) {
        return RowError(t, r, "a date is not YYYY-MM-DD");
      }
      const std::string agent = Slug(agent_name);
      const std::string& engage_day = r.fields[engage_col];
      const std::string& close_day = r.fields[close_col];

      if (account.empty()) {
        // No account: in a CRM this is a lead, qualified once the agent engages.
        if (stage != "Prospecting" && stage != "Engaging") {
          return RowError(t, r, "a " + stage + " deal has no account");
        }
        Line lead("CreateLead", "maven-lead-" + id);
        lead.Str("lead_id", id)
            .Str("last_name", "Deal " + id)
            .Str("source", "Maven pipeline: " + product)
            .Str("owner", agent)
            .Str("actor", agent)
            .OptStr("occurred_at", engage);
        steps.push_back({engage_day, 0, steps.size(), std::string(lead.Done())});
        if (stage == "Engaging") {
          steps.push_back({engage_day, 1, steps.size(),
                           std::string(Line("QualifyLead", "maven-qualify-" + id)
                                           .Str("lead_id", id)
                                           .Str("actor", agent)
                                           .OptStr("occurred_at", engage)
                                           .Done())});
        }
        ++counts.leads;
        continue;
      }

      auto account_it = account_ids.find(account);
      if (account_it == account_ids.end()) {
        return RowError(t, r, "account '" + account + "' is not in accounts.csv");
      }
      auto price_it = price.find(ProductKey(product));
      if (price_it == price.end()) {
        return RowError(t, r, "product '" + product + "' is not in products.csv");
      }
      // Won, Lost and Engaging deals were engaged: they open at Qualification on engage_date.
      const bool dated = stage != "Prospecting";
      if (dated && engage.empty()) return RowError(t, r, "a " + stage + " deal has no engage_date");
      Line open("OpenOpportunity", "maven-opportunity-" + id);
      open.Str("opportunity_id", id)
          .Str("account_id", account_it->second)
          .Str("name", product + " for " + account)
          .Number("amount", price_it->second)
          .Str("currency", "USD")
          .Str("stage", dated ? "Qualification" : "Prospecting")
          .Str("owner", agent)
          .Str("actor", agent)
          .OptStr("occurred_at", engage);
      steps.push_back({engage_day, 0, steps.size(), std::string(open.Done())});
      ++counts.opportunities;

      if (stage == "Won" || stage == "Lost") {
        if (close.empty()) return RowError(t, r, "a " + stage + " deal has no close_date");
        if (close_day < engage_day) return RowError(t, r, "close_date is before engage_date");
        if (stage == "Won") {
          if (!IsDecimal(close_value)) {
            return RowError(t, r, "close_value '" + close_value + "' is not a number");
          }
          steps.push_back({close_day, 1, steps.size(),
                           std::string(Line("WinOpportunity", "maven-won-" + id)
                                           .Str("opportunity_id", id)
                                           .Number("amount", close_value)
                                           .Str("actor", agent)
                                           .Str("occurred_at", close)
                                           .Done())});
          ++counts.won;
        } else {
          steps.push_back({close_day, 1, steps.size(),
                           std::string(Line("LoseOpportunity", "maven-lost-" + id)
                                           .Str("opportunity_id", id)
                                           .Str("actor", agent)
                                           .Str("occurred_at", close)
                                           .Done())});
          ++counts.lost;
        }
      } else if (stage != "Engaging" && stage != "Prospecting") {
        return RowError(t, r, "unknown deal_stage '" + stage + "'");
      }
    }
  }
  // Dated steps in business-time order (so the log reads as the history it records), then the
  // undated ones (Prospecting deals carry no date at all: they occur when imported).
  std::stable_sort(steps.begin(), steps.end(), [](const Step& a, const Step& b) {
    if (a.date.empty() != b.date.empty()) return b.date.empty();
    if (a.date != b.date) return a.date < b.date;
    if (a.phase != b.phase) return a.phase < b.phase;
    return a.seq < b.seq;
  });
  for (Step& s : steps) lines.push_back(std::move(s.line));
  for (const std::string& line : lines) emit(line);
  counts.commands = lines.size();
  return counts;
}

}  // namespace crm::maven
