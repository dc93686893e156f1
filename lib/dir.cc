// Directory walking (levee_dir_*, over fts(3)), temporary directories and
// recursive removal: what _.path's Dir, walk and Path stand on.
#include <fts.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>

#include "internal.h"

struct levee_dir {
  FTS *fts = nullptr;
  FTSENT *cur = nullptr;
  int depth = 1;
  bool followed = false;  // cur was asked to be followed
  ~levee_dir() {
    if (fts) fts_close(fts);
  }
};

namespace {

int by_name(const FTSENT **a, const FTSENT **b) { return strcmp((*a)->fts_name, (*b)->fts_name); }

int kind_of(const FTSENT *e) {
  switch (e->fts_info) {
    case FTS_D: case FTS_DC: case FTS_DNR: case FTS_DOT: return LEVEE_FILE_DIR;
    case FTS_F: return LEVEE_FILE_REG;
    case FTS_SL: case FTS_SLNONE: return LEVEE_FILE_LNK;
    default: break;
  }
  if (!e->fts_statp) return LEVEE_FILE_OTHER;
  levee_stat st{};  // the file type of the stat fts made (sockets, fifos, devices)
  st.mode = e->fts_statp->st_mode;
  return levee_stat_kind(&st);
}

}  // namespace

using namespace levee;

extern "C" {

int levee_dir_open(levee_dir **out, const char *path, int32_t depth) {
  return guard([&]() -> int {
    if (!out || !path || depth < 1) return LEVEE_EINVAL;
    struct stat st;
    if (stat(path, &st) < 0) return last_errno_code();
    if (!S_ISDIR(st.st_mode)) return LEVEE_ENOTDIR;
    auto d = std::make_unique<levee_dir>();
    d->depth = depth;
    char *paths[] = {const_cast<char *>(path), nullptr};
    d->fts = fts_open(paths, FTS_PHYSICAL | FTS_NOCHDIR | FTS_COMFOLLOW, by_name);
    if (!d->fts) return last_errno_code();
    // The root comes first: step past it so the first next() gives an entry.
    FTSENT *root = fts_read(d->fts);
    if (!root) return errno ? last_errno_code() : LEVEE_ENOENT;
    if (root->fts_info == FTS_DNR || root->fts_info == FTS_ERR) return errno_code(root->fts_errno);
    *out = d.release();
    return 0;
  });
}

void levee_dir_free(levee_dir *d) { delete d; }

int levee_dir_next(levee_dir *d) {
  if (!d || !d->fts) return LEVEE_EINVAL;
  // The entry reported last: fts frees entries as it leaves their
  // directory, so it is only looked at before the next read.
  FTSENT *prev = d->cur;
  bool followed = d->followed;
  d->cur = nullptr;
  d->followed = false;
  if (prev && prev->fts_info == FTS_D && prev->fts_level >= d->depth)
    fts_set(d->fts, prev, FTS_SKIP);
  for (bool first = true;; first = false) {
    errno = 0;
    FTSENT *e = fts_read(d->fts);
    if (!e) return errno ? last_errno_code() : 0;
    if (first && followed && e == prev) {
      // the symlink just followed, read again as its target: descend into
      // a directory (within depth) without reporting the link twice
      if (e->fts_info == FTS_D && e->fts_level >= d->depth) fts_set(d->fts, e, FTS_SKIP);
      continue;
    }
    if (e->fts_level == 0) continue;         // the root, on its way out
    if (e->fts_info == FTS_DP) continue;     // a directory, after its entries
    d->cur = e;
    if (e->fts_info == FTS_DNR || e->fts_info == FTS_ERR) return errno_code(e->fts_errno);
    return 1;
  }
}

int levee_dir_skip(levee_dir *d) {
  if (!d || !d->cur) return LEVEE_EINVAL;
  fts_set(d->fts, d->cur, FTS_SKIP);
  return 0;
}

int levee_dir_follow(levee_dir *d) {
  if (!d || !d->cur) return LEVEE_EINVAL;
  if (d->cur->fts_info == FTS_SL) {
    fts_set(d->fts, d->cur, FTS_FOLLOW);
    d->followed = true;
  }
  return 0;
}

int levee_dir_kind(const levee_dir *d) {
  if (!d || !d->cur) return LEVEE_EINVAL;
  return kind_of(d->cur);
}

const char *levee_dir_path(const levee_dir *d) { return d && d->cur ? d->cur->fts_path : nullptr; }

int levee_dir_level(const levee_dir *d) { return d && d->cur ? int(d->cur->fts_level) : 0; }

int levee_fs_mkdtemp(char *tmpl) {
  if (!tmpl) return LEVEE_EINVAL;
  size_t n = strlen(tmpl);
  if (n < 6 || strcmp(tmpl + n - 6, "XXXXXX") != 0) return LEVEE_EINVAL;
  return mkdtemp(tmpl) ? 0 : last_errno_code();
}

int levee_fs_remove(const char *path, int recurse) {
  return guard([&]() -> int {
    if (!path) return LEVEE_EINVAL;
    struct stat st;
    if (lstat(path, &st) < 0) return last_errno_code();
    if (!S_ISDIR(st.st_mode)) return unlink(path) < 0 ? last_errno_code() : 0;
    if (!recurse) return rmdir(path) < 0 ? last_errno_code() : 0;
    char *paths[] = {const_cast<char *>(path), nullptr};
    FTS *fts = fts_open(paths, FTS_PHYSICAL | FTS_NOCHDIR, nullptr);
    if (!fts) return last_errno_code();
    int rc = 0;
    errno = 0;
    while (FTSENT *e = fts_read(fts)) {
      int r = 0;
      switch (e->fts_info) {
        case FTS_D: break;  // removed after its entries (FTS_DP)
        case FTS_DP: r = rmdir(e->fts_accpath); break;
        case FTS_DNR: case FTS_ERR: case FTS_NS:
          errno = e->fts_errno;
          r = -1;
          break;
        default: r = unlink(e->fts_accpath); break;
      }
      if (r < 0 && rc == 0) rc = last_errno_code();
      errno = 0;
    }
    if (rc == 0 && errno) rc = last_errno_code();
    fts_close(fts);
    return rc;
  });
}

}  // extern "C"
