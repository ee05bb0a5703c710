// PumpEvents: read, format, write, flush; with `follow`, poll the follower and continue.
#include <poll.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <optional>

#include "crm/event_output.h"

namespace crm {
namespace {

// Consecutive failed catch-ups tolerated while following (a secondary instance can race the
// writer's WAL and MANIFEST rotation); the next success resets the count.
constexpr int kMaxCatchUpFailures = 20;

std::shared_ptr<spdlog::logger> FeedLogger() {
  if (auto existing = spdlog::get("feed")) return existing;
  auto logger = spdlog::stderr_color_mt("feed");
  logger->set_level(spdlog::get_level());
  return logger;
}

class Pump {
 public:
  Pump(EventStore& store, EventFormatter& formatter, FdOutput& out, const PumpOptions& o)
      : store_(store), formatter_(formatter), out_(out), o_(o) {}

  Result<PumpResult> Run() {
    if (o_.header) formatter_.AppendHeader(&out_.buffer());
    bool flush_at_end = false;
    if (out_.RecordDone()) {
      flush_at_end = Loop();
    } else {
      OutputFailed();
    }
    // Limit, stop and corruption end with what was formatted still to deliver.
    const Status first_error = error_;
    if (flush_at_end) Deliver();
    if (!first_error.ok()) return first_error;
    if (!error_.ok()) return error_;
    result_.end = end_.value_or(PumpEnd::kEnd);
    return result_;
  }

 private:
  // The main loop; returns whether what is formatted must still be delivered.
  bool Loop() {
    uint64_t next = std::max<uint64_t>(o_.from, 1);
    bool stream_phase = !o_.stream.empty();
    std::chrono::milliseconds backoff = o_.min_poll;
    for (;;) {
      const uint64_t last = store_.LastPosition();
      bool more = true;
      if (stream_phase) {
        // The stream's events up to `last` through its index, then the log after `last`.
        stream_phase = false;
        more = DrainStream(last);
        next = std::max(next, last + 1);
      } else if (next <= last) {
        more = DrainLog(last, &next);
      }
      if (!more) return end_ == PumpEnd::kLimit || end_ == PumpEnd::kStopped ||
                        error_.code() == Code::kCorruption;
      if (!Deliver()) return false;
      if (!o_.follow) {
        end_ = PumpEnd::kEnd;
        return false;
      }
      if (!WaitForMore(next, &backoff)) return false;
    }
  }

  bool stop_requested() const { return o_.stop && o_.stop->load(std::memory_order_relaxed); }

  // Formats one event; false when the pump must end (end_ or error_ set).
  bool Emit(const EventView& e) {
    formatter_.Append(e, &out_.buffer());
    ++unflushed_;
    unflushed_last_ = e.position;
    if (!out_.RecordDone()) return OutputFailed();
    if (o_.limit != 0 && result_.events + unflushed_ >= o_.limit) {
      end_ = PumpEnd::kLimit;
      return false;
    }
    if (o_.batch != 0 && unflushed_ >= o_.batch) return Deliver();
    return true;
  }

  // Flushes and reports the events delivered; false when the pump must end.
  bool Deliver() {
    if (out_.Flush() != FdOutput::State::kOk) return OutputFailed();
    if (unflushed_ == 0) return true;
    result_.events += unflushed_;
    result_.last_delivered = unflushed_last_;
    unflushed_ = 0;
    if (o_.on_flushed) {
      Status s = o_.on_flushed(result_.last_delivered);
      if (!s.ok()) {
        error_ = std::move(s);
        return false;
      }
    }
    return true;
  }

  bool OutputFailed() {
    if (out_.state() == FdOutput::State::kClosed) {
      end_ = PumpEnd::kOutputClosed;
    } else {
      error_ = Status::IOError("writing the output: " + out_.error());
    }
    unflushed_ = 0;  // not delivered
    return false;
  }

  // What to do with an event a drain has read.
  enum class Take { kEmit, kSkip, kEnd };

