// A bounded least-recently-used map. Not thread-safe: the owner serialises access.
#pragma once

#include <cstddef>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace crm {

template <typename V>
class LruCache {
 public:
  explicit LruCache(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}
  // Moves keep the list nodes the index's keys view; copies would not.
  LruCache(LruCache&&) = default;
  LruCache& operator=(LruCache&&) = default;
  LruCache(const LruCache&) = delete;
  LruCache& operator=(const LruCache&) = delete;

  // Returns the value and marks it most recently used, or nullptr.
  V* Get(std::string_view key) {
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return &it->second->second;
  }

  void Put(std::string_view key, V value) {
    if (V* existing = Get(key)) {
      *existing = std::move(value);
      return;
    }
    order_.emplace_front(std::string(key), std::move(value));
    index_.emplace(order_.front().first, order_.begin());
    if (index_.size() > capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
  }

  // Removes the entry and hands its value over, or returns nullopt.
  std::optional<V> Take(std::string_view key) {
    auto it = index_.find(key);
    if (it == index_.end()) return std::nullopt;
    auto node = it->second;
    index_.erase(it);
    std::optional<V> out(std::move(node->second));
    order_.erase(node);
    return out;
  }

  size_t size() const { return index_.size(); }

 private:
  using Entry = std::pair<std::string, V>;
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  size_t capacity_;
  std::list<Entry> order_;
  // Keys view the strings owned by order_'s entries (list nodes never move).
  std::unordered_map<std::string_view, typename std::list<Entry>::iterator, Hash> index_;
};

// A bounded least-recently-used map whose entries can be pinned: pinned entries are kept aside
// from the LRU order (never evicted, not counted against the capacity), and the pinned set ends
// as a whole, kept (UnpinAll) or dropped (DropPinned). It is a write-back working set: a writer
// pins the entries it changes while a group of changes is pending, and one lookup finds an entry
// whether it is pending or only cached, so nothing is copied between maps when the group ends.
// Not thread-safe: the owner serialises access.
template <typename V>
class PinningLruCache {
 public:
  struct Entry {
    std::string key;
    V value;
    bool pinned = false;
  };
  using List = std::list<Entry>;

  explicit PinningLruCache(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}
  // Moves keep the list nodes the index's keys view; copies would not.
  PinningLruCache(PinningLruCache&&) = default;
  PinningLruCache& operator=(PinningLruCache&&) = default;
  PinningLruCache(const PinningLruCache&) = delete;
  PinningLruCache& operator=(const PinningLruCache&) = delete;

  // The entry of `key`, or nullptr. An unpinned one becomes the most recently used, or is pinned
  // when `pin` (one lookup for both). An entry stays at its address until it is evicted or
  // dropped, and a pinned one is never evicted.
  Entry* Find(std::string_view key, bool pin = false) {
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    if (!it->second->pinned) {
      if (pin) {
        PinNode(it->second);
      } else {
        lru_.splice(lru_.begin(), lru_, it->second);
      }
    }
    return &*it->second;
  }

  // Adds `key`, which must be absent (callers Find first), pinned or as the most recently used;
  // then evicts the least recently used unpinned entries beyond the capacity.
  Entry* Insert(std::string_view key, V value, bool pinned) {
    List& to = pinned ? pinned_ : lru_;
    auto node = to.insert(pinned ? to.end() : to.begin(),
                          Entry{std::string(key), std::move(value), pinned});
    index_.emplace(node->key, node);
    EvictToCapacity();
    return &*node;
  }

  // Pins `e`, an entry of this cache, until UnpinAll or DropPinned.
  void Pin(Entry* e) {
    if (!e->pinned) PinNode(index_.find(std::string_view(e->key))->second);
  }

  // The pinned entries, in the order they were pinned.
  const List& pinned() const { return pinned_; }
  List& pinned() { return pinned_; }

  // Ends the pinned set: the entries whose value `keep` accepts become the most recently used,
  // the others are removed; then the cache is evicted down to its capacity.
  template <typename Keep>
  void UnpinAll(Keep keep) {
    for (auto it = pinned_.begin(); it != pinned_.end();) {
      it->pinned = false;
      if (keep(it->value)) {
        ++it;
      } else {
        index_.erase(std::string_view(it->key));
        it = pinned_.erase(it);
      }
    }
    lru_.splice(lru_.begin(), pinned_);
    EvictToCapacity();
  }

  // Ends the pinned set by removing every pinned entry.
  void DropPinned() {
    for (const Entry& e : pinned_) index_.erase(std::string_view(e.key));
    pinned_.clear();
  }

  size_t size() const { return index_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  void PinNode(typename List::iterator node) {
    pinned_.splice(pinned_.end(), lru_, node);
    node->pinned = true;
  }

  void EvictToCapacity() {
    while (lru_.size() > capacity_) {
      index_.erase(std::string_view(lru_.back().key));
      lru_.pop_back();
    }
  }

  size_t capacity_;
  List lru_;     // unpinned entries, most recently used first
  List pinned_;  // pinned entries, in pinning order
  // Keys view the strings owned by the lists' entries (list nodes never move, splice included).
  std::unordered_map<std::string_view, typename List::iterator, Hash> index_;
};

}  // namespace crm
