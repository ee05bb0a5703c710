// The realistic command mix of the bench programs (exec_bench, projection_bench): JSON Lines as
// `crm exec` reads them, deterministic, each command referring to entities created earlier in
// the sequence. Per 20 commands: 2 OpenAccount, 4 CreateContact, 2 OpenOpportunity, 2
// ChangeOpportunityStage, 2 WinOpportunity, 3 OpenTicket, 2 AssignTicket, 3 LogActivity; the
// sequence starts with two CreateUser (sam, sales; sue, support) that the others name.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace crm::bench {

// The first max(n, 2) commands of the mix.
std::vector<std::string> MakeCommandMix(int64_t n);

}  // namespace crm::bench
