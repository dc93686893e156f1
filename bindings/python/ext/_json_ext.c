/* levee._json_ext: the native half of levee.json (docs/json.md, "The
 * accelerated path"; docs/design.md, "Python JSON extension").
 *
 * cffi in ABI mode cannot hand a PyObject * across, so building Python
 * objects from the core's tape (loads) and walking Python objects into text
 * (dumps) is done here, with the CPython API. Tokenizing, validation and
 * number conversion stay in liblevee (levee_json_parse and the tape); this
 * module links liblevee.so.0, which the dynamic loader resolves to the copy
 * levee._ffi already loaded (matched by soname), so both halves share one
 * library and a handle made through cffi can be used here.
 *
 * Functions (all private to levee.json, which keeps the Python fallbacks):
 *   loads(data)          value of the JSON document data (bytes, a
 *                        contiguous buffer, or an ASCII str); a tuple
 *                        (code, offset) when the document is invalid;
 *                        NotImplemented for other inputs (the caller's path)
 *   build(handle, input) value of the completed tape of the levee_json *
 *                        handle (an address), parsed from input (an address)
 *   dumps(obj)           levee's JSON text of obj as str, or None when obj
 *                        holds anything the caller's encoder must handle
 *                        (other types, subclasses, NaN, non-str keys, deep
 *                        nesting or cycles, integers whose text fails)
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "levee.h"

/* ------------------------------------------------------------------ loads */

/* Recent object keys -> str: most documents repeat a few keys many times.
 * Direct-mapped, ASCII keys of at most KEY_MAX bytes; each slot holds a
 * reference to its str for the life of the process. */
#define KEY_SLOTS 1024
#define KEY_MAX 64

static struct key_slot {
  PyObject *str;
  uint64_t hash;
} key_cache[KEY_SLOTS];

/* A hash of a key (1..KEY_MAX bytes) from its length and its first and
 * last 8 bytes: a collision only costs a miss. */
static inline uint64_t key_hash(const uint8_t *p, size_t n) {
  uint64_t a = 0, b = 0;
  if (n >= 8) {
    memcpy(&a, p, 8);
    memcpy(&b, p + n - 8, 8);
  } else if (n >= 4) {
    uint32_t x, y;
    memcpy(&x, p, 4);
    memcpy(&y, p + n - 4, 4);
    a = x;
    b = y;
  } else if (n) {
    a = p[0] | ((uint64_t)p[n / 2] << 8) | ((uint64_t)p[n - 1] << 16);
  }
  uint64_t h = (a * 0x9E3779B97F4A7C15ull) ^ (b * 0xC2B2AE3D27D4EB4Full) ^ n;
  return h ^ (h >> 31);
}

/* A str of n ASCII bytes. */
static inline PyObject *ascii_str(const uint8_t *p, size_t n) {
  PyObject *s = PyUnicode_New((Py_ssize_t)n, 127);
  if (s) memcpy(PyUnicode_1BYTE_DATA(s), p, n);
  return s;
}

/* Decodes valid UTF-8 at [p, e) into code units of type T. */
#define DECODE_UTF8(NAME, T)                                                          \
  static void NAME(T *d, const uint8_t *p, const uint8_t *e) {                        \
    while (p < e) {                                                                   \
      Py_UCS4 c = *p;                                                                 \
      if (c < 0x80) {                                                                 \
        p++;                                                                          \
      } else if (c < 0xE0) {                                                          \
        c = ((c & 0x1F) << 6) | (p[1] & 0x3Fu);                                       \
        p += 2;                                                                       \
      } else if (c < 0xF0) {                                                          \
        c = ((c & 0x0F) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);              \
        p += 3;                                                                       \
      } else {                                                                        \
        c = ((c & 0x07) << 18) | ((p[1] & 0x3Fu) << 12) | ((p[2] & 0x3Fu) << 6) |     \
            (p[3] & 0x3Fu);                                                           \
        p += 4;                                                                       \
      }                                                                               \
      *d++ = (T)c;                                                                    \
    }                                                                                 \
  }
