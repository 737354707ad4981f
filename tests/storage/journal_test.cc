// The commit journal (Keyspace::Commit): rows reach the journal files first,
// LevelDB later under their own keys; a reopen applies what the journal
// still holds.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>
#include <vector>

#include "storage/keyspace.h"
#include "storage/record.h"
#include "tests/util/temp_dir.h"
#include "util/coding.h"

namespace ringkv::storage {
namespace {

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::UniqueTempDir("ringkv-journal-");
    Open();
  }
  void TearDown() override {
    keyspace_.reset();
    engine_.reset();
    std::filesystem::remove_all(dir_);
  }
  // Drops the keyspace without a checkpoint (as a crash after the last
  // commit would), then opens it again.
  void Open() {
    keyspace_.reset();
    engine_.reset();
    EngineOptions options;
    options.dir = dir_.string();
    options.sync_mode = SyncMode::kNo;
    ASSERT_TRUE(Engine::Open(options, &engine_).ok());
    keyspace_ = std::make_unique<Keyspace>(engine_.get(), 16, 1 << 20);
    open_status_ = keyspace_->Open();
  }
  void Put(std::string_view key, std::string_view value) {
    KeyRecord old, rec;
    const bool existed = keyspace_->Find(0, key, 1000, &old).ok();
    rec.value.assign(value);
    keyspace_->Write(0, key, rec, existed ? &old : nullptr);
  }
  std::string Get(std::string_view key) {
    KeyRecord rec;
    return keyspace_->Find(0, key, 1000, &rec).ok() ? rec.value : "(nil)";
  }
  std::map<std::string, std::string> Fields(std::string_view key) {
    std::map<std::string, std::string> fields;
    keyspace_->ForEachField(0, key, 0,
                            [&](uint64_t, std::string_view field, std::string_view value) {
                              fields[std::string(field)] = std::string(value);
                              return true;
                            });
    return fields;
  }
  // Whether LevelDB holds `key`'s row under its own key.
  bool RowInLevelDb(std::string_view key) {
    std::string value;
    return engine_->Get(MetaKey(0, key), &value).ok();
  }
  // The numbers of the journal records on disk.
  std::vector<uint64_t> JournalOnDisk() {
    std::vector<uint64_t> seqs;
    uint64_t torn = 0;
    Status s = engine_->journal()->ReadAll(
        [&](uint64_t seq, std::string_view) {
          seqs.push_back(seq);
          return Status::OK();
        },
        &torn);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(torn, 0u);
    return seqs;
  }
  size_t JournalRecordsOnDisk() { return JournalOnDisk().size(); }
  // Writes k0..k9 = v1, then with cycles back to back and the materializer
  // paused, tick = 1: that commit starts a cycle whose chunk stays in flight.
  void HoldAChunkOfANewCycle() {
    for (int i = 0; i < 10; ++i) Put("k" + std::to_string(i), "v1");
    ASSERT_TRUE(keyspace_->Commit().ok());
    keyspace_->set_cycle_interval_ms(0);
    engine_->TEST_PauseMaterializer(true);
    Put("tick", "1");
    ASSERT_TRUE(keyspace_->Commit().ok());
    ASSERT_TRUE(keyspace_->chunk_in_flight());
  }
  // Appends raw bytes to the newest journal file.
  void AppendToNewestJournalFile(std::string_view bytes) {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir_ / "journal")) {
      files.push_back(entry.path());
    }
    ASSERT_FALSE(files.empty());
    std::sort(files.begin(), files.end());
    std::ofstream out(files.back(), std::ios::binary | std::ios::app);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }

  std::filesystem::path dir_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Keyspace> keyspace_;
  Status open_status_;
};

