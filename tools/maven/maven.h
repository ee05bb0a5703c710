// Converts the Maven Analytics "CRM + Sales + Opportunities" dataset (four CSV files: accounts,
// products, sales_teams, sales_pipeline) into crm commands (SPEC §2), one JSON object per line,
// ready for `crm exec`. See tools/maven/README.md for the mapping and the dataset's quirks.
//
// The conversion is deterministic: the same files give the same lines, and every line carries a
// command_id derived from the record it came from, so executing the output twice appends nothing
// the second time.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "crm/status.h"

namespace crm::maven {

// What a conversion produced, for the summary line.
struct ConversionCounts {
  uint64_t users = 0;          // sales agents and managers
  uint64_t accounts = 0;
  uint64_t opportunities = 0;  // deals with an account
  uint64_t won = 0;
  uint64_t lost = 0;
  uint64_t leads = 0;          // deals without an account
  uint64_t commands = 0;       // lines emitted
};

// The stable id of a name: lower case, runs of anything but letters and digits become one '-'
// ("Acme Corporation" -> "acme-corporation"). Public so that tests and scripts can find entities.
std::string Slug(std::string_view name);

// Reads the four files from `dir` and calls `emit` with each command line (no newline), in the
// order they must be executed: users, accounts (parents before their subsidiaries), then the
// deals' steps in business-time order, then the undated ones. Fails with kInvalidArgument naming
// the file and line when a file is missing, malformed, or refers to something it does not define.
Result<ConversionCounts> Convert(const std::string& dir,
                                 const std::function<void(std::string_view)>& emit);

}  // namespace crm::maven
