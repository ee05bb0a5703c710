// Embedding crm: open an event store, append an event, read it back.
// Build: link against crm::engine (CMake) -- see README.md.
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "crm/event_store.h"

int main() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "crm-embed-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) return 1;
  const std::string dir = tmpl;

  crm::Options options;  // read-write, fsync on every append, create if missing
  auto store = crm::EventStore::Open(dir, options);
  if (!store.ok()) {
    std::fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
    return 1;
  }

  // Append one AccountNoteAdded to a new stream.
  crm::fb::AccountNoteAddedT note;
  note.text = "Called the customer about the renewal";
  crm::AppendRequest request;
  crm::StreamEvents& account = request.streams.emplace_back();
  account.stream = "account-A1";
  account.expected = crm::ExpectedVersion::NoStream();
  account.events.emplace_back().data.Set(std::move(note));
  auto appended = (*store)->Append(std::move(request));
  if (!appended.ok()) {
    std::fprintf(stderr, "append: %s\n", appended.status().ToString().c_str());
    return 1;
  }

  // Read the stream back from version 1.
  auto reader = (*store)->ReadStream("account-A1", 1, crm::Direction::kForward);
  if (!reader.ok()) {
    std::fprintf(stderr, "read: %s\n", reader.status().ToString().c_str());
    return 1;
  }
  for (;;) {
    auto next = (*reader)->Next();
    if (!next.ok()) {
      std::fprintf(stderr, "read: %s\n", next.status().ToString().c_str());
      return 1;
    }
    if (!next->has_value()) break;  // clean end of the stream
    const crm::EventView& event = **next;
    std::printf(
        "position %llu: %s v%llu %s \"%s\"\n", static_cast<unsigned long long>(event.position),
        std::string(event.stream()).c_str(), static_cast<unsigned long long>(event.version()),
        std::string(event.type_name()).c_str(),
        event.envelope->data_as_AccountNoteAdded()->text()->c_str());
  }

  reader->reset();  // readers go before their store
  store->reset();
  std::filesystem::remove_all(dir);
  return 0;
}
