#include "storage/journal_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "util/coding.h"

namespace ringkv::storage {
namespace {

constexpr size_t kHeaderBytes = 4 + 8 + 8;
constexpr std::string_view kSuffix = ".rkj";

Status Errno(const std::string& what) {
  return Status::IOError(what + ": " + std::strerror(errno));
}

uint64_t Checksum(uint64_t seq, std::string_view payload) {
  return XXH3_64bits_withSeed(payload.data(), payload.size(), seq);
}

// "<20 digits>.rkj" -> first seq.
bool ParseFileName(const std::string& name, uint64_t* first_seq) {
  if (name.size() != 20 + kSuffix.size() || !name.ends_with(kSuffix)) return false;
  uint64_t seq = 0;
  for (size_t i = 0; i < 20; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
    seq = seq * 10 + static_cast<uint64_t>(name[i] - '0');
  }
  *first_seq = seq;
  return true;
}

std::string FileName(uint64_t first_seq) {
  std::string digits = std::to_string(first_seq);
  return std::string(20 - digits.size(), '0') + digits + std::string(kSuffix);
}

// Makes a file's creation or removal durable.
void SyncDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

Status JournalFile::Open(const std::string& dir, std::unique_ptr<JournalFile>* journal) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create " + dir + ": " + ec.message());
  std::unique_ptr<JournalFile> j(new JournalFile(dir));
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    uint64_t first_seq;
    if (entry.is_regular_file(ec) && ParseFileName(entry.path().filename().string(), &first_seq)) {
      j->files_.push_back({first_seq, entry.path().string()});
    }
  }
  if (ec) return Status::IOError("cannot list " + dir + ": " + ec.message());
  std::sort(j->files_.begin(), j->files_.end(),
            [](const File& a, const File& b) { return a.first_seq < b.first_seq; });
  *journal = std::move(j);
  return Status::OK();
}

JournalFile::~JournalFile() {
  std::lock_guard<std::mutex> lock(mu_);
  CloseCurrent();
}

Status JournalFile::ReadAll(const Visitor& visit, uint64_t* torn_bytes) {
  *torn_bytes = 0;
  std::vector<File> files;
  {
    std::lock_guard<std::mutex> lock(mu_);
    files = files_;
  }
  uint64_t last_seq = 0;
  for (size_t f = 0; f < files.size(); ++f) {
    std::ifstream in(files[f].path, std::ios::binary);
    if (!in) return Status::IOError("cannot read journal file " + files[f].path);
    const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) return Status::IOError("cannot read journal file " + files[f].path);
    const bool last_file = f + 1 == files.size();
    size_t pos = 0;
    while (pos < data.size()) {
      const size_t left = data.size() - pos;
      bool whole = left >= kHeaderBytes;
      uint32_t length = 0;
      uint64_t seq = 0;
      if (whole) {
        length = DecodeFixed32BE(data.data() + pos);
        seq = DecodeFixed64BE(data.data() + pos + 4);
        whole = length <= left - kHeaderBytes &&
                Checksum(seq, std::string_view(data).substr(pos + kHeaderBytes, length)) ==
                    DecodeFixed64BE(data.data() + pos + 12);
      }
      if (!whole) {
        if (!last_file)
          return Status::Corruption("damaged record in journal file " + files[f].path);
        *torn_bytes = left;
        break;
      }
      if (seq <= last_seq)
        return Status::Corruption("journal records out of order in " + files[f].path);
      last_seq = seq;
      Status s = visit(seq, std::string_view(data).substr(pos + kHeaderBytes, length));
      if (!s.ok()) return s;
      pos += kHeaderBytes + length;
    }
  }
  return Status::OK();
}

Status JournalFile::OpenNewFile(uint64_t first_seq) {
  CloseCurrent();
  const std::string path = dir_ + "/" + FileName(first_seq);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot create journal file " + path);
  SyncDir(dir_);
  current_fd_ = fd;
  current_size_ = 0;
  files_.push_back({first_seq, path});
  return Status::OK();
}

void JournalFile::CloseCurrent() {
  if (current_fd_ < 0) return;
  ::close(current_fd_);
  current_fd_ = -1;
}

Status JournalFile::Append(uint64_t seq, std::string_view payload, bool sync) {
  std::lock_guard<std::mutex> lock(mu_);
  if (current_fd_ < 0 || (rotate_at_ != 0 && seq >= rotate_at_)) {
    rotate_at_ = 0;
    Status s = OpenNewFile(seq);
    if (!s.ok()) return s;
  }
  header_.clear();
  PutFixed32BE(&header_, static_cast<uint32_t>(payload.size()));
  PutFixed64BE(&header_, seq);
  PutFixed64BE(&header_, Checksum(seq, payload));
  iovec parts[2] = {{header_.data(), header_.size()},
                    {const_cast<char*>(payload.data()), payload.size()}};
  size_t done = 0;
  const size_t total = header_.size() + payload.size();
  while (done < total) {
    // Skip what was written already (a short write or EINTR).
    iovec rest[2];
    int count = 0;
    size_t skip = done;
    for (const iovec& part : parts) {
      if (skip >= part.iov_len) {
        skip -= part.iov_len;
        continue;
      }
      rest[count++] = {static_cast<char*>(part.iov_base) + skip, part.iov_len - skip};
      skip = 0;
    }
    const ssize_t n = ::writev(current_fd_, rest, count);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Status s = Errno("journal write failed");
      // A partial record in the middle of a file would read as damage: cut
      // it off so the file ends at the last whole record.
      if (::ftruncate(current_fd_, current_size_) != 0) CloseCurrent();
      return s;
    }
    done += static_cast<size_t>(n);
  }
  current_size_ += static_cast<off_t>(total);
  last_seq_ = seq;
  if (sync) {
    if (::fdatasync(current_fd_) != 0) return Errno("journal fdatasync failed");
    dirty_ = false;
  } else {
    dirty_ = true;
  }
  return Status::OK();
}

void JournalFile::RotateAt(uint64_t seq) {
  std::lock_guard<std::mutex> lock(mu_);
  rotate_at_ = seq;
}

void JournalFile::DeleteBefore(uint64_t seq) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t deleted = 0;
  for (size_t i = 0; i < files_.size(); ++i) {
    const bool is_current = i + 1 == files_.size() && current_fd_ >= 0;
    // A file's records end before the next file's first one.
    const bool all_below = i + 1 < files_.size() ? files_[i + 1].first_seq <= seq
                                                 : (is_current ? last_seq_ < seq : true);
    if (!all_below) break;
    if (is_current) CloseCurrent();
    ::unlink(files_[i].path.c_str());
    ++deleted;
  }
  if (deleted == 0) return;
  files_.erase(files_.begin(), files_.begin() + static_cast<ptrdiff_t>(deleted));
  SyncDir(dir_);
}

Status JournalFile::Sync(bool* synced) {
  int fd;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!dirty_ || current_fd_ < 0) return Status::OK();
    dirty_ = false;
    // A duplicate, so the fsync runs without the lock (Append goes on).
    fd = ::dup(current_fd_);
  }
  if (fd < 0) return Errno("journal dup failed");
  const int rc = ::fdatasync(fd);
  const int error = errno;
  ::close(fd);
  errno = error;
  if (rc != 0) return Errno("journal fdatasync failed");
  if (synced != nullptr) *synced = true;
  return Status::OK();
}

size_t JournalFile::file_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return files_.size();
}

}  // namespace ringkv::storage
