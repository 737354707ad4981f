// JournalFile: records round-trip across files, a torn tail is dropped while
// damage elsewhere is refused, and whole files are deleted by record number.
#include "storage/journal_file.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "tests/util/temp_dir.h"

namespace ringkv::storage {
namespace {

class JournalFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::UniqueTempDir("ringkv-journal-file-");
    Reopen();
  }
  void TearDown() override {
    journal_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    journal_.reset();
    ASSERT_TRUE(JournalFile::Open(dir_.string(), &journal_).ok());
  }
  // Every record as (seq, payload); *status gets ReadAll's result.
  std::vector<std::pair<uint64_t, std::string>> ReadAll(Status* status, uint64_t* torn) {
    std::vector<std::pair<uint64_t, std::string>> records;
    *status = journal_->ReadAll(
        [&](uint64_t seq, std::string_view payload) {
          records.emplace_back(seq, std::string(payload));
          return Status::OK();
        },
        torn);
    return records;
  }
  // Reopens the journal and reads every record, expecting a clean read with
  // no torn tail.
  std::vector<std::pair<uint64_t, std::string>> ReopenAndReadWhole() {
    Reopen();
    Status s;
    uint64_t torn = 99;
    auto records = ReadAll(&s, &torn);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(torn, 0u);
    return records;
  }
  std::vector<std::filesystem::path> Files() {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
      files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    return files;
  }

  std::filesystem::path dir_;
  std::unique_ptr<JournalFile> journal_;
};

TEST_F(JournalFileTest, RecordsRoundTripAcrossRotatedFiles) {
  ASSERT_TRUE(journal_->Append(1, "one", false).ok());
  ASSERT_TRUE(journal_->Append(2, std::string(100000, 'x'), true).ok());
  journal_->RotateAt(4);
  ASSERT_TRUE(journal_->Append(3, "", false).ok());  // still below the rotation
  ASSERT_TRUE(journal_->Append(4, "four", false).ok());
  EXPECT_EQ(journal_->file_count(), 2u);
  EXPECT_EQ(Files().size(), 2u);
  auto records = ReopenAndReadWhole();
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0], std::make_pair(uint64_t{1}, std::string("one")));
  EXPECT_EQ(records[1].second.size(), 100000u);
  EXPECT_EQ(records[2], std::make_pair(uint64_t{3}, std::string()));
  EXPECT_EQ(records[3], std::make_pair(uint64_t{4}, std::string("four")));
}

TEST_F(JournalFileTest, DeleteBeforeRemovesOnlyFilesWhollyBelow) {
  ASSERT_TRUE(journal_->Append(1, "a", false).ok());
  ASSERT_TRUE(journal_->Append(2, "b", false).ok());
  journal_->RotateAt(3);
  ASSERT_TRUE(journal_->Append(3, "c", false).ok());
  journal_->DeleteBefore(3);  // the first file holds 1 and 2
  EXPECT_EQ(journal_->file_count(), 1u);
  journal_->DeleteBefore(3);  // the current file holds 3: kept
  EXPECT_EQ(journal_->file_count(), 1u);
  journal_->DeleteBefore(4);  // now it goes, and the next append starts a file
  EXPECT_EQ(journal_->file_count(), 0u);
  EXPECT_TRUE(Files().empty());
  ASSERT_TRUE(journal_->Append(5, "e", false).ok());
  Reopen();
  Status s;
  uint64_t torn;
  auto records = ReadAll(&s, &torn);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].first, 5u);
}

TEST_F(JournalFileTest, ATornTailIsDroppedAndReported) {
  ASSERT_TRUE(journal_->Append(1, "whole", false).ok());
  ASSERT_TRUE(journal_->Append(2, "cut short", false).ok());
  const auto file = Files().back();
  std::filesystem::resize_file(file, std::filesystem::file_size(file) - 3);
  Reopen();
  Status s;
  uint64_t torn = 0;
  auto records = ReadAll(&s, &torn);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].second, "whole");
  EXPECT_EQ(torn, 20u + 9u - 3u);
}

TEST_F(JournalFileTest, AFailedAppendLeavesNoPartOfItsRecord) {
  ASSERT_TRUE(journal_->Append(1, "first file", false).ok());
  journal_->RotateAt(2);
  ASSERT_TRUE(journal_->Append(2, "whole", false).ok());
  const auto file = Files().back();
  const auto size = std::filesystem::file_size(file);
  // The file may grow by only 100 more bytes: the next record is written in
  // part, then the write fails (EFBIG, with SIGXFSZ ignored).
  rlimit saved;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  const auto old_handler = signal(SIGXFSZ, SIG_IGN);
  rlimit limited = saved;
  limited.rlim_cur = static_cast<rlim_t>(size + 100);
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &limited), 0);
  const Status failed = journal_->Append(3, std::string(1000, 'x'), false);
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &saved), 0);
  signal(SIGXFSZ, old_handler);
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(std::filesystem::file_size(file), size);
  ASSERT_TRUE(journal_->Append(4, "after", false).ok());
  auto records = ReopenAndReadWhole();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[1], std::make_pair(uint64_t{2}, std::string("whole")));
  EXPECT_EQ(records[2], std::make_pair(uint64_t{4}, std::string("after")));
}

TEST_F(JournalFileTest, DamageBeforeTheLastFileIsCorruption) {
  ASSERT_TRUE(journal_->Append(1, "first file", false).ok());
  journal_->RotateAt(2);
  ASSERT_TRUE(journal_->Append(2, "second file", false).ok());
  {
    std::fstream f(Files().front(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-2, std::ios::end);
    f.put('#');  // a flipped payload byte: the checksum no longer matches
  }
  Reopen();
  Status s;
  uint64_t torn;
  auto records = ReadAll(&s, &torn);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

TEST_F(JournalFileTest, AFlippedByteInTheLastRecordEndsTheRead) {
  ASSERT_TRUE(journal_->Append(7, "intact", false).ok());
  ASSERT_TRUE(journal_->Append(8, "flipped", false).ok());
  {
    std::fstream f(Files().back(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-1, std::ios::end);
    f.put('#');
  }
  Reopen();
  Status s;
  uint64_t torn = 0;
  auto records = ReadAll(&s, &torn);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].first, 7u);
  EXPECT_EQ(torn, 20u + 7u);
}

TEST_F(JournalFileTest, SyncReportsWhetherThereWasAnythingToSync) {
  bool synced = false;
  ASSERT_TRUE(journal_->Sync(&synced).ok());
  EXPECT_FALSE(synced);
  ASSERT_TRUE(journal_->Append(1, "x", false).ok());
  ASSERT_TRUE(journal_->Sync(&synced).ok());
  EXPECT_TRUE(synced);
  synced = false;
  ASSERT_TRUE(journal_->Sync(&synced).ok());
  EXPECT_FALSE(synced);
  ASSERT_TRUE(journal_->Append(2, "y", true).ok());  // fsynced already
  ASSERT_TRUE(journal_->Sync(&synced).ok());
  EXPECT_FALSE(synced);
}

}  // namespace
}  // namespace ringkv::storage
