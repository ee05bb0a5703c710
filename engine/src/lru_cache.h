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

}  // namespace crm