TEST_F(JournalTest, CommittedRowsWaitInTheJournalUntilACheckpoint) {
  ASSERT_TRUE(open_status_.ok());
  Put("a", "1");
  Put("b", "2");
  ASSERT_TRUE(keyspace_->Commit().ok());
  EXPECT_FALSE(RowInLevelDb("a"));
  EXPECT_EQ(keyspace_->journal_records(), 1u);
  EXPECT_EQ(JournalRecordsOnDisk(), 1u);
  EXPECT_EQ(keyspace_->pending_rows(), 2u);
  EXPECT_EQ(Get("a"), "1");  // served from the pinned row
  ASSERT_TRUE(keyspace_->Checkpoint().ok());
  EXPECT_TRUE(RowInLevelDb("a"));
  EXPECT_TRUE(RowInLevelDb("b"));
  EXPECT_EQ(keyspace_->pending_rows(), 0u);
  // LevelDB was not fsynced: the journal stays until a cycle or Close.
  EXPECT_EQ(JournalRecordsOnDisk(), 1u);
  ASSERT_TRUE(keyspace_->Close().ok());
  EXPECT_EQ(keyspace_->journal_records(), 0u);
  EXPECT_EQ(JournalRecordsOnDisk(), 0u);
  EXPECT_EQ(engine_->journal()->file_count(), 0u);
  Open();
  ASSERT_TRUE(open_status_.ok());
  EXPECT_EQ(keyspace_->journal_rows_replayed(), 0u);
  EXPECT_EQ(Get("b"), "2");
}

// Within the first second a cycle waits for the journal budget, unless pinned
// rows fill the row cache (1 MiB here): then cycles start at once, and pinned
// rows stay bounded however many are written.
TEST_F(JournalTest, PinnedRowsFillingTheRowCacheStartACycleEarly) {
  ASSERT_TRUE(open_status_.ok());
  Put("small", "1");
  ASSERT_TRUE(keyspace_->Commit().ok());
  ASSERT_TRUE(keyspace_->Commit().ok());
  EXPECT_EQ(keyspace_->materialize_cycles(), 0u);
  EXPECT_EQ(keyspace_->pending_rows(), 1u);

  const std::string value(1000, 'v');
  for (int i = 0; i < 4000; ++i) {
    Put("key:" + std::to_string(i), value);
    if (i % 50 == 49) {
      ASSERT_TRUE(keyspace_->Commit().ok());
    }
    // Three quarters of 1 MiB is about 700 rows of this size; chunks trail
    // the writes.
    ASSERT_LT(keyspace_->pending_rows(), 2000u) << i;
  }
  ASSERT_TRUE(keyspace_->Commit().ok());
  EXPECT_GT(keyspace_->materialize_cycles(), 0u);
  EXPECT_GT(keyspace_->rows_materialized(), 1000u);
  EXPECT_TRUE(RowInLevelDb("key:0"));
  EXPECT_EQ(Get("key:3999"), value);
}

// Rows wait in the journal while the server is busy, and reach LevelDB once
// it is idle: an idle server does not keep its rows pinned until the next burst.
TEST_F(JournalTest, ACycleStartsOnceTheServerIsIdle) {
  ASSERT_TRUE(open_status_.ok());
  keyspace_->set_cycle_triggers({/*min_interval_ms=*/0, /*max_interval_ms=*/int64_t{1} << 40,
                                 /*journal_bytes=*/SIZE_MAX, /*idle_delay_ms=*/200});
  Put("a", "1");
  ASSERT_TRUE(keyspace_->Commit().ok());
  keyspace_->MaterializeStep();  // writes just happened: not idle yet
  EXPECT_EQ(keyspace_->materialize_cycles(), 0u);
  keyspace_->NoteActivity();  // commands (reads) ran: not idle either
  keyspace_->MaterializeStep();
  EXPECT_EQ(keyspace_->materialize_cycles(), 0u);
  EXPECT_FALSE(RowInLevelDb("a"));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (keyspace_->materialize_cycles() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    keyspace_->MaterializeStep();  // what the server's cron does
  }
  ASSERT_TRUE(keyspace_->ReapChunk(/*wait=*/true).ok());
  EXPECT_EQ(keyspace_->materialize_cycles(), 1u);
  EXPECT_TRUE(RowInLevelDb("a"));
  EXPECT_EQ(keyspace_->pending_rows(), 0u);
}

