// Raw RocksDB access to a closed crm database, for planting corruption the engine must detect.
// The only test code that includes <rocksdb/...>; the layout it relies on is SPEC §1: column
// family "events", key = 8-byte big-endian position, value = a FlatBuffers Envelope.
#pragma once

#include <cstdint>
#include <map>
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

// Any key of any column family (e.g. "projections", "meta"), for planting or inspecting rows
// behind the engine's back. Get: nullopt when absent. Fail the test on RocksDB errors.
std::optional<std::string> GetRawKey(const std::string& dir, const std::string& cf,
                                     const std::string& key);
bool PutRawKey(const std::string& dir, const std::string& cf, const std::string& key,
               const std::string& value);
bool DeleteRawKey(const std::string& dir, const std::string& cf, const std::string& key);
// Every (key, value) of column family `cf`, read through a read-only instance: it changes no
// file, so it works on a database as a crash left it (and beside a running writer).
std::map<std::string, std::string> ReadRawColumnFamily(const std::string& dir,
                                                       const std::string& cf);

}  // namespace crm::test
