// Upcasters: old stored payload versions, read as the newest shape (crm/event.h Upcaster).
//
// AccountNoteAdded v1 -> v2: v2 carries `mentions`, the user ids @-mentioned in the text; v1
// records derive them from their text exactly as the domain does for new notes.
#include "crm/replay.h"
#include "domain/src/mentions.h"

namespace crm {
namespace {

class CrmUpcaster final : public Upcaster {
 public:
  bool Upcast(const EventView& e, std::string* out) const override {
    const fb::Envelope* env = e.envelope;
    if (env->data_type() != fb::Payload::AccountNoteAdded ||
        env->schema_version() >= kAccountNoteAddedVersion) {
      return false;
    }
    fb::EnvelopeT t;
    env->UnPackTo(&t);
    auto* note = t.data.AsAccountNoteAdded();
    note->mentions = domain::ExtractMentions(note->text);
    t.schema_version = kAccountNoteAddedVersion;
    flatbuffers::FlatBufferBuilder fbb(e.bytes.size() + 128);
    fbb.Finish(fb::Envelope::Pack(fbb, &t), fb::EnvelopeIdentifier());
    out->assign(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
    return true;
  }
};

}  // namespace

std::shared_ptr<const Upcaster> MakeCrmUpcaster() { return std::make_shared<CrmUpcaster>(); }

}  // namespace crm
