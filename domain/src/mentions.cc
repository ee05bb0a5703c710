#include "domain/src/mentions.h"

#include <algorithm>

namespace crm::domain {
namespace {

bool IdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

}  // namespace

std::vector<std::string> ExtractMentions(std::string_view text) {
  std::vector<std::string> out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '@' || (i > 0 && IdChar(text[i - 1]))) continue;
    size_t j = i + 1;
    while (j < text.size() && IdChar(text[j])) ++j;
    std::string_view id = text.substr(i + 1, j - i - 1);
    while (!id.empty() && (id.back() == '.' || id.back() == '-')) id.remove_suffix(1);
    if (!id.empty() && std::find(out.begin(), out.end(), id) == out.end()) out.emplace_back(id);
    i = j - 1;
  }
  return out;
}

}  // namespace crm::domain
