// Running helper programs (the crm binary, crash_child, store_probe) from tests: fork + execve,
// with stdout/stderr captured through pipes. Safe in a multi-threaded test process: the child only
// calls async-signal-safe functions before execve.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crm::test {

struct ProcessResult {
  int exit_code = -1;  // -1 if killed by a signal
  int term_signal = 0;
  std::string out;
  std::string err;
};

// Runs argv[0] (a path) with the current environment plus `env` ("NAME=value" entries override)
// and `input` on stdin, waits for it (killing it after `timeout`), returns its output.
ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::vector<std::string>& env = {}, std::string_view input = {},
                         std::chrono::seconds timeout = std::chrono::seconds(60));

// A running child whose stdout (and optionally stdin) is a pipe; stderr is inherited.
class ChildProcess {
 public:
  // Returns nullptr if the process could not be started.
  static std::unique_ptr<ChildProcess> Start(const std::vector<std::string>& argv);
  ~ChildProcess();  // kills (SIGKILL) and reaps the child if still running

  pid_t pid() const { return pid_; }
  // The next complete stdout line (without '\n'), waiting up to `timeout`; nullopt on timeout or
  // end of output.
  std::optional<std::string> ReadLine(std::chrono::milliseconds timeout);
  // Every complete line available before `timeout` passes or the output ends.
  std::vector<std::string> ReadLinesFor(std::chrono::milliseconds timeout);
  bool WriteStdin(std::string_view data);
  void CloseStdin();
  void Kill(int sig);
  // Waits for the child to exit; the raw waitpid status.
  int Wait();

 private:
  ChildProcess() = default;
  bool FillBuffer(std::chrono::milliseconds timeout);  // false: timeout or EOF

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int in_fd_ = -1;
  bool eof_ = false;
  bool reaped_ = false;
  int status_ = 0;
  std::string buffer_;
};

}  // namespace crm::test
