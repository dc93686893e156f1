// levee_json_from_marshal: JSON text in levee's format from the bytes
// Python's marshal.dumps wrote (format version 2 to 5), so that
// levee.json.dumps serializes with no Python code per value: CPython's
// marshal walks the objects in C, this file walks marshal's bytes.
//
// Only what json.dumps accepts with levee's settings is transcoded: dict
// (str keys), list, tuple, str, int (up to 64 bits of magnitude), float
// (finite), bool, None. Anything else (NaN and infinities, other key types,
// bytes, sets, code, huge integers, a reference to a container that is still
// open, i.e. a cycle) answers LEVEE_ENOTSUP and the binding falls back to
// the standard library's encoder, which gives the exact error or text.
// Strings are copied as marshal wrote them (UTF-8; lone surrogates as
// "surrogatepass" bytes, which Python decodes back the same way), escaping
// only '"', '\\' and control bytes, as json.dumps(ensure_ascii=False) does.
// Floats print as Python's repr.
#include <charconv>
#include <cmath>
#include <cstring>
#include <vector>

#include "internal.h"
#include "json.h"
#include "scan.h"

namespace {

enum : uint8_t {
  kRefFlag = 0x80,
  T_NULL = '0',  // end of a dict
  T_NONE = 'N',
  T_FALSE = 'F',
  T_TRUE = 'T',
  T_INT = 'i',
  T_LONG = 'l',
  T_BINARY_FLOAT = 'g',
  T_STRING = 's',  // bytes
  T_TUPLE = '(',
  T_SMALL_TUPLE = ')',
  T_LIST = '[',
  T_DICT = '{',
  T_UNICODE = 'u',
  T_INTERNED = 't',
  T_ASCII = 'a',
  T_ASCII_INTERNED = 'A',
  T_SHORT_ASCII = 'z',
  T_SHORT_ASCII_INTERNED = 'Z',
  T_REF = 'r',
};

// A growable output buffer in the handle's output memory.
struct Writer {
  levee_json *j;
  size_t n = 0;
  uint8_t *room(size_t k) {
    if (n + k > j->output_cap) {
      size_t cap = j->output_cap ? j->output_cap : 4096;
      while (cap < n + k) cap *= 2;
      j->output_room(cap);  // realloc keeps the bytes
    }
    return j->output + n;
  }
  void byte(uint8_t c) {
    *room(1) = c;
    n++;
  }
  void bytes(const void *p, size_t k) {
    memcpy(room(k), p, k);
    n += k;
  }
};

// Appends the quoted, escaped string.
void put_string(Writer &w, const uint8_t *p, size_t len, levee::scan::Find stop) {
  uint8_t *d = w.room(len * 6 + 2);
  uint8_t *d0 = d;
  const uint8_t *e = p + len;
  *d++ = '"';
  if (len < 24) {  // keys and short values: a kernel call costs more than the loop
    for (; p < e; p++) {
      uint8_t c = *p;
      if (c >= 0x20 && c != '"' && c != '\\') *d++ = c;
      else d = levee::json_put_escape(d, c);
    }
  }
  while (p < e) {
    const uint8_t *q = stop(p, e);
    memcpy(d, p, size_t(q - p));
    d += q - p;
    p = q;
    if (p == e) break;
    d = levee::json_put_escape(d, *p++);
  }
  *d++ = '"';
  w.n += size_t(d - d0);
}

void put_int(Writer &w, int64_t v) {
  char *d = reinterpret_cast<char *>(w.room(24));
  w.n += size_t(std::to_chars(d, d + 24, v).ptr - d);
}

void put_uint(Writer &w, uint64_t v, bool neg) {
  char *d = reinterpret_cast<char *>(w.room(24));
  char *s = d;
  if (neg) *s++ = '-';
  w.n += size_t(std::to_chars(s, d + 24, v).ptr - d);
}

}  // namespace