DECODE_UTF8(decode_1, Py_UCS1)
DECODE_UTF8(decode_2, Py_UCS2)
DECODE_UTF8(decode_4, Py_UCS4)

/* A str of the n bytes of valid UTF-8 at p (the tokenizer validated
 * them): one pass counts the characters (bytes that are not continuation
 * bytes 80-BF) and finds the largest byte, which tells the width (leads
 * C2-C3 reach U+00FF, C4-EF U+FFFF, F0-F4 beyond); a second pass writes
 * the code points at that width. */
static PyObject *utf8_str(const uint8_t *p, size_t n) {
  const uint8_t *q = p, *e = p + n;
  Py_ssize_t cont = 0;
  uint8_t top = 0;
#if defined(__SSE2__)
  __m128i vmax = _mm_setzero_si128();
  const __m128i below = _mm_set1_epi8(-64); /* signed: 80-BF are -128..-65 */
  for (; e - q >= 16; q += 16) {
    __m128i x = _mm_loadu_si128((const __m128i *)q);
    vmax = _mm_max_epu8(vmax, x);
    cont += __builtin_popcount((unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(x, below)));
  }
  uint8_t lanes[16];
  _mm_storeu_si128((__m128i *)lanes, vmax);
  for (int i = 0; i < 16; i++)
    if (lanes[i] > top) top = lanes[i];
#endif
  for (; q < e; q++) {
    cont += (*q & 0xC0) == 0x80;
    if (*q > top) top = *q;
  }
  Py_UCS4 max = top >= 0xF0 ? 0x10FFFF : top >= 0xC4 ? 0xFFFF : top >= 0x80 ? 0xFF : 0x7F;
  PyObject *s = PyUnicode_New((Py_ssize_t)n - cont, max);
  if (!s) return NULL;
  switch (PyUnicode_KIND(s)) {
    case PyUnicode_1BYTE_KIND: decode_1(PyUnicode_1BYTE_DATA(s), p, e); break;
    case PyUnicode_2BYTE_KIND: decode_2(PyUnicode_2BYTE_DATA(s), p, e); break;
    default: decode_4(PyUnicode_4BYTE_DATA(s), p, e);
  }
  return s;
}

/* The str of a string token: its bytes are in the input, or unescaped in the
 * tape's string arena. */
static inline PyObject *string_of(const levee_json_token *t, const uint8_t *in, const uint8_t *arena,
                                  int key) {
  const uint8_t *p;
  size_t n;
  if (t->flags & LEVEE_JSON_FESCAPED) {
    p = arena + t->aux;
    n = (size_t)t->integer;
  } else {
    p = in + t->off;
    n = (size_t)t->len;
  }
  if (t->flags & LEVEE_JSON_FUTF8) return utf8_str(p, n);
  if (!key || n > KEY_MAX) return ascii_str(p, n);
  uint64_t h = key_hash(p, n);
  struct key_slot *slot = &key_cache[(h >> 20) & (KEY_SLOTS - 1)];
  PyObject *s = slot->str;
  if (s && slot->hash == h && (size_t)PyUnicode_GET_LENGTH(s) == n &&
      memcmp(PyUnicode_1BYTE_DATA(s), p, n) == 0) {
    Py_INCREF(s);
    return s;
  }
  s = ascii_str(p, n);
  if (!s) return NULL;
  Py_XSETREF(slot->str, s);
  Py_INCREF(s);
  slot->hash = h;
  return s;
}

/* An integer literal beyond 64 bits, from its text. */
static PyObject *big_int(const uint8_t *p, size_t n) {
  char small[512];
  char *text = n < sizeof small ? small : PyMem_Malloc(n + 1);
  if (!text) return PyErr_NoMemory();
  memcpy(text, p, n);
  text[n] = 0;
  PyObject *v = PyLong_FromString(text, NULL, 10);
  if (text != small) PyMem_Free(text);
  return v;
}

