// The C++ tokenizer alone: GB/s of levee_json_parse over each file (median
// of several runs; each run parses the file repeatedly for ~0.2 s).
// Usage: tokenizer FILE...
#include <algorithm>
#include <cstring>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "levee.h"

int main(int argc, char **argv) {
  levee_json *j = nullptr;
  if (levee_json_new(&j) != 0) return 1;
  for (int a = 1; a < argc; a++) {
    std::ifstream f(argv[a], std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    std::string s = ss.str();
    const auto *p = reinterpret_cast<const uint8_t *>(s.data());
    if (levee_json_parse(j, p, s.size()) != 0) {
      fprintf(stderr, "%s: parse error\n", argv[a]);
      return 1;
    }
    std::vector<double> rates, prates;
    for (int run = 0; run < 9; run++) {
      for (int mode = 0; mode < 2; mode++) {
        auto t0 = std::chrono::steady_clock::now();
        double dt = 0;
        long n = 0;
        do {
          if (mode == 0) levee_json_parse(j, p, s.size());
          else levee_json_loads(j, p, s.size());
          n++;
          dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        } while (dt < 0.2);
        (mode == 0 ? rates : prates).push_back(double(s.size()) * n / dt / 1e9);
      }
    }
    std::sort(rates.begin(), rates.end());
    std::sort(prates.begin(), prates.end());
    const char *name = strrchr(argv[a], '/') ? strrchr(argv[a], '/') + 1 : argv[a];
    printf("%-18s tokenize %6.2f GB/s   tokenize+pickle %6.2f GB/s   (%zu tokens)\n", name,
           rates[rates.size() / 2], prates[prates.size() / 2], levee_json_count(j));
  }
  levee_json_free(j);
  return 0;
}
