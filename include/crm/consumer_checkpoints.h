// Feed consumers' checkpoints (`crm feed`): for each named consumer, the position of the last
// event it was delivered. Stored beside the database, not in it -- a feed runs as a follower next
// to a running writer, which owns the RocksDB directory's data -- as one small file per consumer:
//
//   <db>/feeds/<consumer>        {"consumer":"<name>","position":<P>,"saved_at":"<RFC 3339>"}
//   <db>/feeds/<consumer>.lock   empty; flock(2)ed exclusively by the process using the consumer
//   <db>/feeds/<consumer>.tmp    transient: the next checkpoint before its rename
//
// A save is atomic and durable: write the temp file, fsync it, rename it over the checkpoint,
// fsync the directory. After a crash the checkpoint is the old or the new one, never torn.
// A consumer without a file is at position 0 (nothing delivered yet).
//
// Consumer names: 1 to 64 ASCII letters, digits, '_' or '-', starting with a letter or a digit
// (so a name is never a path, a hidden file, or one of the .lock/.tmp names).
//
// Threads: a ConsumerCheckpoints and its leases belong to one thread. Processes: at most one
// lease per consumer at a time across all processes (flock); List() needs none.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crm/status.h"

namespace crm {

struct ConsumerCheckpoint {
  std::string consumer;
  uint64_t position = 0;  // the last position delivered; 0: none
};

class ConsumerCheckpoints {
 public:
  // The checkpoints of the database in `db_dir` (which must exist).
  explicit ConsumerCheckpoints(std::string db_dir);

  // kInvalidArgument with a message naming the rules when `name` is not a consumer name.
  static Status ValidateName(std::string_view name);

  // Exclusive use of one consumer's checkpoint while it lives (the lock is released on
  // destruction, and by the kernel if the process dies).
  class Lease {
   public:
    virtual ~Lease() = default;
    // The stored position; 0 when none was saved. Errors: kCorruption (unreadable file),
    // kIOError.
    virtual Result<uint64_t> Load() = 0;
    // Atomically and durably replaces the checkpoint. Errors: kIOError.
    virtual Status Save(uint64_t position) = 0;
  };

  // Creates <db>/feeds/ when missing. Errors: kInvalidArgument (bad name), kBusy (another
  // process holds the consumer: "consumer in use"), kIOError.
  Result<std::unique_ptr<Lease>> Acquire(std::string_view consumer);

  // Every consumer with a saved checkpoint, by name. Errors: kCorruption (an unreadable
  // checkpoint file, named), kIOError.
  Result<std::vector<ConsumerCheckpoint>> List() const;

  // The directory holding the files.
  const std::string& dir() const { return dir_; }

 private:
  std::string db_dir_;
  std::string dir_;
};

}  // namespace crm
