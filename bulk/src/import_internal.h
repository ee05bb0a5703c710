// Internals of the importer shared by import.cc (the loop: reading, mapping, duplicates, batches,
// results) and row_commands.cc (a row's values -> SPEC §2 commands).
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "bulk/src/fields.h"
#include "crm/projections.h"

namespace crm::bulk {

// One data row's values by field index of its KindDef, normalised (enums canonical, full dates
// as midnight UTC); empty = absent.
struct RowValues {
  const KindDef* kind = nullptr;
  std::vector<std::string> v;

  bool has(int field) const { return field >= 0 && !v[field].empty(); }
  const std::string& at(int field) const { return v[field]; }
  const std::string& named(std::string_view name) const;  // "" when absent or unknown
};

// One command of a row: its JSON line and what to blame a failure on.
struct RowCommand {
  std::string json;
  std::string_view type;  // "OpenAccount"
  int trigger = -1;       // the field whose column a failure is reported on, if its message
                          // names none (follow-ups: the status, type or owner that asked for it)
};

// A problem found before any command runs.
struct RowError {
  int field = -1;  // -1: not tied to a column
  std::string code;
  std::string message;
};

using Commands = std::variant<std::vector<RowCommand>, RowError>;

// The commands that create entity `id` from the row: the creating command, then the follow-ups
// its status asks for. `without_parent`: leave parent_account_id out (set after the import).
Commands CreateCommands(const RowValues& row, const std::string& id, bool without_parent);

// The commands that bring existing entity `id` (`current`: its state, flat addresses) to the row's
// non-empty values. Empty when the kind has nothing the row can change.
Commands UpdateCommands(const RowValues& row, const std::string& id, const Doc& current,
                        bool without_parent);

// UpdateAccount{account_id, parent_account_id}: a parent that came later in the file, at business
// time `occurred_at` (empty: now).
RowCommand ParentCommand(const std::string& account_id, const std::string& parent_id,
                         const std::string& occurred_at);

}  // namespace crm::bulk