  // Reads `reader` to its end (or until `take` says kEnd), emitting what `take` accepts; false
  // when the pump must end (end_ or error_ set).
  template <typename TakeFn>
  bool Drain(Result<std::unique_ptr<EventReader>> reader, TakeFn take) {
    if (!reader.ok()) {
      error_ = reader.status();
      return false;
    }
    for (;;) {
      if (stop_requested()) {
        end_ = PumpEnd::kStopped;
        return false;
      }
      auto ev = (*reader)->Next();
      if (!ev.ok()) {
        error_ = ev.status();
        return false;
      }
      if (!ev->has_value()) return true;
      switch (take(**ev)) {
        case Take::kEmit:
          if (!Emit(**ev)) return false;
          break;
        case Take::kSkip:
          break;
        case Take::kEnd:
          return true;
      }
    }
  }

  // Events (next, last] of the log; on a clean end *next = last + 1.
  bool DrainLog(uint64_t last, uint64_t* next) {
    const bool ok = Drain(store_.ReadLogRange(*next, last, o_.filter), [&](const EventView& e) {
      *next = e.position + 1;
      return o_.stream.empty() || e.stream() == o_.stream ? Take::kEmit : Take::kSkip;
    });
    if (ok) *next = last + 1;
    return ok;
  }

  // The stream's events from options.from up to `last`, through the stream index.
  bool DrainStream(uint64_t last) {
    return Drain(store_.ReadStream(o_.stream, 1, Direction::kForward), [&](const EventView& e) {
      if (e.position > last) return Take::kEnd;  // the follow phase reads it from the log
      if (e.position < o_.from || !o_.filter.Accepts(e.type())) return Take::kSkip;
      return Take::kEmit;
    });
  }

  // Follow: catches up until an event at `next` or later exists, waiting in between.
  bool WaitForMore(uint64_t next, std::chrono::milliseconds* backoff) {
    for (;;) {
      if (stop_requested()) {
        end_ = PumpEnd::kStopped;
        return false;
      }
      Status s = store_.CatchUp();
      if (s.ok()) {
        catchup_failures_ = 0;
        if (store_.LastPosition() >= next) {
          *backoff = o_.min_poll;
          return true;
        }
      } else if (++catchup_failures_ > kMaxCatchUpFailures) {
        error_ = std::move(s);
        return false;
      } else {
        FeedLogger()->warn("{} (retrying)", s.message());
      }
      if (!Wait(*backoff)) return false;
      *backoff = std::min(*backoff * 2, o_.max_poll);
    }
  }

  // Sleeps up to `d`; false (end_ set) if a stop was requested or the output's reader went away
  // meanwhile. Nothing is written while idle, so a closed pipe shows as POLLERR on our end.
  bool Wait(std::chrono::milliseconds d) {
    pollfd fds[2];
    nfds_t n = 0;
    fds[n++] = {out_.fd(), 0, 0};
    if (o_.wake_fd >= 0) fds[n++] = {o_.wake_fd, POLLIN, 0};
    const int r = ::poll(fds, n, static_cast<int>(d.count()));
    if (stop_requested()) {
      end_ = PumpEnd::kStopped;
      return false;
    }
    if (r > 0 && (fds[0].revents & (POLLERR | POLLHUP | POLLNVAL)) != 0) {
      end_ = PumpEnd::kOutputClosed;
      return false;
    }
    return true;
  }

  EventStore& store_;
  EventFormatter& formatter_;
  FdOutput& out_;
  const PumpOptions& o_;
  PumpResult result_;
  uint64_t unflushed_ = 0;       // events formatted since the last Deliver
  uint64_t unflushed_last_ = 0;  // the position of the last of them
  int catchup_failures_ = 0;
  std::optional<PumpEnd> end_;
  Status error_;
};

}  // namespace

Result<PumpResult> PumpEvents(EventStore& store, EventFormatter& formatter, FdOutput& out,
                              const PumpOptions& options) {
  return Pump(store, formatter, out, options).Run();
}

}  // namespace crm
