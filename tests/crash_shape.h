// What crash_child appends, shared with crash_test so the test can check that every command in
// the log is whole (atomic) after a SIGKILL.
#pragma once

#include <string>

namespace crm::test {

struct CommandShape {
  int streams;
  int events_per_stream;
  int events() const { return streams * events_per_stream; }
};

// Append i: 6 in 10 are one event on one stream, 3 in 10 two events on each of three streams, and
// 1 in 10 fifty events on one stream.
inline CommandShape ShapeOf(int i) {
  int k = i % 10;
  if (k < 6) return {1, 1};
  if (k < 9) return {3, 2};
  return {1, 50};
}

inline std::string CrashCommandId(int round, int i) {
  return "crash-" + std::to_string(round) + "-" + std::to_string(i);
}

}  // namespace crm::test
