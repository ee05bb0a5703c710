#include "engine/src/codec.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <uuid/uuid.h>

#include <atomic>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>

#include "engine/src/format.h"

namespace crm::codec {
namespace {

static_assert(sizeof(fb::Sha256) == 32, "Sha256 struct must be exactly its digest");
static_assert(sizeof(fb::Stamp) == 96, "Stamp layout is part of the on-disk format");

// One EVP context per thread and one explicitly fetched digest per process: OpenSSL 3 re-fetches
// the implementation on every init when given the legacy EVP_sha256().
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()), md_(Digest()) {}
  ~Sha256() { EVP_MD_CTX_free(ctx_); }
  static const EVP_MD* Digest() {
    static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return md;
  }
  void Init() { EVP_DigestInit_ex(ctx_, md_, nullptr); }
  void Update(const void* data, size_t n) { EVP_DigestUpdate(ctx_, data, n); }
  Sha256Digest Final() {
    Sha256Digest out{};
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_, out.data(), &len);
    return out;
  }

 private:
  EVP_MD_CTX* ctx_;
  const EVP_MD* md_;
};

Sha256& ThreadHasher() {
  thread_local Sha256 hasher;
  return hasher;
}

// Hashes prev || bytes, reading the 32 bytes at `hash_offset` as zeros.
Sha256Digest HashWithZeroedField(const Sha256Digest& prev, const uint8_t* bytes, size_t size,
                                 size_t hash_offset) {
  static constexpr uint8_t kZeros[32] = {};
  Sha256& h = ThreadHasher();
  h.Init();
  h.Update(prev.data(), prev.size());
  h.Update(bytes, hash_offset);
  h.Update(kZeros, sizeof(kZeros));
  h.Update(bytes + hash_offset + 32, size - hash_offset - 32);
  return h.Final();
}

// Random (version 4) UUIDs from OpenSSL's CSPRNG, drawn 4 KiB at a time per thread. libuuid's
// uuid_generate_random makes several system calls per UUID (~9 us each on a paravirtualised VM),
// which was half the cost of an append. A fork invalidates every buffer so that parent and child
// never hand out the same bytes.
std::atomic<uint64_t> g_fork_generation{0};

class UuidSource {
 public:
  UuidSource() {
    static const bool registered = [] {
      pthread_atfork(nullptr, nullptr, [] { g_fork_generation.fetch_add(1); });
      return true;
    }();
    (void)registered;
  }
  void Next(uint8_t out[16]) {
    const uint64_t gen = g_fork_generation.load(std::memory_order_relaxed);
    if (used_ + 16 > sizeof(pool_) || gen != generation_) {
      if (RAND_bytes(pool_, sizeof(pool_)) != 1) {
        uuid_generate_random(out);  // OpenSSL's generator failed: fall back to libuuid
        return;
      }
      used_ = 0;
      generation_ = gen;
    }
    std::memcpy(out, pool_ + used_, 16);
    used_ += 16;
    out[6] = static_cast<uint8_t>((out[6] & 0x0f) | 0x40);  // version 4
    out[8] = static_cast<uint8_t>((out[8] & 0x3f) | 0x80);  // RFC 4122 variant
  }

 private:
  uint8_t pool_[4096];
  size_t used_ = sizeof(pool_);
  uint64_t generation_ = 0;
};

void NewUuidBytes(uint8_t out[16]) {
  thread_local UuidSource source;
  source.Next(out);
}

size_t HashOffset(const uint8_t* base, const fb::Envelope* env) {
  return reinterpret_cast<const uint8_t*>(&env->stamp()->hash()) - base;
}

}  // namespace

uint8_t* Arena::allocate(size_t size) {
  size = (size + 15) & ~size_t{15};  // keep every buffer 16-byte aligned
  if (size > left_) {
    // Start small (a one-event append needs ~1 KiB), double up to 64 KiB; never zero-filled.
    const size_t block = std::max(size, next_block_);
    next_block_ = std::min(next_block_ * 2, size_t{64} << 10);
    blocks_.emplace_back(new uint8_t[block]);
    next_ = blocks_.back().get();
    left_ = block;
  }
  uint8_t* out = next_;
  next_ += size;
  left_ -= size;
  return out;
}