static inline PyObject *scalar_of(const levee_json_token *t, const uint8_t *in, const uint8_t *arena) {
  switch (t->type) {
    case LEVEE_JSON_STRING:
      return string_of(t, in, arena, 0);
    case LEVEE_JSON_NUMBER:
      if (t->flags & LEVEE_JSON_FINT) return PyLong_FromLongLong(t->integer);
      if (t->flags & LEVEE_JSON_FUINT) return PyLong_FromUnsignedLongLong((uint64_t)t->integer);
      if (t->flags & LEVEE_JSON_FBIG) return big_int(in + t->off, (size_t)t->len);
      return PyFloat_FromDouble(t->number);
    case LEVEE_JSON_NULL:
      Py_RETURN_NONE;
    case LEVEE_JSON_TRUE:
      Py_RETURN_TRUE;
    case LEVEE_JSON_FALSE:
      Py_RETURN_FALSE;
  }
  PyErr_Format(PyExc_SystemError, "levee.json: unknown tape token type %u", (unsigned)t->type);
  return NULL;
}

static inline PyObject *new_dict(Py_ssize_t n) {
#if PY_VERSION_HEX < 0x030D0000
  return _PyDict_NewPresized(n);
#else
  (void)n;
  return PyDict_New();
#endif
}

/* An open container while its tape tokens are read: the parent holds the
 * reference, the frame borrows it. */
struct frame {
  PyObject *c;
  Py_ssize_t left; /* elements / members still to come */
  Py_ssize_t i;    /* next list index */
  PyObject *key;   /* an object's key waiting for its value (owned) */
};

/* The value of the tape t[0, count), parsed from in. One loop over the
 * tape with an explicit stack (depth is bounded by the tokenizer's limit,
 * up to 100000), so no C recursion. A new container is attached to its
 * parent at once, so on failure releasing the root releases everything. */
static PyObject *build_tape(const levee_json_token *t, size_t count, const uint8_t *in,
                            const uint8_t *arena) {
  struct frame small[64], *stack = small;
  size_t depth = 0, cap = 64;
  PyObject *root = NULL;
  const levee_json_token *end = t + count;
  for (; t < end; t++) {
    struct frame *top = depth ? &stack[depth - 1] : NULL;
    if (top && top->key == NULL && PyDict_CheckExact(top->c)) {
      top->key = string_of(t, in, arena, 1);
      if (!top->key) goto fail;
      continue;
    }
    PyObject *v;
    Py_ssize_t n = 0;
    if (t->type == LEVEE_JSON_ARRAY) {
      n = (Py_ssize_t)t->len;
      v = PyList_New(n);
    } else if (t->type == LEVEE_JSON_OBJECT) {
      n = (Py_ssize_t)t->len;
      v = new_dict(n);
    } else {
      v = scalar_of(t, in, arena);
    }
    if (!v) goto fail;
    if (!top) {
      root = v;
    } else if (top->key) {
      int rc = PyDict_SetItem(top->c, top->key, v);
      Py_DECREF(v);
      Py_CLEAR(top->key);
      if (rc < 0) goto fail;
      top->left--;
    } else {
      PyList_SET_ITEM(top->c, top->i++, v);
      top->left--;
    }
    if (n > 0) {
      if (depth == cap) {
        struct frame *grown = PyMem_Malloc(2 * cap * sizeof *grown);
        if (!grown) {
          PyErr_NoMemory();
          goto fail;
        }
        memcpy(grown, stack, depth * sizeof *grown);
        if (stack != small) PyMem_Free(stack);
        stack = grown;
        cap *= 2;
      }
      stack[depth++] = (struct frame){v, n, 0, NULL};
    } else {
      while (depth && stack[depth - 1].left == 0) depth--;
    }
  }
  if (stack != small) PyMem_Free(stack);
  if (!root) PyErr_SetString(PyExc_SystemError, "levee.json: empty tape");
  return root;
fail:
  while (depth) Py_XDECREF(stack[--depth].key);
  if (stack != small) PyMem_Free(stack);
  Py_XDECREF(root);
  return NULL;
}

static PyObject *build_from(const levee_json *j, const uint8_t *in) {
  if (!levee_json_done(j)) {
    PyErr_SetString(PyExc_ValueError, "levee.json: no complete value on the handle");
    return NULL;
  }
  /* Every object built here is reachable from the result and none is in a
   * cycle, so the collector's passes during the build (one per 700 new
   * containers, each walking the young containers) find nothing: they are
   * held off until the value is complete. */
  int was_enabled = PyGC_Disable();
  PyObject *v = build_tape(levee_json_tape(j), levee_json_count(j), in, levee_json_strings(j));
  if (was_enabled) PyGC_Enable();
  return v;
}

