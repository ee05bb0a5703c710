#include "crm/event_json.h"

#include <flatbuffers/reflection.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <vector>

#include "crm/schemas/envelope_bfbs_generated.h"
#include "crm/time_format.h"
#include "engine/src/codec.h"

namespace crm {
namespace {

// RapidJSON output stream appending to a std::string.
struct StringSink {
  using Ch = char;
  std::string* out;
  void Put(char c) { out->push_back(c); }
  void Flush() {}
};
using Writer = rapidjson::Writer<StringSink>;

enum class Format : uint8_t { kPlain, kMoney, kTimestamp };

struct FieldInfo {
  const reflection::Field* field;
  Format format;
};

// The schema and, per object, its live fields in id order (the bfbs lists them by name).
class SchemaIndex {
 public:
  SchemaIndex() : schema_(reflection::GetSchema(fb::EnvelopeBinarySchema::data())) {
    const auto* objects = schema_->objects();
    fields_.resize(objects->size());
    for (size_t i = 0; i < objects->size(); ++i) {
      for (const auto* f : *objects->Get(i)->fields()) {
        if (f->deprecated()) continue;
        if (f->type()->base_type() == reflection::UType) continue;  // printed via its union
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

  const reflection::Schema* schema() const { return schema_; }
  const std::vector<FieldInfo>& fields(int object) const { return fields_[object]; }
  // The object index of a Payload union member, or -1.
  int PayloadObject(uint8_t type) const {
    if (!payload_enum_) return -1;
    const auto* v = payload_enum_->values()->LookupByKey(type);
    return v && v->union_type() ? v->union_type()->index() : -1;
  }

 private:
  const reflection::Schema* schema_;
  const reflection::Enum* payload_enum_ = nullptr;
  std::vector<std::vector<FieldInfo>> fields_;
};

const SchemaIndex& Index() {
  static const SchemaIndex index;
  return index;
}

void WriteTable(Writer& w, const flatbuffers::Table& table, int object);
void WriteStruct(Writer& w, const uint8_t* data, int object);

void WriteScalar(Writer& w, reflection::BaseType type, const uint8_t* data, int enum_index,
                 Format fmt) {
  if (type == reflection::Bool) {
    w.Bool(*data != 0);
    return;
  }
  if (flatbuffers::IsFloat(type)) {
    w.Double(flatbuffers::GetAnyValueF(type, data));
    return;
  }
  if (type == reflection::ULong) {
    w.Uint64(flatbuffers::ReadScalar<uint64_t>(data));
    return;
  }
  const int64_t v = flatbuffers::GetAnyValueI(type, data);
  if (enum_index >= 0) {
    const auto* e = Index().schema()->enums()->Get(enum_index);
    if (const auto* val = e->values()->LookupByKey(v)) {
      w.String(val->name()->c_str(), val->name()->size());
      return;
    }
  }
  switch (fmt) {
    case Format::kMoney: {
      std::string s = FormatCents(v);
      w.RawNumber(s.data(), static_cast<rapidjson::SizeType>(s.size()), true);
      return;
    }
    case Format::kTimestamp: {
      std::string s = FormatTimestamp(v);
      w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()), true);
      return;
    }
    case Format::kPlain:
      w.Int64(v);
      return;
  }
}

void WriteVector(Writer& w, const reflection::Type& type, const uint8_t* vec_ptr) {
  const auto* vec = reinterpret_cast<const flatbuffers::VectorOfAny*>(vec_ptr);
  const auto elem = type.element();
  w.StartArray();
  const auto* objects = Index().schema()->objects();
  for (flatbuffers::uoffset_t i = 0; i < vec->size(); ++i) {
    if (elem == reflection::String) {
      const auto* s = flatbuffers::GetAnyVectorElemPointer<const flatbuffers::String>(vec, i);
      w.String(s->c_str(), s->size(), true);
    } else if (elem == reflection::Obj) {
      const auto* obj = objects->Get(type.index());
      if (obj->is_struct()) {
        WriteStruct(w, vec->Data() + i * obj->bytesize(), type.index());
      } else {
        WriteTable(w, *flatbuffers::GetAnyVectorElemPointer<const flatbuffers::Table>(vec, i),
                   type.index());
      }
    } else if (flatbuffers::IsScalar(elem)) {
      WriteScalar(w, elem, vec->Data() + i * flatbuffers::GetTypeSize(elem), type.index(),
                  Format::kPlain);
    } else {
      w.Null();
    }
  }
  w.EndArray();
}

void WriteStruct(Writer& w, const uint8_t* data, int object) {
  w.StartObject();
  for (const FieldInfo& fi : Index().fields(object)) {
    const auto* f = fi.field;
    w.Key(f->name()->c_str(), f->name()->size());
    const auto bt = f->type()->base_type();
    const uint8_t* p = data + f->offset();
    if (bt == reflection::Obj) {
      WriteStruct(w, p, f->type()->index());
    } else if (bt == reflection::Array) {
      w.StartArray();
      const auto elem = f->type()->element();
      for (uint16_t i = 0; i < f->type()->fixed_length(); ++i) {
        WriteScalar(w, elem, p + i * flatbuffers::GetTypeSize(elem), -1, Format::kPlain);
      }
      w.EndArray();
    } else {
      WriteScalar(w, bt, p, f->type()->index(), fi.format);
    }
  }
  w.EndObject();
}

void WriteTable(Writer& w, const flatbuffers::Table& table, int object) {
  w.StartObject();
  const auto* objects = Index().schema()->objects();
  for (const FieldInfo& fi : Index().fields(object)) {
    const auto* f = fi.field;
    const auto bt = f->type()->base_type();
    const uint8_t* p = table.GetAddressOf(f->offset());
    if (flatbuffers::IsScalar(bt)) {
      if (!p && f->optional()) continue;  // an unset optional scalar (`= null`): omitted
      w.Key(f->name()->c_str(), f->name()->size());
      if (p) {
        WriteScalar(w, bt, p, f->type()->index(), fi.format);
      } else if (flatbuffers::IsFloat(bt)) {
        w.Double(f->default_real());
      } else {
        // An absent scalar has its default: render through the same path.
        int64_t d = f->default_integer();
        uint8_t buf[8];
        flatbuffers::WriteScalar(buf, d);
        WriteScalar(w, bt == reflection::Bool ? reflection::Bool : reflection::Long, buf,
                    f->type()->index(), fi.format);
      }
      continue;
    }
    if (!p) continue;  // absent strings, vectors, tables: omitted
    w.Key(f->name()->c_str(), f->name()->size());
    switch (bt) {
      case reflection::String: {
        const auto* s = flatbuffers::GetFieldS(table, *f);
        w.String(s->c_str(), s->size(), true);
        break;
      }
      case reflection::Vector:
        WriteVector(w, *f->type(), p + flatbuffers::ReadScalar<flatbuffers::uoffset_t>(p));
        break;
      case reflection::Obj:
        if (objects->Get(f->type()->index())->is_struct()) {
          WriteStruct(w, p, f->type()->index());
        } else {
          WriteTable(w, *flatbuffers::GetFieldT(table, *f), f->type()->index());
        }
        break;
      default:
        w.Null();  // nested unions are not used by crm's schemas
        break;
    }
  }
  w.EndObject();
}

void WritePayload(Writer& w, const EventView& e) {
  const int object = Index().PayloadObject(static_cast<uint8_t>(e.envelope->data_type()));
  const auto* table = reinterpret_cast<const flatbuffers::Table*>(e.envelope->data());
  if (object < 0 || table == nullptr) {
    w.Null();
    return;
  }
  WriteTable(w, *table, object);
}

void Str(Writer& w, const flatbuffers::String* s) {
  if (s) {
    w.String(s->c_str(), s->size(), true);
  } else {
    w.Null();
  }
}

}  // namespace

std::string FormatCents(int64_t cents) {
  const bool negative = cents < 0;
  const uint64_t abs = negative ? 0 - static_cast<uint64_t>(cents) : static_cast<uint64_t>(cents);
  std::string s = (negative ? "-" : "") + std::to_string(abs / 100);
  const uint64_t frac = abs % 100;
  if (frac != 0) {
    s.push_back('.');
    s.push_back(static_cast<char>('0' + frac / 10));
    if (frac % 10 != 0) s.push_back(static_cast<char>('0' + frac % 10));
  }
  return s;
}

void AppendEventJson(const EventView& e, std::string* out) {
  StringSink sink{out};
  Writer w(sink);
  const fb::Envelope* env = e.envelope;
  w.StartObject();
  w.Key("position");
  w.Uint64(e.position);
  w.Key("stream");
  Str(w, env->stream());
  w.Key("version");
  w.Uint64(e.version());
  w.Key("type");
  auto type = e.type_name();
  w.String(type.data(), static_cast<rapidjson::SizeType>(type.size()));
  w.Key("event_id");
  std::string id = codec::UuidToString(*env->event_id());
  w.String(id.data(), static_cast<rapidjson::SizeType>(id.size()));
  w.Key("command_id");
  Str(w, env->command_id());
  w.Key("correlation_id");
  Str(w, env->correlation_id());
  w.Key("causation_id");
  Str(w, env->causation_id());
  w.Key("actor");
  Str(w, env->actor());
  w.Key("recorded_at");
  std::string t = FormatTimestamp(e.recorded_at_us());
  w.String(t.data(), static_cast<rapidjson::SizeType>(t.size()));
  w.Key("occurred_at");
  t = FormatTimestamp(e.occurred_at_us());
  w.String(t.data(), static_cast<rapidjson::SizeType>(t.size()));
  w.Key("schema_version");
  w.Uint(env->schema_version());
  w.Key("prev_hash");
  std::string h = codec::HexDigest(e.prev_hash());
  w.String(h.data(), 64);
  w.Key("hash");
  h = codec::HexDigest(e.hash());
  w.String(h.data(), 64);
  w.Key("data");
  WritePayload(w, e);
  w.EndObject();
}

void AppendPayloadJson(const EventView& e, std::string* out) {
  StringSink sink{out};
  Writer w(sink);
  WritePayload(w, e);
}

}  // namespace crm
