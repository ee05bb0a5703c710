// Writing the log out as JSON Lines or CSV: what `crm events` and `crm feed` run, and what
// bench/feed_bench measures (the same code).
//
//   EventFormatter  one event -> one record (JSONL line, or CSV row via libcsv)
//   FdOutput        a buffered file descriptor that tells "the reader went away" (EPIPE, or
//                   POLLERR while idle) from real write failures
//   PumpEvents      the loop: read a range of the log, format, write, flush; with `follow`,
//                   poll a follower's CatchUp() with backoff and continue, never skipping or
//                   repeating a position
//
// Threads: every object here belongs to one thread. PumpOptions::stop may be set from a signal
// handler (it is a lock-free atomic), with a byte written to `wake_fd` to cut a wait short.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "crm/event.h"
#include "crm/event_store.h"
#include "crm/status.h"

namespace crm {

enum class EventFormat : uint8_t { kJsonl, kCsv };

// Renders events as records of one format.
//   kJsonl: the envelope with decoded `data`, as crm/event_json.h; no header.
//   kCsv:   a header row, then one row per event (RFC 4180 quoting through libcsv: every field
//           quoted, quotes doubled; embedded newlines stay inside the quotes; rows end in '\n').
//           Columns: the envelope's (crm/event_columns.h), then -- when built for one event type
//           -- that type's flattened payload columns named by their path under `data`
//           ("data.name", "data.billing_address.city"; never clashing with an envelope column),
//           otherwise one `data` column holding the payload as JSON.
class EventFormatter {
 public:
  explicit EventFormatter(EventFormat format, std::optional<fb::Payload> csv_type = std::nullopt);

  EventFormat format() const { return format_; }
  // Appends the header row (CSV) or nothing (JSONL).
  void AppendHeader(std::string* out) const;
  // Appends one record, '\n' included. With a csv_type, an event of another type gets that
  // type's columns empty (the pump's filter normally keeps it out).
  void Append(const EventView& event, std::string* out);

 private:
  EventFormat format_;
  std::optional<fb::Payload> csv_type_;
  std::vector<std::string> cells_;          // envelope cells, reused for every row
  std::vector<std::string> payload_cells_;  // payload cells, reused for every row
  std::string scratch_;
};

// Buffered output to a file descriptor it does not own (stdout, /dev/null in the bench).
class FdOutput {
 public:
  enum class State : uint8_t {
    kOk,
    kClosed,  // the reader went away (EPIPE, or POLLERR/POLLHUP seen by WaitClosed)
    kError,   // any other write failure: error() says what
  };

  // Flushes by itself once `flush_bytes` are buffered.
  explicit FdOutput(int fd, size_t flush_bytes = size_t{1} << 16);
  FdOutput(const FdOutput&) = delete;
  FdOutput& operator=(const FdOutput&) = delete;
  // Does not flush: what was not flushed explicitly was not delivered.
  ~FdOutput() = default;

  int fd() const { return fd_; }
  // Where records are appended.
  std::string& buffer() { return buf_; }
  // Call after appending a record: flushes when the buffer is large. False once the output has
  // failed or closed (state() says which); the buffer is then dropped.
  bool RecordDone() { return buf_.size() < flush_bytes_ || Flush() == State::kOk; }
  // Writes everything buffered (retrying short writes and EINTR; waiting out EAGAIN).
  State Flush();
  // After a Flush: makes the written bytes durable when fd is a regular file (fdatasync);
  // nothing to do for pipes, terminals and devices.
  State Sync();
  State state() const { return state_; }
  const std::string& error() const { return error_; }

 private:
  State Fail(int err);

  int fd_;
  size_t flush_bytes_;
  std::string buf_;
  State state_ = State::kOk;
  std::string error_;
};

struct PumpOptions {
  uint64_t from = 1;       // first position
  std::string stream;      // only this stream ("" = every stream)
  TypeFilter filter;       // only these types
  uint64_t limit = 0;      // at most this many events (0 = no limit)
  bool follow = false;     // after the end, wait for the writer's appends (store: kFollower)
  // Events per batch: after `batch` events the output is flushed and on_flushed called
  // (0 = no batches; flushes happen when the buffer fills and whenever the pump has caught up).
  uint64_t batch = 0;
  // Whether to write the formatter's header first (CSV's column row; JSONL has none).
  bool header = true;
  // Called after every successful Flush that delivered events, with the position of the last
  // event delivered. An error stops the pump and is returned.
  std::function<Status(uint64_t last_delivered)> on_flushed;
  // Waiting for new events (follow): 5 ms after activity, doubling to 100 ms while idle.
  std::chrono::milliseconds min_poll{5};
  std::chrono::milliseconds max_poll{100};
  // Set (e.g. by a signal handler) to stop after the current event; `wake_fd` (readable when a
  // stop is requested; -1: none) ends a wait at once.
  const std::atomic<bool>* stop = nullptr;
  int wake_fd = -1;
};

enum class PumpEnd : uint8_t {
  kEnd,           // not following: the end of the log (as of the start) was reached
  kLimit,         // `limit` events were written
  kStopped,       // `stop` was set
  kOutputClosed,  // the reader of the output went away
};

struct PumpResult {
  uint64_t events = 0;          // events written and flushed
  uint64_t last_delivered = 0;  // position of the last of them (0: none)
  PumpEnd end = PumpEnd::kEnd;
};

// Writes the header (unless options.header is false), then the matching events from options.from on, in position order, each
// exactly once. Whatever the end, every event formatted before it has been flushed (or the
// output failed or closed). Errors: kCorruption (a record failed verification; everything
// before it was written, flushed and reported to on_flushed; resume past it with `from`),
// kIOError (writing the output failed, or the follower could not catch up), and on_flushed's.
Result<PumpResult> PumpEvents(EventStore& store, EventFormatter& formatter, FdOutput& out,
                              const PumpOptions& options);

}  // namespace crm
