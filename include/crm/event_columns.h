// Stored events flattened into named columns of text cells, for tabular outputs (`crm events
// --format csv`). Quoting is the caller's (the CLI uses libcsv); this header only decides which
// columns exist and what text each cell holds.
//
// Envelope columns: position, stream, version, type, event_id, command_id, correlation_id,
// causation_id, actor, recorded_at, occurred_at, schema_version, prev_hash, hash -- the fields of
// the JSON rendering (crm/event_json.h) except `data`, with the same texts.
//
// Payload columns of one event type are derived from the schema embedded at build time
// (FlatBuffers reflection), in field-id order:
//   * scalars, enums and strings: one column named after the field; enums by name, (money) longs
//     as decimal amounts ("12.5"), (timestamp) longs as RFC 3339, booleans as true/false;
//   * nested tables (addresses, AccountUpdated's old/new fields): their fields as dotted columns,
//     recursively ("billing_address.city", "old.billing_address.city");
//   * vectors, structs and anything else: one column holding the value as JSON ("mentions":
//     ["ann","bob"]).
// A cell is empty for an absent string, table, vector or optional scalar (CSV cannot tell absent
// from empty); an absent non-optional scalar shows its default, as in JSON.
//
// Thread-safe: the column lists are built once; the cell functions share nothing else.
#pragma once

#include <string>
#include <vector>

#include "crm/event.h"

namespace crm {

const std::vector<std::string>& EnvelopeColumns();

// The payload columns of `type`; empty for NONE or a member this build does not know.
const std::vector<std::string>& PayloadColumns(fb::Payload type);

// Sets *cells to the event's envelope values, one per EnvelopeColumns() entry. Reuses the
// strings' capacity: pass the same vector for every event to avoid allocating.
void EnvelopeCells(const EventView& event, std::vector<std::string>* cells);

// Sets *cells to the event's payload values, one per PayloadColumns(event.type()) entry.
void PayloadCells(const EventView& event, std::vector<std::string>* cells);

}  // namespace crm
