// What the column rendering (event_columns.cc) borrows from the JSON rendering (event_json.cc):
// one field's value as JSON, for the cells that hold a vector or struct as JSON.
#pragma once

#include <flatbuffers/reflection.h>

#include <string>

namespace crm::json_internal {

// Appends the JSON value of the string, vector, table or struct field `f` of `table`.
// REQUIRES: the field is present in `table`.
void AppendFieldJson(const flatbuffers::Table& table, const reflection::Field& f, std::string* out);

}  // namespace crm::json_internal
