// The pure part of the projections: what one event does to rows. No I/O; the projector
// (projector.cc) loads rows, calls these, and writes the results.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "crm/event.h"
#include "projections/src/record.h"

namespace crm::proj {

// Applies an event to its own stream's row (`row` starts as Record::Empty of the stream's kind
// for a new stream). Returns false for events that have no row (config streams, event types this
// build does not know): they change nothing.
bool FoldOwn(const EventView& e, Record* row);

// What an event does beyond its own stream's row.
struct Effects {
  struct Delta {
    std::string account_stream;
    uint16_t field;  // an account:: counter or amount
    int64_t delta;
  };
  std::vector<Delta> deltas;
  // Copy the history of `first` (a contact or lead) into that of `second` (an account): a link
  // made later brings along everything that happened to the linked entity before.
  std::optional<std::pair<std::string, std::string>> backfill;
  // Histories the event also belongs to beyond its stream's holders: the account a contact
  // leaves (its contact count changed).
  std::vector<std::string> extra_holders;
};
// What CrossEffects needs of the own row before FoldOwn (cheaper to keep than a copy of it).
struct Prior {
  std::string contact_account_id;  // a contact's account
  bool ticket_open = false;        // a ticket that exists and is neither Resolved nor Closed
  static Prior Of(const Record& row);
};
// `before` / `after`: the own row around FoldOwn.
Effects CrossEffects(const EventView& e, const Prior& before, const Record& after);

// Whether a stream's own history is kept (entries are readable by the stream's name): accounts,
// and the entities that can be linked to an account after they have a past (contacts, leads).
bool KeepsHistory(Kind kind);

// The one-line summary of a history entry: "Ticket T7 'Printer jams' closed by sam".
// `after` is the event's own row after FoldOwn.
std::string Summary(const EventView& e, const Record& after);

}  // namespace crm::proj
