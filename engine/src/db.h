// The one owner of a RocksDB instance and its column-family handles, with the options crm uses.
// The only place besides the engine's .cc files that names rocksdb types.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <rocksdb/db.h>

#include "crm/event_store.h"
#include "crm/status.h"

namespace crm {

// Converts a RocksDB status; `context` says what was being done ("reading position 7").
Status FromRocks(const rocksdb::Status& s, std::string_view context);

class Db {
 public:
  // Errors: kNotFound, kBusy, kCorruption, kIOError.
  static Result<std::unique_ptr<Db>> Open(const std::string& dir, const Options& options);
  ~Db();

  rocksdb::DB* db() const { return db_.get(); }
  rocksdb::ColumnFamilyHandle* events() const { return handles_[1]; }
  rocksdb::ColumnFamilyHandle* streams() const { return handles_[2]; }
  rocksdb::ColumnFamilyHandle* commands() const { return handles_[3]; }
  rocksdb::ColumnFamilyHandle* meta() const { return handles_[4]; }
  rocksdb::ColumnFamilyHandle* links() const { return handles_[5]; }
  // nullptr only for a follower of a database no writer of this version has opened yet.
  rocksdb::ColumnFamilyHandle* projections() const {
    return handles_.size() > 6 ? handles_[6] : nullptr;
  }
  bool follower() const { return follower_; }
  // True if Open() created the database.
  bool created() const { return created_; }

 private:
  Db() = default;
  Status CheckFormat(bool is_new);

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // default, events, streams, commands, meta, links, projections
  bool follower_ = false;
  bool created_ = false;
  std::string follower_dir_;  // removed on close when we made it
};

}  // namespace crm