/* The module's tokenizer. The GIL serialises its users, but a large parse
 * releases the GIL and building can run a finalizer that decodes JSON too:
 * a call that finds it busy uses a handle of its own. */
static levee_json *shared_handle;
static int shared_busy;

/* Inputs at least this long are parsed with the GIL released. */
#define RELEASE_GIL_AT 65536

static PyObject *ext_loads(PyObject *self, PyObject *arg) {
  (void)self;
  const uint8_t *in;
  Py_ssize_t len;
  Py_buffer view;
  int have_view = 0;
  if (PyBytes_CheckExact(arg)) {
    in = (const uint8_t *)PyBytes_AS_STRING(arg);
    len = PyBytes_GET_SIZE(arg);
  } else if (PyUnicode_CheckExact(arg)) {
    if (!PyUnicode_IS_ASCII(arg)) Py_RETURN_NOTIMPLEMENTED;
    in = PyUnicode_1BYTE_DATA(arg);
    len = PyUnicode_GET_LENGTH(arg);
  } else if (PyByteArray_CheckExact(arg) || PyMemoryView_Check(arg)) {
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) { /* not contiguous */
      PyErr_Clear();
      Py_RETURN_NOTIMPLEMENTED;
    }
    have_view = 1;
    in = view.buf;
    len = view.len;
  } else {
    Py_RETURN_NOTIMPLEMENTED;
  }
  levee_json *j = shared_handle;
  int own = 0;
  if (shared_busy || !j) {
    int rc = levee_json_new(&j);
    if (rc < 0) {
      if (have_view) PyBuffer_Release(&view);
      return PyErr_NoMemory();
    }
    own = 1;
  } else {
    shared_busy = 1;
  }
  int rc;
  if (len >= RELEASE_GIL_AT) {
    Py_BEGIN_ALLOW_THREADS
    rc = levee_json_parse(j, in, (size_t)len);
    Py_END_ALLOW_THREADS
  } else {
    rc = levee_json_parse(j, in, (size_t)len);
  }
  PyObject *result;
  if (rc < 0)
    result = Py_BuildValue("(iK)", rc, (unsigned long long)levee_json_error_offset(j));
  else
    result = build_from(j, in);
  if (own)
    levee_json_free(j);
  else
    shared_busy = 0;
  if (have_view) PyBuffer_Release(&view);
  return result;
}

static PyObject *ext_build(PyObject *self, PyObject *args) {
  (void)self;
  PyObject *h, *in;
  if (!PyArg_ParseTuple(args, "OO:build", &h, &in)) return NULL;
  void *hp = PyLong_AsVoidPtr(h), *ip = PyLong_AsVoidPtr(in);
  if (PyErr_Occurred()) return NULL;
  if (!hp) {
    PyErr_SetString(PyExc_ValueError, "levee.json: NULL handle");
    return NULL;
  }
  return build_from(hp, ip);
}

/* ------------------------------------------------------------------ dumps */

/* The text is written straight into the storage of its str: one code unit
 * per character of the width (kind) of the widest str seen so far. A wider
 * str widens what was written (at most twice per call); the result is one
 * PyUnicode_New and a copy, with no UTF-8 on the way. */
struct writer {
  void *buf;
  Py_ssize_t n, cap; /* in code units */
  int kind;          /* 1, 2 or 4 */
  int nonascii;      /* kind 1: some character above 127 was written */
};

/* A scratch buffer kept between calls (the GIL serialises dumps, and
 * nothing in it runs Python code), up to KEEP bytes. */
static void *scratch;
static size_t scratch_size;
#define KEEP (4u << 20)

