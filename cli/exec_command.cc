// `crm exec [FILE|-]` and `crm config set KEY VALUE`: the write path of the CLI.
#include "cli/exec_command.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include "cli/exit_codes.h"
#include "cli/output.h"
#include "crm/commands.h"

namespace crm::cli {
namespace {

constexpr size_t kReadChunk = 1 << 16;
constexpr size_t kMaxLineBytes = size_t{16} << 20;  // longer lines are rejected, not buffered
constexpr size_t kMaxBatchLines = 1024;
constexpr size_t kMaxBatchBytes = size_t{8} << 20;

// Splits a byte stream into lines and hands them over in batches: everything complete that is
// already buffered, so a pipe fed one command at a time gets each answer before the next read
// blocks, while a file is executed in large group commits.
class LineBatcher {
 public:
  explicit LineBatcher(int fd) : fd_(fd) {}

  // Fills `lines` with the next batch. Returns false at end of input with nothing left.
  // A line over kMaxLineBytes comes back empty with `overlong` set at its position.
  bool Next(std::vector<std::string>* lines, std::vector<bool>* overlong) {
    lines->clear();
    overlong->clear();
    size_t bytes = 0;
    for (;;) {
      // Hand out the complete lines already buffered.
      while (lines->size() < kMaxBatchLines && bytes < kMaxBatchBytes) {
        const size_t nl = buf_.find('\n', std::max(pos_, scan_from_));
        if (nl == std::string::npos) break;
        Emit(nl, lines, overlong);
        pos_ = nl + 1;
        scan_from_ = pos_;
        bytes += lines->back().size();
      }
      if (!lines->empty()) return true;
      if (eof_) {
        // A last line without a newline (blank trailing bytes are not a command).
        if ((pos_ < buf_.size() && buf_.find_first_not_of(" \t\r", pos_) != std::string::npos) ||
            skipping_) {
          Emit(buf_.size(), lines, overlong);
        }
        buf_.clear();
        pos_ = scan_from_ = 0;
        return !lines->empty();
      }
      // Compact, then read more.
      buf_.erase(0, pos_);
      scan_from_ = buf_.size();
      pos_ = 0;
      if (!Read()) eof_ = true;
    }
  }

  int error() const { return error_; }

 private:
  void Emit(size_t end, std::vector<std::string>* lines, std::vector<bool>* overlong) {
    size_t len = end - pos_;
    if (len > 0 && buf_[pos_ + len - 1] == '\r') --len;
    // Over the limit: whether it was skipped while reading, or its newline came in the read that
    // crossed the limit.
    const bool too_long = skipping_ || len > kMaxLineBytes;
    overlong->push_back(too_long);
    if (too_long) {
      lines->emplace_back();
    } else {
      lines->emplace_back(buf_, pos_, len);
    }
    skipping_ = false;
  }

  // Reads a chunk at the end of buf_ (called with pos_ == 0). Returns false at end of input.
  bool Read() {
    char chunk[kReadChunk];
    for (;;) {
      ssize_t n = ::read(fd_, chunk, sizeof(chunk));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) error_ = errno;
      if (n <= 0) return false;
      buf_.append(chunk, static_cast<size_t>(n));
      if (buf_.size() > kMaxLineBytes && buf_.find('\n', scan_from_) == std::string::npos) {
        // An over-long line: forget what we have of it and skip to its end.
        skipping_ = true;
        buf_.clear();
        scan_from_ = 0;
      }
      return true;
    }
  }

