// A second process for the multi-process tests (RocksDB's writer lock is per process).
//
//   store_probe open DIR readwrite|follower   prints "OK <last_position>" or the error code name
//   store_probe hold DIR                      opens DIR kReadWrite, prints "READY <last_position>",
//                                             then per stdin line "append N" appends N notes to
//                                             "account-held" and prints "APPENDED <last_position>";
//                                             exits 0 at end of input.
//   CRM_PROBE_STATIC_OPEN=DIR store_probe         opens DIR as a follower from a global object's
//                                             constructor, before RocksDB's own globals exist;
//                                             prints the error code name (or "OK") and exits.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include "crm/event_store.h"

namespace {

crm::EventData Note(std::string text) {
  crm::fb::AccountNoteAddedT note;
  note.text = std::move(text);
  crm::EventData e;
  e.data.Set(std::move(note));
  return e;
}

int Open(const std::string& dir, const std::string& mode) {
  crm::Options options;
  options.durability = crm::Durability::kNoSync;
  options.mode = mode == "follower" ? crm::OpenMode::kFollower : crm::OpenMode::kReadWrite;
  auto store = crm::EventStore::Open(dir, options);
  if (!store.ok()) {
    std::printf("%s\n", std::string(crm::CodeName(store.status().code())).c_str());
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 0;
  }
  std::printf("OK %llu\n", static_cast<unsigned long long>((*store)->LastPosition()));
  return 0;
}

int Hold(const std::string& dir) {
  crm::Options options;
  options.durability = crm::Durability::kNoSync;
  auto store = crm::EventStore::Open(dir, options);
  if (!store.ok()) {
    std::printf("%s\n", std::string(crm::CodeName(store.status().code())).c_str());
    return 1;
  }
  std::printf("READY %llu\n", static_cast<unsigned long long>((*store)->LastPosition()));
  std::fflush(stdout);
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.rfind("append ", 0) != 0) continue;
    int n = std::stoi(line.substr(7));
    crm::AppendRequest req;
    crm::StreamEvents& s = req.streams.emplace_back();
    s.stream = "account-held";
    for (int i = 0; i < n; ++i) s.events.push_back(Note("held " + std::to_string(i)));
    auto r = (*store)->Append(std::move(req));
    if (!r.ok()) {
      std::printf("ERROR %s\n", r.status().ToString().c_str());
    } else {
      std::printf("APPENDED %llu\n", static_cast<unsigned long long>(r->last_position));
    }
    std::fflush(stdout);
  }
  return 0;
}

// Runs before main() and, RocksDB being linked statically after this file, before RocksDB's
// global objects are constructed.
struct StaticOpen {
  StaticOpen() {
    const char* dir = std::getenv("CRM_PROBE_STATIC_OPEN");
    if (dir == nullptr) return;
    const int code = Open(dir, "follower");
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(code);
  }
} static_open;

}  // namespace

int main(int argc, char** argv) {
  std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "open" && argc == 4) return Open(argv[2], argv[3]);
  if (cmd == "hold" && argc == 3) return Hold(argv[2]);
  std::fprintf(stderr, "usage: store_probe open DIR readwrite|follower | hold DIR\n");
  return 2;
}
