// Engine-internal helpers of engine/src/projection_rows.h.
#include "engine/src/projection_rows.h"

namespace crm {

SortedBatchWriter& ScratchWriter() {
  thread_local SortedBatchWriter writer;
  writer.Clear();
  return writer;
}

Result<std::optional<std::string>> GetMeta(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* meta,
                                           const rocksdb::Snapshot* snapshot,
                                           std::string_view key) {
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  std::string value;
  rocksdb::Status s = db->Get(ro, meta, rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocks(s, "reading " + std::string(key));
  return std::optional<std::string>(std::move(value));
}

}  // namespace crm
