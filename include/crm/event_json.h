// JSON rendering of stored events (the `crm events` shape, SPEC §1/§4). Payloads are rendered
// generically from the schema embedded at build time, so every event type -- including ones added
// later -- prints without per-type code. Field attributes steer formatting: (money) longs print as
// decimal amounts, (timestamp) longs as RFC 3339, enums by name.
//
// Thread-safe: the schema is loaded once; calls share nothing else.
#pragma once

#include <string>

#include "crm/event.h"

namespace crm {

// Appends the event as one JSON object (no trailing newline):
// {"position","stream","version","type","event_id","command_id","correlation_id",
//  "causation_id","actor","recorded_at","occurred_at","schema_version","prev_hash","hash","data"}
void AppendEventJson(const EventView& event, std::string* out);

// Appends just the payload as a JSON object ("null" for an event type this build does not know).
void AppendPayloadJson(const EventView& event, std::string* out);

// 1250 -> "12.5", -5 -> "-0.05", 100 -> "1".
std::string FormatCents(int64_t cents);

}  // namespace crm
