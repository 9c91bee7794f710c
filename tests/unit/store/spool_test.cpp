// The spool's read side: records come back oldest first, and consuming only a part of what a
// peek returned (the writer committed a prefix before PostgreSQL went away) makes the next peek
// start right after that part — also after a restart. The journal's recovery hands the spool
// only what the writer had not yet committed or spooled.
#include "spool.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "journal.h"
#include "metrics.h"

namespace roomtemp {
namespace {
namespace fs = std::filesystem;

void write_file(const std::string& path, const std::string& text) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr) << path;
  std::fputs(text.c_str(), f);
  std::fclose(f);
}

class SpoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "roomtemp-spool-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  static Inbound reading(int i) {
    Reading r;
    r.ts = 1'700'000'000'000'000 + i;
    r.building = "B1";
    r.room = "101";
    r.metric = "temperature";
    r.value = i;
    r.received_at = r.ts;
    return r;
  }
  static std::vector<double> values(const std::vector<Inbound>& items) {
    std::vector<double> out;
    for (const auto& item : items) out.push_back(std::get<Reading>(item).value);
    return out;
  }

  std::string dir_;
  Metrics metrics_;
};

TEST_F(SpoolTest, ConsumingAPrefixOfAPeekLeavesTheRestForTheNextPeek) {
  Spool spool(dir_, 1 << 20, metrics_);
  spool.open();
  spool.append({reading(0), reading(1), reading(2), reading(3), reading(4)});
  spool.append({reading(5), reading(6)});

  EXPECT_EQ(values(spool.peek(4)), (std::vector<double>{0, 1, 2, 3}));
  spool.consume(2);
  EXPECT_EQ(values(spool.peek(4)), (std::vector<double>{2, 3, 4, 5}));
  spool.consume(0);
  EXPECT_EQ(values(spool.peek(3)), (std::vector<double>{2, 3, 4}));
  spool.consume(3);
  EXPECT_EQ(values(spool.peek(10)), (std::vector<double>{5, 6}));
  spool.consume(10);  // more than the peek returned: all of it
  EXPECT_TRUE(spool.empty());
  EXPECT_TRUE(spool.peek(10).empty());
}

TEST_F(SpoolTest, APartOfAPeekThatReachedTheSegmentsEndKeepsTheSegment) {
  Spool spool(dir_, 1 << 20, metrics_);
  spool.open();
  spool.append({reading(0), reading(1), reading(2)});
  EXPECT_EQ(values(spool.peek(10)), (std::vector<double>{0, 1, 2}));
  spool.consume(1);
  EXPECT_FALSE(spool.empty());
  EXPECT_EQ(values(spool.peek(10)), (std::vector<double>{1, 2}));
  spool.consume();
  EXPECT_TRUE(spool.empty());
}

TEST_F(SpoolTest, ARestartGoesOnWhereTheLastRunStoppedWriting) {
  {
    Spool spool(dir_, 1 << 20, metrics_);
    spool.open();
    spool.append({reading(0), reading(1), reading(2), reading(3), reading(4)});
    EXPECT_EQ(values(spool.peek(3)), (std::vector<double>{0, 1, 2}));
    spool.consume(2);
  }
  {
    Spool spool(dir_, 1 << 20, metrics_);
    spool.open();
    EXPECT_EQ(values(spool.peek(10)), (std::vector<double>{2, 3, 4}));
    spool.consume();
    EXPECT_TRUE(spool.empty());
  }
  // Nothing left behind once everything is written.
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(SpoolTest, APositionForAnotherSegmentIsIgnored) {
  {
    Spool spool(dir_, 1 << 20, metrics_);
    spool.open();
    spool.append({reading(0), reading(1), reading(2)});
    spool.peek(1);
    spool.consume(1);
  }
  // The segment it named is gone (written by hand, say); a new one starts from its beginning.
  for (const auto& e : fs::directory_iterator(dir_))
    if (e.path().extension() == ".spool")
      fs::rename(e.path(), fs::path(dir_) / spool_segment_name(7));
  Spool spool(dir_, 1 << 20, metrics_);
  spool.open();
  EXPECT_EQ(values(spool.peek(10)), (std::vector<double>{0, 1, 2}));
}

// A disk that fills up mid-append (here: RLIMIT_FSIZE) must not leave a torn record that would
// end the segment for the reader, with the retried batch behind it.
TEST_F(SpoolTest, AFailedAppendLeavesNoPartOfItsBatchBehind) {
  Spool spool(dir_, 1 << 20, metrics_);
  spool.open();
  spool.append({reading(0), reading(1)});
  std::vector<Inbound> big;
  for (int i = 2; i < 200; ++i) big.push_back(reading(i));

  rlimit old{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  auto* old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit small = old;
  small.rlim_cur = 4096;  // room for the first batch and part of the second
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  EXPECT_THROW(spool.append(big), std::runtime_error);
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &old), 0);
  std::signal(SIGXFSZ, old_handler);

  spool.append(big);  // the retry, once there is room again
  std::vector<double> expected;
  for (int i = 0; i < 200; ++i) expected.push_back(i);
  std::vector<double> got;
  while (!spool.empty()) {
    const auto part = values(spool.peek(1000));
    got.insert(got.end(), part.begin(), part.end());
    spool.consume();
  }
  EXPECT_EQ(got, expected);
  EXPECT_EQ(metrics_.spool_corrupt_records.load(), 0u);
}

