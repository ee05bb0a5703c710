// Events as the caller proposes them (EventData) and as the log returns them (EventView,
// RecordedEvent). Encoding is FlatBuffers: schemas/envelope.fbs.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "crm/schemas/envelope_generated.h"

namespace crm {

using Sha256Digest = std::array<uint8_t, 32>;

// The current schema_version of each payload whose shape changed since it was first released.
// Every other payload is at version 1. Older stored versions are upcast on read (Upcaster).
inline constexpr uint16_t kAccountNoteAddedVersion = 2;  // v2: `mentions`

// One event to append: its typed payload (FlatBuffers object API) and the version of that
// payload's shape, for upcasting.
struct EventData {
  fb::PayloadUnion data;
  uint16_t schema_version = 1;
  // Overrides the request's actor for this event (e.g. "system" for an automatic policy).
  std::string actor;
};

// A stored event, verified, seen in place. The bytes belong to the reader that produced the view
// and stay valid until that reader's next call (or its destruction). Copy with ToOwned() to keep.
struct EventView {
  uint64_t position = 0;
  std::string_view bytes;                // the stored FlatBuffers Envelope
  const fb::Envelope* envelope = nullptr;  // points into `bytes`

  uint64_t version() const { return envelope->stamp()->version(); }
  std::string_view stream() const { return envelope->stream()->string_view(); }
  fb::Payload type() const { return envelope->data_type(); }
  // The SPEC §3 name of the event type ("AccountOpened"), or "Unknown" for a member this build
  // does not know (written by a newer version).
  std::string_view type_name() const;
  int64_t recorded_at_us() const { return envelope->stamp()->recorded_at_us(); }
  int64_t occurred_at_us() const { return envelope->stamp()->occurred_at_us(); }
  Sha256Digest hash() const;
  Sha256Digest prev_hash() const;

  struct RecordedEvent ToOwned() const;
};

// Rewrites stored events of an old payload version into the newest shape, so that every reader
// (projections, replay, time travel, `crm events`) only ever sees the newest one. The stamp
// (position, version, times, hashes) is kept: hashes are over the stored bytes, which are never
// changed. Implementations are stateless and thread-safe.
class Upcaster {
 public:
  virtual ~Upcaster() = default;
  // If `event` is an old version this upcaster knows, writes the re-encoded envelope (newest
  // payload version, same identifier) to *out and returns true; otherwise returns false.
  virtual bool Upcast(const struct EventView& event, std::string* out) const = 0;
};

// An event that owns its bytes.
struct RecordedEvent {
  uint64_t position = 0;
  std::string bytes;

  // The view is valid while this object lives and is not modified.
  EventView view() const;
};

// The stream name of an event type's kind: StreamName("account", "A1") == "account-A1".
inline std::string StreamName(std::string_view kind, std::string_view id) {
  std::string s;
  s.reserve(kind.size() + 1 + id.size());
  s.append(kind).append("-").append(id);
  return s;
}

// The kind part of a stream name ("account" for "account-A1"); the whole name if it has no '-'.
inline std::string_view StreamKind(std::string_view stream) {
  auto dash = stream.find('-');
  return dash == std::string_view::npos ? stream : stream.substr(0, dash);
}

}  // namespace crm
