// @-mentions in free text: "Called @sam about it" mentions the user id "sam".
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace crm::domain {

// The user ids mentioned in `text`, in order of first appearance, each once. A mention is '@'
// at the start of the text or after a character that cannot be part of an id (so an e-mail
// address is no mention), followed by one or more of [A-Za-z0-9_.-]; a trailing '.' or '-'
// (end of a sentence) is not part of it.
std::vector<std::string> ExtractMentions(std::string_view text);

}  // namespace crm::domain
