// Consumer checkpoint files: <db>/feeds/<consumer>, replaced atomically (temp file, fsync,
// rename, fsync of the directory), used under an flock on <db>/feeds/<consumer>.lock.
#include <dirent.h>
#include <fcntl.h>
#include <rapidjson/document.h>
#include <rapidjson/writer.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "crm/consumer_checkpoints.h"
#include "crm/time_format.h"

namespace crm {
namespace {

constexpr size_t kMaxNameBytes = 64;
constexpr size_t kMaxFileBytes = 4096;  // a checkpoint is ~100 bytes

Status Errno(const std::string& what) {
  return Status::IOError(what + ": " + std::strerror(errno));
}

// Closes a descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closes now, reporting the error (a close can report a deferred write error).
  int Close() {
    const int r = ::close(fd_);
    fd_ = -1;
    return r;
  }

 private:
  int fd_;
};

Status FsyncDir(const std::string& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return Errno("opening " + dir);
  if (::fsync(fd.get()) != 0) return Errno("syncing " + dir);
  return Status::Ok();
}

// Creates `dir` if missing, making its entry in `parent` durable.
Status EnsureDir(const std::string& dir, const std::string& parent) {
  if (::mkdir(dir.c_str(), 0755) == 0) return FsyncDir(parent);
  if (errno != EEXIST) return Errno("creating " + dir);
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) return Errno("reading " + dir);
  if (!S_ISDIR(st.st_mode)) return Status::IOError(dir + " exists and is not a directory");
  return Status::Ok();
}

Status WriteAll(int fd, const std::string& data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("writing " + path);
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

// The position stored in checkpoint file `path`, or std::nullopt if there is no such file.
Result<std::optional<uint64_t>> ReadCheckpoint(const std::string& path,
                                               std::string_view consumer) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::optional<uint64_t>();
    return Errno("opening " + path);
  }
  std::string text(kMaxFileBytes + 1, '\0');
  size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = ::read(fd.get(), text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("reading " + path);
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  text.resize(got);
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());  // no recursion on nesting
  if (got > kMaxFileBytes || d.HasParseError() || !d.IsObject() || !d.HasMember("position") ||
      !d["position"].IsUint64() || !d.HasMember("consumer") || !d["consumer"].IsString() ||
      std::string_view(d["consumer"].GetString(), d["consumer"].GetStringLength()) != consumer) {
    return Status::Corruption("unreadable checkpoint file " + path +
                              " (reset the consumer with `crm feed " + std::string(consumer) +
                              " --reset --to POSITION`)");
  }
  return std::optional<uint64_t>(d["position"].GetUint64());
}

class FileLease final : public ConsumerCheckpoints::Lease {
 public:
  FileLease(std::string dir, std::string consumer, int lock_fd)
      : dir_(std::move(dir)), consumer_(std::move(consumer)), lock_fd_(lock_fd) {}
  ~FileLease() override { ::close(lock_fd_); }  // releases the flock

  Result<uint64_t> Load() override {
    auto stored = ReadCheckpoint(path(), consumer_);
    if (!stored.ok()) return stored.status();
    return stored->value_or(0);
  }

  Status Save(uint64_t position) override {
    using namespace std::chrono;
    const int64_t now_us =
        duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
    rapidjson::StringBuffer text;
    rapidjson::Writer<rapidjson::StringBuffer> w(text);
    w.StartObject();
    w.Key("consumer");
    w.String(consumer_.c_str(), static_cast<rapidjson::SizeType>(consumer_.size()));
    w.Key("position");
    w.Uint64(position);
    w.Key("saved_at");
    const std::string saved_at = FormatTimestamp(now_us);
    w.String(saved_at.c_str(), static_cast<rapidjson::SizeType>(saved_at.size()));
    w.EndObject();
    std::string data(text.GetString(), text.GetSize());
    data.push_back('\n');

    const std::string tmp = path() + ".tmp";
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (fd.get() < 0) return Errno("creating " + tmp);
    CRM_RETURN_IF_ERROR(WriteAll(fd.get(), data, tmp));
    if (::fsync(fd.get()) != 0) return Errno("syncing " + tmp);
    if (fd.Close() != 0) return Errno("closing " + tmp);
    if (::rename(tmp.c_str(), path().c_str()) != 0) return Errno("renaming " + tmp);
    return FsyncDir(dir_);
  }

 private:
  std::string path() const { return dir_ + "/" + consumer_; }

  std::string dir_;
  std::string consumer_;
  int lock_fd_;
};

}  // namespace

ConsumerCheckpoints::ConsumerCheckpoints(std::string db_dir)
    : db_dir_(std::move(db_dir)), dir_(db_dir_ + "/feeds") {}

Status ConsumerCheckpoints::ValidateName(std::string_view name) {
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  const bool ok = !name.empty() && name.size() <= kMaxNameBytes && alnum(name.front()) &&
                  std::all_of(name.begin(), name.end(),
                              [&](char c) { return alnum(c) || c == '_' || c == '-'; });
  if (ok) return Status::Ok();
  std::string shown(name.substr(0, 80));
  std::replace_if(shown.begin(), shown.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20; }, '?');
  return Status::InvalidArgument("invalid consumer name '" + shown +
                                 "': use 1 to 64 letters, digits, '_' or '-', starting with a "
                                 "letter or a digit");
}

Result<std::unique_ptr<ConsumerCheckpoints::Lease>> ConsumerCheckpoints::Acquire(
    std::string_view consumer) {
  CRM_RETURN_IF_ERROR(ValidateName(consumer));
  CRM_RETURN_IF_ERROR(EnsureDir(dir_, db_dir_));
  const std::string lock_path = dir_ + "/" + std::string(consumer) + ".lock";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("opening " + lock_path);
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return Status::Busy("consumer '" + std::string(consumer) +
                          "' is in use by another process (" + lock_path + " is locked)");
    }
    errno = err;
    return Errno("locking " + lock_path);
  }
  return std::unique_ptr<Lease>(new FileLease(dir_, std::string(consumer), fd));
}

Result<std::vector<ConsumerCheckpoint>> ConsumerCheckpoints::List() const {
  std::vector<ConsumerCheckpoint> out;
  DIR* d = ::opendir(dir_.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return out;  // no consumer has saved a checkpoint yet
    return Errno("listing " + dir_);
  }
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* entry = ::readdir(d)) {
    // Checkpoints are the entries named like consumers (.lock and .tmp files are not).
    if (ValidateName(entry->d_name).ok()) names.emplace_back(entry->d_name);
  }
  const int err = errno;
  ::closedir(d);
  if (err != 0) {
    errno = err;
    return Errno("listing " + dir_);
  }
  std::sort(names.begin(), names.end());
  for (auto& name : names) {
    auto stored = ReadCheckpoint(dir_ + "/" + name, name);
    if (!stored.ok()) return stored.status();
    if (!stored->has_value()) continue;  // removed meanwhile
    out.push_back({std::move(name), **stored});
  }
  return out;
}

}  // namespace crm
