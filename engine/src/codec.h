// Encoding, stamping, hashing and verifying stored envelopes. Pure functions over bytes; no I/O.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <flatbuffers/flatbuffers.h>

#include "crm/event.h"
#include "crm/status.h"

namespace crm::codec {

// The parts of an envelope known before the writer assigns a position.
struct Header {
  std::string_view stream;
  std::string_view command_id;
  std::string_view correlation_id;
  std::string_view causation_id;
  std::string_view actor;
  int64_t occurred_at_us = 0;  // 0: stamped with recorded_at
};

// A bump allocator for the envelopes of one append: an inline first block (a one-event append
// allocates nothing), then a few growing blocks (up to 64 KiB each) instead of one malloc per
// event. Frees everything at once when destroyed.
// REQUIRES: outlives every buffer allocated from it.
class Arena : public flatbuffers::Allocator {
 public:
  Arena() : next_(inline_), left_(sizeof(inline_)) {}
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  uint8_t* allocate(size_t size) override;
  void deallocate(uint8_t*, size_t) override {}  // freed with the arena

 private:
  alignas(16) uint8_t inline_[2048];
  std::vector<std::unique_ptr<uint8_t[]>> blocks_;
  uint8_t* next_;
  size_t left_;
  size_t next_block_ = 4096;
};

// Serialises an envelope with a zeroed Stamp (except occurred_at), its memory from `arena`. Runs
// on the caller's thread.
flatbuffers::DetachedBuffer Encode(const Header& header, const EventData& event, Arena* arena);

struct StampValues {
  uint64_t position = 0;
  uint64_t version = 0;
  int64_t recorded_at_us = 0;
  Sha256Digest prev_hash{};
};

// Writes the stamp into an envelope produced by Encode() and returns its new hash.
// REQUIRES: `buf` holds a buffer produced by Encode().
Sha256Digest Stamp(uint8_t* buf, size_t size, const StampValues& stamp);

// hash = SHA-256(prev_hash || bytes with Stamp.hash zeroed). REQUIRES: `env` points into `bytes`.
Sha256Digest ComputeHash(std::string_view bytes, const fb::Envelope* env);

// Verifies a stored record: identifier, FlatBuffers structure, required fields and that the
// stamped position equals the key's. kCorruption names the position.
Result<const fb::Envelope*> VerifyEnvelope(uint64_t position, std::string_view bytes);

// The payload type of a stored envelope, verifying only what reading it needs (identifier, root
// offset, the root table's vtable, the type field). For readers that drop most records by type:
// a record they keep still goes through VerifyEnvelope before use. Errors: kCorruption.
Result<fb::Payload> PeekPayloadType(uint64_t position, std::string_view bytes);

// The canonical text form of a uuid ("8-4-4-4-12", lower case).
std::string UuidToString(const fb::Uuid& uuid);
// The same into out[0..36) (no terminator, no allocation).
void UuidToChars(const fb::Uuid& uuid, char out[36]);
std::string NewUuidString();

std::string HexDigest(const Sha256Digest& digest);
// The same into out[0..64) (no terminator, no allocation).
void HexDigestTo(const Sha256Digest& digest, char out[64]);

// Microseconds since the epoch, system clock.
int64_t NowMicros();

}  // namespace crm::codec
