// Small value types of the public API: Status, ExpectedVersion, TypeFilter, EventView.
#include <cstring>

#include "crm/event.h"
#include "crm/event_store.h"
#include "crm/status.h"

namespace crm {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "OK";
    case Code::kInvalidArgument: return "INVALID_ARGUMENT";
    case Code::kNotFound: return "NOT_FOUND";
    case Code::kAlreadyExists: return "ALREADY_EXISTS";
    case Code::kConcurrencyConflict: return "CONCURRENCY_CONFLICT";
    case Code::kBusy: return "BUSY";
    case Code::kCorruption: return "CORRUPTION";
    case Code::kIOError: return "STORAGE_ERROR";
    case Code::kNotSupported: return "NOT_SUPPORTED";
    case Code::kAborted: return "ABORTED";
  }
  return "UNKNOWN";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(CodeName(code_)) + ": " + message_;
}

bool ExpectedVersion::Matches(uint64_t current) const {
  switch (kind_) {
    case Kind::kAny: return true;
    case Kind::kNoStream: return current == 0;
    case Kind::kExists: return current != 0;
    case Kind::kExact: return current == version_;
  }
  return false;
}

std::string ExpectedVersion::ToString() const {
  switch (kind_) {
    case Kind::kAny: return "any";
    case Kind::kNoStream: return "no_stream";
    case Kind::kExists: return "exists";
    case Kind::kExact: return std::to_string(version_);
  }
  return "?";
}

TypeFilter TypeFilter::Only(std::initializer_list<fb::Payload> types) {
  TypeFilter f;
  f.all_ = false;  // "only these": an empty list accepts nothing
  f.accepted_.assign(256, false);
  for (fb::Payload t : types) f.Add(t);
  return f;
}

void TypeFilter::Add(fb::Payload type) {
  auto i = static_cast<size_t>(type);
  if (all_) {
    all_ = false;
    accepted_.assign(256, false);
  }
  accepted_[i] = true;
}

bool TypeFilter::Accepts(fb::Payload type) const {
  return all_ || accepted_[static_cast<size_t>(type)];
}

std::string_view EventView::type_name() const {
  const auto t = envelope->data_type();
  if (t == fb::Payload::NONE || t > fb::Payload::MAX) return "Unknown";
  return fb::EnumNamePayload(t);
}

Sha256Digest EventView::hash() const {
  Sha256Digest d;
  std::memcpy(d.data(), &envelope->stamp()->hash(), d.size());
  return d;
}

Sha256Digest EventView::prev_hash() const {
  Sha256Digest d;
  std::memcpy(d.data(), &envelope->stamp()->prev_hash(), d.size());
  return d;
}

RecordedEvent EventView::ToOwned() const { return RecordedEvent{position, std::string(bytes)}; }

EventView RecordedEvent::view() const {
  return EventView{position, bytes, fb::GetEnvelope(bytes.data())};
}

}  // namespace crm
