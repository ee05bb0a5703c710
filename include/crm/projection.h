// Projections maintained by the engine inside its write path (DESIGN "Projections").
//
// A Projector folds committed events into rows of the `projections` column family. The writer
// calls it for every event it appends, inside the commit group that appends the event, and puts
// the projector's writes into the same RocksDB write batch as the events plus a checkpoint (the
// last position folded). So after any crash the projections equal a fold of exactly the events
// in the log, and once an append returns, a read sees its effects (read-your-writes).
//
// On open, the writer compares the projector's name and version with those stored in `meta`:
// if they differ the projections are dropped and rebuilt from the log; if the checkpoint is
// behind the log (a database written without the projector) the projector catches up.
//
// Threads: the engine calls a Projector from one thread at a time (the group's leader), one group
// at a time: Apply* for the group's events in position order, then Flush, then exactly one of
// Committed / Abandoned. Lifetime: owned by the EventStore through Options::projector.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "crm/event.h"
#include "crm/status.h"

namespace crm {

// Committed rows of the `projections` column family, as of a point in time.
class ProjectionReader {
 public:
  virtual ~ProjectionReader() = default;
  // std::nullopt when absent. Errors: kIOError.
  virtual Result<std::optional<std::string>> Get(std::string_view key) = 0;
  // Calls fn(key, value) for each key that starts with `prefix` and is >= `start` (start may be
  // empty), in key order, until fn returns false. Errors: kIOError.
  virtual Status Scan(std::string_view prefix, std::string_view start,
                      const std::function<bool(std::string_view, std::string_view)>& fn) = 0;
};

// Where a Projector puts the rows a group changed.
class ProjectionWriter {
 public:
  virtual ~ProjectionWriter() = default;
  virtual void Put(std::string_view key, std::string_view value) = 0;
  virtual void Delete(std::string_view key) = 0;
};

class Projector {
 public:
  virtual ~Projector() = default;

  // Stored in `meta`; a change of either rebuilds the projections on the next writable open.
  virtual std::string_view name() const = 0;
  virtual uint32_t version() const = 0;

  // Folds one event. `committed` reads what is committed (not this group's own changes: the
  // projector keeps those itself). An error fails every append of the group (nothing of it is
  // written) and is returned to their callers.
  virtual Status Apply(const EventView& event, ProjectionReader& committed) = 0;
  // Writes every row the group's Apply calls changed.
  virtual void Flush(ProjectionWriter& out) = 0;
  // The group's write is durable / failed (forget its changes).
  virtual void Committed() = 0;
  virtual void Abandoned() = 0;
  // The projections column family was just emptied (rebuild): drop any cached rows.
  virtual void Reset() = 0;
};

}  // namespace crm
