#include "domain_test_util.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <set>

namespace crm::test {

std::string JsonString(std::string_view s) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  return std::string(buf.GetString(), buf.GetSize());
}

Cmd::Cmd(std::string_view type) : body_("{\"type\":" + JsonString(type)) {}

Cmd& Cmd::S(std::string_view key, std::string_view value) {
  return Raw(key, JsonString(value));
}

Cmd& Cmd::Raw(std::string_view key, std::string_view json) {
  body_ += ",";
  body_ += JsonString(key);
  body_ += ":";
  body_ += json;
  return *this;
}

namespace {

std::set<std::string> Keys(const rapidjson::Value& v) {
  std::set<std::string> keys;
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) keys.insert(it->name.GetString());
  return keys;
}

}  // namespace

Outcome ParseOutcome(const std::string& line) {
  Outcome o;
  o.line = line;
  rapidjson::Document d;
  d.Parse(line.c_str(), line.size());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("ok") || !d["ok"].IsBool()) {
    ADD_FAILURE() << "not a result line: " << line;
    o.code = "MALFORMED";
    return o;
  }
  o.ok = d["ok"].GetBool();
  if (!o.ok) {
    EXPECT_EQ(Keys(d), (std::set<std::string>{"ok", "error"})) << line;
    if (!d.HasMember("error") || !d["error"].IsObject()) {
      ADD_FAILURE() << "no error object: " << line;
      o.code = "MALFORMED";
      return o;
    }
    const auto& e = d["error"];
    EXPECT_EQ(Keys(e), (std::set<std::string>{"code", "message"})) << line;
    if (e.HasMember("code") && e["code"].IsString()) o.code = e["code"].GetString();
    if (e.HasMember("message") && e["message"].IsString()) o.message = e["message"].GetString();
    EXPECT_FALSE(o.message.empty()) << "an error needs a message a person can act on: " << line;
    return o;
  }
  o.code = "OK";
  std::set<std::string> keys = Keys(d);
  o.has_position = keys.count("position") != 0;
  keys.erase("position");
  EXPECT_EQ(keys, (std::set<std::string>{"ok", "stream", "version", "events"})) << line;
  if (o.has_position) {
    EXPECT_TRUE(d["position"].IsUint64()) << line;
    if (d["position"].IsUint64()) o.position = d["position"].GetUint64();
  }
  if (d.HasMember("stream") && d["stream"].IsString()) o.stream = d["stream"].GetString();
  if (d.HasMember("version") && d["version"].IsUint64()) o.version = d["version"].GetUint64();
  if (d.HasMember("events") && d["events"].IsArray()) {
    for (const auto& e : d["events"].GetArray()) {
      EXPECT_TRUE(e.IsString()) << line;
      if (e.IsString()) o.events.emplace_back(e.GetString());
    }
  } else {
    ADD_FAILURE() << "no events array: " << line;
  }
  return o;
}

EventInfo Info(const RecordedEvent& e) {
  EventView v = e.view();
  EventInfo i;
  i.position = v.position;
  i.stream = std::string(v.stream());
  i.version = v.version();
  i.type = std::string(v.type_name());
  i.actor = S(v.envelope->actor());
  i.command_id = S(v.envelope->command_id());
  return i;
}

std::vector<std::string> TypesOf(const std::vector<RecordedEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.emplace_back(e.view().type_name());
  return out;
}

void DomainTest::SetUp() {
  ASSERT_NO_FATAL_FAILURE(OpenStore(dir_.Sub("db"), FastOptions(), &store_));
  ASSERT_OK_AND_ASSIGN(bool created, EnsureAdminUser(*store_));
  ASSERT_TRUE(created);
  exec_ = std::make_unique<CommandExecutor>(store_.get());
}

Outcome DomainTest::Run(CommandExecutor& executor, const std::string& line) {
  ExecResult r = executor.Execute(line);
  Outcome o = ParseOutcome(r.line);
  EXPECT_EQ(r.ok, o.ok) << r.line;
  return o;
}

