// The commit journal's files (Keyspace::Commit explains the journal): an
// append-only log of numbered records kept beside LevelDB, in its own
// directory. Each record is
//   fixed32 payload length, fixed64 seq, fixed64 XXH3-64 of the payload
//   seeded with seq, payload
// appended with one write(2): a crash of the process loses no record whose
// Append returned (the page cache keeps it), and a power loss can tear only
// the newest, which reading drops. Files are named by the seq of their first
// record; RotateAt starts a new file at a record boundary, so whole files are
// deleted once LevelDB durably holds what their records wrote (DeleteBefore).
//
// Keeping the journal out of LevelDB is what makes it cheap: a record in
// LevelDB was written to its log, inserted in a memtable, flushed to a table
// and compacted away with its deletion; here it is written once.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace ringkv::storage {

class JournalFile {
 public:
  // Opens the journal in `dir` (created if missing). Files already there are
  // kept for ReadAll; appends go to a new file.
  static Status Open(const std::string& dir, std::unique_ptr<JournalFile>* journal);
  ~JournalFile();

  JournalFile(const JournalFile&) = delete;
  JournalFile& operator=(const JournalFile&) = delete;

  using Visitor = std::function<Status(uint64_t seq, std::string_view payload)>;
  // Calls visit for every record of the files present at Open, in order,
  // stopping at the first error it returns. A damaged or partial record at
  // the end of the last file is a torn write: reading stops there and
  // *torn_bytes says how many bytes were dropped. Damage anywhere else, or
  // records out of order, is Corruption.
  Status ReadAll(const Visitor& visit, uint64_t* torn_bytes);

  // Appends one record; with `sync`, fdatasyncs it before returning. Seqs
  // must increase. One caller at a time (the engine's writer thread, or the
  // loop while no write is in flight).
  Status Append(uint64_t seq, std::string_view payload, bool sync);
  // Records from `seq` on go to a new file.
  void RotateAt(uint64_t seq);
  // Deletes every file whose records are all below `seq` (the current file
  // too, if so: the next Append starts a new one). Not concurrent with Append.
  void DeleteBefore(uint64_t seq);
  // fdatasync of the current file if anything was appended since the last
  // one (then *synced, if given, is set). Safe from any thread.
  Status Sync(bool* synced = nullptr);

  // Files on disk, for INFO and tests.
  size_t file_count() const;

 private:
  struct File {
    uint64_t first_seq;
    std::string path;
  };
  explicit JournalFile(std::string dir) : dir_(std::move(dir)) {}
  Status OpenNewFile(uint64_t first_seq);  // mu_ held
  void CloseCurrent();                     // mu_ held

  const std::string dir_;
  mutable std::mutex mu_;
  std::vector<File> files_;  // oldest first; the last is current_fd_'s when open
  int current_fd_ = -1;      // -1: the next Append opens a file
  // Bytes of whole records in the current file (it is created empty), where
  // a failed append cuts the file back to; kept here to save Append a seek.
  off_t current_size_ = 0;
  uint64_t rotate_at_ = 0;  // 0: no rotation requested
  uint64_t last_seq_ = 0;   // last record appended to the current file
  std::string header_;      // Append's scratch
  bool dirty_ = false;      // appended since the last fdatasync
};

}  // namespace ringkv::storage
