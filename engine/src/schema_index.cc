#include "engine/src/schema_index.h"

#include <algorithm>

#include "crm/schemas/envelope_bfbs_generated.h"

namespace crm::schema {

SchemaIndex::SchemaIndex() : schema_(reflection::GetSchema(fb::EnvelopeBinarySchema::data())) {
  const auto* objects = schema_->objects();
  fields_.resize(objects->size());
  for (size_t i = 0; i < objects->size(); ++i) {
    for (const auto* f : *objects->Get(i)->fields()) {
      if (f->deprecated()) continue;
      if (f->type()->base_type() == reflection::UType) continue;  // rendered via its union
      Format fmt = Format::kPlain;
      if (f->attributes()) {
        if (f->attributes()->LookupByKey("money")) fmt = Format::kMoney;
        if (f->attributes()->LookupByKey("timestamp")) fmt = Format::kTimestamp;
      }
      fields_[i].push_back({f, fmt});
    }
    std::sort(fields_[i].begin(), fields_[i].end(),
              [](const FieldInfo& a, const FieldInfo& b) { return a.field->id() < b.field->id(); });
  }
  for (const auto* e : *schema_->enums()) {
    if (e->name()->string_view() == "crm.fb.Payload") payload_enum_ = e;
  }
}

int SchemaIndex::PayloadObject(uint8_t type) const {
  if (!payload_enum_) return -1;
  const auto* v = payload_enum_->values()->LookupByKey(type);
  return v && v->union_type() ? v->union_type()->index() : -1;
}

const flatbuffers::String* SchemaIndex::EnumValueName(int enum_index, int64_t v) const {
  if (enum_index < 0) return nullptr;
  const auto* val = schema_->enums()->Get(enum_index)->values()->LookupByKey(v);
  return val ? val->name() : nullptr;
}

const SchemaIndex& Index() {
  static const SchemaIndex index;
  return index;
}

}  // namespace crm::schema