namespace levee {

// Python's repr of a finite double: the shortest digits that round-trip;
// positional when the decimal exponent is in [-4, 16), with ".0" when
// integral; otherwise d[.ddd]e+XX with at least two exponent digits.
size_t json_format_pyfloat(char *dst, double x) {
  char sci[40];
  auto r = std::to_chars(sci, sci + sizeof sci, x, std::chars_format::scientific);
  const char *p = sci, *end = r.ptr;
  char *d = dst;
  if (*p == '-') *d++ = *p++;
  char digits[24];
  size_t nd = 0;
  for (; p < end && *p != 'e'; p++)
    if (*p != '.') digits[nd++] = *p;
  int exp = 0;
  std::from_chars(p + 1 + (p[1] == '+'), end, exp);
  int decpt = exp + 1;  // digits are 0.d1d2... * 10^decpt
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) {
      *d++ = '0';
      *d++ = '.';
      for (int i = 0; i < -decpt; i++) *d++ = '0';
      memcpy(d, digits, nd);
      d += nd;
    } else if (size_t(decpt) >= nd) {
      memcpy(d, digits, nd);
      d += nd;
      for (size_t i = nd; i < size_t(decpt); i++) *d++ = '0';
      *d++ = '.';
      *d++ = '0';
    } else {
      memcpy(d, digits, size_t(decpt));
      d += decpt;
      *d++ = '.';
      memcpy(d, digits + decpt, nd - size_t(decpt));
      d += nd - size_t(decpt);
    }
  } else {
    *d++ = digits[0];
    if (nd > 1) {
      *d++ = '.';
      memcpy(d, digits + 1, nd - 1);
      d += nd - 1;
    }
    *d++ = 'e';
    *d++ = exp < 0 ? '-' : '+';
    int a = exp < 0 ? -exp : exp;
    if (a < 10) *d++ = '0';
    d = std::to_chars(d, d + 8, a).ptr;
  }
  return size_t(d - dst);
}

}  // namespace levee

extern "C" int levee_json_format_pyfloat(uint8_t *dst, double x) {
  if (!dst || !std::isfinite(x)) return LEVEE_EINVAL;
  return levee::guard([&] { return int(levee::json_format_pyfloat(reinterpret_cast<char *>(dst), x)); });
}

