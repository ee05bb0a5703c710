// The embedded envelope schema (reflection), indexed for rendering payloads generically: per
// object, its live fields in id order with their formatting attributes. Shared by the JSON
// (event_json.cc) and the column (event_columns.cc) renderings, so both follow the same schema
// and the same attributes.
//
// Thread-safe: built once on first use, immutable afterwards.
#pragma once

#include <flatbuffers/reflection.h>

#include <cstdint>
#include <vector>

namespace crm::schema {

// How a long is shown: as is, as a decimal amount (money: integer cents), or as RFC 3339
// (timestamp: microseconds since the epoch).
enum class Format : uint8_t { kPlain, kMoney, kTimestamp };

struct FieldInfo {
  const reflection::Field* field;
  Format format;
};

class SchemaIndex {
 public:
  SchemaIndex();

  const reflection::Schema* schema() const { return schema_; }
  // The live (not deprecated) fields of an object, union type fields excluded, in id order.
  const std::vector<FieldInfo>& fields(int object) const { return fields_[object]; }
  // The object index of a Payload union member, or -1.
  int PayloadObject(uint8_t type) const;
  // The name of value `v` of enum `enum_index`, or nullptr if the enum has no such value.
  const flatbuffers::String* EnumValueName(int enum_index, int64_t v) const;

 private:
  const reflection::Schema* schema_;
  const reflection::Enum* payload_enum_ = nullptr;
  std::vector<std::vector<FieldInfo>> fields_;
};

const SchemaIndex& Index();

}  // namespace crm::schema
