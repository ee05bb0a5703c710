// What `crm events` and `crm feed` share: parsing --type names, and running the event pump
// (crm/event_output.h) on stdout with the stop signals installed, turning its end into an exit
// code.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "crm/event_output.h"
#include "crm/event_store.h"

namespace crm::cli {

// Event type names -> union members. An unknown name is logged with the valid ones; false.
bool ParseEventTypes(const std::vector<std::string>& names, std::vector<fb::Payload>* out);

// Called after each batch written to stdout has been flushed (with the output, for a Sync).
using FlushedHook = std::function<Status(FdOutput& out, uint64_t last_delivered)>;

// Pumps events to stdout until the pump ends. Exit codes: 0 for every normal end (the end of the
// log, --limit, SIGINT/SIGTERM, the reader of stdout gone); otherwise the error is logged and
// mapped by ExitCodeFor (5 corruption, 4 an output or database failure).
int WriteEventsToStdout(EventStore& store, EventFormatter& formatter, PumpOptions options,
                        const FlushedHook& on_flushed = {});

}  // namespace crm::cli
