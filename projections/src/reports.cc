// Reports (`crm report`): aggregations over the state rows of one kind, computed when asked from
// one consistent snapshot. Each costs one scan of that kind's rows (O(entities of the kind)), and
// nothing on the write path.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include "crm/event_json.h"
#include "crm/projections.h"
#include "projections/src/keys.h"
#include "projections/src/queries_internal.h"

namespace crm {

using proj::Kind;
using proj::Record;
using proj::SaturatingAdd;

namespace {

// Calls fn for every row of a kind, in id order.
Status ForEachRow(ProjectionReader& reader, Kind kind, const std::function<void(const Record&)>& fn) {
  Status error;
  const std::string prefix = proj::keys::StatePrefix(proj::Spec(kind).name);
  CRM_RETURN_IF_ERROR(reader.Scan(prefix, "", [&](std::string_view k, std::string_view v) {
    auto r = proj::DecodeRecord(v);
    if (!r.ok()) {
      error = Status::Corruption("projection row of " + std::string(k.substr(2)) + ": " +
                                 r.status().message() + " (run `crm replay` to rebuild)");
      return false;
    }
    fn(*r);
    return true;
  }));
  return error;
}

void AddMoney(Doc* d, std::string name, int64_t cents) {
  std::string s = FormatCents(cents);
  d->Add(std::move(name), s, s);
}

// A ratio or an average as a JSON number with at most `digits` decimals; null when undefined.
void AddDecimal(Doc* d, std::string name, std::optional<double> v, int digits = 4) {
  if (!v || !std::isfinite(*v)) {
    d->Add(std::move(name), "null", "");
    return;
  }
  const double scale = std::pow(10.0, digits);
  double rounded = std::round(*v * scale) / scale;
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, rounded);
  std::string s(buf);
  while (s.find('.') != std::string::npos && (s.back() == '0' || s.back() == '.')) {
    const bool dot = s.back() == '.';
    s.pop_back();
    if (dot) break;
  }
  d->Add(std::move(name), s, s);
}

Result<std::vector<Doc>> Pipeline(ProjectionReader& reader) {
  struct Stage {
    int64_t count = 0, amount = 0, weighted = 0;
  };
  std::map<std::string, Stage, std::less<>> stages;
  CRM_RETURN_IF_ERROR(ForEachRow(reader, Kind::kOpportunity, [&](const Record& r) {
    Stage& s = stages[std::string(r.str(proj::opportunity::kStage))];
    const int64_t amount = r.num(proj::opportunity::kAmount);
    ++s.count;
    s.amount = SaturatingAdd(s.amount, amount);
    // Cents, rounded half up per opportunity (in 128 bits: amount × 100 can pass int64).
    const __int128 weighted =
        (static_cast<__int128>(amount) * r.num(proj::opportunity::kProbability) + 50) / 100;
    s.weighted = SaturatingAdd(s.weighted, static_cast<int64_t>(weighted));
  }));
  static constexpr int kDefaultProbability[] = {10, 20, 25, 65, 80, 100, 0};
  std::vector<Doc> out;
  const char* const* names = fb::EnumNamesOpportunityStage();
  for (int i = 0; names[i]; ++i) {
    const Stage s = stages[names[i]];
    Doc d;
    proj::AddString(&d, "stage", names[i]);
    proj::AddNumber(&d, "probability", kDefaultProbability[i]);
    proj::AddNumber(&d, "count", s.count);
    AddMoney(&d, "amount", s.amount);
    AddMoney(&d, "weighted_amount", s.weighted);
    out.push_back(std::move(d));
  }
  return out;
}

Result<std::vector<Doc>> Conversion(ProjectionReader& reader) {
  std::map<std::string, int64_t, std::less<>> by_status;
  std::vector<std::string> converted_into;
  int64_t leads = 0;
  CRM_RETURN_IF_ERROR(ForEachRow(reader, Kind::kLead, [&](const Record& r) {
    ++leads;
    ++by_status[std::string(r.str(proj::lead::kStatus))];
    if (r.str(proj::lead::kStatus) == "Converted") {
      converted_into.emplace_back(r.str(proj::lead::kAccountId));
    }
  }));
  int64_t to_customer = 0;
  for (const auto& account_id : converted_into) {
    auto row = proj::ReadRow(reader, StreamName("account", account_id));
    if (!row.ok()) return row.status();
    if (row->has_value() && (*row)->str(proj::account::kType) == "Customer") ++to_customer;
  }
  Doc d;
  proj::AddNumber(&d, "leads", leads);
  for (const char* const* n = fb::EnumNamesLeadStatus(); *n; ++n) {
    proj::AddNumber(&d, *n, by_status[*n]);
  }
  proj::AddNumber(&d, "converted_to_customer", to_customer);
  const std::optional<double> none;
  AddDecimal(&d, "conversion_rate",
             leads ? std::optional<double>(double(by_status["Converted"]) / leads) : none);
  AddDecimal(&d, "customer_conversion_rate",
             leads ? std::optional<double>(double(to_customer) / leads) : none);
  return std::vector<Doc>{std::move(d)};
}

Result<std::vector<Doc>> Tickets(ProjectionReader& reader) {
  const char* const* priorities = fb::EnumNamesTicketPriority();
  const char* const* statuses = fb::EnumNamesTicketStatus();
  struct Group {
    std::map<std::string, int64_t, std::less<>> by_status;
    std::vector<int64_t> resolution_us;
  };
  std::map<std::string, Group, std::less<>> groups;
  Group all;
  CRM_RETURN_IF_ERROR(ForEachRow(reader, Kind::kTicket, [&](const Record& r) {
    Group& g = groups[std::string(r.str(proj::ticket::kPriority))];
    const std::string status(r.str(proj::ticket::kStatus));
    ++g.by_status[status];
    ++all.by_status[status];
    if (r.at(proj::ticket::kResolvedAt).set) {
      const int64_t us = r.num(proj::ticket::kResolvedAt) - r.num(proj::ticket::kOpenedAt);
      g.resolution_us.push_back(us);
      all.resolution_us.push_back(us);
    }
  }));
  auto row = [&](std::string_view priority, Group& g) {
    Doc d;
    proj::AddString(&d, "priority", priority);
    int64_t open = 0;
    for (int i = 0; statuses[i]; ++i) {
      const int64_t n = g.by_status[statuses[i]];
      proj::AddNumber(&d, statuses[i], n);
      if (std::string_view(statuses[i]) != "Resolved" && std::string_view(statuses[i]) != "Closed") {
        open += n;
      }
    }
    proj::AddNumber(&d, "open", open);
    auto& v = g.resolution_us;
    proj::AddNumber(&d, "resolved", static_cast<int64_t>(v.size()));
    std::optional<double> mean, p90;
    if (!v.empty()) {
      std::sort(v.begin(), v.end());
      double sum = 0;
      for (int64_t x : v) sum += double(x);
      mean = sum / double(v.size()) / 3.6e9;
      // Nearest rank: the smallest value with at least 90% of the samples at or below it.
      const size_t rank = static_cast<size_t>(std::ceil(0.9 * double(v.size())));
      p90 = double(v[std::max<size_t>(rank, 1) - 1]) / 3.6e9;
    }
    AddDecimal(&d, "mean_hours_to_resolution", mean, 2);
    AddDecimal(&d, "p90_hours_to_resolution", p90, 2);
    return d;
  };
  std::vector<Doc> out;
  for (int i = 0; priorities[i]; ++i) out.push_back(row(priorities[i], groups[priorities[i]]));
  out.push_back(row("All", all));
  return out;
}

Result<std::vector<Doc>> Revenue(ProjectionReader& reader) {
  struct Sum {
    int64_t accounts = 0, revenue = 0, won = 0;
  };
  std::map<std::string, Sum> by_industry, by_owner;
  CRM_RETURN_IF_ERROR(ForEachRow(reader, Kind::kAccount, [&](const Record& r) {
    for (auto [map, field] : {std::pair{&by_industry, proj::account::kIndustry},
                              std::pair{&by_owner, proj::account::kOwner}}) {
      Sum& s = (*map)[std::string(r.str(field))];
      ++s.accounts;
      s.revenue = SaturatingAdd(s.revenue, r.num(proj::account::kTotalRevenue));
      s.won = SaturatingAdd(s.won, r.num(proj::account::kWonAmount));
    }
  }));
  std::vector<Doc> out;
  for (auto [dimension, map] : {std::pair{"industry", &by_industry}, std::pair{"owner", &by_owner}}) {
    for (const auto& [key, s] : *map) {
      Doc d;
      proj::AddString(&d, "by", dimension);
      if (key.empty()) {
        d.Add("key", "null", "");
      } else {
        proj::AddString(&d, "key", key);
      }
      proj::AddNumber(&d, "accounts", s.accounts);
      AddMoney(&d, "total_revenue", s.revenue);
      AddMoney(&d, "won_amount", s.won);
      out.push_back(std::move(d));
    }
  }
  return out;
}

Result<std::vector<Doc>> Inactive(ProjectionReader& reader, const ReportOptions& o) {
  // The bound keeps `now - days` inside int64 microseconds for any --now from year 0 on.
  constexpr int64_t kMaxDays = 1'000'000;  // ~2,700 years
  if (o.days < 0 || o.days > kMaxDays) {
    return Status::InvalidArgument("--days must be between 0 and " + std::to_string(kMaxDays));
  }
  const int64_t now = o.now_us != 0 ? o.now_us
                                    : std::chrono::duration_cast<std::chrono::microseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count();
  const int64_t day_us = int64_t{86400} * 1000000;
  const int64_t cutoff = now - int64_t{o.days} * day_us;
  std::vector<Doc> out;
  CRM_RETURN_IF_ERROR(ForEachRow(reader, Kind::kAccount, [&](const Record& r) {
    const auto& last = r.at(proj::account::kLastActivityAt);
    if (last.set && last.number >= cutoff) return;
    Doc d;
    const auto& spec = proj::Spec(Kind::kAccount).fields;
    for (uint16_t f : {proj::account::kAccountId, proj::account::kName, proj::account::kOwner,
                       proj::account::kType, proj::account::kStatus,
                       proj::account::kLastActivityAt}) {
      proj::AddValue(&d, spec[f], r.at(f));
    }
    if (last.set) {
      proj::AddNumber(&d, "days_inactive", (now - last.number) / day_us);
    } else {
      d.Add("days_inactive", "null", "");
    }
    out.push_back(std::move(d));
  }));
  return out;
}

}  // namespace

const std::vector<std::string_view>& ReportNames() {
  static const std::vector<std::string_view> names = {"pipeline", "conversion", "tickets",
                                                      "revenue", "inactive"};
  return names;
}

Result<std::vector<Doc>> CrmReader::Report(std::string_view name, const ReportOptions& options) {
  ProjectionReader& reader = impl_->reader();
  if (name == "pipeline") return Pipeline(reader);
  if (name == "conversion") return Conversion(reader);
  if (name == "tickets") return Tickets(reader);
  if (name == "revenue") return Revenue(reader);
  if (name == "inactive") return Inactive(reader, options);
  return Status::InvalidArgument("unknown report '" + std::string(name) +
                                 "' (allowed: pipeline, conversion, tickets, revenue, inactive)");
}

}  // namespace crm