Outcome DomainTest::Ok(const std::string& line) {
  Outcome o = Run(line);
  EXPECT_TRUE(o.ok) << line << "\n  -> " << o.line;
  return o;
}

Outcome DomainTest::Rejected(const std::string& line, std::string_view code) {
  const uint64_t before = Last();
  Outcome o = Run(line);
  EXPECT_EQ(o.code, code) << line << "\n  -> " << o.line;
  EXPECT_EQ(Last(), before) << "a rejected command appended: " << line;
  return o;
}

namespace {

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

std::vector<RecordedEvent> DomainTest::ExpectAppendedInAnyOrder(const Outcome& r,
                                                                std::vector<std::string> types) {
  EXPECT_EQ(Sorted(r.events), Sorted(types)) << r.line;
  return ExpectAppended(r, r.events);
}

std::vector<RecordedEvent> DomainTest::ExpectAppended(const Outcome& r,
                                                      std::vector<std::string> types) {
  EXPECT_TRUE(r.ok) << r.line;
  EXPECT_TRUE(r.has_position) << r.line;
  EXPECT_EQ(r.events, types) << r.line;
  EXPECT_EQ(r.position, Last()) << "the result names the last event appended: " << r.line;
  if (!r.ok || types.empty() || r.position < types.size()) return {};
  std::vector<RecordedEvent> events = Log(r.position - types.size() + 1);
  EXPECT_EQ(TypesOf(events), r.events) << "the result lists the events in log order: " << r.line;
  EXPECT_EQ(Sorted(TypesOf(events)), Sorted(types)) << r.line;
  if (events.size() != types.size()) return events;
  const EventInfo last = Info(events.back());
  EXPECT_EQ(last.stream, r.stream) << r.line;
  EXPECT_EQ(last.version, r.version) << r.line;
  const std::string command_id = Info(events.front()).command_id;
  EXPECT_FALSE(command_id.empty());
  for (const auto& e : events) {
    EXPECT_EQ(Info(e).command_id, command_id) << "one command, one command_id: " << r.line;
  }
  if (!events.empty()) {
    const EventInfo first = Info(events.front());
    EXPECT_NE(Info(Log(first.position - 1).front()).command_id, command_id)
        << "the event before belongs to another command";
  }
  return events;
}

std::vector<RecordedEvent> DomainTest::Log(uint64_t from) {
  auto events = Drain(store_->ReadLog(from));
  EXPECT_TRUE(events.ok()) << events.status().ToString();
  return events.ok() ? std::move(events).value() : std::vector<RecordedEvent>{};
}

std::vector<RecordedEvent> DomainTest::Stream(std::string_view stream) {
  auto events = Drain(store_->ReadStream(stream, 1, Direction::kForward));
  EXPECT_TRUE(events.ok()) << events.status().ToString();
  return events.ok() ? std::move(events).value() : std::vector<RecordedEvent>{};
}

uint64_t DomainTest::StreamVersion(std::string_view stream) {
  auto v = store_->StreamVersion(stream);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return v.ok() ? *v : 0;
}

std::vector<std::string> DomainTest::Links(std::string_view from) {
  auto links = store_->Links(from);
  EXPECT_TRUE(links.ok()) << links.status().ToString();
  return links.ok() ? std::move(links).value() : std::vector<std::string>{};
}

void DomainTest::AddUser(const std::string& id, const std::string& role) {
  Ok(Cmd("CreateUser").S("user_id", id).S("name", "User " + id).S("role", role));
}

void DomainTest::SetStrict(bool strict) {
  Outcome o = Run(Cmd("SetSetting").S("key", "rules.strict").S("value", strict ? "true" : "false"));
  EXPECT_TRUE(o.ok) << o.line;
}

}  // namespace crm::test
