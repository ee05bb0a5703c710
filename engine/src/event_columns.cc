#include "crm/event_columns.h"

#include <charconv>

#include "crm/event_json.h"
#include "crm/time_format.h"
#include "engine/src/codec.h"
#include "engine/src/event_json_internal.h"
#include "engine/src/schema_index.h"

namespace crm {
namespace {

using schema::FieldInfo;
using schema::Format;
using schema::Index;

// One payload column: the field it shows, reached from the payload table through `path` (the
// nested table fields of a dotted name, outermost first).
struct Leaf {
  std::vector<const reflection::Field*> path;
  FieldInfo field;
  bool as_json = false;  // vectors, structs, unions: the value as JSON
};

struct PayloadLayout {
  std::vector<std::string> columns;
  std::vector<Leaf> leaves;
};

constexpr size_t kMaxDepth = 4;

void Flatten(int object, const std::string& prefix, std::vector<const reflection::Field*>& path,
             PayloadLayout* layout) {
  const auto* objects = Index().schema()->objects();
  for (const FieldInfo& fi : Index().fields(object)) {
    const auto* f = fi.field;
    const auto bt = f->type()->base_type();
    const std::string name = prefix + f->name()->str();
    // Nested tables flatten; a (hypothetical) recursive schema stops at a JSON cell.
    if (bt == reflection::Obj && !objects->Get(f->type()->index())->is_struct() &&
        path.size() < kMaxDepth) {
      path.push_back(f);
      Flatten(f->type()->index(), name + ".", path, layout);
      path.pop_back();
      continue;
    }
    layout->columns.push_back(name);
    layout->leaves.push_back(
        {path, fi, !(flatbuffers::IsScalar(bt) || bt == reflection::String)});
  }
}

// Layouts of every Payload member, indexed by its wire value; built once.
class Layouts {
 public:
  Layouts() {
    for (auto type : fb::EnumValuesPayload()) {
      const auto wire = static_cast<size_t>(type);
      if (layouts_.size() <= wire) layouts_.resize(wire + 1);
      const int object = Index().PayloadObject(static_cast<uint8_t>(type));
      if (object < 0) continue;
      std::vector<const reflection::Field*> path;
      Flatten(object, "", path, &layouts_[wire]);
    }
  }
  const PayloadLayout& Get(fb::Payload type) const {
    const auto wire = static_cast<size_t>(type);
    return wire < layouts_.size() ? layouts_[wire] : empty_;
  }

 private:
  std::vector<PayloadLayout> layouts_;
  PayloadLayout empty_;
};

const Layouts& AllLayouts() {
  static const Layouts layouts;
  return layouts;
}

template <typename T>
void AssignNumber(T v, std::string* out) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->assign(buf, r.ptr);
}

// The text of a scalar at `data` (present, or a default written to a scratch buffer).
void ScalarText(reflection::BaseType type, const uint8_t* data, int enum_index, Format fmt,
                std::string* out) {
  if (type == reflection::Bool) {
    out->assign(*data != 0 ? "true" : "false");
    return;
  }
  if (flatbuffers::IsFloat(type)) {
    AssignNumber(flatbuffers::GetAnyValueF(type, data), out);
    return;
  }
  if (type == reflection::ULong) {
    AssignNumber(flatbuffers::ReadScalar<uint64_t>(data), out);
    return;
  }
  const int64_t v = flatbuffers::GetAnyValueI(type, data);
  if (const auto* name = Index().EnumValueName(enum_index, v)) {
    out->assign(name->c_str(), name->size());
    return;
  }
  switch (fmt) {
    case Format::kMoney:
      out->assign(FormatCents(v));
      return;
    case Format::kTimestamp: {
      char t[kMaxTimestampChars];
      out->assign(t, FormatTimestampTo(v, t));
      return;
    }
    case Format::kPlain:
      AssignNumber(v, out);
      return;
  }
}

void LeafText(const flatbuffers::Table* table, const Leaf& leaf, std::string* out) {
  out->clear();
  for (const auto* step : leaf.path) {
    if (table == nullptr) return;
    table = flatbuffers::GetFieldT(*table, *step);
  }
  if (table == nullptr) return;
  const auto* f = leaf.field.field;
  const auto bt = f->type()->base_type();
  const uint8_t* p = table->GetAddressOf(f->offset());
  if (flatbuffers::IsScalar(bt)) {
    if (p) {
      ScalarText(bt, p, f->type()->index(), leaf.field.format, out);
    } else if (f->optional()) {
      // an unset optional scalar: empty
    } else if (flatbuffers::IsFloat(bt)) {
      AssignNumber(f->default_real(), out);
    } else {
      uint8_t buf[8];
      flatbuffers::WriteScalar(buf, f->default_integer());
      ScalarText(bt == reflection::Bool ? reflection::Bool : reflection::Long, buf,
                 f->type()->index(), leaf.field.format, out);
    }
    return;
  }
  if (!p) return;
  if (!leaf.as_json) {
    const auto* s = flatbuffers::GetFieldS(*table, *f);
    out->assign(s->c_str(), s->size());
    return;
  }
  json_internal::AppendFieldJson(*table, *f, out);
}

void AssignString(const flatbuffers::String* s, std::string* out) {
  if (s) {
    out->assign(s->c_str(), s->size());
  } else {
    out->clear();
  }
}

}  // namespace

const std::vector<std::string>& EnvelopeColumns() {
  static const std::vector<std::string> columns = {
      "position",  "stream",         "version",      "type",        "event_id",
      "command_id", "correlation_id", "causation_id", "actor",       "recorded_at",
      "occurred_at", "schema_version", "prev_hash",    "hash"};
  return columns;
}

const std::vector<std::string>& PayloadColumns(fb::Payload type) {
  return AllLayouts().Get(type).columns;
}

void EnvelopeCells(const EventView& e, std::vector<std::string>* cells) {
  cells->resize(EnvelopeColumns().size());
  auto& c = *cells;
  const fb::Envelope* env = e.envelope;
  AssignNumber(e.position, &c[0]);
  AssignString(env->stream(), &c[1]);
  AssignNumber(e.version(), &c[2]);
  c[3].assign(e.type_name());
  char id[36];
  codec::UuidToChars(*env->event_id(), id);
  c[4].assign(id, 36);
  AssignString(env->command_id(), &c[5]);
  AssignString(env->correlation_id(), &c[6]);
  AssignString(env->causation_id(), &c[7]);
  AssignString(env->actor(), &c[8]);
  char t[kMaxTimestampChars];
  c[9].assign(t, FormatTimestampTo(e.recorded_at_us(), t));
  c[10].assign(t, FormatTimestampTo(e.occurred_at_us(), t));
  AssignNumber(static_cast<unsigned>(env->schema_version()), &c[11]);
  char h[64];
  codec::HexDigestTo(e.prev_hash(), h);
  c[12].assign(h, 64);
  codec::HexDigestTo(e.hash(), h);
  c[13].assign(h, 64);
}

void PayloadCells(const EventView& e, std::vector<std::string>* cells) {
  const PayloadLayout& layout = AllLayouts().Get(e.type());
  cells->resize(layout.leaves.size());
  const auto* table = reinterpret_cast<const flatbuffers::Table*>(e.envelope->data());
  for (size_t i = 0; i < layout.leaves.size(); ++i) {
    LeafText(table, layout.leaves[i], &(*cells)[i]);
  }
}

}  // namespace crm