static int grow(struct writer *w, Py_ssize_t more) {
  Py_ssize_t need = w->n + more;
  if (need <= w->cap) return 0;
  Py_ssize_t cap = w->cap ? w->cap : 4096;
  while (cap < need) cap *= 2;
  void *b = PyMem_Realloc(w->buf, (size_t)cap * (size_t)w->kind);
  if (!b) {
    PyErr_NoMemory();
    return -1;
  }
  w->buf = b;
  w->cap = cap;
  return 0;
}

static inline void widen_1_2(Py_UCS2 *d, const Py_UCS1 *s, Py_ssize_t n);
static inline void widen_1_4(Py_UCS4 *d, const Py_UCS1 *s, Py_ssize_t n);
static inline void widen_2_4(Py_UCS4 *d, const Py_UCS2 *s, Py_ssize_t n);

/* Rewrites what was written at a wider kind. */
static int widen(struct writer *w, int kind) {
  void *b = PyMem_Malloc((size_t)(w->cap ? w->cap : 1) * (size_t)kind);
  if (!b) {
    PyErr_NoMemory();
    return -1;
  }
  if (w->kind == 1 && kind == 2)
    widen_1_2(b, w->buf, w->n);
  else if (w->kind == 1)
    widen_1_4(b, w->buf, w->n);
  else
    widen_2_4(b, w->buf, w->n);
  PyMem_Free(w->buf);
  w->buf = b;
  w->kind = kind;
  return 0;
}

/* Appends n ASCII bytes. */
static inline int put(struct writer *w, const char *s, Py_ssize_t n) {
  if (w->n + n > w->cap && grow(w, n) < 0) return -1;
  Py_ssize_t i;
  switch (w->kind) {
    case 1:
      memcpy((Py_UCS1 *)w->buf + w->n, s, (size_t)n);
      break;
    case 2:
      for (i = 0; i < n; i++) ((Py_UCS2 *)w->buf)[w->n + i] = (Py_UCS1)s[i];
      break;
    default:
      for (i = 0; i < n; i++) ((Py_UCS4 *)w->buf)[w->n + i] = (Py_UCS1)s[i];
  }
  w->n += n;
  return 0;
}

/* What json.dumps writes for each character below 128: 0 = as is, else
 * the escape's second character ('u' = \u00XX). */
static char escape_of[128];

static void init_escapes(void) {
  for (int c = 0; c < 0x20; c++) escape_of[c] = 'u';
  escape_of['\b'] = 'b';
  escape_of['\f'] = 'f';
  escape_of['\n'] = 'n';
  escape_of['\r'] = 'r';
  escape_of['\t'] = 't';
  escape_of['"'] = '"';
  escape_of['\\'] = '\\';
}

/* The length of the run at s[0, n) that needs no escape (no control
 * character, '"' or '\\'), 16 bytes at a time with SSE2. */
static inline Py_ssize_t clean_1(const Py_UCS1 *s, Py_ssize_t n) {
  Py_ssize_t i = 0;
#if defined(__SSE2__)
  const __m128i ctl = _mm_set1_epi8(0x1F), quote = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\');
  for (; n - i >= 16; i += 16) {
    __m128i x = _mm_loadu_si128((const __m128i *)(s + i));
    __m128i m = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(x, ctl), x),
                             _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bs)));
    int bits = _mm_movemask_epi8(m);
    if (bits) return i + __builtin_ctz((unsigned)bits);
  }
#endif
  for (; i < n; i++)
    if (s[i] < 128 && escape_of[s[i]]) break;
  return i;
}

static inline Py_ssize_t clean_2(const Py_UCS2 *s, Py_ssize_t n) {
  Py_ssize_t i = 0;
#if defined(__SSE2__)
  const __m128i ctl = _mm_set1_epi16(0x1F), quote = _mm_set1_epi16('"'), bs = _mm_set1_epi16('\\'),
                zero = _mm_setzero_si128();
  for (; n - i >= 8; i += 8) {
    __m128i x = _mm_loadu_si128((const __m128i *)(s + i));
    __m128i m = _mm_or_si128(_mm_cmpeq_epi16(_mm_subs_epu16(x, ctl), zero),
                             _mm_or_si128(_mm_cmpeq_epi16(x, quote), _mm_cmpeq_epi16(x, bs)));
    int bits = _mm_movemask_epi8(m);
    if (bits) return i + __builtin_ctz((unsigned)bits) / 2;
  }
#endif
  for (; i < n; i++)
    if (s[i] < 128 && escape_of[s[i]]) break;
  return i;
}

