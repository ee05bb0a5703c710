#include "crm/event_json.h"

#include <charconv>

#include "crm/time_format.h"
#include "engine/src/codec.h"
#include "engine/src/event_json_internal.h"
#include "engine/src/json_out.h"
#include "engine/src/schema_index.h"

namespace crm {
namespace {

// The JSON text is written by json::Out (json_out.h): RapidJSON's output, faster.
using Writer = json::Out;

using schema::FieldInfo;
using schema::Format;
using schema::Index;

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
  if (const auto* name = Index().EnumValueName(enum_index, v)) {
    w.String(name->string_view());
    return;
  }
  switch (fmt) {
    case Format::kMoney: {
      std::string s = FormatCents(v);
      w.RawNumber(s);
      return;
    }
    case Format::kTimestamp: {
      char t[kMaxTimestampChars];
      w.String(std::string_view(t, FormatTimestampTo(v, t)));
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
      w.String(s->string_view());
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
    w.Key(f->name()->string_view());
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

// A present string, vector, table or struct field; `p` is its address in `table`.
void WriteNonScalar(Writer& w, const flatbuffers::Table& table, const reflection::Field& f,
                    const uint8_t* p) {
  switch (f.type()->base_type()) {
    case reflection::String: {
      const auto* s = flatbuffers::GetFieldS(table, f);
      w.String(s->string_view());
      break;
    }
    case reflection::Vector:
      WriteVector(w, *f.type(), p + flatbuffers::ReadScalar<flatbuffers::uoffset_t>(p));
      break;
    case reflection::Obj:
      if (Index().schema()->objects()->Get(f.type()->index())->is_struct()) {
        WriteStruct(w, p, f.type()->index());
      } else {
        WriteTable(w, *flatbuffers::GetFieldT(table, f), f.type()->index());
      }
      break;
    default:
      w.Null();  // nested unions are not used by crm's schemas
      break;
  }
}

void WriteTable(Writer& w, const flatbuffers::Table& table, int object) {
  w.StartObject();
  for (const FieldInfo& fi : Index().fields(object)) {
    const auto* f = fi.field;
    const auto bt = f->type()->base_type();
    const uint8_t* p = table.GetAddressOf(f->offset());
    if (flatbuffers::IsScalar(bt)) {
      if (!p && f->optional()) continue;  // an unset optional scalar (`= null`): omitted
      w.Key(f->name()->string_view());
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
    w.Key(f->name()->string_view());
    WriteNonScalar(w, table, *f, p);
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
    w.String(s->string_view());
  } else {
    w.Null();
  }
}

}  // namespace

std::string FormatCents(int64_t cents) {
  const bool negative = cents < 0;
  const uint64_t abs = negative ? 0 - static_cast<uint64_t>(cents) : static_cast<uint64_t>(cents);
  char buf[32];
  char* p = buf;
  if (negative) *p++ = '-';
  p = std::to_chars(p, buf + sizeof buf, abs / 100).ptr;
  const uint64_t frac = abs % 100;
  if (frac != 0) {
    *p++ = '.';
    *p++ = static_cast<char>('0' + frac / 10);
    if (frac % 10 != 0) *p++ = static_cast<char>('0' + frac % 10);
  }
  return std::string(buf, p);
}

void AppendEventJson(const EventView& e, std::string* out) {
  Writer w(out);
  const fb::Envelope* env = e.envelope;
  w.StartObject();
  w.PlainKey("position");
  w.Uint64(e.position);
  w.PlainKey("stream");
  Str(w, env->stream());
  w.PlainKey("version");
  w.Uint64(e.version());
  w.PlainKey("type");
  w.String(e.type_name());
  w.PlainKey("event_id");
  char id[36];
  codec::UuidToChars(*env->event_id(), id);
  w.String(std::string_view(id, 36));
  w.PlainKey("command_id");
  Str(w, env->command_id());
  w.PlainKey("correlation_id");
  Str(w, env->correlation_id());
  w.PlainKey("causation_id");
  Str(w, env->causation_id());
  w.PlainKey("actor");
  Str(w, env->actor());
  char t[kMaxTimestampChars];
  w.PlainKey("recorded_at");
  w.String(std::string_view(t, FormatTimestampTo(e.recorded_at_us(), t)));
  w.PlainKey("occurred_at");
  w.String(std::string_view(t, FormatTimestampTo(e.occurred_at_us(), t)));
  w.PlainKey("schema_version");
  w.Uint64(env->schema_version());
  char h[64];
  w.PlainKey("prev_hash");
  codec::HexDigestTo(e.prev_hash(), h);
  w.String(std::string_view(h, 64));
  w.PlainKey("hash");
  codec::HexDigestTo(e.hash(), h);
  w.String(std::string_view(h, 64));
  w.PlainKey("data");
  WritePayload(w, e);
  w.EndObject();
}

void AppendPayloadJson(const EventView& e, std::string* out) {
  Writer w(out);
  WritePayload(w, e);
}

}  // namespace crm

namespace crm::json_internal {

void AppendFieldJson(const flatbuffers::Table& table, const reflection::Field& f,
                     std::string* out) {
  Writer w(out);
  WriteNonScalar(w, table, f, table.GetAddressOf(f.offset()));
}

}  // namespace crm::json_internal
