#include "cli/event_printing.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "cli/exit_codes.h"
#include "cli/stop_signals.h"

namespace crm::cli {

bool ParseEventTypes(const std::vector<std::string>& names, std::vector<fb::Payload>* out) {
  for (const auto& name : names) {
    bool found = false;
    for (auto t : fb::EnumValuesPayload()) {
      if (t != fb::Payload::NONE && name == fb::EnumNamePayload(t)) {
        out->push_back(t);
        found = true;
      }
    }
    if (!found) {
      std::string valid;
      for (auto t : fb::EnumValuesPayload()) {
        if (t == fb::Payload::NONE) continue;
        valid += (valid.empty() ? "" : ", ") + std::string(fb::EnumNamePayload(t));
      }
      spdlog::error("unknown event type '{}'; valid types: {}", name, valid);
      return false;
    }
  }
  return true;
}

int WriteEventsToStdout(EventStore& store, EventFormatter& formatter, PumpOptions options,
                        const FlushedHook& on_flushed) {
  const StopSignals signals = InstallStopSignals();
  options.stop = signals.requested;
  options.wake_fd = signals.wake_fd;
  FdOutput out(STDOUT_FILENO);
  if (on_flushed) {
    options.on_flushed = [&](uint64_t last) { return on_flushed(out, last); };
  }
  auto result = PumpEvents(store, formatter, out, options);
  if (!result.ok()) {
    // Never skip silently: a reader must not lose an event. Resume past it with --from.
    spdlog::error("{}", result.status().message());
    return ExitCodeFor(result.status());
  }
  switch (result->end) {
    case PumpEnd::kOutputClosed:
      spdlog::debug("stdout was closed by its reader after {} events", result->events);
      break;
    case PumpEnd::kStopped:
      spdlog::debug("stopped by a signal after {} events", result->events);
      break;
    case PumpEnd::kEnd:
    case PumpEnd::kLimit:
      break;
  }
  return kExitOk;
}

}  // namespace crm::cli
