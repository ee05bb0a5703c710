// The on-disk format of a crm database, written down once. Prose: docs/storage.md.
//
// One RocksDB database per directory, with these column families:
//
//   events    key   = position:u64be                         (8 bytes, from 1, gap-free)
//             value = FlatBuffers Envelope, identifier "CRME" (schemas/envelope.fbs)
//
//   streams   key   = stream-name 0x00 first_version:u64be   (a "run" of the stream)
//             value = first_position:u64be count:u64be       (16 bytes)
//             One entry per stream per append: the events of one stream inside one append get
//             consecutive positions, so versions first_version .. first_version+count-1 live at
//             positions first_position .. first_position+count-1. A stream's current version is
//             the last run's first_version+count-1 (one SeekForPrev). Runs of a stream tile its
//             versions 1..N without gaps or overlaps.
//
//   commands  key   = command_id (client-supplied only)
//             value = FlatBuffers CommandRecord, identifier "CRMC" (schemas/records.fbs)
//
//   links     key   = from-stream 0x00 to-stream
//             value = position:u64be of the first event of the append that made the link
//             Relations between streams (an account and its contacts, opportunities, ...).
//
//   projections  rows of the Projector (include/crm/projection.h; layout: projections/README.md)
//             Keys start with a printable ASCII tag, so ["", kProjectionsEnd) covers them all.
//
//   meta      key   = ASCII name
//             "format"      -> decimal format version (kFormatVersion)
//             "created_at"  -> RFC 3339 time the database was created
//             "projection.name", "projection.version" -> the Projector that built `projections`
//             "projection.checkpoint" -> position:u64be, the last event folded into them;
//                                  written in the same batch as the events and the rows, and
//                                  after the last SST file of a full rebuild (0 until then: an
//                                  interrupted rebuild starts over)
//             "projection.rebuilding" -> position:u64be, how far a full rebuild in progress has
//                                  folded and ingested the log (progress for readers; removed
//                                  with the final checkpoint)
//
// <dir>/rebuild-sst/  SST files a full rebuild writes before ingesting them into `projections`;
//                     transient, removed when the rebuild ends and whenever one starts
//
// Stream names never contain 0x00 (the engine rejects them), so the prefix up to and including the
// first 0x00 is exactly one stream: the streams CF uses it as its prefix extractor (prefix bloom).
//
// Hash chain: hash(n) = SHA-256(hash(n-1) || envelope(n) with Stamp.hash zeroed), hash(0) = 0^32.
// Both hashes are stored inside the envelope's Stamp.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace crm::format {

inline constexpr int kFormatVersion = 1;

inline constexpr char kEventsCf[] = "events";
inline constexpr char kStreamsCf[] = "streams";
inline constexpr char kCommandsCf[] = "commands";
inline constexpr char kMetaCf[] = "meta";
inline constexpr char kLinksCf[] = "links";
inline constexpr char kProjectionsCf[] = "projections";
inline constexpr char kProjectionsEnd[] = "\x7f";
inline constexpr char kIngestDir[] = "rebuild-sst";

inline constexpr char kMetaFormat[] = "format";
inline constexpr char kMetaCreatedAt[] = "created_at";
inline constexpr char kMetaProjectionName[] = "projection.name";
inline constexpr char kMetaProjectionVersion[] = "projection.version";
inline constexpr char kMetaProjectionCheckpoint[] = "projection.checkpoint";
inline constexpr char kMetaProjectionRebuilding[] = "projection.rebuilding";

inline constexpr size_t kMaxStreamNameBytes = 512;
inline constexpr size_t kStreamRunValueBytes = 16;

inline void PutU64BE(char* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

inline uint64_t GetU64BE(const char* in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

// events key
inline std::string EventKey(uint64_t position) {
  std::string k(8, '\0');
  PutU64BE(k.data(), position);
  return k;
}

// streams key: name \0 first_version
inline std::string StreamRunKey(std::string_view stream, uint64_t first_version) {
  std::string k;
  k.reserve(stream.size() + 9);
  k.append(stream);
  k.push_back('\0');
  k.resize(k.size() + 8);
  PutU64BE(k.data() + stream.size() + 1, first_version);
  return k;
}

// Writes a streams key into `out` (at least stream.size() + 9 bytes); returns its length.
inline size_t StreamRunKeyTo(std::string_view stream, uint64_t first_version, char* out) {
  std::memcpy(out, stream.data(), stream.size());
  out[stream.size()] = '\0';
  PutU64BE(out + stream.size() + 1, first_version);
  return stream.size() + 9;
}

inline std::string LinkKey(std::string_view from, std::string_view to) {
  std::string k;
  k.reserve(from.size() + 1 + to.size());
  k.append(from).push_back('\0');
  k.append(to);
  return k;
}

// The prefix shared by every run of `stream`.
inline std::string StreamPrefix(std::string_view stream) {
  std::string k(stream);
  k.push_back('\0');
  return k;
}

struct StreamRunKeyParts {
  std::string_view stream;
  uint64_t first_version = 0;
};

// Returns false if `key` is not a well-formed streams key.
inline bool ParseStreamRunKey(std::string_view key, StreamRunKeyParts* out) {
  if (key.size() < 10) return false;
  size_t sep = key.size() - 9;
  if (key[sep] != '\0' || key.substr(0, sep).find('\0') != std::string_view::npos) return false;
  out->stream = key.substr(0, sep);
  out->first_version = GetU64BE(key.data() + sep + 1);
  return true;
}

struct StreamRun {
  uint64_t first_position = 0;
  uint64_t count = 0;
};

inline void EncodeStreamRunTo(StreamRun run, char out[kStreamRunValueBytes]) {
  PutU64BE(out, run.first_position);
  PutU64BE(out + 8, run.count);
}

inline std::string EncodeStreamRun(StreamRun run) {
  std::string v(kStreamRunValueBytes, '\0');
  EncodeStreamRunTo(run, v.data());
  return v;
}

inline bool DecodeStreamRun(std::string_view value, StreamRun* out) {
  if (value.size() != kStreamRunValueBytes) return false;
  out->first_position = GetU64BE(value.data());
  out->count = GetU64BE(value.data() + 8);
  return out->first_position != 0 && out->count != 0;
}

}  // namespace crm::format
