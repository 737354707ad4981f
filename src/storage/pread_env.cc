#include "storage/pread_env.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

namespace ringkv::storage {

namespace {

class PreadFile final : public leveldb::RandomAccessFile {
 public:
  PreadFile(std::string name, int fd) : name_(std::move(name)), fd_(fd) {}
  ~PreadFile() override { ::close(fd_); }

  leveldb::Status Read(uint64_t offset, size_t n, leveldb::Slice* result,
                       char* scratch) const override {
    size_t done = 0;
    while (done < n) {
      const ssize_t r = ::pread(fd_, scratch + done, n - done, static_cast<off_t>(offset + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        *result = leveldb::Slice(scratch, 0);
        return leveldb::Status::IOError(name_, std::strerror(errno));
      }
      if (r == 0) break;  // end of file: a short read, as LevelDB expects
      done += static_cast<size_t>(r);
    }
    *result = leveldb::Slice(scratch, done);
    return leveldb::Status::OK();
  }

 private:
  const std::string name_;
  const int fd_;
};

// Nice value of LevelDB's background (compaction) thread. Compaction only has
// to keep up on average, while every moment the event loop waits for a core
// is latency for clients: on a machine with fewer cores than busy threads
// the scheduler should run the loop first and compaction in the gaps. If
// compaction falls behind, LevelDB's own level-0 limits slow the writer down,
// which holds replies back: backpressure, not unbounded debt.
constexpr int kBackgroundNice = 10;

struct BackgroundJob {
  void (*function)(void*);
  void* arg;
};

void RunBackgroundJob(void* job_ptr) {
  std::unique_ptr<BackgroundJob> job(static_cast<BackgroundJob*>(job_ptr));
  // Raising one's own nice value needs no privilege; failing leaves it as it was.
  static thread_local bool lowered = false;
  if (!lowered) {
    ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), kBackgroundNice);
    pthread_setname_np(pthread_self(), "ringkv-compact");
    lowered = true;
  }
  job->function(job->arg);
}

class PreadEnvImpl final : public leveldb::EnvWrapper {
 public:
  PreadEnvImpl() : EnvWrapper(leveldb::Env::Default()) {}

  void Schedule(void (*function)(void*), void* arg) override {
    target()->Schedule(&RunBackgroundJob, new BackgroundJob{function, arg});
  }

  leveldb::Status NewRandomAccessFile(const std::string& fname,
                                      leveldb::RandomAccessFile** result) override {
    const int fd = ::open(fname.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      *result = nullptr;
      return errno == ENOENT ? leveldb::Status::NotFound(fname, std::strerror(errno))
                             : leveldb::Status::IOError(fname, std::strerror(errno));
    }
    *result = new PreadFile(fname, fd);
    return leveldb::Status::OK();
  }
};

}  // namespace

leveldb::Env* PreadEnv() {
  static leveldb::Env* env = new PreadEnvImpl();
  return env;
}

}  // namespace ringkv::storage