static inline Py_ssize_t clean_4(const Py_UCS4 *s, Py_ssize_t n) {
  Py_ssize_t i = 0;
#if defined(__SSE2__)
  const __m128i sp = _mm_set1_epi32(0x20), quote = _mm_set1_epi32('"'), bs = _mm_set1_epi32('\\');
  for (; n - i >= 4; i += 4) {
    __m128i x = _mm_loadu_si128((const __m128i *)(s + i));
    __m128i m = _mm_or_si128(_mm_cmplt_epi32(x, sp), /* code points fit in 21 bits */
                             _mm_or_si128(_mm_cmpeq_epi32(x, quote), _mm_cmpeq_epi32(x, bs)));
    int bits = _mm_movemask_epi8(m);
    if (bits) return i + __builtin_ctz((unsigned)bits) / 4;
  }
#endif
  for (; i < n; i++)
    if (s[i] < 128 && escape_of[s[i]]) break;
  return i;
}

/* Copies n code units of kind SRC to kind DST (DST >= SRC). */
static inline void widen_1_2(Py_UCS2 *d, const Py_UCS1 *s, Py_ssize_t n) {
  Py_ssize_t i = 0;
#if defined(__SSE2__)
  const __m128i z = _mm_setzero_si128();
  for (; n - i >= 16; i += 16) {
    __m128i x = _mm_loadu_si128((const __m128i *)(s + i));
    _mm_storeu_si128((__m128i *)(d + i), _mm_unpacklo_epi8(x, z));
    _mm_storeu_si128((__m128i *)(d + i + 8), _mm_unpackhi_epi8(x, z));
  }
#endif
  for (; i < n; i++) d[i] = s[i];
}

static inline void widen_1_4(Py_UCS4 *d, const Py_UCS1 *s, Py_ssize_t n) {
  Py_ssize_t i = 0;
#if defined(__SSE2__)
  const __m128i z = _mm_setzero_si128();
  for (; n - i >= 16; i += 16) {
    __m128i x = _mm_loadu_si128((const __m128i *)(s + i));
    __m128i lo = _mm_unpacklo_epi8(x, z), hi = _mm_unpackhi_epi8(x, z);
    _mm_storeu_si128((__m128i *)(d + i), _mm_unpacklo_epi16(lo, z));
    _mm_storeu_si128((__m128i *)(d + i + 4), _mm_unpackhi_epi16(lo, z));
    _mm_storeu_si128((__m128i *)(d + i + 8), _mm_unpacklo_epi16(hi, z));
    _mm_storeu_si128((__m128i *)(d + i + 12), _mm_unpackhi_epi16(hi, z));
  }
#endif
  for (; i < n; i++) d[i] = s[i];
}

static inline void widen_2_4(Py_UCS4 *d, const Py_UCS2 *s, Py_ssize_t n) {
  Py_ssize_t i = 0;
#if defined(__SSE2__)
  const __m128i z = _mm_setzero_si128();
  for (; n - i >= 8; i += 8) {
    __m128i x = _mm_loadu_si128((const __m128i *)(s + i));
    _mm_storeu_si128((__m128i *)(d + i), _mm_unpacklo_epi16(x, z));
    _mm_storeu_si128((__m128i *)(d + i + 4), _mm_unpackhi_epi16(x, z));
  }
#endif
  for (; i < n; i++) d[i] = s[i];
}

#define same_1_1(d, s, n) memcpy(d, s, (size_t)(n))
#define same_2_2(d, s, n) memcpy(d, s, 2 * (size_t)(n))
#define same_4_4(d, s, n) memcpy(d, s, 4 * (size_t)(n))

/* Copies a str of kind SRC into the buffer of kind DST (DST >= SRC) with
 * json.dumps' escapes: runs that need none in bulk (CLEAN finds their end,
 * MOVE copies them), then one escape. d has room for 6 units per
 * character. Returns the units written. */
