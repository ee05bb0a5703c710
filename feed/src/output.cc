#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "crm/event_output.h"

namespace crm {

FdOutput::FdOutput(int fd, size_t flush_bytes) : fd_(fd), flush_bytes_(flush_bytes) {
  buf_.reserve(flush_bytes_ + 4096);
}

FdOutput::State FdOutput::Fail(int err) {
  buf_.clear();
  if (err == EPIPE) {
    state_ = State::kClosed;
  } else {
    state_ = State::kError;
    error_ = std::strerror(err);
  }
  return state_;
}

FdOutput::State FdOutput::Flush() {
  if (state_ != State::kOk) {
    buf_.clear();
    return state_;
  }
  size_t done = 0;
  while (done < buf_.size()) {
    const ssize_t n = ::write(fd_, buf_.data() + done, buf_.size() - done);
    if (n >= 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {  // a non-blocking descriptor we inherited
      pollfd p{fd_, POLLOUT, 0};
      ::poll(&p, 1, 100);
      continue;
    }
    return Fail(errno);
  }
  buf_.clear();
  return state_;
}

FdOutput::State FdOutput::Sync() {
  if (state_ != State::kOk) return state_;
  struct stat st;
  if (::fstat(fd_, &st) != 0) return Fail(errno);
  if (!S_ISREG(st.st_mode)) return state_;
  if (::fdatasync(fd_) != 0) return Fail(errno);
  return state_;
}

}  // namespace crm
