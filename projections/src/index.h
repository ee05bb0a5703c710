// The list filters of `crm list` (SPEC §4) and the index entries that serve them.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "projections/src/record.h"

namespace crm::proj {

struct FilterSpec {
  std::string_view filter;  // the CLI option: "type", "status", "name", ...
  int field;                // the row field it reads; kDisplayName for "name"
  bool prefix;              // matched by prefix ("name") instead of equality
};
inline constexpr int kDisplayName = -1;

// The filters a kind supports (each backed by an index).
std::span<const FilterSpec> Filters(Kind kind);
const FilterSpec* FindFilter(Kind kind, std::string_view filter);

// The value a filter sees in a row, lower-cased (matching is case-insensitive); "" = no entry.
std::string FilterValue(const Record& r, const FilterSpec& f);
std::string Lower(std::string_view s);

// The values an enum-valued filter accepts (its enumeration); empty for free-text filters.
std::vector<std::string_view> AllowedValues(Kind kind, std::string_view filter);

// Match keys for duplicate detection (crm import): exact lookups of a normalised value. They share
// the `x:` key family with the filters but are not list filters. A kind's "name" match key is its
// "name" filter's index (kept for accounts only).
struct MatchSpec {
  std::string_view key;  // "email", "phone"
  int field;
};
std::span<const MatchSpec> MatchKeys(Kind kind);
// The normalised value of a match key (see crm::MatchValue); "" = no entry.
std::string NormalizeMatch(std::string_view key, std::string_view value);

// Every index key of a row (keys::Index): its filters' and its match keys', sorted.
std::vector<std::string> IndexKeys(const Record& r);

}  // namespace crm::proj
