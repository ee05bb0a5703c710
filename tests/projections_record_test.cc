// The stored form of a state row (projections/src/record.h, schemas/projections.fbs StateRow):
// every field type round-trips through the packed field list, rows written before it (a table
// per field) still decode, and damaged packed bytes are a corruption error, never a bad read.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <flatbuffers/flatbuffers.h>

#include "crm/schemas/projections_generated.h"
#include "projections/src/record.h"

namespace crm::proj {
namespace {

// An account as a realistic AccountOpened leaves it, plus a few counters and a parent stream.
Record RealisticAccount() {
  Record r = Record::Empty(Kind::kAccount);
  r.version = 7;
  r.touches = 42;
  r.SetText(account::kAccountId, "A000123");
  r.SetText(account::kName, "Innovative Tech Solutions");
  r.SetText(account::kType, "Customer");
  r.SetText(account::kStatus, "Active");
  r.SetText(account::kIndustry, "Information Technology");
  r.SetText(account::kPhone, "555-0321");
  r.SetText(account::kEmail, "info@innovative.example");
  r.SetAddress(account::kBillingAddress, {"1 Main St", "Techville", "TX", "75001", "US"});
  r.SetText(account::kOwner, "darcel.schlecht");
  r.SetNumber(account::kOpenedAt, 1'790'000'000'000'000);
  r.SetNumber(account::kLastActivityAt, 1'790'000'100'000'000);
  r.SetNumber(account::kTotalRevenue, 1'234'567);
  r.SetNumber(account::kWonAmount, -250);  // numbers are signed: zigzag, not a huge varint
  for (uint16_t f : {account::kContacts, account::kOpportunitiesOpen, account::kOpportunitiesWon,
                     account::kOpportunitiesLost, account::kQuotes, account::kOrders,
                     account::kInvoices, account::kTicketsOpen, account::kTicketsTotal}) {
    r.SetNumber(f, 0);
  }
  r.Add(account::kContacts, 3);
  r.AddParent("account-A000001");
  return r;
}

// The same row in the form of projector versions before 5: one FieldValue table per set field.
std::string EncodeAsFieldTables(const Record& r) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<fb::FieldValue>> fields;
  const auto& spec = Spec(r.kind).fields;
  for (size_t i = 0; i < r.values.size(); ++i) {
    const Value& v = r.values[i];
    if (!v.set) continue;
    flatbuffers::Offset<flatbuffers::String> text;
    flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>> parts;
    if (spec[i].type == Type::kString || spec[i].type == Type::kEnum) {
      text = fbb.CreateString(v.text);
    } else if (spec[i].type == Type::kAddress) {
      std::vector<flatbuffers::Offset<flatbuffers::String>> p;
      for (const auto& part : v.address.get()) p.push_back(fbb.CreateString(part));
      parts = fbb.CreateVector(p);
    }
    fields.push_back(fb::CreateFieldValue(fbb, static_cast<uint16_t>(i), v.number, text, parts));
  }
  std::vector<flatbuffers::Offset<flatbuffers::String>> parents;
  for (const auto& p : r.parents) parents.push_back(fbb.CreateString(p));
  fbb.Finish(fb::CreateStateRow(fbb, static_cast<uint8_t>(r.kind), r.version,
                                fbb.CreateVector(fields), fbb.CreateVector(parents), r.touches),
             fb::StateRowIdentifier());
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

// A row whose packed list is exactly `packed` (for damage the encoder never writes).
std::string RowWithPacked(Kind kind, const std::string& packed) {
  flatbuffers::FlatBufferBuilder fbb;
  auto bytes = fbb.CreateVector(reinterpret_cast<const uint8_t*>(packed.data()), packed.size());
  fb::StateRowBuilder b(fbb);
  b.add_kind(static_cast<uint8_t>(kind));
  b.add_version(1);
  b.add_packed(bytes);
  fbb.Finish(b.Finish(), fb::StateRowIdentifier());
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

TEST(StateRowTest, EveryFieldTypeRoundTrips) {
  const Record r = RealisticAccount();
  auto back = DecodeRecord(EncodeRecord(r));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->kind, r.kind);
  EXPECT_EQ(back->version, 7u);
  EXPECT_EQ(back->touches, 42u);
  EXPECT_EQ(back->values, r.values);
  EXPECT_EQ(back->parents, r.parents);
  EXPECT_EQ(back->num(account::kWonAmount), -250);
  EXPECT_EQ(back->num(account::kOpenedAt), 1'790'000'000'000'000);
  EXPECT_EQ(back->at(account::kBillingAddress).address.get()[1], "Techville");
  EXPECT_TRUE(back->at(account::kTicketsOpen).set);  // a counter at 0 is set, not absent
  EXPECT_FALSE(back->at(account::kWebsite).set);
}

TEST(StateRowTest, EveryKindWithEveryFieldSetRoundTrips) {
  for (size_t k = 0; k < kKindCount; ++k) {
    Record r = Record::Empty(static_cast<Kind>(k));
    r.version = 1;
    const auto& spec = Spec(r.kind).fields;
    for (uint16_t i = 0; i < spec.size(); ++i) {
      switch (spec[i].type) {
        case Type::kString:
        case Type::kEnum: r.SetText(i, std::string(300, static_cast<char>('a' + i % 26))); break;
        case Type::kAddress: r.SetAddress(i, {"s", "", "st\xC3\xA4te", "0", "country"}); break;
        default: r.SetNumber(i, i % 2 ? INT64_MIN + i : INT64_MAX - i); break;
      }
    }
    auto back = DecodeRecord(EncodeRecord(r));
    ASSERT_TRUE(back.ok()) << Spec(r.kind).name << ": " << back.status().ToString();
    EXPECT_EQ(back->values, r.values) << Spec(r.kind).name;
  }
}

TEST(StateRowTest, PackedRowsAreLessThanHalfTheFieldTableRows) {
  const Record r = RealisticAccount();
  const std::string packed = EncodeRecord(r);
  const std::string tables = EncodeAsFieldTables(r);
  EXPECT_LT(packed.size() * 2, tables.size()) << packed.size() << " vs " << tables.size();
}

TEST(StateRowTest, RowsOfEarlierProjectorVersionsStillDecode) {
  const Record r = RealisticAccount();
  auto back = DecodeRecord(EncodeAsFieldTables(r));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->values, r.values);
  EXPECT_EQ(back->parents, r.parents);
}

TEST(StateRowTest, DamagedPackedListsAreCorruptionNotBadReads) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"truncated varint", "\x80"},
      {"a string longer than the row", std::string("\x01\x7f", 2) + "abc"},
      {"an index past the kind's table", "\x7f\x00"},
      {"indexes out of order", std::string("\x02\x01x\x01\x01y", 6)},
      {"an index repeated", std::string("\x01\x01x\x01\x01y", 6)},
      {"an address with parts missing", std::string("\x08\x01x\x01y", 5)},
      {"a varint longer than 64 bits", std::string(11, '\xff')},
  };
  for (const auto& [what, packed] : cases) {
    auto row = DecodeRecord(RowWithPacked(Kind::kAccount, packed));
    ASSERT_FALSE(row.ok()) << what;
    EXPECT_EQ(row.status().code(), Code::kCorruption) << what;
  }
  // And the well-formed neighbour of the first cases decodes.
  auto ok = DecodeRecord(RowWithPacked(Kind::kAccount, std::string("\x01\x03" "abc", 5)));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->str(account::kName), "abc");
}

TEST(StateRowTest, EveryTruncationOfARowIsRejectedOrDecodesCleanly) {
  const std::string row = EncodeRecord(RealisticAccount());
  for (size_t n = 0; n < row.size(); ++n) {
    auto r = DecodeRecord(std::string_view(row.data(), n));  // must not crash or over-read (ASan)
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), Code::kCorruption) << n;
    }
  }
}

}  // namespace
}  // namespace crm::proj