flatbuffers::DetachedBuffer Encode(const Header& header, const EventData& event, Arena* arena) {
  // Sized so that a typical envelope (~550 bytes with a 256-byte payload) never reallocates.
  flatbuffers::FlatBufferBuilder fbb(1024, arena, /*own_allocator=*/false);
  auto stream = fbb.CreateString(header.stream.data(), header.stream.size());
  // The three ids are usually equal: each is stored once per envelope. (Compared by hand:
  // CreateSharedString would allocate a std::set per envelope.)
  auto command_id = fbb.CreateString(header.command_id.data(), header.command_id.size());
  auto correlation_id =
      header.correlation_id == header.command_id
          ? command_id
          : fbb.CreateString(header.correlation_id.data(), header.correlation_id.size());
  auto causation_id =
      header.causation_id == header.command_id         ? command_id
      : header.causation_id == header.correlation_id ? correlation_id
                                                     : fbb.CreateString(header.causation_id.data(),
                                                                        header.causation_id.size());
  auto actor = fbb.CreateString(header.actor.data(), header.actor.size());
  auto data = event.data.Pack(fbb);

  fb::Uuid event_id;
  NewUuidBytes(event_id.mutable_bytes()->Data());
  fb::Stamp stamp;
  std::memset(static_cast<void*>(&stamp), 0, sizeof(stamp));
  stamp.mutate_occurred_at_us(header.occurred_at_us);

  fb::EnvelopeBuilder b(fbb);
  b.add_stamp(&stamp);
  b.add_event_id(&event_id);
  b.add_stream(stream);
  b.add_command_id(command_id);
  b.add_correlation_id(correlation_id);
  b.add_causation_id(causation_id);
  b.add_actor(actor);
  b.add_schema_version(event.schema_version);
  b.add_data_type(event.data.type);
  b.add_data(data);
  fbb.Finish(b.Finish(), fb::EnvelopeIdentifier());
  return fbb.Release();
}

Sha256Digest Stamp(uint8_t* buf, size_t size, const StampValues& values) {
  fb::Stamp* stamp = fb::GetMutableEnvelope(buf)->mutable_stamp();
  stamp->mutate_position(values.position);
  stamp->mutate_version(values.version);
  stamp->mutate_recorded_at_us(values.recorded_at_us);
  if (stamp->occurred_at_us() == 0) stamp->mutate_occurred_at_us(values.recorded_at_us);
  std::memcpy(&stamp->mutable_prev_hash(), values.prev_hash.data(), 32);
  std::memset(static_cast<void*>(&stamp->mutable_hash()), 0, 32);
  const uint8_t* hash_field = reinterpret_cast<const uint8_t*>(&stamp->hash());
  Sha256Digest hash = HashWithZeroedField(values.prev_hash, buf, size, hash_field - buf);
  std::memcpy(&stamp->mutable_hash(), hash.data(), 32);
  return hash;
}

Sha256Digest ComputeHash(std::string_view bytes, const fb::Envelope* env) {
  const auto* base = reinterpret_cast<const uint8_t*>(bytes.data());
  Sha256Digest prev;
  std::memcpy(prev.data(), &env->stamp()->prev_hash(), 32);
  return HashWithZeroedField(prev, base, bytes.size(), HashOffset(base, env));
}

Result<const fb::Envelope*> VerifyEnvelope(uint64_t position, std::string_view bytes) {
  auto bad = [position](std::string_view why) {
    return Status::Corruption("event at position " + std::to_string(position) + ": " +
                              std::string(why));
  };
  const auto* base = reinterpret_cast<const uint8_t*>(bytes.data());
  if (bytes.size() < 8 || !fb::EnvelopeBufferHasIdentifier(base)) {
    return bad("not a crm envelope (bad size or file identifier)");
  }
  flatbuffers::Verifier verifier(base, bytes.size());
  if (!fb::VerifyEnvelopeBuffer(verifier)) return bad("envelope fails FlatBuffers verification");
  const fb::Envelope* env = fb::GetEnvelope(base);
  if (env->stamp()->position() != position) {
    return bad("stamped position " + std::to_string(env->stamp()->position()) +
               " does not match its key");
  }
  if (env->stamp()->version() == 0) return bad("stream version 0");
  return env;
}

Result<fb::Payload> PeekPayloadType(uint64_t position, std::string_view bytes) {
  const auto* base = reinterpret_cast<const uint8_t*>(bytes.data());
  auto bad = [position] {
    return Status::Corruption("event at position " + std::to_string(position) +
                              ": envelope fails FlatBuffers verification");
  };
  if (bytes.size() < 8 || !fb::EnvelopeBufferHasIdentifier(base)) return bad();
  flatbuffers::Verifier verifier(base, bytes.size());
  const flatbuffers::uoffset_t root = verifier.VerifyOffset(0);
  if (root == 0) return bad();
  const auto* table = reinterpret_cast<const flatbuffers::Table*>(base + root);
  if (!table->VerifyTableStart(verifier) ||
      !table->VerifyField<uint8_t>(verifier, fb::Envelope::VT_DATA_TYPE, 1)) {
    return bad();
  }
  return static_cast<fb::Payload>(table->GetField<uint8_t>(fb::Envelope::VT_DATA_TYPE, 0));
}

std::string UuidToString(const fb::Uuid& uuid) {
  char out[36];
  UuidToChars(uuid, out);
  return std::string(out, 36);
}

void UuidToChars(const fb::Uuid& uuid, char out[36]) {
  char text[37];
  uuid_unparse_lower(uuid.bytes()->Data(), text);
  std::memcpy(out, text, 36);
}

std::string NewUuidString() {
  uuid_t id;
  NewUuidBytes(id);
  char out[37];
  uuid_unparse_lower(id, out);
  return out;
}

void HexDigestTo(const Sha256Digest& digest, char out[64]) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < digest.size(); ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 0xf];
  }
}

std::string HexDigest(const Sha256Digest& digest) {
  std::string out(64, '0');
  HexDigestTo(digest, out.data());
  return out;
}

int64_t NowMicros() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace crm::codec
