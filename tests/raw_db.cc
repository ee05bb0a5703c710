#include "raw_db.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <map>
#include <memory>
#include <vector>

namespace crm::test {
namespace {

std::string EventKey(uint64_t position) {
  std::string key(8, '\0');
  for (int i = 7; i >= 0; --i) {
    key[i] = static_cast<char>(position & 0xff);
    position >>= 8;
  }
  return key;
}

// Opens every column family of the database; `events` is set to the "events" handle.
class RawDb {
 public:
  bool Open(const std::string& dir) {
    std::vector<std::string> names;
    rocksdb::Status s = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &names);
    if (!s.ok()) {
      ADD_FAILURE() << "ListColumnFamilies: " << s.ToString();
      return false;
    }
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const auto& n : names) cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
    rocksdb::DB* db = nullptr;
    s = rocksdb::DB::Open(rocksdb::DBOptions(), dir, cfs, &handles_, &db);
    if (!s.ok()) {
      ADD_FAILURE() << "raw open: " << s.ToString();
      return false;
    }
    db_.reset(db);
    for (size_t i = 0; i < names.size(); ++i) {
      by_name_[names[i]] = handles_[i];
      if (names[i] == "events") events_ = handles_[i];
    }
    if (events_ == nullptr) ADD_FAILURE() << "no column family named \"events\"";
    return events_ != nullptr;
  }
  ~RawDb() {
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    if (db_) {
      rocksdb::Status s = db_->Close();
      if (!s.ok()) ADD_FAILURE() << "raw close: " << s.ToString();
    }
  }
  rocksdb::DB* db() { return db_.get(); }
  rocksdb::ColumnFamilyHandle* events() { return events_; }
  rocksdb::ColumnFamilyHandle* cf(const std::string& name) {
    auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : it->second;
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* events_ = nullptr;
  std::map<std::string, rocksdb::ColumnFamilyHandle*> by_name_;
};

rocksdb::WriteOptions SyncWrite() {
  rocksdb::WriteOptions w;
  w.sync = true;
  return w;
}

}  // namespace

std::optional<std::string> GetRawEvent(const std::string& dir, uint64_t position) {
  RawDb raw;
  if (!raw.Open(dir)) return std::nullopt;
  std::string value;
  rocksdb::Status s =
      raw.db()->Get(rocksdb::ReadOptions(), raw.events(), EventKey(position), &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) {
    ADD_FAILURE() << "raw get: " << s.ToString();
    return std::nullopt;
  }
  return value;
}

bool PutRawEvent(const std::string& dir, uint64_t position, const std::string& value) {
  RawDb raw;
  if (!raw.Open(dir)) return false;
  rocksdb::Status s = raw.db()->Put(SyncWrite(), raw.events(), EventKey(position), value);
  if (!s.ok()) ADD_FAILURE() << "raw put: " << s.ToString();
  return s.ok();
}

bool DeleteRawEvent(const std::string& dir, uint64_t position) {
  RawDb raw;
  if (!raw.Open(dir)) return false;
  rocksdb::Status s = raw.db()->Delete(SyncWrite(), raw.events(), EventKey(position));
  if (!s.ok()) ADD_FAILURE() << "raw delete: " << s.ToString();
  return s.ok();
}

}  // namespace crm::test

namespace crm::test {

bool DeleteFirstKey(const std::string& dir, const std::string& cf) {
  RawDb raw;
  if (!raw.Open(dir)) return false;
  rocksdb::ColumnFamilyHandle* handle = raw.cf(cf);
  if (handle == nullptr) {
    ADD_FAILURE() << "no column family " << cf;
    return false;
  }
  std::unique_ptr<rocksdb::Iterator> it(raw.db()->NewIterator(rocksdb::ReadOptions(), handle));
  it->SeekToFirst();
  if (!it->Valid()) {
    ADD_FAILURE() << cf << " is empty: " << it->status().ToString();
    return false;
  }
  std::string key = it->key().ToString();
  it.reset();
  rocksdb::Status s = raw.db()->Delete(SyncWrite(), handle, key);
  if (!s.ok()) ADD_FAILURE() << "raw delete: " << s.ToString();
  return s.ok();
}

}  // namespace crm::test

namespace crm::test {

std::optional<std::string> GetRawKey(const std::string& dir, const std::string& cf,
                                     const std::string& key) {
  RawDb raw;
  if (!raw.Open(dir)) return std::nullopt;
  rocksdb::ColumnFamilyHandle* handle = raw.cf(cf);
  if (handle == nullptr) {
    ADD_FAILURE() << "no column family " << cf;
    return std::nullopt;
  }
  std::string value;
  rocksdb::Status s = raw.db()->Get(rocksdb::ReadOptions(), handle, key, &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) {
    ADD_FAILURE() << "raw get: " << s.ToString();
    return std::nullopt;
  }
  return value;
}

bool PutRawKey(const std::string& dir, const std::string& cf, const std::string& key,
               const std::string& value) {
  RawDb raw;
  if (!raw.Open(dir)) return false;
  rocksdb::ColumnFamilyHandle* handle = raw.cf(cf);
  if (handle == nullptr) {
    ADD_FAILURE() << "no column family " << cf;
    return false;
  }
  rocksdb::Status s = raw.db()->Put(SyncWrite(), handle, key, value);
  if (!s.ok()) ADD_FAILURE() << "raw put: " << s.ToString();
  return s.ok();
}

bool DeleteRawKey(const std::string& dir, const std::string& cf, const std::string& key) {
  RawDb raw;
  if (!raw.Open(dir)) return false;
  rocksdb::ColumnFamilyHandle* handle = raw.cf(cf);
  if (handle == nullptr) {
    ADD_FAILURE() << "no column family " << cf;
    return false;
  }
  rocksdb::Status s = raw.db()->Delete(SyncWrite(), handle, key);
  if (!s.ok()) ADD_FAILURE() << "raw delete: " << s.ToString();
  return s.ok();
}

std::map<std::string, std::string> ReadRawColumnFamily(const std::string& dir,
                                                       const std::string& cf) {
  std::map<std::string, std::string> rows;
  std::vector<std::string> names;
  rocksdb::Status s = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &names);
  if (!s.ok()) {
    ADD_FAILURE() << "ListColumnFamilies: " << s.ToString();
    return rows;
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const auto& n : names) cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  s = rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), dir, cfs, &handles, &db);
  if (!s.ok()) {
    ADD_FAILURE() << "raw read-only open: " << s.ToString();
    return rows;
  }
  std::unique_ptr<rocksdb::DB> owned(db);
  rocksdb::ColumnFamilyHandle* handle = nullptr;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == cf) handle = handles[i];
  }
  if (handle == nullptr) {
    ADD_FAILURE() << "no column family " << cf;
  } else {
    std::unique_ptr<rocksdb::Iterator> it(owned->NewIterator(rocksdb::ReadOptions(), handle));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      rows.emplace(it->key().ToString(), it->value().ToString());
    }
    if (!it->status().ok()) ADD_FAILURE() << "raw scan: " << it->status().ToString();
  }
  for (auto* h : handles) owned->DestroyColumnFamilyHandle(h);
  s = owned->Close();
  if (!s.ok()) ADD_FAILURE() << "raw close: " << s.ToString();
  return rows;
}

}  // namespace crm::test