#define ESCAPE_COPY(NAME, SRC, DST, CLEAN, MOVE)                        \
  static Py_ssize_t NAME(DST *d, const SRC *s, Py_ssize_t n) {          \
    static const char hex[] = "0123456789abcdef";                       \
    DST *d0 = d;                                                        \
    Py_ssize_t i = 0;                                                   \
    for (;;) {                                                          \
      Py_ssize_t k = CLEAN(s + i, n - i);                               \
      MOVE(d, s + i, k);                                                \
      d += k;                                                           \
      i += k;                                                           \
      if (i == n) break;                                                \
      Py_UCS4 c = s[i++];                                               \
      char e = escape_of[c];                                            \
      *d++ = '\\';                                                      \
      *d++ = (DST)e;                                                    \
      if (e == 'u') {                                                   \
        *d++ = '0';                                                     \
        *d++ = '0';                                                     \
        *d++ = (DST)hex[c >> 4];                                        \
        *d++ = (DST)hex[c & 15];                                        \
      }                                                                 \
    }                                                                   \
    return d - d0;                                                      \
  }
ESCAPE_COPY(copy_1_1, Py_UCS1, Py_UCS1, clean_1, same_1_1)
ESCAPE_COPY(copy_1_2, Py_UCS1, Py_UCS2, clean_1, widen_1_2)
ESCAPE_COPY(copy_1_4, Py_UCS1, Py_UCS4, clean_1, widen_1_4)
ESCAPE_COPY(copy_2_2, Py_UCS2, Py_UCS2, clean_2, same_2_2)
ESCAPE_COPY(copy_2_4, Py_UCS2, Py_UCS4, clean_2, widen_2_4)
ESCAPE_COPY(copy_4_4, Py_UCS4, Py_UCS4, clean_4, same_4_4)

/* Appends the quoted, escaped str s. */
static int put_str(struct writer *w, PyObject *s) {
#if PY_VERSION_HEX < 0x030C0000
  if (PyUnicode_READY(s) < 0) return -1;
#endif
  int kind = PyUnicode_KIND(s);
  Py_ssize_t n = PyUnicode_GET_LENGTH(s);
  const void *data = PyUnicode_DATA(s);
  if (kind > w->kind && widen(w, kind) < 0) return -1;
  if (w->n + 6 * n + 2 > w->cap && grow(w, 6 * n + 2) < 0) return -1;
  Py_ssize_t at = w->n;
  switch (w->kind) {
    case 1: {
      Py_UCS1 *d = (Py_UCS1 *)w->buf + at;
      *d++ = '"';
      if (!PyUnicode_IS_ASCII(s)) w->nonascii = 1;
      Py_ssize_t k = copy_1_1(d, data, n);
      d[k] = '"';
      w->n = at + k + 2;
      break;
    }
    case 2: {
      Py_UCS2 *d = (Py_UCS2 *)w->buf + at;
      *d++ = '"';
      Py_ssize_t k = kind == 1 ? copy_1_2(d, data, n) : copy_2_2(d, data, n);
      d[k] = '"';
      w->n = at + k + 2;
      break;
    }
    default: {
      Py_UCS4 *d = (Py_UCS4 *)w->buf + at;
      *d++ = '"';
      Py_ssize_t k = kind == 1 ? copy_1_4(d, data, n) : kind == 2 ? copy_2_4(d, data, n) : copy_4_4(d, data, n);
      d[k] = '"';
      w->n = at + k + 2;
    }
  }
  return 0;
}

/* Appends an int's decimal text; 1 when the caller's encoder must do it. */
static int put_int(struct writer *w, PyObject *o) {
  int overflow;
  long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
  if (overflow) {
    PyObject *text = PyLong_Type.tp_repr(o); /* int.__repr__, as json.dumps */
    if (!text) {
      PyErr_Clear(); /* e.g. the digit limit: the fallback raises it */
      return 1;
    }
    int rc = put(w, (const char *)PyUnicode_1BYTE_DATA(text), PyUnicode_GET_LENGTH(text));
    Py_DECREF(text);
    return rc;
  }
  char buf[24], *e = buf + sizeof buf, *p = e;
  unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
  do {
    *--p = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0) *--p = '-';
  return put(w, p, e - p);
}

