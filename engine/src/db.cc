#include "engine/src/db.h"

#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <filesystem>

#include "engine/src/codec.h"
#include "engine/src/format.h"
#include "crm/time_format.h"

namespace crm {
namespace {

// The prefix of a streams key up to and including its first 0x00: one stream's runs.
class StreamPrefixTransform : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "crm.StreamPrefix.v1"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    const char* sep = static_cast<const char*>(std::memchr(key.data(), '\0', key.size()));
    return rocksdb::Slice(key.data(), sep - key.data() + 1);
  }
  bool InDomain(const rocksdb::Slice& key) const override {
    return std::memchr(key.data(), '\0', key.size()) != nullptr;
  }
};

rocksdb::BlockBasedTableOptions TableOptions(const std::shared_ptr<rocksdb::Cache>& cache,
                                             size_t block_size, bool bloom) {
  rocksdb::BlockBasedTableOptions t;
  t.block_cache = cache;
  t.block_size = block_size;
  t.cache_index_and_filter_blocks = true;
  t.cache_index_and_filter_blocks_with_high_priority = true;
  t.pin_l0_filter_and_index_blocks_in_cache = true;
  t.format_version = 5;
  // Partitioned index and filters: a point read loads one 4 KiB partition, not a file's whole
  // index and filter (megabytes for a large SST, bigger than a cache shard, so never kept).
  t.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
  t.metadata_block_size = 4096;
  t.pin_top_level_index_and_filter = true;
  if (bloom) {
    t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    t.partition_filters = true;
  }
  return t;
}

// Column-family options, chosen per access pattern (docs/storage.md explains each choice).
std::vector<rocksdb::ColumnFamilyDescriptor> Descriptors(const Options& options) {
  // 16 shards (4 MiB each at the 64 MiB default) rather than RocksDB's 64 of 1 MiB.
  auto cache = rocksdb::NewLRUCache(options.block_cache_bytes, /*num_shard_bits=*/4);
  auto base = [] {
    rocksdb::ColumnFamilyOptions cf;
    cf.level_compaction_dynamic_level_bytes = true;
    cf.compression = rocksdb::kLZ4Compression;
    cf.bottommost_compression = rocksdb::kZSTD;
    return cf;
  };

  // events: append-only sequential keys, read by scans and by position. Large blocks compress
  // better and scan faster; no bloom filter (every key in range exists).
  rocksdb::ColumnFamilyOptions events = base();
  events.table_factory.reset(
      rocksdb::NewBlockBasedTableFactory(TableOptions(cache, 16 * 1024, false)));

  // streams: prefix seeks for one stream (read, head lookup). A prefix bloom filter answers
  // "no such stream" (every create) without touching data blocks.
  rocksdb::ColumnFamilyOptions streams = base();
  streams.prefix_extractor = std::make_shared<StreamPrefixTransform>();
  streams.memtable_prefix_bloom_size_ratio = 0.1;
  streams.memtable_insert_with_hint_prefix_extractor = streams.prefix_extractor;
  {
    auto t = TableOptions(cache, 4 * 1024, true);
    t.whole_key_filtering = false;  // lookups are prefix seeks
    streams.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  }

  // commands: point lookups that almost always miss (a new command_id): whole-key bloom.
  rocksdb::ColumnFamilyOptions commands = base();
  commands.table_factory.reset(
      rocksdb::NewBlockBasedTableFactory(TableOptions(cache, 4 * 1024, true)));

  rocksdb::ColumnFamilyOptions meta;

  // links: "everything linked to X" is one prefix scan; the same prefix layout as streams.
  rocksdb::ColumnFamilyOptions links = base();
  links.prefix_extractor = streams.prefix_extractor;
  links.table_factory.reset(
      rocksdb::NewBlockBasedTableFactory(TableOptions(cache, 4 * 1024, true)));

  // projections: point gets of state rows and short range scans (history pages, indexes, lists).
  rocksdb::ColumnFamilyOptions projections = base();
  {
    auto t = TableOptions(cache, 8 * 1024, true);
    // No implicit readahead: a history page or a list page reads a few blocks, mostly from the
    // block cache, and RocksDB's auto-readahead issued a readahead(2) system call on the third
    // block of every such iterator. Long scans (export) still get the kernel's own readahead.
    t.max_auto_readahead_size = 0;
    projections.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  }

  return {
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
      {format::kEventsCf, events},
      {format::kStreamsCf, streams},
      {format::kCommandsCf, commands},
      {format::kMetaCf, meta},
      {format::kLinksCf, links},
      {format::kProjectionsCf, projections},
  };
}

bool LooksLikeLockError(const rocksdb::Status& s) {
  const std::string m = s.ToString();
  return s.IsIOError() && (m.find("lock") != std::string::npos ||
                           m.find("LOCK") != std::string::npos ||
                           m.find("Resource temporarily unavailable") != std::string::npos);
}

}  // namespace

