// Two builds of liblevee side by side: levee_json_parse of each (loaded
// with dlopen, RTLD_LOCAL | RTLD_DEEPBIND, so their symbols stay apart) and
// simdjson's DOM parse of the same bytes, runs interleaved in one process
// so machine load hits all three alike. Prints each build's median ratio to
// simdjson and the median of B/A per run (thread CPU time, each run ~0.1 s
// per parser); says when the two tapes differ. How the stage 1 / stage 2
// changes in docs/bench/json.md were measured.
// Usage: ab LIB_A LIB_B RUNS FILE...
#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../dl.h"
#include "levee.h"
#include "timing.h"

namespace {


struct Build {
  int (*make)(levee_json **);
  int (*parse)(levee_json *, const uint8_t *, size_t);
  size_t (*count)(const levee_json *);
  const levee_json_token *(*tape)(const levee_json *);
  levee_json *j = nullptr;
};

Build load(const char *path) {
  void *h = bench::open_build(path);
  Build b;
  bench::sym(h, "levee_json_new", &b.make);
  bench::sym(h, "levee_json_parse", &b.parse);
  bench::sym(h, "levee_json_count", &b.count);
  bench::sym(h, "levee_json_tape", &b.tape);
  if (b.make(&b.j) != 0) exit(1);
  return b;
}

}  // namespace

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: ab LIB_A LIB_B RUNS FILE...\n");
    return 2;
  }
  Build a = load(argv[1]), b = load(argv[2]);
  int runs = atoi(argv[3]);
  simdjson::dom::parser parser;
  printf("%-18s %12s %12s %8s\n", "file", "A/simdjson", "B/simdjson", "B/A");
  for (int f = 4; f < argc; f++) {
    std::ifstream in(argv[f], std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string s = ss.str();
    simdjson::padded_string padded(s);
    const auto *p = reinterpret_cast<const uint8_t *>(s.data());
    if (a.parse(a.j, p, s.size()) || b.parse(b.j, p, s.size()) || parser.parse(padded).error()) {
      fprintf(stderr, "%s: parse error\n", argv[f]);
      return 1;
    }
    const char *name = strrchr(argv[f], '/') ? strrchr(argv[f], '/') + 1 : argv[f];
    if (a.count(a.j) != b.count(b.j) || memcmp(a.tape(a.j), b.tape(b.j), a.count(a.j) * sizeof(levee_json_token)))
      printf("%s: the two tapes differ\n", name);
    std::vector<double> ra, rb, rba;
    for (int r = 0; r < runs; r++) {
      double x = bench::rate(s.size(), [&] { a.parse(a.j, p, s.size()); }, 0.1);
      double y = bench::rate(s.size(), [&] { b.parse(b.j, p, s.size()); }, 0.1);
      double z = bench::rate(s.size(), [&] {
        if (parser.parse(padded).error()) abort();
      }, 0.1);
      ra.push_back(x / z);
      rb.push_back(y / z);
      rba.push_back(y / x);
    }
    printf("%-18s %11.3fx %11.3fx %7.3fx\n", name, bench::median(ra), bench::median(rb), bench::median(rba));
  }
  return 0;
}