/* Deeper than this, the caller's encoder takes over (it raises
 * RecursionError or "Circular reference detected" as json.dumps does). */
#define DUMPS_MAX_DEPTH 512

/* 0 written, -1 Python error (memory), 1 declined: the caller encodes. */
static int put_value(struct writer *w, PyObject *o, int depth) {
  PyTypeObject *type = Py_TYPE(o);
  if (type == &PyUnicode_Type) return put_str(w, o);
  if (o == Py_None) return put(w, "null", 4);
  if (o == Py_True) return put(w, "true", 4);
  if (o == Py_False) return put(w, "false", 5);
  if (type == &PyLong_Type) return put_int(w, o);
  if (type == &PyFloat_Type) {
    double x = PyFloat_AS_DOUBLE(o);
    uint8_t text[32];
    int n = levee_json_format_pyfloat(text, x);
    if (n < 0) return 1; /* NaN or infinity: json.dumps' ValueError */
    return put(w, (const char *)text, n);
  }
  if (depth >= DUMPS_MAX_DEPTH) return 1;
  if (type == &PyList_Type || type == &PyTuple_Type) {
    Py_ssize_t n = Py_SIZE(o);
    PyObject **items = type == &PyList_Type ? ((PyListObject *)o)->ob_item : ((PyTupleObject *)o)->ob_item;
    if (put(w, "[", 1) < 0) return -1;
    for (Py_ssize_t i = 0; i < n; i++) {
      if (i && put(w, ", ", 2) < 0) return -1;
      int rc = put_value(w, items[i], depth + 1);
      if (rc) return rc;
    }
    return put(w, "]", 1);
  }
  if (type == &PyDict_Type) {
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    int first = 1;
    if (put(w, "{", 1) < 0) return -1;
    while (PyDict_Next(o, &pos, &k, &v)) {
      if (!PyUnicode_CheckExact(k)) return 1; /* json.dumps converts or refuses */
      if (!first && put(w, ", ", 2) < 0) return -1;
      first = 0;
      if (put_str(w, k) < 0 || put(w, ": ", 2) < 0) return -1;
      int rc = put_value(w, v, depth + 1);
      if (rc) return rc;
    }
    return put(w, "}", 1);
  }
  return 1;
}

static PyObject *ext_dumps(PyObject *self, PyObject *obj) {
  (void)self;
  struct writer w = {scratch, 0, (Py_ssize_t)scratch_size, 1, 0};
  scratch = NULL;
  scratch_size = 0;
  int rc = put_value(&w, obj, 0);
  PyObject *result = NULL;
  if (rc == 0) {
    Py_UCS4 max = w.kind == 1 ? (w.nonascii ? 255 : 127) : w.kind == 2 ? 0xFFFF : 0x10FFFF;
    result = PyUnicode_New(w.n, max);
    if (result) memcpy(PyUnicode_DATA(result), w.buf, (size_t)w.n * (size_t)w.kind);
  } else if (rc == 1) {
    result = Py_NewRef(Py_None);
  }
  size_t bytes = (size_t)w.cap * (size_t)w.kind;
  if (w.buf && bytes <= KEEP) { /* kept as kind-1 room of the same bytes */
    scratch = w.buf;
    scratch_size = bytes;
  } else {
    PyMem_Free(w.buf);
  }
  return result;
}

/* ----------------------------------------------------------------- module */

static PyMethodDef methods[] = {
    {"loads", ext_loads, METH_O, "loads(data): value, (code, offset) or NotImplemented"},
    {"build", ext_build, METH_VARARGS, "build(handle, input): value of the handle's tape"},
    {"dumps", ext_dumps, METH_O, "dumps(obj): JSON text, or None when declined"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "levee._json_ext",
    "Native object building for levee.json (private; see levee.json).", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__json_ext(void) {
  init_escapes();
  if (!shared_handle && levee_json_new(&shared_handle) < 0) return PyErr_NoMemory();
  return PyModule_Create(&module);
}
