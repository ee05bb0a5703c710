#include "command_mix.h"

#include <algorithm>
#include <cstdio>

namespace crm::bench {

// Moved unchanged from exec_bench.cc (its figures stay comparable with earlier runs).
std::vector<std::string> MakeCommandMix(int64_t n) {
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(n) + 2);
  out.push_back(R"({"type":"CreateUser","user_id":"sam","name":"Sam","role":"sales"})");
  out.push_back(R"({"type":"CreateUser","user_id":"sue","name":"Sue","role":"support"})");
  char buf[512];
  int64_t accounts = 0, contacts = 0, opps = 0, tickets = 0, activities = 0;
  // An existing account, spread over all of them (Knuth's multiplicative hash of k).
  auto account = [&](int64_t k) {
    return static_cast<int64_t>((static_cast<uint64_t>(k) * 2654435761u) %
                                static_cast<uint64_t>(std::max<int64_t>(accounts, 1)));
  };
  for (int64_t i = 0; static_cast<int64_t>(out.size()) < n; ++i) {
    switch (i % 20) {
      case 0: case 10:
        std::snprintf(buf, sizeof buf,
                      R"({"type":"OpenAccount","account_id":"A%lld","name":"Account %lld Inc","industry":"Technology","phone":"555-%04lld","billing_address":{"city":"Techville","state":"TX"},"debtor_number":"D%lld"})",
                      (long long)accounts, (long long)accounts, (long long)(accounts % 10000),
                      (long long)accounts);
        ++accounts;
        break;
      case 1: case 5: case 11: case 15:
        std::snprintf(buf, sizeof buf,
                      R"({"type":"CreateContact","contact_id":"C%lld","first_name":"Jo","last_name":"Smith %lld","email":"jo%lld@example.com","account_id":"A%lld"})",
                      (long long)contacts, (long long)contacts, (long long)contacts,
                      (long long)account(contacts));
        ++contacts;
        break;
      case 2: case 12:
        std::snprintf(buf, sizeof buf,
                      R"({"type":"OpenOpportunity","opportunity_id":"O%lld","account_id":"A%lld","name":"Deal %lld","amount":"%lld.50","actor":"sam"})",
                      (long long)opps, (long long)account(opps), (long long)opps,
                      (long long)(1000 + opps % 9000));
        ++opps;
        break;
      case 3: case 13:
        std::snprintf(buf, sizeof buf,
                      R"({"type":"ChangeOpportunityStage","opportunity_id":"O%lld","stage":"Proposal"})",
                      (long long)(opps - 1));
        break;
      case 4: case 14:
        std::snprintf(buf, sizeof buf, R"({"type":"WinOpportunity","opportunity_id":"O%lld"})",
                      (long long)(opps - 1));
        break;
      case 6: case 16: case 19:
        std::snprintf(buf, sizeof buf,
                      R"({"type":"OpenTicket","ticket_id":"T%lld","account_id":"A%lld","subject":"Printer jams again","priority":"High","origin":"Email"})",
                      (long long)tickets, (long long)account(tickets));
        ++tickets;
        break;
      case 7: case 17:
        std::snprintf(buf, sizeof buf,
                      R"({"type":"AssignTicket","ticket_id":"T%lld","assignee":"sue"})",
                      (long long)(tickets - 1));
        break;
      case 8: case 18: case 9:
        std::snprintf(buf, sizeof buf,
                      R"({"type":"LogActivity","activity_id":"V%lld","kind":"Call","subject":"Follow-up call","account_id":"A%lld","contact_id":"C%lld"})",
                      (long long)activities, (long long)account(activities),
                      (long long)(contacts - 1));
        ++activities;
        break;
    }
    out.emplace_back(buf);
  }
  return out;
}

}  // namespace crm::bench
