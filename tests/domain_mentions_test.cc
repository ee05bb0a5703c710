// @-mentions in note texts (domain/src/mentions.h ExtractMentions): what AccountNoteAdded v2
// stores in `mentions`, and what the v1 -> v2 upcaster derives from old notes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "domain/src/mentions.h"

namespace crm::domain {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(ExtractMentionsTest, PunctuationEndsAMention) {
  EXPECT_THAT(ExtractMentions("@sam, please call"), ElementsAre("sam"));
  EXPECT_THAT(ExtractMentions("Ask @sam."), ElementsAre("sam"));
  EXPECT_THAT(ExtractMentions("Ask @sam-"), ElementsAre("sam"));
  EXPECT_THAT(ExtractMentions("(@anna)"), ElementsAre("anna"));
  // '.', '-' and '_' inside an id belong to it; only a trailing '.' or '-' is cut.
  EXPECT_THAT(ExtractMentions("cc @j.doe-x_1... ok"), ElementsAre("j.doe-x_1"));
}

TEST(ExtractMentionsTest, AnEmailAddressIsNoMention) {
  EXPECT_THAT(ExtractMentions("ops@acme.example"), IsEmpty());
  EXPECT_THAT(ExtractMentions("mail ops@acme.example or @moses"), ElementsAre("moses"));
}

TEST(ExtractMentionsTest, EachIdOnceInOrderOfFirstAppearance) {
  EXPECT_THAT(ExtractMentions("@sam and @moses, then @sam again and @moses."),
              ElementsAre("sam", "moses"));
  EXPECT_THAT(ExtractMentions("Called @sam about the renewal; @moses joins the next call"),
              ElementsAre("sam", "moses"));
}

TEST(ExtractMentionsTest, NothingToMention) {
  EXPECT_THAT(ExtractMentions(""), IsEmpty());
  EXPECT_THAT(ExtractMentions("@"), IsEmpty());
  EXPECT_THAT(ExtractMentions("@ sam"), IsEmpty());
  EXPECT_THAT(ExtractMentions("@."), IsEmpty());
  EXPECT_THAT(ExtractMentions("No mentions in this one"), IsEmpty());
}

// mentions.h documents: "A mention is '@' at the start of the text or after a character that
// cannot be part of an id". '@' cannot be part of an id ([A-Za-z0-9_.-]), so in "@@x" the second
// '@' starts a mention of "x".
TEST(ExtractMentionsTest, DoubleAtAsDocumented) {
  EXPECT_THAT(ExtractMentions("@@x"), ElementsAre("x"))
      << "mentions.h says a mention is '@' after any character that cannot be part of an id; "
         "'@' is such a character";
}

}  // namespace
}  // namespace crm::domain