TEST(SpoolFileNames, OnlyExactNamesCount) {
  std::uint64_t seq = 0;
  EXPECT_EQ(spool_segment_name(42), "seg-0000000000000042.spool");
  EXPECT_TRUE(parse_spool_segment_name("seg-0000000000000042.spool", seq));
  EXPECT_EQ(seq, 42u);
  for (const char* other : {"seg-0000000000000042.spool.new", "seg-000000000000042.spool",
                            "seg-00000000000000042.spool", "seg-00000000000000x2.spool",
                            "xseg-0000000000000042.spool", "read-position", ""})
    EXPECT_FALSE(parse_spool_segment_name(other, seq)) << other;
}

class JournalRecoveryTest : public SpoolTest {
 protected:
  std::string journal_dir() const { return dir_ + "/journal"; }
  std::string spool_dir() const { return dir_ + "/spool"; }
  /// A run that journals readings 0, 1, 2 and dies before the writer released any.
  void journal_three_then_crash() {
    Journal journal(journal_dir(), metrics_);
    journal.open();
    for (int i = 0; i < 3; ++i) journal.append(reading(i));
  }
  std::vector<double> recovered() {
    Journal::recover_into_spool(journal_dir(), spool_dir());
    Spool spool(spool_dir(), 1 << 20, metrics_);
    spool.open();
    return values(spool.peek(100));
  }
};

// A crash (the Journal is dropped without close_clean) after the writer released the first two.
TEST_F(JournalRecoveryTest, OnlyWhatWasNotReleasedIsReplayed) {
  {
    Journal journal(journal_dir(), metrics_);
    journal.open();
    for (int i = 0; i < 5; ++i) journal.append(reading(i));
    journal.release(2);
  }
  EXPECT_EQ(recovered(), (std::vector<double>{2, 3, 4}));
  EXPECT_TRUE(fs::is_empty(journal_dir()));
}

TEST_F(JournalRecoveryTest, NothingIsReplayedWhenAllWasReleased) {
  {
    Journal journal(journal_dir(), metrics_);
    journal.open();
    for (int i = 0; i < 3; ++i) journal.append(reading(i));
    journal.release(3);
  }
  EXPECT_TRUE(recovered().empty());
}

TEST_F(JournalRecoveryTest, EverythingIsReplayedWhenNothingWasReleased) {
  journal_three_then_crash();
  EXPECT_EQ(recovered(), (std::vector<double>{0, 1, 2}));
}

// Files an earlier crash may leave between two removals must not apply to the next run's
// files of the same number (both the spool and the journal start again at 1).
TEST_F(JournalRecoveryTest, AStaleJournalCountDoesNotSkipANewRunsRecords) {
  fs::create_directories(journal_dir());
  write_file(journal_dir() + "/released-0000000000000001", "40\n");
  journal_three_then_crash();
  EXPECT_EQ(recovered(), (std::vector<double>{0, 1, 2}));
}

