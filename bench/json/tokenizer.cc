// The C++ tokenizer alone beside the simdjson DOM parser (Debian
// libsimdjson-dev, its own run-time CPU dispatch): GB/s of levee_json_parse
// at each SIMD level the CPU has, of levee_json_loads (tokenize + pickle),
// and of simdjson::dom::parser::parse on the same bytes (simdjson gets its
// padded copy), in the same process, runs interleaved. Each figure is the
// median of RUNS runs; each run repeats the parse for ~0.2 s of the
// thread's CPU time (other load on the machine does not count).
// Usage: tokenizer RUNS FILE...
#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "levee.h"
#include "timing.h"

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: tokenizer RUNS FILE...\n");
    return 2;
  }
  int runs = atoi(argv[1]);
  levee_json *j = nullptr;
  if (levee_json_new(&j) != 0) return 1;
  simdjson::dom::parser parser;
  static const char *names[] = {"portable", "sse4.2", "avx2"};
  int best = levee_simd_detected();
  printf("GB/s, median of %d runs (simdjson implementation: %s)\n", runs,
         simdjson::get_active_implementation()->name().c_str());
  printf("%-18s %9s %9s %9s  %-36s %s\n", "file", "levee", "simdjson", "+pickle", "levee/simdjson per level",
         "tokens");
  for (int a = 2; a < argc; a++) {
    std::ifstream f(argv[a], std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    std::string s = ss.str();
    simdjson::padded_string padded(s);
    const auto *p = reinterpret_cast<const uint8_t *>(s.data());
    if (levee_json_parse(j, p, s.size()) != 0 || parser.parse(padded).error()) {
      fprintf(stderr, "%s: parse error\n", argv[a]);
      return 1;
    }
    std::vector<std::vector<double>> lv(size_t(best) + 1);
    std::vector<double> sj, pk;
    for (int run = 0; run < runs; run++) {  // interleaved: the same machine load for all
      for (int l = 0; l <= best; l++) {
        levee_simd_set_level(l);
        lv[size_t(l)].push_back(bench::rate(s.size(), [&] { levee_json_parse(j, p, s.size()); }, 0.2));
      }
      sj.push_back(bench::rate(s.size(), [&] {
        if (parser.parse(padded).error()) abort();
      }, 0.2));
      pk.push_back(bench::rate(s.size(), [&] { levee_json_loads(j, p, s.size()); }, 0.2));
    }
    levee_simd_set_level(best);
    double ms = bench::median(sj), ml = bench::median(lv[size_t(best)]);
    std::string per;
    for (int l = 0; l <= best; l++) {
      char b[40];
      snprintf(b, sizeof b, "%s%s %.2fx", l ? ", " : "", names[l], bench::median(lv[size_t(l)]) / ms);
      per += b;
    }
    const char *name = strrchr(argv[a], '/') ? strrchr(argv[a], '/') + 1 : argv[a];
    printf("%-18s %9.2f %9.2f %9.2f  %-36s %zu\n", name, ml, ms, bench::median(pk), per.c_str(), levee_json_count(j));
  }
  levee_json_free(j);
  return 0;
}