TEST_F(JournalTest, ReopenAppliesTheJournalInOrder) {
  ASSERT_TRUE(open_status_.ok());
  keyspace_->set_cycle_interval_ms(int64_t{1} << 40);  // no cycle: every record stays
  Put("a", "1");
  Put("b", "x");
  ASSERT_TRUE(keyspace_->Commit().ok());
  Put("a", "2");
  KeyRecord old;
  ASSERT_TRUE(keyspace_->Find(0, "b", 1000, &old).ok());
  keyspace_->Remove(0, "b", old);
  ASSERT_TRUE(keyspace_->Commit().ok());
  ASSERT_GE(JournalRecordsOnDisk(), 2u);
  Open();
  ASSERT_TRUE(open_status_.ok()) << open_status_.ToString();
  EXPECT_EQ(Get("a"), "2");
  EXPECT_EQ(Get("b"), "(nil)");
  EXPECT_EQ(keyspace_->journal_rows_replayed(), 2u);  // a and b, each once
  EXPECT_EQ(JournalRecordsOnDisk(), 0u);
  EXPECT_TRUE(RowInLevelDb("a"));
  // The journal numbering goes on after the records it applied.
  Put("c", "3");
  ASSERT_TRUE(keyspace_->Commit().ok());
  Open();
  EXPECT_EQ(Get("a"), "2");
  EXPECT_EQ(Get("c"), "3");
}