TEST_F(JournalRecoveryTest, AStaleSpoolPositionDoesNotSkipRecoveredRecords) {
  fs::create_directories(spool_dir());
  write_file(spool_dir() + "/read-position", "1 40\n");  // for a seg-1 long gone
  journal_three_then_crash();
  EXPECT_EQ(recovered(), (std::vector<double>{0, 1, 2}));
}

}  // namespace
}  // namespace roomtemp

namespace roomtemp {
namespace {

// Alarm events wait in the spool like readings (README "Alarms and silent sensors"): every field
// comes back, a missing value or last reading stays missing, in order with the readings.
TEST_F(SpoolTest, AlarmEventsComeBackWithEveryFieldInOrderWithReadings) {
  const auto event = [](Micros ts, const char* building, const char* room, const char* metric,
                        const char* alarm, const char* state) {
    AlarmEvent e;
    e.ts = ts;
    e.building = building;
    e.room = room;
    e.metric = metric;
    e.alarm = alarm;
    e.state = state;
    return e;
  };
  AlarmEvent firing = event(1'700'000'000'123'456, "B1", "101", "temperature", "too_hot", "firing");
  firing.value = 28.25;
  firing.threshold = 28;
  firing.window = std::chrono::minutes(15);
  firing.rule = "temperature above 28 clear 27 over 15m for 0 in */*";
  AlarmEvent silent = event(1'700'000'060'000'000, "B.2", "x-1", "humidity", "silent", "silent");
  silent.last_reading = 1'700'000'000'000'001;
  const AlarmEvent unknown =
      event(1'700'000'061'000'000, "B3", "1", "temperature", "silent", "silent");
  {
    Spool spool(dir_, 1u << 30, metrics_);
    spool.open();
    spool.append({reading(1), firing, reading(2), silent, unknown});
  }
  Spool again(dir_, 1u << 30, metrics_);
  again.open();
  const auto items = again.peek(100);
  ASSERT_EQ(items.size(), 5u);
  EXPECT_EQ(std::get<Reading>(items[0]).value, 1);
  EXPECT_EQ(std::get<Reading>(items[2]).value, 2);
  for (const auto& [at, want] :
       {std::pair{1, firing}, std::pair{3, silent}, std::pair{4, unknown}}) {
    const auto* got = std::get_if<AlarmEvent>(&items[static_cast<std::size_t>(at)]);
    ASSERT_NE(got, nullptr) << at;
    EXPECT_EQ(got->ts, want.ts);
    EXPECT_EQ(got->building, want.building);
    EXPECT_EQ(got->room, want.room);
    EXPECT_EQ(got->metric, want.metric);
    EXPECT_EQ(got->alarm, want.alarm);
    EXPECT_EQ(got->state, want.state);
    EXPECT_EQ(got->value, want.value);
    EXPECT_EQ(got->last_reading, want.last_reading);
    EXPECT_EQ(got->threshold, want.threshold);
    EXPECT_EQ(got->window, want.window);
    EXPECT_EQ(got->rule, want.rule);
  }
  // A record cut short or with a flag it cannot have is damage, not an event.
  std::string body = encode_inbound(firing);
  EXPECT_FALSE(decode_inbound(body.substr(0, body.size() - 1)));
  body[1 + 8 + 4 + 2 + 4 + 3 + 4 + 11 + 4 + 7 + 4 + 6] = 8;
  EXPECT_FALSE(decode_inbound(body));
  // A type 4 record, as spools written before events carried their rule hold: read as it was.
  std::string old = encode_inbound(silent);
  ASSERT_EQ(old[0], 5);
  old[0] = 4;
  old.resize(old.size() - 4);  // no rule's definition (an empty one: its length, 0)
  const auto read = decode_inbound(old);
  ASSERT_TRUE(read);
  const auto& old_event = std::get<AlarmEvent>(*read);
  EXPECT_EQ(old_event.last_reading, silent.last_reading);
  EXPECT_EQ(old_event.building, "B.2");
  EXPECT_FALSE(old_event.threshold);
  old[1 + 8 + 4 + 3 + 4 + 3 + 4 + 8 + 4 + 6 + 4 + 6] = 4;  // the rule's flag in a type 4 record
  EXPECT_FALSE(decode_inbound(old));
}

}  // namespace
}  // namespace roomtemp
