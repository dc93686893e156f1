// File metadata (stat/lstat/fstat into levee_stat) and open.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "internal.h"

namespace {

double seconds(const timespec &t) { return static_cast<double>(t.tv_sec) + t.tv_nsec / 1e9; }

int fill(const struct stat &s, levee_stat *st) {
  std::memset(st, 0, sizeof *st);
  st->dev = s.st_dev;
  st->ino = s.st_ino;
  st->mode = s.st_mode;
  st->nlink = static_cast<uint32_t>(s.st_nlink);
  st->uid = s.st_uid;
  st->gid = s.st_gid;
  st->rdev = s.st_rdev;
  st->size = s.st_size;
  st->blksize = s.st_blksize;
  st->blocks = s.st_blocks;
  st->atime = seconds(s.st_atim);
  st->mtime = seconds(s.st_mtim);
  st->ctime = seconds(s.st_ctim);
  return 0;
}

}  // namespace

using namespace levee;

extern "C" int levee_fs_stat(const char *path, levee_stat *st) {
  if (!path || !st) return LEVEE_EINVAL;
  struct stat s;
  if (stat(path, &s) < 0) return last_errno_code();
  return fill(s, st);
}

extern "C" int levee_fs_lstat(const char *path, levee_stat *st) {
  if (!path || !st) return LEVEE_EINVAL;
  struct stat s;
  if (lstat(path, &s) < 0) return last_errno_code();
  return fill(s, st);
}

extern "C" int levee_fs_fstat(int32_t fd, levee_stat *st) {
  if (!st) return LEVEE_EINVAL;
  struct stat s;
  if (fstat(fd, &s) < 0) return last_errno_code();
  return fill(s, st);
}

extern "C" int levee_stat_kind(const levee_stat *st) {
  if (!st) return LEVEE_EINVAL;
  switch (st->mode & S_IFMT) {
    case S_IFREG: return LEVEE_FILE_REG;
    case S_IFDIR: return LEVEE_FILE_DIR;
    case S_IFLNK: return LEVEE_FILE_LNK;
    case S_IFSOCK: return LEVEE_FILE_SOCK;
    case S_IFIFO: return LEVEE_FILE_FIFO;
    case S_IFCHR: return LEVEE_FILE_CHR;
    case S_IFBLK: return LEVEE_FILE_BLK;
    default: return LEVEE_FILE_OTHER;
  }
}

extern "C" int levee_fs_open(const char *path, int32_t flags, int32_t mode) {
  if (!path) return LEVEE_EINVAL;
  int fd;
  do {
    fd = open(path, flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  return fd < 0 ? last_errno_code() : fd;
}

extern "C" int levee_fs_open_mode(const char *mode) {
  if (!mode) return LEVEE_EINVAL;
  char m[8];
  size_t n = 0;
  for (const char *p = mode; *p; p++) {
    if (*p == 'b') continue;
    if (n + 1 >= sizeof m) return LEVEE_EINVAL;
    m[n++] = *p;
  }
  m[n] = 0;
  bool excl = n > 1 && m[n - 1] == 'x';
  if (excl) m[--n] = 0;
  int flags;
  if (!strcmp(m, "r")) flags = O_RDONLY;
  else if (!strcmp(m, "r+")) flags = O_RDWR;
  else if (!strcmp(m, "w")) flags = O_WRONLY | O_TRUNC;
  else if (!strcmp(m, "w+")) flags = O_RDWR | O_CREAT | O_TRUNC;
  else if (!strcmp(m, "a")) flags = O_WRONLY | O_APPEND | O_CREAT;
  else if (!strcmp(m, "a+")) flags = O_RDWR | O_APPEND | O_CREAT;
  else return LEVEE_EINVAL;
  if (excl) flags |= O_CREAT | O_EXCL;
  return flags;
}
