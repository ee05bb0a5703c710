// Raw RocksDB access to a closed crm database, for planting corruption the engine must detect.
// The only test code that includes <rocksdb/...>; the layout it relies on is SPEC §1: column
// family "events", key = 8-byte big-endian position, value = a FlatBuffers Envelope.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace crm::test {

// The stored value at `position`, or nullopt. Fails the test on RocksDB errors.
std::optional<std::string> GetRawEvent(const std::string& dir, uint64_t position);
// Overwrites (Put) the value at `position`. Returns false (and fails the test) on errors.
bool PutRawEvent(const std::string& dir, uint64_t position, const std::string& value);
// Deletes the record at `position`.
bool DeleteRawEvent(const std::string& dir, uint64_t position);
// Deletes the first key of column family `cf` (format-agnostic damage to an index).
bool DeleteFirstKey(const std::string& dir, const std::string& cf);

}  // namespace crm::test
