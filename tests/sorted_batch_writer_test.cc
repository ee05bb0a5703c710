// SortedBatchWriter: the projector's writes leave it in RocksDB's bytewise key order, a key's
// own writes in the order they were made, whatever the keys share (long common prefixes, keys
// that are prefixes of others, NUL and 0xff bytes, lengths around its 8-byte digits).
#include <gtest/gtest.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "engine/src/projection_rows.h"

namespace crm {
namespace {

struct Write {
  std::string key;
  std::string value;
  bool del = false;
};

// The writes a batch holds, in its order.
class Collect final : public rocksdb::WriteBatch::Handler {
 public:
  rocksdb::Status PutCF(uint32_t, const rocksdb::Slice& k, const rocksdb::Slice& v) override {
    out.push_back({k.ToString(), v.ToString(), false});
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteCF(uint32_t, const rocksdb::Slice& k) override {
    out.push_back({k.ToString(), "", true});
    return rocksdb::Status::OK();
  }
  std::vector<Write> out;
};

std::vector<Write> Sorted(const std::vector<Write>& writes) {
  SortedBatchWriter writer;
  for (const Write& w : writes) {
    if (w.del) {
      writer.Delete(w.key);
    } else {
      writer.Put(w.key, w.value);
    }
  }
  rocksdb::WriteBatch batch;
  writer.WriteTo(&batch, nullptr);
  Collect c;
  EXPECT_TRUE(batch.Iterate(&c).ok());
  return c.out;
}

// What the writer must produce: a stable sort by key (bytewise, as RocksDB compares).
std::vector<Write> Expected(std::vector<Write> writes) {
  std::stable_sort(writes.begin(), writes.end(), [](const Write& a, const Write& b) {
    return a.key.compare(b.key) < 0;  // std::string compares bytes as unsigned
  });
  return writes;
}

void ExpectSameWrites(const std::vector<Write>& got, const std::vector<Write>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].key, want[i].key) << "write " << i;
    ASSERT_EQ(got[i].value, want[i].value) << "write " << i << " of key " << want[i].key;
    ASSERT_EQ(got[i].del, want[i].del) << "write " << i;
  }
}

TEST(SortedBatchWriter, EmptyAndSingle) {
  EXPECT_TRUE(Sorted({}).empty());
  ExpectSameWrites(Sorted({{"s:a", "1"}}), {{"s:a", "1"}});
}

TEST(SortedBatchWriter, PrefixesAndDigitBoundaries) {
  // Keys that end inside, at and just past an 8-byte digit, and keys that are prefixes of
  // others, in many runs of more than the small-run cutoff.
  std::vector<Write> writes;
  const std::string stems[] = {"", "h:account-", "x:account:industry:Information Technology"};
  int n = 0;
  for (const std::string& stem : stems) {
    for (size_t len = 0; len <= 26; ++len) {
      for (char fill : {'a', '\0', '\xff', 'z'}) {
        std::string key = stem + std::string(len, fill);
        if (key.empty()) continue;
        writes.push_back({key, std::to_string(n++)});
      }
    }
  }
  std::shuffle(writes.begin(), writes.end(), std::mt19937(7));
  ExpectSameWrites(Sorted(writes), Expected(writes));
}

TEST(SortedBatchWriter, KeysWritesKeepTheirOrder) {
  std::vector<Write> writes;
  for (int i = 0; i < 100; ++i) {
    const bool del = i % 5 == 0;
    const std::string value = del ? "" : "v" + std::to_string(i);
    writes.push_back({"s:account-A" + std::to_string(i % 7), value, del});
  }
  ExpectSameWrites(Sorted(writes), Expected(writes));
}

TEST(SortedBatchWriter, RandomKeysLikeTheProjectors) {
  // History, state, index and snapshot keys of a few thousand streams, with embedded NULs and
  // 8-byte positions, in a random order, with repeated keys.
  std::mt19937_64 rng(42);
  std::vector<Write> writes;
  const char* kinds[] = {"account", "contact", "opportunity", "ticket"};
  for (int i = 0; i < 20000; ++i) {
    const std::string stream =
        std::string(kinds[rng() % 4]) + "-" + std::to_string(rng() % 3000);
    std::string pos(8, '\0');
    const uint64_t p = ~(rng() % 100000);
    for (int b = 0; b < 8; ++b) pos[b] = static_cast<char>(p >> (56 - 8 * b));
    const std::string n = std::to_string(i);
    const std::string nul(1, '\0');
    switch (rng() % 4) {
      case 0:
        writes.push_back({"h:" + stream + nul + pos, "e" + n});
        break;
      case 1:
        writes.push_back({"s:" + stream, "r" + n});
        break;
      case 2: {
        const std::string city = "C" + std::to_string(rng() % 50);
        const bool del = rng() % 3 == 0;  // index entries carry no value
        writes.push_back({"x:" + std::string(kinds[rng() % 4]) + ":city:" + city + nul + stream,
                          "", del});
        break;
      }
      default:
        writes.push_back({"p:" + stream + nul + pos, "s" + n});
    }
  }
  ExpectSameWrites(Sorted(writes), Expected(writes));
}

}  // namespace
}  // namespace crm
