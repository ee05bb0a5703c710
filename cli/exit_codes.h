// Process exit codes (SPEC §5) and the mapping from engine errors to them.
#pragma once

#include "crm/status.h"

namespace crm::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRejected = 1;    // one or more commands rejected; the rest ran
inline constexpr int kExitUsage = 2;
inline constexpr int kExitNotFound = 3;
inline constexpr int kExitUnavailable = 4;  // database busy, missing or unreadable
inline constexpr int kExitCorruption = 5;

// The exit code for a failure to open or read the database.
inline int ExitCodeFor(const Status& s) {
  switch (s.code()) {
    case Code::kOk: return kExitOk;
    case Code::kCorruption: return kExitCorruption;
    case Code::kNotFound:
    case Code::kBusy:
    case Code::kIOError: return kExitUnavailable;
    case Code::kInvalidArgument: return kExitUsage;
    default: return kExitRejected;
  }
}

}  // namespace crm::cli