int64_t levee_json::from_marshal(const uint8_t *m, size_t len) {
  constexpr int64_t kNo = LEVEE_ENOTSUP, kBad = LEVEE_EINVAL;
  Writer w{this};
  levee::scan::Find stop = levee::scan::kernels().json_escape;
  const uint8_t *p = m, *e = m + len;
  std::vector<MarshalRef> &refs = marshal_refs;
  std::vector<MarshalOpen> &open = marshal_open;
  refs.clear();
  open.clear();
  w.room(len + len / 2);
  auto need = [&](size_t k) { return size_t(e - p) >= k; };
  auto u32 = [&]() {
    uint32_t v;
    memcpy(&v, p, 4);  // marshal is little-endian
    p += 4;
    return v;
  };
  // Reads a string object (or a reference to one) at p and writes it
  // quoted; false when p holds something else (kNo) or is cut (kBad).
  auto string = [&](int64_t *why) __attribute__((always_inline)) -> bool {
    if (!need(1)) return *why = kBad, false;
    uint8_t code = *p++, type = code & uint8_t(~kRefFlag);
    size_t n;
    switch (type) {
      case T_SHORT_ASCII:
      case T_SHORT_ASCII_INTERNED:
        if (!need(1)) return *why = kBad, false;
        n = *p++;
        break;
      case T_UNICODE:
      case T_INTERNED:
      case T_ASCII:
      case T_ASCII_INTERNED:
        if (!need(4)) return *why = kBad, false;
        n = u32();
        break;
      case T_REF: {
        if (!need(4)) return *why = kBad, false;
        uint32_t i = u32();
        if (i >= refs.size()) return *why = kBad, false;
        MarshalRef r = refs[i];
        if (!r.string) return *why = kNo, false;
        w.room(r.end - r.start);  // may move the output
        memcpy(output + w.n, output + r.start, r.end - r.start);
        w.n += r.end - r.start;
        return true;
      }
      default:
        return *why = kNo, false;  // a key json.dumps would convert (int, float, bool, None)
    }
    if (!need(n)) return *why = kBad, false;
    size_t start = w.n;
    put_string(w, p, n, stop);
    p += n;
    if (code & kRefFlag) refs.push_back(MarshalRef{start, w.n, true});
    return true;
  };
  for (;;) {
    // Before the next value inside a container: its separator, a dict's
    // key, or the container's end.
    if (!open.empty()) {
      MarshalOpen &o = open.back();
      if (o.dict) {
        if (!need(1)) return kBad;
        if (*p == T_NULL) {
          p++;
          w.byte('}');
          goto closed;
        }
        if (!o.first) w.bytes(", ", 2);
        o.first = false;
        int64_t why;
        if (!string(&why)) return why;
        w.bytes(": ", 2);
      } else {
        if (o.left == 0) {
          w.byte(']');
          goto closed;
        }
        if (!o.first) w.bytes(", ", 2);
        o.first = false;
        o.left--;
      }
    }
    {
      if (!need(1)) return kBad;
      uint8_t code = *p++;
      uint8_t type = code & uint8_t(~kRefFlag);
      size_t start = w.n;
      switch (type) {
        case T_NONE: w.bytes("null", 4); break;
        case T_TRUE: w.bytes("true", 4); break;
        case T_FALSE: w.bytes("false", 5); break;
        case T_INT:
          if (!need(4)) return kBad;
          put_int(w, int32_t(u32()));
          break;
        case T_LONG: {
          if (!need(4)) return kBad;
          int32_t n = int32_t(u32());
          uint32_t an = n < 0 ? uint32_t(-int64_t(n)) : uint32_t(n);
          if (an > 5) return kNo;  // beyond 64 bits
          if (!need(2 * size_t(an))) return kBad;
          uint64_t mag = 0;
          for (uint32_t i = 0; i < an; i++) {
            uint16_t dgt = uint16_t(p[0] | (p[1] << 8));
            p += 2;
            if (dgt > 0x7FFF) return kBad;
            if (i == 4 && dgt > 0xF) return kNo;
            mag |= uint64_t(dgt) << (15 * i);
          }
          put_uint(w, mag, n < 0);
          break;
        }
        case T_BINARY_FLOAT: {
          if (!need(8)) return kBad;
          double x;
          memcpy(&x, p, 8);
          p += 8;
          if (!std::isfinite(x)) return kNo;  // json.dumps(allow_nan=False) raises
          char *d = reinterpret_cast<char *>(w.room(40));
          w.n += levee::json_format_pyfloat(d, x);
          break;
        }
        case T_UNICODE:
        case T_INTERNED:
        case T_ASCII:
        case T_ASCII_INTERNED:
        case T_SHORT_ASCII:
        case T_SHORT_ASCII_INTERNED: {
          p--;
          int64_t why;
          if (!string(&why)) return why;
          if (open.empty()) break;  // string() recorded its reference
          continue;
        }
        case T_REF: {
          if (!need(4)) return kBad;
          uint32_t i = u32();
          if (i >= refs.size()) return kBad;
          MarshalRef r = refs[i];
          if (r.end == SIZE_MAX) return kNo;  // a container inside itself: a cycle
          w.room(r.end - r.start);  // may move the output
          memcpy(output + w.n, output + r.start, r.end - r.start);
          w.n += r.end - r.start;
          if (open.empty()) break;
          continue;
        }
        case T_LIST:
        case T_TUPLE:
        case T_SMALL_TUPLE: {
          uint32_t n;
          if (type == T_SMALL_TUPLE) {
            if (!need(1)) return kBad;
            n = *p++;
          } else {
            if (!need(4)) return kBad;
            n = u32();
          }
          if (n > len) return kBad;  // each element takes a byte at least
          int64_t ref = -1;
          if (code & kRefFlag) {
            ref = int64_t(refs.size());
            refs.push_back(MarshalRef{start, SIZE_MAX, false});
          }
          w.byte('[');
          open.push_back(MarshalOpen{n, false, false, true, ref});
          continue;
        }
        case T_DICT: {
          int64_t ref = -1;
          if (code & kRefFlag) {
            ref = int64_t(refs.size());
            refs.push_back(MarshalRef{start, SIZE_MAX, false});
          }
          w.byte('{');
          open.push_back(MarshalOpen{0, true, false, true, ref});
          continue;
        }
        default:
          return kNo;  // bytes, sets, complex, code, ...
      }
      if (code & kRefFlag) refs.push_back(MarshalRef{start, w.n, false});
      if (open.empty()) break;
      continue;
    }
  closed : {
    int64_t ref = open.back().ref;
    open.pop_back();
    if (ref >= 0) refs[size_t(ref)].end = w.n;
    if (open.empty()) break;
  }
  }
  if (p != e) return kBad;
  output_len = w.n;
  return int64_t(w.n);
}

extern "C" int64_t levee_json_from_marshal(levee_json *j, const uint8_t *data, size_t len) {
  if (!j || !data) return LEVEE_EINVAL;
  return levee::guard([&]() -> int64_t { return j->from_marshal(data, len); });
}