TEST_F(JournalTest, ACycleWritesEachRowOnceThenDeletesTheRecordsItCovered) {
  ASSERT_TRUE(open_status_.ok());
  for (int i = 0; i < 100; ++i) Put("k" + std::to_string(i), "v");
  for (int i = 0; i < 100; ++i) Put("k" + std::to_string(i), "w");  // overwrites before commit
  ASSERT_TRUE(keyspace_->Commit().ok());
  ASSERT_EQ(keyspace_->pending_rows(), 100u);
  keyspace_->set_cycle_interval_ms(0);
  // A cycle is due at once; each commit hands the materializer a chunk of it.
  for (int i = 0; i < 20 && keyspace_->materialize_cycles() == 0; ++i) {
    Put("tick", std::to_string(i));
    ASSERT_TRUE(keyspace_->Commit().ok());
    ASSERT_TRUE(keyspace_->chunk_in_flight());
    ASSERT_TRUE(keyspace_->ReapChunk(/*wait=*/true).ok());
  }
  ASSERT_EQ(keyspace_->materialize_cycles(), 1u);
  EXPECT_EQ(keyspace_->rows_materialized(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(RowInLevelDb("k" + std::to_string(i))) << i;
  // The 100 rows' record (the first) is gone with its file; what the ticks
  // wrote is pending for the next cycle, still journaled.
  const std::vector<uint64_t> on_disk = JournalOnDisk();
  ASSERT_FALSE(on_disk.empty());
  EXPECT_GT(on_disk.front(), 1u);
  EXPECT_GE(keyspace_->pending_rows(), 1u);
  EXPECT_EQ(on_disk.size(), keyspace_->journal_records());
  Open();
  EXPECT_EQ(Get("k99"), "w");
  EXPECT_NE(Get("tick"), "(nil)");
}

TEST_F(JournalTest, MaterializeStepAdvancesACycleWithoutWrites) {
  ASSERT_TRUE(open_status_.ok());
  for (int i = 0; i < 10; ++i) Put("k" + std::to_string(i), "v");
  ASSERT_TRUE(keyspace_->Commit().ok());
  EXPECT_FALSE(keyspace_->materialization_due());  // the first cycle waits a second
  keyspace_->set_cycle_interval_ms(0);
  ASSERT_TRUE(keyspace_->materialization_due());
  const uint64_t durable = keyspace_->durable_generation();
  keyspace_->MaterializeStep();
  ASSERT_TRUE(keyspace_->commit_in_flight());
  // Nothing staged is in that commit: no reply may wait for it.
  EXPECT_EQ(keyspace_->write_generation(), durable);
  ASSERT_TRUE(keyspace_->FinishCommit(/*wait=*/true).ok());
  ASSERT_TRUE(keyspace_->ReapChunk(/*wait=*/true).ok());
  EXPECT_EQ(keyspace_->materialize_cycles(), 1u);
  EXPECT_EQ(keyspace_->pending_rows(), 0u);
  EXPECT_EQ(JournalRecordsOnDisk(), 0u);
  EXPECT_TRUE(RowInLevelDb("k9"));
  EXPECT_TRUE(keyspace_->row_cache().pending_count() == 0);
  EXPECT_FALSE(keyspace_->materialization_due());  // nothing left to write
}

TEST_F(JournalTest, ReadingAHashWritesOnlyThatHashsRows) {
  ASSERT_TRUE(open_status_.ok());
  keyspace_->set_cycle_interval_ms(int64_t{1} << 40);  // no cycle
  Put("other", "1");
  for (const char* field : {"a", "b", "c"}) keyspace_->SetField(0, "cart", field, "1");
  ASSERT_TRUE(keyspace_->Commit().ok());
  keyspace_->SetField(0, "cart", "b", "2");  // staged, not committed
  keyspace_->DeleteField(0, "cart", "c");
  std::map<std::string, std::string> fields = Fields("cart");
  EXPECT_EQ(fields, (std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}}));
  // No checkpoint: other rows are still only in the journal.
  EXPECT_FALSE(RowInLevelDb("other"));
  EXPECT_GT(keyspace_->pending_rows(), 0u);
  // The hash's field rows reached their own keys, with their newest values.
  std::string row;
  EXPECT_TRUE(engine_->Get(FieldKey(0, "cart", "b"), &row).ok());
  // A crash: what was committed comes back.
  Open();
  ASSERT_TRUE(open_status_.ok());
  fields = Fields("cart");
  // Reading the hash committed its staged writes first (as Redis would have
  // them applied), so they survive.
  EXPECT_EQ(fields, (std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(Get("other"), "1");
}

TEST_F(JournalTest, CommitsGoOnWhileAChunkIsBeingMaterialized) {
  ASSERT_TRUE(open_status_.ok());
  for (const char* field : {"a", "b"}) keyspace_->SetField(0, "cart", field, "1");
  ASSERT_NO_FATAL_FAILURE(HoldAChunkOfANewCycle());
  // Later commits neither wait for the chunk nor take another.
  for (int i = 0; i < 10; ++i) Put("k" + std::to_string(i), "v2");
  keyspace_->SetField(0, "cart", "a", "2");
  ASSERT_TRUE(keyspace_->Commit().ok());
  Put("tick", "2");
  ASSERT_TRUE(keyspace_->StartCommit());
  ASSERT_TRUE(keyspace_->FinishCommit(/*wait=*/true).ok());
  EXPECT_EQ(keyspace_->durable_generation(), keyspace_->write_generation());
  EXPECT_TRUE(keyspace_->chunk_in_flight());
  EXPECT_EQ(keyspace_->rows_materialized(), 0u);
  EXPECT_EQ(keyspace_->materialize_cycles(), 0u);
  EXPECT_EQ(Get("k3"), "v2");
  engine_->TEST_PauseMaterializer(false);
  // Iterating the hash writes its newest rows after the chunk (which holds
  // older values of them) has landed.
  EXPECT_EQ(Fields("cart"), (std::map<std::string, std::string>{{"a", "2"}, {"b", "1"}}));
  EXPECT_FALSE(keyspace_->chunk_in_flight());
  EXPECT_EQ(keyspace_->materialize_cycles(), 1u);
  EXPECT_GE(keyspace_->rows_materialized(), 12u);
  Open();
  ASSERT_TRUE(open_status_.ok());
  EXPECT_EQ(Get("k3"), "v2");
  EXPECT_EQ(Get("tick"), "2");
  EXPECT_EQ(Fields("cart"), (std::map<std::string, std::string>{{"a", "2"}, {"b", "1"}}));
}

// A commit reaps a finished chunk while it builds its record, and reaping
// gives oversized buffers back: a record over a megabyte must still reach the
// journal whole (it once went out empty, and the reopen failed on it).
TEST_F(JournalTest, ARecordOverAMegabyteSurvivesReapingAChunk) {
  ASSERT_TRUE(open_status_.ok());
  ASSERT_NO_FATAL_FAILURE(HoldAChunkOfANewCycle());
  engine_->TEST_PauseMaterializer(false);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!engine_->MaterializeDone() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  ASSERT_TRUE(engine_->MaterializeDone());
  ASSERT_TRUE(keyspace_->chunk_in_flight());  // done but not yet reaped
  const std::string big(2 << 20, 'x');
  Put("big", big);
  ASSERT_TRUE(keyspace_->StartCommit());
  ASSERT_TRUE(keyspace_->FinishCommit(/*wait=*/true).ok());
  Open();
  ASSERT_TRUE(open_status_.ok()) << open_status_.ToString();
  EXPECT_EQ(Get("big"), big);
  EXPECT_EQ(Get("tick"), "1");
}

// Iterating a hash first writes its rows that are not yet under their own
// key, whatever stage they are in (staged, journaled, in a cycle), each once
// however often it was rewritten; thousands of rewritten fields exercise the
// de-duplicated index of those rows.
TEST_F(JournalTest, IteratingAHashWritesEveryUnmaterializedField) {
  ASSERT_TRUE(open_status_.ok());
  std::map<std::string, std::string> expected;
  auto write_round = [&](int round, int step) {
    for (int i = 0; i < 3000; i += step) {
      const std::string field = "f" + std::to_string(i);
      const std::string value = "v" + std::to_string(round);
      keyspace_->SetField(0, "cart", field, value);
      expected[field] = value;
      if (i % 700 == 0) {
        ASSERT_TRUE(keyspace_->Commit().ok());
      }
    }
  };
  for (int round = 0; round < 4; ++round) write_round(round, round == 0 ? 1 : 3);
  EXPECT_EQ(Fields("cart"), expected);
  write_round(4, 7);  // after the iteration wrote them: listed afresh
  EXPECT_EQ(Fields("cart"), expected);
  Open();
  ASSERT_TRUE(open_status_.ok());
  EXPECT_EQ(Fields("cart"), expected);
}

// A crash while the newest record was being appended (a power loss can tear
// it): the open drops the partial record and applies the rest.
TEST_F(JournalTest, ATornLastRecordIsDropped) {
  ASSERT_TRUE(open_status_.ok());
  Put("a", "1");
  ASSERT_TRUE(keyspace_->Commit().ok());
  Put("a", "2");
  ASSERT_TRUE(keyspace_->Commit().ok());
  AppendToNewestJournalFile(std::string("\0\0\0\x40partial", 11));
  Open();
  ASSERT_TRUE(open_status_.ok()) << open_status_.ToString();
  EXPECT_EQ(Get("a"), "2");
  EXPECT_EQ(engine_->journal()->file_count(), 0u);
}

// The side writes (db map, expiry index) go to LevelDB after the record that
// also holds them, with its number: a crash between the two leaves LevelDB
// without them, and the open applies them from the record; side writes of
// records LevelDB acknowledged are not applied again.
TEST_F(JournalTest, ReplayAppliesOnlySideWritesLevelDbMissed) {
  ASSERT_TRUE(open_status_.ok());
  Put("a", "1");
  ASSERT_TRUE(keyspace_->Commit().ok());
  const uint64_t next = keyspace_->journal_records() + 1;  // nothing deleted yet
  std::string applied;
  ASSERT_TRUE(engine_->Get(kJournalAppliedKey, &applied).ok());
  // LevelDB has record next-1's side writes; a stale one in an old record
  // would undo a later change, a missed one in a new record must land.
  std::string stale, missed;
  PutFixed32BE(&stale, 0);
  AppendJournalRow("Xside", true, "stale", &stale);
  PutFixed32BE(&missed, 0);
  AppendJournalRow("Yside", true, "missed", &missed);
  leveldb::WriteBatch batch;
  batch.Put("Xside", "current");
  std::string marker;
  PutFixed64BE(&marker, next);
  batch.Put(std::string(kJournalAppliedKey), marker);
  ASSERT_TRUE(engine_->Write(&batch).ok());
  ASSERT_TRUE(engine_->journal()->Append(next, stale, false).ok());
  ASSERT_TRUE(engine_->journal()->Append(next + 1, missed, false).ok());
  Open();
  ASSERT_TRUE(open_status_.ok()) << open_status_.ToString();
  std::string value;
  ASSERT_TRUE(engine_->Get("Xside", &value).ok());
  EXPECT_EQ(value, "current");
  ASSERT_TRUE(engine_->Get("Yside", &value).ok());
  EXPECT_EQ(value, "missed");
  EXPECT_EQ(Get("a"), "1");
  // Numbering goes on past both.
  ASSERT_TRUE(engine_->Get(kJournalAppliedKey, &value).ok());
  EXPECT_EQ(DecodeFixed64BE(value.data()), next + 1);
}

// Before the journal files, records were kept inside LevelDB; a data
// directory left that way by a crash still opens with them applied.
TEST_F(JournalTest, RecordsInsideLevelDbFromEarlierVersionsAreApplied) {
  ASSERT_TRUE(open_status_.ok());
  std::string row;
  {
    Put("legacy", "v");
    ASSERT_TRUE(keyspace_->Checkpoint().ok());
    ASSERT_TRUE(engine_->Get(MetaKey(0, "legacy"), &row).ok());
    Put("legacy", "gone");
    ASSERT_TRUE(keyspace_->Close().ok());
  }
  std::string record;
  AppendJournalRow(MetaKey(0, "legacy"), true, row, &record);
  leveldb::WriteBatch batch;
  batch.Put(JournalKey(3), record);
  ASSERT_TRUE(engine_->Write(&batch).ok());
  Open();
  ASSERT_TRUE(open_status_.ok()) << open_status_.ToString();
  EXPECT_EQ(Get("legacy"), "v");
  EXPECT_TRUE(engine_->Get(JournalKey(3), &record).IsNotFound());
}

// Earlier builds could write empty records: they are skipped, and the records
// around them are applied.
TEST_F(JournalTest, AnEmptyRecordIsSkipped) {
  ASSERT_TRUE(open_status_.ok());
  Put("a", "1");
  ASSERT_TRUE(keyspace_->Commit().ok());
  const std::vector<uint64_t> seqs = JournalOnDisk();
  ASSERT_EQ(seqs.size(), 1u);
  ASSERT_TRUE(engine_->journal()->Append(seqs[0] + 1, "", /*sync=*/false).ok());
  Open();
  ASSERT_TRUE(open_status_.ok()) << open_status_.ToString();
  EXPECT_EQ(Get("a"), "1");
  Put("b", "2");
  ASSERT_TRUE(keyspace_->Commit().ok());
  EXPECT_GT(JournalOnDisk().at(0), seqs[0] + 1);  // numbers go on past the empty one
  Open();
  ASSERT_TRUE(open_status_.ok()) << open_status_.ToString();
  EXPECT_EQ(Get("a"), "1");
  EXPECT_EQ(Get("b"), "2");
}

TEST_F(JournalTest, AMalformedRecordFailsTheOpen) {
  ASSERT_TRUE(open_status_.ok());
  leveldb::WriteBatch batch;
  batch.Put(JournalKey(7), std::string("\x05"
                                       "ab",
                                       3));  // key length past the end
  ASSERT_TRUE(engine_->Write(&batch).ok());
  Open();
  EXPECT_TRUE(open_status_.IsCorruption()) << open_status_.ToString();
}

TEST(JournalRecordTest, RowsRoundTrip) {
  std::string record;
  AppendJournalRow("key", true, "value", &record);
  AppendJournalRow("gone", false, "", &record);
  AppendJournalRow(std::string(300, 'k'), true, std::string(70000, 'v'), &record);
  std::string_view in = record, key, value;
  bool present;
  ASSERT_TRUE(NextJournalRow(&in, &key, &present, &value));
  EXPECT_EQ(key, "key");
  EXPECT_TRUE(present);
  EXPECT_EQ(value, "value");
  ASSERT_TRUE(NextJournalRow(&in, &key, &present, &value));
  EXPECT_EQ(key, "gone");
  EXPECT_FALSE(present);
  ASSERT_TRUE(NextJournalRow(&in, &key, &present, &value));
  EXPECT_EQ(key.size(), 300u);
  EXPECT_EQ(value.size(), 70000u);
  EXPECT_TRUE(in.empty());
  std::string_view truncated = std::string_view(record).substr(0, record.size() - 1);
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(NextJournalRow(&truncated, &key, &present, &value));
  EXPECT_FALSE(NextJournalRow(&truncated, &key, &present, &value));
  uint64_t seq;
  EXPECT_TRUE(ParseJournalKey(JournalKey(42), &seq));
  EXPECT_EQ(seq, 42u);
  EXPECT_FALSE(ParseJournalKey(MetaKey(0, "x"), &seq));
}

}  // namespace
}  // namespace ringkv::storage
