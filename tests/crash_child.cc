// The process crash_test kills: appends with Durability::kSync until SIGKILLed and acknowledges
// every append that returned ok, one line per append, written to stdout unbuffered:
//
//   READY <last_position>                                       once, after opening
//   ACK <command_id> <first_pos> <last_pos> <stream>:<first_version>:<last_version> ...
//
// Append i of round R has command_id "crash-R-i"; i % 10 decides its shape (CommandShape).
// Usage: crash_child DIR ROUND
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <string>

#include "crash_shape.h"
#include "crm/event_store.h"

namespace {

void WriteLine(const std::string& line) {
  std::string s = line + "\n";
  const char* p = s.data();
  size_t left = s.size();
  while (left > 0) {
    ssize_t w = write(1, p, left);
    if (w <= 0) _exit(4);  // the test went away
    p += w;
    left -= w;
  }
}

crm::EventData Note(std::string text) {
  crm::fb::AccountNoteAddedT note;
  note.text = std::move(text);
  crm::EventData e;
  e.data.Set(std::move(note));
  return e;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: crash_child DIR ROUND\n");
    return 2;
  }
  const std::string dir = argv[1];
  const int round = std::stoi(argv[2]);
  crm::Options options;
  options.durability = crm::Durability::kSync;
  auto store = crm::EventStore::Open(dir, options);
  if (!store.ok()) {
    std::fprintf(stderr, "crash_child: open: %s\n", store.status().ToString().c_str());
    return 3;
  }
  WriteLine("READY " + std::to_string((*store)->LastPosition()));

  std::mt19937 rng(round * 7919 + 17);
  const auto stop_at = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (int i = 0; std::chrono::steady_clock::now() < stop_at; ++i) {
    crm::AppendRequest req;
    req.command_id = crm::test::CrashCommandId(round, i);
    const crm::test::CommandShape shape = crm::test::ShapeOf(i);
    const char* kinds[] = {"account", "contact", "lead"};
    for (int s = 0; s < shape.streams; ++s) {
      crm::StreamEvents& se = req.streams.emplace_back();
      int id = static_cast<int>(rng() % 20);
      se.stream = shape.events_per_stream == 50 ? "order-c" + std::to_string(id % 5)
                                                : std::string(kinds[s]) + "-c" + std::to_string(id);
      for (int e = 0; e < shape.events_per_stream; ++e) {
        se.events.push_back(Note(req.command_id + "-e" + std::to_string(e)));
      }
    }
    auto r = (*store)->Append(std::move(req));
    if (!r.ok()) {
      std::fprintf(stderr, "crash_child: append %d: %s\n", i, r.status().ToString().c_str());
      return 3;
    }
    std::string line = "ACK " + r->command_id + " " + std::to_string(r->first_position) + " " +
                       std::to_string(r->last_position);
    for (const auto& s : r->streams) {
      line += " " + s.stream + ":" + std::to_string(s.first_version) + ":" +
              std::to_string(s.last_version);
    }
    WriteLine(line);
  }
  return 0;
}
