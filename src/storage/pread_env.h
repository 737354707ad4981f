// A LevelDB Env that reads table files with pread(2) instead of mmap(2) and
// runs background compactions at a lower CPU priority (see kBackgroundNice).
//
// LevelDB's default Env maps up to 1000 table files into memory; every page it
// touches then counts in the process's resident memory, so RSS grows with the
// size of the data rather than with what ringkv keeps in memory. Reading with
// pread leaves caching to the kernel's page cache (shared, reclaimable, not
// ours) and to LevelDB's block cache (bounded by leveldb-block-cache-size).
#pragma once

#include <leveldb/env.h>

namespace ringkv::storage {

// Returns a process-wide Env wrapping leveldb::Env::Default(). Never freed.
leveldb::Env* PreadEnv();

}  // namespace ringkv::storage
