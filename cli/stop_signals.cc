#include "cli/stop_signals.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

namespace crm::cli {
namespace {

std::atomic<bool> g_stop{false};
int g_wake[2] = {-1, -1};

static_assert(std::atomic<bool>::is_always_lock_free, "the flag is set from a signal handler");

extern "C" void OnStopSignal(int) {
  const int saved = errno;
  g_stop.store(true, std::memory_order_relaxed);
  if (g_wake[1] >= 0) {
    const char byte = 1;
    ssize_t ignored = ::write(g_wake[1], &byte, 1);  // non-blocking; one byte is enough
    (void)ignored;
  }
  errno = saved;
}

}  // namespace

StopSignals InstallStopSignals() {
  static const StopSignals installed = [] {
    if (::pipe2(g_wake, O_CLOEXEC | O_NONBLOCK) != 0) g_wake[0] = g_wake[1] = -1;
    struct sigaction sa = {};
    sa.sa_handler = OnStopSignal;
    sigemptyset(&sa.sa_mask);
    // SA_RESTART: RocksDB's and our writes resume; waits (poll) return early anyway. Later
    // signals only repeat the request (`timeout` and a terminal's Ctrl-C can both deliver one to
    // the process and one to its group).
    sa.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
    struct sigaction ignore = {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    ::sigaction(SIGPIPE, &ignore, nullptr);
    return StopSignals{&g_stop, g_wake[0]};
  }();
  return installed;
}

}  // namespace crm::cli
