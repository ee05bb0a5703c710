// `replay --verify`: the live projections against a rebuild folded aside from the same events.
#include <openssl/evp.h>

#include <map>
#include <memory>

#include "crm/replay.h"

namespace crm {
namespace {

std::string FamilyOf(std::string_view key) {
  switch (key.empty() ? '\0' : key[0]) {
    case 's': return "state";
    case 'x': return "lists";
    case 'h': return "history";
    case 'p': return "snapshots";
    default: return "other";
  }
}

std::string Printable(std::string_view key) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : key) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out.append("\\x").push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// SHA-256 over length-prefixed (key, value) pairs, per family.
class Digests {
 public:
  void Add(std::string_view key, std::string_view value) {
    State& s = families_[FamilyOf(key)];
    if (!s.ctx) {
      s.ctx.reset(EVP_MD_CTX_new());
      EVP_DigestInit_ex(s.ctx.get(), EVP_sha256(), nullptr);
    }
    for (std::string_view part : {key, value}) {
      const uint64_t n = part.size();
      EVP_DigestUpdate(s.ctx.get(), &n, sizeof n);
      EVP_DigestUpdate(s.ctx.get(), part.data(), part.size());
    }
    ++s.rows;
  }
  // Family -> (rows, hex digest).
  std::map<std::string, std::pair<uint64_t, std::string>> Finish() {
    std::map<std::string, std::pair<uint64_t, std::string>> out;
    for (auto& [name, s] : families_) {
      unsigned char md[EVP_MAX_MD_SIZE];
      unsigned int len = 0;
      EVP_DigestFinal_ex(s.ctx.get(), md, &len);
      static constexpr char kHex[] = "0123456789abcdef";
      std::string hex;
      for (unsigned i = 0; i < len; ++i) {
        hex.push_back(kHex[md[i] >> 4]);
        hex.push_back(kHex[md[i] & 15]);
      }
      out[name] = {s.rows, hex};
    }
    return out;
  }

 private:
  struct CtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  struct State {
    std::unique_ptr<EVP_MD_CTX, CtxFree> ctx;
    uint64_t rows = 0;
  };
  std::map<std::string, State> families_;
};

Result<std::map<std::string, std::pair<uint64_t, std::string>>> Digest(ProjectionReader& r) {
  Digests d;
  CRM_RETURN_IF_ERROR(r.Scan("", "", [&](std::string_view k, std::string_view v) {
    d.Add(k, v);
    return true;
  }));
  return d.Finish();
}

// The first key of `a` (in key order) that `b` lacks or holds another value for.
Result<std::optional<std::string>> FirstDifference(ProjectionReader& a, ProjectionReader& b,
                                                   bool* missing) {
  std::optional<std::string> first;
  Status error;
  CRM_RETURN_IF_ERROR(a.Scan("", "", [&](std::string_view k, std::string_view v) {
    auto other = b.Get(k);
    if (!other.ok()) {
      error = other.status();
      return false;
    }
    if (!other->has_value() || **other != v) {
      first = std::string(k);
      *missing = !other->has_value();
      return false;
    }
    return true;
  }));
  if (!error.ok()) return error;
  return first;
}

}  // namespace

Result<ProjectionComparison> CompareProjections(EventStore& store,
                                                const EventStore::Progress& progress) {
  auto live = store.ReadProjections();
  if (!live.ok()) return live.status();
  ProjectionComparison out;
  out.position = live->checkpoint;
  std::unique_ptr<EventStore::ProjectionSet> rebuilt;
  if (out.position > 0) {
    auto set = store.BuildProjectionsAside(MakeCrmProjector(), out.position, progress);
    if (!set.ok()) return set.status();
    rebuilt = std::move(set).value();
  }
  auto live_digests = Digest(*live->reader);
  if (!live_digests.ok()) return live_digests.status();
  std::map<std::string, std::pair<uint64_t, std::string>> rebuilt_digests;
  if (rebuilt) {
    auto d = Digest(rebuilt->reader());
    if (!d.ok()) return d.status();
    rebuilt_digests = std::move(d).value();
  }
  bool differ = false;
  for (const char* name : {"state", "lists", "history", "snapshots", "other"}) {
    ProjectionComparison::Family f;
    f.name = name;
    if (auto it = live_digests->find(name); it != live_digests->end()) {
      std::tie(f.live_rows, f.live_digest) = it->second;
    }
    if (auto it = rebuilt_digests.find(name); it != rebuilt_digests.end()) {
      std::tie(f.rebuilt_rows, f.rebuilt_digest) = it->second;
    }
    if (f.name == "other" && f.live_rows == 0 && f.rebuilt_rows == 0) continue;
    differ = differ || !f.equal();
    out.families.push_back(std::move(f));
  }
  if (!differ) return out;

  // Which key: the smallest of "first live key the rebuild lacks or disagrees on" and "first
  // rebuilt key the live projections lack".
  class Empty final : public ProjectionReader {
   public:
    Result<std::optional<std::string>> Get(std::string_view) override {
      return std::optional<std::string>();
    }
    Status Scan(std::string_view, std::string_view,
                const std::function<bool(std::string_view, std::string_view)>&) override {
      return Status::Ok();
    }
  } empty;
  ProjectionReader& other = rebuilt ? rebuilt->reader() : empty;
  bool live_missing_in_rebuilt = false, rebuilt_missing_in_live = false;
  auto a = FirstDifference(*live->reader, other, &live_missing_in_rebuilt);
  if (!a.ok()) return a.status();
  auto b = FirstDifference(other, *live->reader, &rebuilt_missing_in_live);
  if (!b.ok()) return b.status();
  std::string key;
  if (*a && (!*b || **a <= **b)) {
    key = **a;
    out.first_problem = live_missing_in_rebuilt ? "present in the live projections only, not in "
                                                  "a rebuild from the log"
                                                : "values differ";
  } else if (*b) {
    key = **b;
    out.first_problem = "missing from the live projections";
  } else {
    key = "?";
    out.first_problem = "digests differ";
  }
  out.first_family = FamilyOf(key);
  out.first_key = Printable(key);
  return out;
}

}  // namespace crm
