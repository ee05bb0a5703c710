// Ending long-running output commands (`events`, `feed`) cleanly: SIGINT and SIGTERM ask the
// command to stop after the current event (it then flushes what it printed and exits 0); SIGPIPE
// is ignored so that a reader that goes away shows up as EPIPE, which the commands treat as a
// normal end (`crm events --follow | head -1`).
#pragma once

#include <atomic>

namespace crm::cli {

struct StopSignals {
  const std::atomic<bool>* requested = nullptr;  // set by the first SIGINT/SIGTERM
  int wake_fd = -1;  // readable once a stop was requested (cuts a wait short); -1 if unavailable
};

// Installs the handlers (once per process; later calls return the same). A command blocked
// writing to a reader that is alive but not reading stays blocked until it reads or goes away
// (then EPIPE ends it); SIGKILL ends it at once.
StopSignals InstallStopSignals();

}  // namespace crm::cli
