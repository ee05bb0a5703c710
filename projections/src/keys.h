// Keys of the `projections` column family. Prose: projections/README.md.
//
//   s:<stream>                               -> StateRow        current state of one entity
//   x:<kind>:<filter>:<value>\0<id>          -> ""              list index (value lower-cased)
//   h:<stream>\0<~position:u64be>            -> HistoryEntry    history, newest first
//   p:<stream>\0<~position:u64be>            -> StateRow        snapshot: the row after that
//                                                               position, newest first
//
// Every key starts with a printable ASCII tag (below 0x7f: see format::kProjectionsEnd).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace crm::proj::keys {

inline std::string State(std::string_view stream) {
  std::string k("s:");
  k.append(stream);
  return k;
}
// Every state row of a kind, in id order.
inline std::string StatePrefix(std::string_view kind) {
  std::string k("s:");
  k.append(kind).push_back('-');
  return k;
}

inline void AppendIndexPrefix(std::string* k, std::string_view kind, std::string_view filter) {
  k->append("x:").append(kind).push_back(':');
  k->append(filter).push_back(':');
}
inline std::string IndexPrefix(std::string_view kind, std::string_view filter) {
  std::string k;
  AppendIndexPrefix(&k, kind, filter);
  return k;
}
inline std::string Index(std::string_view kind, std::string_view filter, std::string_view value,
                         std::string_view id) {
  std::string k = IndexPrefix(kind, filter);
  k.append(value).push_back('\0');
  k.append(id);
  return k;
}

// "<tag><stream>\0" and "<tag><stream>\0<~position:u64be>": per-stream keys newest first.
inline std::string StreamPrefix(std::string_view tag, std::string_view stream) {
  std::string k(tag);
  k.append(stream).push_back('\0');
  return k;
}
inline void AppendStreamPositionKey(std::string* k, std::string_view tag,
                                    std::string_view stream, uint64_t position) {
  k->append(tag).append(stream).push_back('\0');
  const uint64_t inv = ~position;
  for (int i = 7; i >= 0; --i) k->push_back(static_cast<char>((inv >> (i * 8)) & 0xff));
}
inline std::string StreamPositionKey(std::string_view tag, std::string_view stream,
                                     uint64_t position) {
  std::string k;
  AppendStreamPositionKey(&k, tag, stream, position);
  return k;
}

inline std::string HistoryPrefix(std::string_view stream) { return StreamPrefix("h:", stream); }
inline std::string History(std::string_view stream, uint64_t position) {
  return StreamPositionKey("h:", stream, position);
}
// Snapshots of a stream's row, keyed like its history so that the newest one at or before a
// position is the first key of a forward scan from Snapshot(stream, position).
inline std::string SnapshotPrefix(std::string_view stream) { return StreamPrefix("p:", stream); }
inline std::string Snapshot(std::string_view stream, uint64_t position) {
  return StreamPositionKey("p:", stream, position);
}

// The stream of a history or snapshot key (between its 2-byte tag and "\0<position>").
inline std::string_view StreamOfPositionKey(std::string_view key) {
  return key.substr(2, key.size() - 2 - 9);
}
// The position in a history or snapshot key (its last 8 bytes).
inline uint64_t HistoryPosition(std::string_view key) {
  uint64_t inv = 0;
  for (size_t i = key.size() - 8; i < key.size(); ++i) inv = (inv << 8) | static_cast<uint8_t>(key[i]);
  return ~inv;
}

}  // namespace crm::proj::keys
