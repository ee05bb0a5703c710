// A progress line on stderr for long runs (replay, rebuilds on open, imports): items done, items/s,
// ETA.
// Quiet when stderr is not a terminal, and redrawn at most 10 times a second.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace crm::cli {

class ProgressBar {
 public:
  // `unit` names what is counted ("events", "rows").
  explicit ProgressBar(std::string label, std::string unit = "events")
      : label_(std::move(label)), unit_(std::move(unit)), tty_(::isatty(2) == 1) {}
  ~ProgressBar() { Finish(); }

  void Update(uint64_t done, uint64_t total) {
    done_ = done;
    if (!tty_) return;
    const auto now = std::chrono::steady_clock::now();
    if (drawn_ && done < total && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    drawn_ = true;
    const double secs = std::chrono::duration<double>(now - start_).count();
    const double rate = secs > 0 ? double(done) / secs : 0;
    const double pct = total ? 100.0 * double(done) / double(total) : 100.0;
    const double eta = rate > 0 ? double(total - done) / rate : 0;
    std::fprintf(stderr, "\r%s %llu/%llu %s  %5.1f%%  %.0f %s/s  ETA %.0fs   ", label_.c_str(),
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                 unit_.c_str(), pct, rate, unit_.c_str(), eta);
    std::fflush(stderr);
  }

  // Ends the progress line (once).
  void Finish() {
    if (drawn_) std::fputc('\n', stderr);
    drawn_ = false;
  }

  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  uint64_t done() const { return done_; }

 private:
  std::string label_;
  std::string unit_;
  bool tty_;
  bool drawn_ = false;
  uint64_t done_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace crm::cli
