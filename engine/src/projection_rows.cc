// Engine-internal helpers of engine/src/projection_rows.h.
#include "engine/src/projection_rows.h"

#include <cstring>

namespace crm {

void SortedBatchWriter::SortRange(Op* lo, Op* hi, size_t depth) {
  // Every key in [lo, hi) has the same first `depth` bytes and is longer than `depth`.
  constexpr ptrdiff_t kSmallRun = 16;  // sorted by comparing the keys themselves
  for (;; depth += 8) {
    if (hi - lo < 2) return;
    if (hi - lo <= kSmallRun) {
      std::sort(lo, hi, [&](const Op& a, const Op& b) {
        const int c = Key(a).substr(depth).compare(Key(b).substr(depth));
        return c < 0 || (c == 0 && a.offset < b.offset);
      });
      return;
    }
    // How many of a key's bytes this word holds: 0-8, or 9 when the key goes on after it. Keys
    // whose words are equal (zero-padded) order by it: a key that ends sorts before the longer
    // keys it is a prefix of.
    auto held = [depth](const Op& op) -> uint32_t {
      const size_t rest = op.key_size - depth;
      return rest > 8 ? 9 : static_cast<uint32_t>(rest);
    };
    const char* base = bytes_.data();
    for (Op* op = lo; op != hi; ++op) {
      if (hi - op > 8) __builtin_prefetch(base + op[8].offset + depth);  // random below depth 0
      unsigned char digit[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      std::memcpy(digit, base + op->offset + depth, std::min<size_t>(8, op->key_size - depth));
      uint64_t word = 0;
      for (unsigned char b : digit) word = word << 8 | b;  // big-endian: compares like memcmp
      op->word = word;
    }
    // Keys share long prefixes ("h:account-", "x:account:industry:"): a digit the whole range
    // has in common, with every key going on after it, needs no sort.
    if (std::all_of(lo, hi, [&](const Op& op) { return op.word == lo->word && held(op) == 9; })) {
      continue;
    }
    std::sort(lo, hi, [&](const Op& a, const Op& b) {
      if (a.word != b.word) return a.word < b.word;
      const uint32_t ha = held(a), hb = held(b);
      if (ha != hb) return ha < hb;
      return a.offset < b.offset;  // the same key: its writes in order
    });
    for (Op* run = lo; run != hi;) {
      Op* end = run + 1;
      while (end != hi && end->word == run->word && held(*end) == held(*run)) ++end;
      if (held(*run) == 9) SortRange(run, end, depth + 8);  // equal so far; the keys go on
      run = end;
    }
    return;
  }
}

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