  int fd_;
  std::string buf_;
  size_t pos_ = 0;        // start of the first line not handed out
  size_t scan_from_ = 0;  // where to look for the next newline
  bool skipping_ = false;
  bool eof_ = false;
  int error_ = 0;
};

// The database opened for writing -- created with its admin user if missing -- and an executor
// running as the --as user.
struct Writer {
  std::unique_ptr<EventStore> store;
  std::unique_ptr<CommandExecutor> executor;
};

// Logs the reason and sets `*exit_code` when the database cannot be opened.
std::optional<Writer> OpenWriter(const Globals& g, int* exit_code) {
  auto store = EventStore::Open(g.db, g.StoreOptions(OpenMode::kReadWrite));
  if (!store.ok()) {
    spdlog::error("{}", store.status().message());
    *exit_code = ExitCodeFor(store.status());
    return std::nullopt;
  }
  auto created = EnsureAdminUser(**store);
  if (!created.ok()) {
    spdlog::error("creating the admin user: {}", created.status().ToString());
    *exit_code = ExitCodeFor(created.status());
    return std::nullopt;
  }
  if (*created) spdlog::info("created database {} with its admin user", g.db);
  ExecOptions options;
  options.default_actor = g.user;
  Writer w;
  w.store = std::move(store).value();
  w.executor = std::make_unique<CommandExecutor>(w.store.get(), options);
  return w;
}

int RunExec(const Globals& g, const std::string& path) {
  int fd = STDIN_FILENO;
  if (!path.empty() && path != "-") {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      spdlog::error("cannot open {}: {}", path, std::strerror(errno));
      return kExitNotFound;
    }
  }
  int code = kExitOk;
  auto writer = OpenWriter(g, &code);
  if (!writer) {
    if (fd != STDIN_FILENO) ::close(fd);
    return code;
  }
  CommandExecutor& executor = *writer->executor;

  LineBatcher input(fd);
  LineOut out;
  std::vector<std::string> lines;
  std::vector<bool> overlong;
  bool rejected = false;
  while (input.Next(&lines, &overlong)) {
    std::vector<std::string_view> views(lines.begin(), lines.end());
    std::vector<ExecResult> results = executor.ExecuteBatch(views);
    for (size_t i = 0; i < results.size(); ++i) {
      if (overlong[i]) {
        out.buffer() += R"({"ok":false,"error":{"code":"BAD_REQUEST","message":"line is longer than 16777216 bytes"}})";
        rejected = true;
      } else {
        out.buffer() += results[i].line;
        rejected = rejected || !results[i].ok;
      }
      out.EndLine();
    }
    out.Flush();  // about to wait for more input
  }
  if (fd != STDIN_FILENO) ::close(fd);
  if (input.error() != 0) {
    spdlog::error("reading commands: {}", std::strerror(input.error()));
    return kExitUnavailable;
  }
  return rejected ? kExitRejected : kExitOk;
}

int RunConfigSet(const Globals& g, const std::string& key, const std::string& value) {
  std::string json;
  StringSink sink{&json};
  JsonWriter w(sink);
  w.StartObject();
  w.Key("type");
  w.String("SetSetting");
  w.Key("key");
  w.String(key.c_str());
  w.Key("value");
  w.String(value.c_str());
  w.EndObject();
  return RunOneCommand(g, json);
}

}  // namespace

int RunOneCommand(const Globals& g, const std::string& json) {
  int code = kExitOk;
  auto writer = OpenWriter(g, &code);
  if (!writer) return code;
  ExecResult r = writer->executor->Execute(json);
  LineOut out;
  out.buffer() += r.line;
  out.EndLine();
  return r.ok ? kExitOk : kExitRejected;
}

void AddExecCommands(CLI::App& app, const Globals& g, Commands* commands) {
  auto path = std::make_shared<std::string>();
  auto* exec = app.add_subcommand(
      "exec",
      "Execute commands: JSON Lines from FILE or stdin ('-'), one result line per command, in "
      "order. Exit 1 if any command was rejected (the others still ran)");
  exec->add_option("file", *path, "Input file (default: stdin)");
  (*commands)[exec] = [&g, path] { return RunExec(g, *path); };

  auto key = std::make_shared<std::string>();
  auto value = std::make_shared<std::string>();
  auto* config = app.add_subcommand("config", "Database settings");
  config->require_subcommand(1);
  auto* set = config->add_subcommand("set", "Change a setting: rules.strict true|false");
  set->add_option("key", *key, "Setting name")->required();
  set->add_option("value", *value, "New value")->required();
  (*commands)[set] = [&g, key, value] { return RunConfigSet(g, *key, *value); };
}

}  // namespace crm::cli