Status FromRocks(const rocksdb::Status& s, std::string_view context) {
  if (s.ok()) return Status::Ok();
  std::string m = std::string(context) + ": " + s.ToString();
  if (s.IsCorruption()) return Status::Corruption(std::move(m));
  if (s.IsNotFound()) return Status::NotFound(std::move(m));
  if (s.IsBusy() || s.IsTryAgain()) return Status::Busy(std::move(m));
  if (s.IsNotSupported()) return Status::NotSupported(std::move(m));
  return Status::IOError(std::move(m));
}

Result<std::unique_ptr<Db>> Db::Open(const std::string& dir, const Options& options) {
  namespace fs = std::filesystem;
  // RocksDB is linked statically, so its global objects are constructed after the embedding
  // program's own. Called before that (from a global object's constructor), RocksDB sees its
  // trash-file suffix as "" while it sanitises its options, takes every file of the directory
  // for trash and deletes it: the database is gone, whether a writer or a follower opens it.
  // One of those globals still being empty means none of them can be trusted yet.
  if (rocksdb::kDefaultColumnFamilyName.empty()) {
    return Status::Aborted(
        "RocksDB is not initialised yet: EventStore::Open was called during static "
        "initialisation (from the constructor of a global object?); open the store from main() "
        "or later. Nothing was opened or changed at " + dir);
  }
  std::error_code ec;
  const bool exists = fs::exists(fs::path(dir) / "CURRENT", ec);
  const bool writer = options.mode == OpenMode::kReadWrite;
  if (!exists && !(writer && options.create_if_missing)) {
    return Status::NotFound("no crm database at " + dir);
  }

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = writer && options.create_if_missing;
  db_options.create_missing_column_families = writer;
  db_options.max_background_jobs = 2;  // this is a 2-core class of machine
  db_options.bytes_per_sync = 1 << 20;
  db_options.keep_log_file_num = 4;
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  db_options.avoid_unnecessary_blocking_io = true;

  std::unique_ptr<Db> self(new Db());
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s;
  auto descriptors = Descriptors(options);
  if (writer) {
    s = rocksdb::DB::Open(db_options, dir, descriptors, &self->handles_, &raw);
  } else {
    self->follower_ = true;
    db_options.max_open_files = -1;  // required by secondary instances
    // With max_open_files = -1 every catch-up loads the table handlers of each column family
    // with this many fresh threads, even when nothing changed: 16 made an idle
    // `crm events --follow` (a catch-up every 100 ms) spawn ~1,100 threads a second.
    db_options.max_file_opening_threads = 1;
    std::string path = options.follower_path;
    if (path.empty()) {
      path = (fs::temp_directory_path() / ("crm-follower-" + std::to_string(::getpid()) + "-" +
                                           codec::NewUuidString()))
                 .string();
      self->follower_dir_ = path;
    }
    fs::create_directories(path, ec);
    // A follower opens the column families that exist: a database written by an older version
    // has no `projections` until a writer of this version opens it.
    std::vector<std::string> names;
    if (rocksdb::DB::ListColumnFamilies(db_options, dir, &names).ok()) {
      std::erase_if(descriptors, [&](const rocksdb::ColumnFamilyDescriptor& d) {
        return d.name == format::kProjectionsCf &&
               std::find(names.begin(), names.end(), d.name) == names.end();
      });
    }
    s = rocksdb::DB::OpenAsSecondary(db_options, dir, path, descriptors, &self->handles_, &raw);
  }
  if (!s.ok()) {
    if (LooksLikeLockError(s)) {
      return Status::Busy("database " + dir + " is in use by another writer process (" +
                          s.ToString() + ")");
    }
    return FromRocks(s, "opening " + dir);
  }
  self->db_.reset(raw);
  self->created_ = !exists;
  CRM_RETURN_IF_ERROR(self->CheckFormat(!exists));
  return self;
}

Status Db::CheckFormat(bool is_new) {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), meta(), format::kMetaFormat, &value);
  if (s.IsNotFound()) {
    if (follower_) return Status::Ok();  // the writer has not finished creating it yet
    rocksdb::WriteBatch batch;
    batch.Put(meta(), format::kMetaFormat, std::to_string(format::kFormatVersion));
    if (is_new) batch.Put(meta(), format::kMetaCreatedAt, FormatTimestamp(codec::NowMicros()));
    rocksdb::WriteOptions wo;
    wo.sync = true;
    return FromRocks(db_->Write(wo, &batch), "writing the format version");
  }
  if (!s.ok()) return FromRocks(s, "reading the format version");
  int version = 0;
  auto [ptr, err] = std::from_chars(value.data(), value.data() + value.size(), version);
  if (err != std::errc() || ptr != value.data() + value.size() || version < 1) {
    return Status::Corruption("unreadable format version '" + value + "'");
  }
  if (version > format::kFormatVersion) {
    return Status::Corruption("database format " + value + " is newer than this crm (" +
                              std::to_string(format::kFormatVersion) + "); upgrade crm");
  }
  return Status::Ok();
}

Db::~Db() {
  if (db_) {
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    db_->Close().PermitUncheckedError();
    db_.reset();
  }
  if (!follower_dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(follower_dir_, ec);
  }
}

}  // namespace crm
