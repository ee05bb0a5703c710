// The engine's bounded caches (engine/src/lru_cache.h): LruCache (the executor's stream states,
// the store's stream versions) and PinningLruCache (the projector's rows: pinned while a group
// is pending, then kept or dropped as a whole).
#include "engine/src/lru_cache.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace crm {
namespace {

TEST(LruCacheTest, EvictsTheLeastRecentlyUsed) {
  LruCache<int> cache(2);
  cache.Put("a", 1);
  cache.Put("b", 2);
  ASSERT_NE(cache.Get("a"), nullptr);  // a is now the most recently used
  cache.Put("c", 3);
  EXPECT_EQ(cache.Get("b"), nullptr);
  ASSERT_NE(cache.Get("a"), nullptr);
  EXPECT_EQ(*cache.Get("a"), 1);
  EXPECT_EQ(*cache.Get("c"), 3);
  EXPECT_EQ(cache.size(), 2u);
}

TEST(LruCacheTest, PutReplacesAndTakeHandsOver) {
  LruCache<std::string> cache(4);
  cache.Put("a", "one");
  cache.Put("a", "uno");
  EXPECT_EQ(cache.size(), 1u);
  auto taken = cache.Take("a");
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(*taken, "uno");
  EXPECT_EQ(cache.Take("a"), std::nullopt);
  EXPECT_EQ(cache.size(), 0u);
}

using Cache = PinningLruCache<std::string>;

std::vector<std::string> PinnedKeys(const Cache& cache) {
  std::vector<std::string> keys;
  for (const auto& e : cache.pinned()) keys.push_back(e.key);
  return keys;
}

TEST(PinningLruCacheTest, EvictsOnlyUnpinnedEntriesBeyondTheCapacity) {
  Cache cache(2);
  cache.Insert("a", "A", /*pinned=*/false);
  cache.Insert("b", "B", /*pinned=*/false);
  ASSERT_NE(cache.Find("a"), nullptr);  // a is now the most recently used
  Cache::Entry* p = cache.Insert("p", "P", /*pinned=*/true);
  EXPECT_TRUE(p->pinned);
  EXPECT_EQ(cache.size(), 3u);  // pinned entries do not count against the capacity
  cache.Insert("c", "C", /*pinned=*/false);
  EXPECT_EQ(cache.Find("b"), nullptr);  // the least recently used unpinned entry went
  EXPECT_NE(cache.Find("a"), nullptr);
  EXPECT_NE(cache.Find("c"), nullptr);
  EXPECT_EQ(cache.Find("p"), p);  // a pinned entry stays where it is
  EXPECT_EQ(cache.size(), 3u);
}

TEST(PinningLruCacheTest, PinnedEntriesKeepTheirAddressWhileOthersAreEvicted) {
  Cache cache(1);
  Cache::Entry* a = cache.Insert("a", "A", /*pinned=*/false);
  cache.Pin(a);
  cache.Pin(a);  // pinning twice is pinning once
  for (int i = 0; i < 100; ++i) cache.Insert("k" + std::to_string(i), "v", /*pinned=*/false);
  EXPECT_EQ(cache.Find("a"), a);
  EXPECT_EQ(a->value, "A");
  EXPECT_EQ(PinnedKeys(cache), std::vector<std::string>{"a"});
  EXPECT_EQ(cache.size(), 2u);  // a, and the last unpinned entry
}

TEST(PinningLruCacheTest, UnpinAllKeepsWhatItAcceptsAndEvictsToTheCapacity) {
  Cache cache(2);
  cache.Insert("old", "O", /*pinned=*/false);
  cache.Insert("x", "keep", /*pinned=*/true);
  cache.Insert("y", "drop", /*pinned=*/true);
  Cache::Entry* z = cache.Insert("z", "keep", /*pinned=*/false);
  cache.Pin(z);
  EXPECT_EQ(PinnedKeys(cache), (std::vector<std::string>{"x", "y", "z"}));  // pinning order
  cache.UnpinAll([](const std::string& v) { return v == "keep"; });
  EXPECT_TRUE(cache.pinned().empty());
  EXPECT_EQ(cache.Find("y"), nullptr);    // rejected
  EXPECT_EQ(cache.Find("old"), nullptr);  // evicted: the kept entries are more recent
  ASSERT_NE(cache.Find("x"), nullptr);
  EXPECT_FALSE(cache.Find("x")->pinned);
  ASSERT_NE(cache.Find("z"), nullptr);
  EXPECT_EQ(cache.size(), 2u);
}

TEST(PinningLruCacheTest, FindCanPinInTheSameLookup) {
  Cache cache(1);
  cache.Insert("a", "A", /*pinned=*/false);
  Cache::Entry* a = cache.Find("a", /*pin=*/true);
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(a->pinned);
  EXPECT_EQ(PinnedKeys(cache), std::vector<std::string>{"a"});
  cache.Insert("b", "B", /*pinned=*/false);  // a no longer counts against the capacity
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.Find("a", /*pin=*/true), a);  // already pinned: unchanged
  EXPECT_EQ(PinnedKeys(cache), std::vector<std::string>{"a"});
  EXPECT_EQ(cache.Find("missing", /*pin=*/true), nullptr);
}

TEST(PinningLruCacheTest, DropPinnedRemovesThePinnedSetOnly) {
  Cache cache(4);
  cache.Insert("a", "A", /*pinned=*/false);
  cache.Insert("b", "B", /*pinned=*/true);
  cache.Pin(cache.Find("a"));
  cache.Insert("c", "C", /*pinned=*/false);
  cache.DropPinned();
  EXPECT_EQ(cache.Find("a"), nullptr);
  EXPECT_EQ(cache.Find("b"), nullptr);
  ASSERT_NE(cache.Find("c"), nullptr);
  EXPECT_EQ(cache.size(), 1u);
  // The keys can come back.
  cache.Insert("a", "A2", /*pinned=*/true);
  EXPECT_EQ(cache.Find("a")->value, "A2");
}

TEST(PinningLruCacheTest, SurvivesAMove) {
  Cache cache(2);
  Cache::Entry* a = cache.Insert("a", "A", /*pinned=*/true);
  Cache moved = std::move(cache);
  EXPECT_EQ(moved.Find("a"), a);
  moved.UnpinAll([](const std::string&) { return true; });
  EXPECT_EQ(moved.Find("a")->value, "A");
}

}  // namespace
}  // namespace crm
