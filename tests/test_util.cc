#include "test_util.h"

#include <openssl/evp.h>
#include <stdlib.h>

#include <cstring>
#include <filesystem>

namespace crm::test {

TempDir::TempDir() {
  std::string tmpl = ::testing::TempDir();
  if (tmpl.empty()) tmpl = "/tmp/";
  if (tmpl.back() != '/') tmpl += '/';
  tmpl += "crm-test-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp(" << tmpl << ") failed: " << std::strerror(errno);
    return;
  }
  path_ = buf.data();
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

EventData Note(std::string text) {
  fb::AccountNoteAddedT note;
  note.text = std::move(text);
  EventData e;
  e.data.Set(std::move(note));
  return e;
}

EventData User(std::string user_id, std::string name, fb::UserRole role) {
  fb::UserCreatedT user;
  user.user_id = std::move(user_id);
  user.name = std::move(name);
  user.role = role;
  EventData e;
  e.data.Set(std::move(user));
  return e;
}

StreamEvents Notes(std::string stream, ExpectedVersion expected,
                   const std::vector<std::string>& texts) {
  StreamEvents s;
  s.stream = std::move(stream);
  s.expected = expected;
  for (const auto& t : texts) s.events.push_back(Note(t));
  return s;
}

AppendRequest NoteRequest(std::string stream, ExpectedVersion expected,
                          const std::vector<std::string>& texts) {
  AppendRequest r;
  r.streams.push_back(Notes(std::move(stream), expected, texts));
  return r;
}

std::vector<std::string> Texts(std::string_view prefix, int count) {
  std::vector<std::string> out;
  out.reserve(count);
  for (int i = 0; i < count; ++i) out.push_back(std::string(prefix) + std::to_string(i));
  return out;
}

std::string NoteText(const EventView& e) {
  const auto* note = e.envelope->data_as_AccountNoteAdded();
  return note != nullptr && note->text() != nullptr ? note->text()->str() : std::string();
}

Result<std::vector<RecordedEvent>> Drain(EventReader& reader) {
  std::vector<RecordedEvent> out;
  for (;;) {
    auto next = reader.Next();
    if (!next.ok()) return next.status();
    if (!next->has_value()) return out;
    out.push_back((*next)->ToOwned());
  }
}

Result<std::vector<RecordedEvent>> Drain(Result<std::unique_ptr<EventReader>> reader) {
  if (!reader.ok()) return reader.status();
  return Drain(**reader);
}

std::vector<ReadStep> DrainThroughErrors(EventReader& reader, int max_steps) {
  std::vector<ReadStep> steps;
  for (int i = 0; i < max_steps; ++i) {
    auto next = reader.Next();
    if (!next.ok()) {
      steps.push_back({std::nullopt, next.status()});
      continue;
    }
    if (!next->has_value()) break;
    steps.push_back({(*next)->ToOwned(), Status::Ok()});
  }
  return steps;
}

std::string Hex(const Sha256Digest& d) {
  static const char kDigits[] = "0123456789abcdef";
  std::string s;
  for (uint8_t b : d) {
    s += kDigits[b >> 4];
    s += kDigits[b & 15];
  }
  return s;
}

Sha256Digest ExpectedHash(const EventView& e) {
  std::string copy(e.bytes);
  const auto* hash_field = reinterpret_cast<const uint8_t*>(&e.envelope->stamp()->hash());
  size_t offset = hash_field - reinterpret_cast<const uint8_t*>(e.bytes.data());
  std::memset(copy.data() + offset, 0, 32);
  const auto* prev = e.envelope->stamp()->prev_hash().bytes()->data();
  std::string input(reinterpret_cast<const char*>(prev), 32);
  input += copy;
  Sha256Digest out{};
  unsigned int len = 0;
  EVP_Digest(input.data(), input.size(), out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

void OpenStore(const std::string& dir, const Options& options, std::unique_ptr<EventStore>* store) {
  auto opened = EventStore::Open(dir, options);
  ASSERT_TRUE(opened.ok()) << "Open(" << dir << "): " << opened.status().ToString();
  *store = std::move(opened).value();
}

void AppendAlternating(EventStore& store, int count) {
  for (int i = 0; i < count; ++i) {
    uint64_t pos = store.LastPosition() + 1;
    auto r = store.Append(NoteRequest(pos % 2 == 0 ? "account-E" : "account-O",
                                      ExpectedVersion::Any(), {"note " + std::to_string(pos)}));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->last_position, pos);
  }
}

}  // namespace crm::test
