/*
 * levee.h — the whole public ABI of liblevee.
 *
 * Everything between the two cdef marker comments below (begin and end) is
 * plain C that LuaJIT's ffi.cdef and Python cffi's cdef load verbatim: no
 * preprocessor lines, macros, attributes, bitfields, varargs or inline
 * functions; only fixed-width integers, size_t, double, pointers, enums and
 * opaque struct typedefs. Functions return int (0 or a count on success, a
 * negative LEVEE_E* code on failure) unless the comment says otherwise.
 *
 * See docs/abi.md for what keeps liblevee.so.0 compatible.
 */
#ifndef LEVEE_H
#define LEVEE_H

#include <stddef.h>
#include <stdint.h>

/* The version of levee, written here only: the Makefile, levee.pc, the
 * bindings and the packages read it from these three lines (debian/changelog
 * and the rockspec repeat it; tests/suites/version checks they agree). */
#define LEVEE_VERSION_MAJOR 0
#define LEVEE_VERSION_MINOR 1
#define LEVEE_VERSION_PATCH 0

#ifdef __cplusplus
extern "C" {
#endif

/* The library builds with -fvisibility=hidden; what this header declares is
 * the exported ABI (lib/levee.map keeps the export list to levee_*). */
#if defined(__GNUC__)
#pragma GCC visibility push(default)
#endif

/* levee:cdef-begin */

/* ===================================================================== */
/* version                                                               */
/* ===================================================================== */

/* The library's version as major * 10000 + minor * 100 + patch. */
int levee_version(void);

/* The library's version as a static string such as "0.1.0". */
const char *levee_version_string(void);

/* ===================================================================== */
/* errors                                                                */
/* ===================================================================== */

/* Every error levee reports, as a fixed negative code that is the same on
 * every OS. system: -(Linux errno). addr: -200 + glibc EAI_*. utf8, http,
 * json, msgpack, path, uri, base64: -1001..-1070. dns: -1100..-1134. tls:
 * -30000..-30006. levee: -10100..-10104. Values are never renumbered. */
enum levee_errcode {
  LEVEE_OK = 0, /* success */
  LEVEE_EPERM = -1, /* operation not permitted */
  LEVEE_ENOENT = -2, /* no such file or directory */
  LEVEE_ESRCH = -3, /* no such process */
  LEVEE_EINTR = -4, /* interrupted system call */
  LEVEE_EIO = -5, /* input/output error */
  LEVEE_ENXIO = -6, /* no such device or address */
  LEVEE_E2BIG = -7, /* argument list too long */
  LEVEE_ENOEXEC = -8, /* exec format error */
  LEVEE_EBADF = -9, /* bad file descriptor */
  LEVEE_ECHILD = -10, /* no child processes */
  LEVEE_EAGAIN = -11, /* resource temporarily unavailable */
  LEVEE_ENOMEM = -12, /* cannot allocate memory */
  LEVEE_EACCES = -13, /* permission denied */
  LEVEE_EFAULT = -14, /* bad address */
  LEVEE_ENOTBLK = -15, /* block device required */
  LEVEE_EBUSY = -16, /* device or resource busy */
  LEVEE_EEXIST = -17, /* file exists */
  LEVEE_EXDEV = -18, /* invalid cross-device link */
  LEVEE_ENODEV = -19, /* no such device */
  LEVEE_ENOTDIR = -20, /* not a directory */
  LEVEE_EISDIR = -21, /* is a directory */
  LEVEE_EINVAL = -22, /* invalid argument */
  LEVEE_ENFILE = -23, /* too many open files in system */
  LEVEE_EMFILE = -24, /* too many open files */
  LEVEE_ENOTTY = -25, /* inappropriate ioctl for device */
  LEVEE_ETXTBSY = -26, /* text file busy */
  LEVEE_EFBIG = -27, /* file too large */
  LEVEE_ENOSPC = -28, /* no space left on device */
  LEVEE_ESPIPE = -29, /* illegal seek */
  LEVEE_EROFS = -30, /* read-only file system */
  LEVEE_EMLINK = -31, /* too many links */
  LEVEE_EPIPE = -32, /* broken pipe */
  LEVEE_EDOM = -33, /* numerical argument out of domain */
  LEVEE_ERANGE = -34, /* numerical result out of range */
  LEVEE_EDEADLK = -35, /* resource deadlock avoided */
  LEVEE_ENAMETOOLONG = -36, /* file name too long */
  LEVEE_ENOLCK = -37, /* no locks available */
  LEVEE_ENOSYS = -38, /* function not implemented */
  LEVEE_ENOTEMPTY = -39, /* directory not empty */
  LEVEE_ELOOP = -40, /* too many levels of symbolic links */
  LEVEE_ENOMSG = -42, /* no message of desired type */
  LEVEE_EIDRM = -43, /* identifier removed */
  LEVEE_ECHRNG = -44, /* channel number out of range */
  LEVEE_EL2NSYNC = -45, /* level 2 not synchronized */
  LEVEE_EL3HLT = -46, /* level 3 halted */
  LEVEE_EL3RST = -47, /* level 3 reset */
  LEVEE_ELNRNG = -48, /* link number out of range */
  LEVEE_EUNATCH = -49, /* protocol driver not attached */
  LEVEE_ENOCSI = -50, /* no csi structure available */
  LEVEE_EL2HLT = -51, /* level 2 halted */
  LEVEE_EBADE = -52, /* invalid exchange */
  LEVEE_EBADR = -53, /* invalid request descriptor */
  LEVEE_EXFULL = -54, /* exchange full */
  LEVEE_ENOANO = -55, /* no anode */
  LEVEE_EBADRQC = -56, /* invalid request code */
  LEVEE_EBADSLT = -57, /* invalid slot */
  LEVEE_EBFONT = -59, /* bad font file format */
  LEVEE_ENOSTR = -60, /* device not a stream */
  LEVEE_ENODATA = -61, /* no data available */
  LEVEE_ETIME = -62, /* timer expired */
  LEVEE_ENOSR = -63, /* out of streams resources */
  LEVEE_ENONET = -64, /* machine is not on the network */
  LEVEE_ENOPKG = -65, /* package not installed */
  LEVEE_EREMOTE = -66, /* object is remote */
  LEVEE_ENOLINK = -67, /* link has been severed */
  LEVEE_EADV = -68, /* advertise error */
  LEVEE_ESRMNT = -69, /* srmount error */
  LEVEE_ECOMM = -70, /* communication error on send */
  LEVEE_EPROTO = -71, /* protocol error */
  LEVEE_EMULTIHOP = -72, /* multihop attempted */
  LEVEE_EDOTDOT = -73, /* rfs specific error */
  LEVEE_EBADMSG = -74, /* bad message */
  LEVEE_EOVERFLOW = -75, /* value too large for defined data type */
  LEVEE_ENOTUNIQ = -76, /* name not unique on network */
  LEVEE_EBADFD = -77, /* file descriptor in bad state */
  LEVEE_EREMCHG = -78, /* remote address changed */
  LEVEE_ELIBACC = -79, /* can not access a needed shared library */
  LEVEE_ELIBBAD = -80, /* accessing a corrupted shared library */
  LEVEE_ELIBSCN = -81, /* .lib section in a.out corrupted */
  LEVEE_ELIBMAX = -82, /* attempting to link in too many shared libraries */
  LEVEE_ELIBEXEC = -83, /* cannot exec a shared library directly */
  LEVEE_EILSEQ = -84, /* invalid or incomplete multibyte or wide character */
  LEVEE_ERESTART = -85, /* interrupted system call should be restarted */
  LEVEE_ESTRPIPE = -86, /* streams pipe error */
  LEVEE_EUSERS = -87, /* too many users */
  LEVEE_ENOTSOCK = -88, /* socket operation on non-socket */
  LEVEE_EDESTADDRREQ = -89, /* destination address required */
  LEVEE_EMSGSIZE = -90, /* message too long */
  LEVEE_EPROTOTYPE = -91, /* protocol wrong type for socket */
  LEVEE_ENOPROTOOPT = -92, /* protocol not available */
  LEVEE_EPROTONOSUPPORT = -93, /* protocol not supported */
  LEVEE_ESOCKTNOSUPPORT = -94, /* socket type not supported */
  LEVEE_ENOTSUP = -95, /* operation not supported */
  LEVEE_EPFNOSUPPORT = -96, /* protocol family not supported */
  LEVEE_EAFNOSUPPORT = -97, /* address family not supported by protocol */
  LEVEE_EADDRINUSE = -98, /* address already in use */
  LEVEE_EADDRNOTAVAIL = -99, /* cannot assign requested address */
  LEVEE_ENETDOWN = -100, /* network is down */
  LEVEE_ENETUNREACH = -101, /* network is unreachable */
  LEVEE_ENETRESET = -102, /* network dropped connection on reset */
  LEVEE_ECONNABORTED = -103, /* software caused connection abort */
  LEVEE_ECONNRESET = -104, /* connection reset by peer */
  LEVEE_ENOBUFS = -105, /* no buffer space available */
  LEVEE_EISCONN = -106, /* transport endpoint is already connected */
  LEVEE_ENOTCONN = -107, /* transport endpoint is not connected */
  LEVEE_ESHUTDOWN = -108, /* cannot send after transport endpoint shutdown */
  LEVEE_ETOOMANYREFS = -109, /* too many references: cannot splice */
  LEVEE_ETIMEDOUT = -110, /* connection timed out */
  LEVEE_ECONNREFUSED = -111, /* connection refused */
  LEVEE_EHOSTDOWN = -112, /* host is down */
  LEVEE_EHOSTUNREACH = -113, /* no route to host */
  LEVEE_EALREADY = -114, /* operation already in progress */
  LEVEE_EINPROGRESS = -115, /* operation now in progress */
  LEVEE_ESTALE = -116, /* stale file handle */
  LEVEE_EUCLEAN = -117, /* structure needs cleaning */
  LEVEE_ENOTNAM = -118, /* not a xenix named type file */
  LEVEE_ENAVAIL = -119, /* no xenix semaphores available */
  LEVEE_EISNAM = -120, /* is a named type file */
  LEVEE_EREMOTEIO = -121, /* remote i/o error */
  LEVEE_EDQUOT = -122, /* disk quota exceeded */
  LEVEE_ENOMEDIUM = -123, /* no medium found */
  LEVEE_EMEDIUMTYPE = -124, /* wrong medium type */
  LEVEE_ECANCELED = -125, /* operation canceled */
  LEVEE_ENOKEY = -126, /* required key not available */
  LEVEE_EKEYEXPIRED = -127, /* key has expired */
  LEVEE_EKEYREVOKED = -128, /* key has been revoked */
  LEVEE_EKEYREJECTED = -129, /* key was rejected by service */
  LEVEE_EOWNERDEAD = -130, /* owner died */
  LEVEE_ENOTRECOVERABLE = -131, /* state not recoverable */
  LEVEE_ERFKILL = -132, /* operation not possible due to rf-kill */
  LEVEE_EHWPOISON = -133, /* memory page has hardware error */
  LEVEE_EOPNOTSUPP = -95, /* alias of LEVEE_ENOTSUP */
  LEVEE_EWOULDBLOCK = -11, /* alias of LEVEE_EAGAIN */
  LEVEE_EDEADLOCK = -35, /* alias of LEVEE_EDEADLK */

  LEVEE_EAI_BADFLAGS = -201, /* addr.EBADFLAGS: bad value for ai_flags */
  LEVEE_EAI_NONAME = -202, /* addr.ENONAME: name or service not known */
  LEVEE_EAI_AGAIN = -203, /* addr.EAGAIN: temporary failure in name resolution */
  LEVEE_EAI_FAIL = -204, /* addr.EFAIL: non-recoverable failure in name resolution */
  LEVEE_EAI_NODATA = -205, /* addr.ENODATA: no address associated with hostname */
  LEVEE_EAI_FAMILY = -206, /* addr.EFAMILY: ai_family not supported */
  LEVEE_EAI_SOCKTYPE = -207, /* addr.ESOCKTYPE: ai_socktype not supported */
  LEVEE_EAI_SERVICE = -208, /* addr.ESERVICE: servname not supported for ai_socktype */
  LEVEE_EAI_ADDRFAMILY = -209, /* addr.EADDRFAMILY: address family for hostname not supported */
  LEVEE_EAI_MEMORY = -210, /* addr.EMEMORY: memory allocation failure */
  LEVEE_EAI_OVERFLOW = -212, /* addr.EOVERFLOW: argument buffer overflow */
  LEVEE_EAI_BADHINTS = -213, /* addr.EBADHINTS: invalid value for hints (BSD name) */
  LEVEE_EAI_PROTOCOL = -214, /* addr.EPROTOCOL: resolved protocol is unknown (BSD name) */
  LEVEE_EAI_CANCELED = -301, /* addr.ECANCELED: request canceled */

  LEVEE_UTF8_ESIZE = -1001, /* utf8.ESIZE: invalid size */
  LEVEE_UTF8_EESCAPE = -1002, /* utf8.EESCAPE: invalid escape sequence */
  LEVEE_UTF8_ECODEPOINT = -1003, /* utf8.ECODEPOINT: invalid code point */
  LEVEE_UTF8_EENCODING = -1004, /* utf8.EENCODING: invalid encoding */
  LEVEE_UTF8_ESURROGATE = -1005, /* utf8.ESURROGATE: invalid surrogate pair */
  LEVEE_UTF8_ETOOSHORT = -1006, /* utf8.ETOOSHORT: byte sequence too short */
  LEVEE_UTF8_EBUFS = -1007, /* utf8.EBUFS: buffer too small */

  LEVEE_HTTP_ESYNTAX = -1010, /* http.ESYNTAX: invalid HTTP syntax */
  LEVEE_HTTP_ESIZE = -1011, /* http.ESIZE: HTTP element exceeds its size limit */
  LEVEE_HTTP_ESTATE = -1012, /* http.ESTATE: invalid HTTP parser state */
  LEVEE_HTTP_ETOOSHORT = -1013, /* http.ETOOSHORT: HTTP input too short */

  LEVEE_JSON_ESYNTAX = -1020, /* json.ESYNTAX: invalid JSON syntax */
  LEVEE_JSON_ESIZE = -1021, /* json.ESIZE: JSON element exceeds its size limit */
  LEVEE_JSON_ESTACK = -1022, /* json.ESTACK: JSON nesting too deep */
  LEVEE_JSON_ESTATE = -1023, /* json.ESTATE: invalid JSON parser state */
  LEVEE_JSON_EESCAPE = -1024, /* json.EESCAPE: invalid JSON escape */
  LEVEE_JSON_EBYTE = -1025, /* json.EBYTE: invalid byte in JSON input */

  LEVEE_MSGPACK_ESYNTAX = -1030, /* msgpack.ESYNTAX: invalid msgpack syntax */
  LEVEE_MSGPACK_ESTACK = -1032, /* msgpack.ESTACK: msgpack nesting too deep */

  LEVEE_PATH_EBUFS = -1051, /* path.EBUFS: path buffer too small */
  LEVEE_PATH_ENOTFOUND = -1052, /* path.ENOTFOUND: path not found */
  LEVEE_PATH_ECLOSED = -1053, /* path.ECLOSED: path iterator closed */

  LEVEE_URI_ESYNTAX = -1060, /* uri.ESYNTAX: invalid URI syntax */
  LEVEE_URI_EBUFS = -1061, /* uri.EBUFS: URI buffer too small */
  LEVEE_URI_ESEGMENT = -1062, /* uri.ESEGMENT: invalid URI segment */
  LEVEE_URI_ERANGE = -1063, /* uri.ERANGE: URI segment out of range */

  LEVEE_BASE64_ETOOSHORT = -1070, /* base64.ETOOSHORT: base64 input truncated */

  LEVEE_DNS_ENOBUFS = -1100, /* dns.ENOBUFS: DNS packet buffer too small */
  LEVEE_DNS_EILLEGAL = -1101, /* dns.EILLEGAL: illegal DNS RR name or data */
  LEVEE_DNS_EORDER = -1102, /* dns.EORDER: DNS section order violation */
  LEVEE_DNS_ESECTION = -1103, /* dns.ESECTION: invalid DNS section */
  LEVEE_DNS_EUNKNOWN = -1104, /* dns.EUNKNOWN: unknown DNS error */
  LEVEE_DNS_EADDRESS = -1105, /* dns.EADDRESS: invalid textual address form */
  LEVEE_DNS_ENOQUERY = -1106, /* dns.ENOQUERY: DNS query not sent */
  LEVEE_DNS_ENOANSWER = -1107, /* dns.ENOANSWER: no DNS answer */
  LEVEE_DNS_EFETCHED = -1108, /* dns.EFETCHED: DNS answer already fetched */
  LEVEE_DNS_ESERVICE = -1109, /* dns.ESERVICE: DNS service unavailable */
  LEVEE_DNS_ENONAME = -1110, /* dns.ENONAME: DNS name not known */
  LEVEE_DNS_EFAIL = -1111, /* dns.EFAIL: non-recoverable DNS failure */
  LEVEE_DNS_ELAST = -1112, /* dns.ELAST: last DNS library error */
  LEVEE_DNS_NOERROR = -1113, /* dns.NOERROR: RCODE 0 */
  LEVEE_DNS_FORMERR = -1114, /* dns.FORMERR: RCODE 1, format error */
  LEVEE_DNS_SERVFAIL = -1115, /* dns.SERVFAIL: RCODE 2, server failure */
  LEVEE_DNS_NXDOMAIN = -1116, /* dns.NXDOMAIN: RCODE 3, no such domain */
  LEVEE_DNS_NOTIMP = -1117, /* dns.NOTIMP: RCODE 4, not implemented */
  LEVEE_DNS_REFUSED = -1118, /* dns.REFUSED: RCODE 5, refused */
  LEVEE_DNS_YXDOMAIN = -1119, /* dns.YXDOMAIN: RCODE 6, name exists */
  LEVEE_DNS_YXRRSET = -1120, /* dns.YXRRSET: RCODE 7, RR set exists */
  LEVEE_DNS_NXRRSET = -1121, /* dns.NXRRSET: RCODE 8, RR set does not exist */
  LEVEE_DNS_NOTAUTH = -1122, /* dns.NOTAUTH: RCODE 9, not authoritative */
  LEVEE_DNS_NOTZONE = -1123, /* dns.NOTZONE: RCODE 10, name not in zone */
  LEVEE_DNS_BADVERS = -1129, /* dns.BADVERS: RCODE 16, bad OPT version */
  LEVEE_DNS_BADKEY = -1130, /* dns.BADKEY: RCODE 17, key not recognised */
  LEVEE_DNS_BADTIME = -1131, /* dns.BADTIME: RCODE 18, signature out of time window */
  LEVEE_DNS_BADMODE = -1132, /* dns.BADMODE: RCODE 19, bad TKEY mode */
  LEVEE_DNS_BADNAME = -1133, /* dns.BADNAME: RCODE 20, duplicate key name */
  LEVEE_DNS_BADALG = -1134, /* dns.BADALG: RCODE 21, algorithm not supported */

  LEVEE_TIMEOUT = -10100, /* levee.TIMEOUT: operation timed out */
  LEVEE_CLOSED = -10101, /* levee.CLOSED: channel is closed */
  LEVEE_EINTERNAL = -10102, /* levee.EINTERNAL: internal error */
  LEVEE_EUNKNOWN = -10103, /* levee.EUNKNOWN: unknown error */
  LEVEE_EFORKED = -10104, /* levee.EFORKED: a hub used in the child of a fork(); make a new one */

  LEVEE_TLS_EGENERIC = -30000, /* tls.GENERIC: TLS error */
  LEVEE_TLS_ECONFIG = -30001, /* tls.CONFIG: TLS configuration error */
  LEVEE_TLS_ECONTEXT = -30002, /* tls.CONTEXT: TLS context error */
  LEVEE_TLS_ECLIENT = -30003, /* tls.CLIENT: TLS client error */
  LEVEE_TLS_ESERVER = -30004, /* tls.SERVER: TLS server error */
  LEVEE_TLS_EHANDSHAKE = -30005, /* tls.HANDSHAKE: the TLS handshake failed */
  LEVEE_TLS_EVERIFY = -30006 /* tls.VERIFY: the peer's certificate or name did not verify */
};

/* An entry of the process-wide error registry. Entries are never freed or
 * moved, so a pointer identifies an error in every thread of the process. */
typedef struct levee_error levee_error;

/* The registry entry for code (sign-insensitive: 2 and -2 are the same), or
 * NULL when no error has that code. Thread-safe. */
const levee_error *levee_error_get(int code);

/* The entry's negative code. */
int levee_error_code(const levee_error *e);

/* The entry's domain ("system", "levee", "json", ...), a static string. */
const char *levee_error_domain(const levee_error *e);

/* The entry's name ("ENOENT", "TIMEOUT", ...), a static string. */
const char *levee_error_name(const levee_error *e);

/* The entry's message ("no such file or directory"), a static string. */
const char *levee_error_msg(const levee_error *e);

/* Registers a user error. code is sign-insensitive and must satisfy
 * |code| >= 2000; domain <= 31 bytes, name <= 63 bytes (all copied). On
 * success *out is the new entry and 0 is returned. LEVEE_EEXIST when the
 * code is taken (*out is then the existing entry), LEVEE_EINVAL for a bad
 * argument (*out = NULL), LEVEE_ENOMEM. Thread-safe. */
int levee_error_add(int code, const char *domain, const char *name, const char *msg, const levee_error **out);

/* How many entries the registry holds now (entries are only ever added). */
size_t levee_error_count(void);

/* The i-th entry in registration order, or NULL when i >= count. */
const levee_error *levee_error_at(size_t i);

/* The message of code ("unknown error" when no entry has it), static. */
const char *levee_strerror(int code);

/* The "domain.NAME" of code ("levee.EUNKNOWN" when none), static. */
const char *levee_errname(int code);

/* Maps an OS errno value (positive) to its LEVEE_E* code. */
int levee_errno_code(int os_errno);

/* A description of the last error this thread saw from levee, or "" when it
 * left none. It describes an error; it never signals one. Valid until the
 * next levee call on this thread. */
const char *levee_last_message(void);

/* levee:section buffer */

/* ===================================================================== */
/* buffer: a growable byte region                                        */
/* ===================================================================== */

/* A growable byte region: [frozen][consumed][data][tail]. Bytes are added
 * at the tail (write, or tail + bump) and consumed from the front (trim).
 * Pointers returned by value/tail stay valid until the next call that may
 * grow or compact the buffer (ensure, write, truncate, freeze, thaw,
 * remove). Sizes are capped at 2^46 bytes; larger requests are LEVEE_ENOMEM. */
typedef struct levee_buffer levee_buffer;

/* Makes an empty buffer. hint 0 allocates nothing; otherwise the capacity is
 * the next power of two >= hint (at least 8192) up to 128 KiB, then hint
 * rounded up to a multiple of 128 KiB. LEVEE_EINVAL if out is NULL,
 * LEVEE_ENOMEM. */
int levee_buffer_new(levee_buffer **out, size_t hint);

/* Frees the buffer and its bytes. NULL is a no-op. */
void levee_buffer_free(levee_buffer *buf);

/* Pointer to the first held byte (NULL only while nothing was allocated). */
uint8_t *levee_buffer_value(const levee_buffer *buf);

/* Number of bytes held (0 for NULL). */
size_t levee_buffer_len(const levee_buffer *buf);

/* Allocated capacity in bytes, frozen bytes included. */
size_t levee_buffer_cap(const levee_buffer *buf);

/* Free bytes after the data, writable at levee_buffer_tail. */
size_t levee_buffer_available(const levee_buffer *buf);

/* Pointer just past the held bytes: where the next bytes are written. */
uint8_t *levee_buffer_tail(const levee_buffer *buf);

/* Makes at least n free bytes available at the tail, compacting consumed
 * space or growing. 0, LEVEE_EINVAL (NULL), LEVEE_ENOMEM. */
int levee_buffer_ensure(levee_buffer *buf, size_t n);

/* Commits n bytes written at the tail. LEVEE_EINVAL if n > available. */
int levee_buffer_bump(levee_buffer *buf, size_t n);

/* Consumes up to n bytes from the front (SIZE_MAX: all); returns how many. */
size_t levee_buffer_trim(levee_buffer *buf, size_t n);

/* Appends n bytes copied from src (which may point into this buffer).
 * 0, LEVEE_EINVAL (NULL buf, or NULL src with n > 0), LEVEE_ENOMEM. */
int levee_buffer_write(levee_buffer *buf, const void *src, size_t n);

/* Copies up to n bytes from the front into dst without consuming them;
 * returns how many. */
size_t levee_buffer_copy(const levee_buffer *buf, void *dst, size_t n);

/* Copies up to n bytes from the front into dst and consumes them; returns
 * how many. */
size_t levee_buffer_move(levee_buffer *buf, void *dst, size_t n);

/* Removes up to n bytes starting off bytes into the data, closing the gap;
 * returns how many were removed (0 when off >= len). */
size_t levee_buffer_remove(levee_buffer *buf, size_t off, size_t n);

/* Moves the data to the front of the allocation (after frozen bytes), so
 * the whole free space is at the tail. 0 or LEVEE_EINVAL. */
int levee_buffer_truncate(levee_buffer *buf);

/* Hides the first n bytes of the data (n <= len): they survive trims and
 * growth and come back with thaw. 0 or LEVEE_EINVAL. */
int levee_buffer_freeze(levee_buffer *buf, size_t n);

/* Puts every frozen byte back in front of the data. 0 or LEVEE_EINVAL. */
int levee_buffer_thaw(levee_buffer *buf);

/* Number of frozen bytes. */
size_t levee_buffer_frozen(const levee_buffer *buf);

/* Empties the buffer (frozen bytes too) and keeps its allocation. */
void levee_buffer_reset(levee_buffer *buf);

/* Frees the allocation of an empty buffer (no data, nothing frozen) so an
 * idle buffer holds no memory; the next ensure or write allocates again.
 * 0, LEVEE_EBUSY when it holds bytes, LEVEE_EINVAL for NULL. */
int levee_buffer_release(levee_buffer *buf);


/* levee:section iovec */
/* (declarations of the iovec module go after this line) */

/* ===================================================================== */
/* iovec: a gather list ready for writev                                 */
/* ===================================================================== */

/* One gather entry; laid out exactly as the system's struct iovec, so
 * levee_iovec_entries can be handed to writev/sendmsg. Frozen. */
typedef struct levee_iovec_entry {
  const void *base; /* first byte; owned by the caller, not the iovec */
  size_t len;       /* bytes at base */
} levee_iovec_entry;

/* A growable array of levee_iovec_entry plus the total byte count. The
 * iovec never copies or owns the bytes its entries point at: the caller
 * keeps them alive until the entries are written or reset. */
typedef struct levee_iovec levee_iovec;

/* Makes an empty iovec with room for size entries (0: a small default).
 * LEVEE_EINVAL (out NULL), LEVEE_ENOMEM. */
int levee_iovec_new(levee_iovec **out, size_t size);

/* Frees the iovec (not the bytes it points at). NULL is a no-op. */
void levee_iovec_free(levee_iovec *iov);

/* Makes room for at least n more entries after the current ones.
 * 0, LEVEE_EINVAL (NULL), LEVEE_ENOMEM. */
int levee_iovec_ensure(levee_iovec *iov, size_t n);

/* Appends one entry (base, len); a zero-length entry is ignored.
 * 0, LEVEE_EINVAL (NULL iov, or NULL base with len > 0), LEVEE_ENOMEM. */
int levee_iovec_append(levee_iovec *iov, const void *base, size_t len);

/* The first live entry; valid until the next ensure/append/consume/reset
 * (NULL while nothing was allocated). */
levee_iovec_entry *levee_iovec_entries(const levee_iovec *iov);

/* Number of live entries (0 for NULL). */
size_t levee_iovec_count(const levee_iovec *iov);

/* Total bytes over the live entries (0 for NULL). */
size_t levee_iovec_bytes(const levee_iovec *iov);

/* Entries the current allocation holds, live ones included. */
size_t levee_iovec_size(const levee_iovec *iov);

/* Commits n entries the caller wrote at entries + count (after ensure).
 * len is their total bytes, or SIZE_MAX to sum them. 0, LEVEE_EINVAL (NULL,
 * or n beyond the allocation). */
int levee_iovec_bump(levee_iovec *iov, size_t n, size_t len);

/* Drops every entry; keeps the allocation. NULL is a no-op. */
void levee_iovec_reset(levee_iovec *iov);

/* Drops the first n bytes (after a partial writev): whole entries go,
 * a partly written one is advanced, and empty entries left at the front
 * go too. Returns the bytes dropped. */
size_t levee_iovec_consume(levee_iovec *iov, size_t n);

/* Copies up to n bytes, the entries concatenated, into dst; returns how
 * many. The iovec is unchanged. */
size_t levee_iovec_copy(const levee_iovec *iov, void *dst, size_t n);


/* levee:section data */
/* (declarations of the data module go after this line) */


/* levee:section hash */
/* (declarations of the hash module go after this line) */

/* ===================================================================== */
/* hash: SipHash-2-4 and a Bloom filter                                  */
/* ===================================================================== */

/* SipHash-2-4 of n bytes at p under levee's fixed key (the bytes 0x00..0x0f,
 * the reference test key), so placements are the same in every process and
 * every binding. p may be NULL when n is 0. */
uint64_t levee_siphash(const void *p, size_t n);

/* SipHash-2-4 of n bytes at p under a caller's 16-byte key. */
uint64_t levee_siphash_keyed(const void *p, size_t n, const uint8_t *key16);

/* A Bloom filter over 64-bit hashes (double hashing, k probes into m bits). */
typedef struct levee_bloom levee_bloom;

/* Makes a filter sized for hint items at false-positive probability fpp
 * (hint 0 means 64; fpp outside (0, 1) is LEVEE_EINVAL). LEVEE_ENOMEM. */
int levee_bloom_new(levee_bloom **out, uint64_t hint, double fpp);

/* Frees the filter. NULL is a no-op. */
void levee_bloom_free(levee_bloom *b);

/* Makes *out an independent copy of src. LEVEE_EINVAL, LEVEE_ENOMEM. */
int levee_bloom_copy(levee_bloom **out, const levee_bloom *src);

/* Adds a hash (levee_siphash of the item). NULL is a no-op. */
void levee_bloom_put_hash(levee_bloom *b, uint64_t hash);

/* 1 when the hash may have been added, 0 when it certainly was not. */
int levee_bloom_maybe_hash(const levee_bloom *b, uint64_t hash);

/* 1 when the filter is big enough to hold hint items at fpp, else 0. */
int levee_bloom_is_capable(const levee_bloom *b, uint64_t hint, double fpp);

/* Forgets every item. NULL is a no-op. */
void levee_bloom_clear(levee_bloom *b);

/* SipHash-2-4 of n bytes at p with ASCII letters folded to lower case
 * (case-insensitive: "Host" and "host" hash alike), under key16 (16
 * bytes; NULL = levee's fixed key). p may be NULL when n is 0. */
uint64_t levee_siphash_case(const void *p, size_t n, const uint8_t *key16);

/* MetroHash64 of n bytes at p with seed (J. Andrew Rogers' algorithm,
 * the MetroHash64 reference test vectors): a fast, non-cryptographic
 * 64-bit hash. p may be NULL when n is 0. */
uint64_t levee_metrohash64(const void *p, size_t n, uint64_t seed);

/* CRC-32 (IEEE 802.3, zlib's crc32) of n bytes at p, continuing from crc
 * (0 to start; levee_crc32(levee_crc32(0, a), b) is the CRC of a then b).
 * Uses carry-less multiplication (PCLMULQDQ) when the CPU has it, chosen
 * at run time, else slicing-by-8 tables. p may be NULL when n is 0. */
uint32_t levee_crc32(uint32_t crc, const void *p, size_t n);

/* CRC-32C (Castagnoli, iSCSI / ext4) of n bytes at p, continuing from crc
 * like levee_crc32. Uses the SSE4.2 CRC32 instruction when the CPU has it
 * (chosen at run time), else slicing-by-8 tables. */
uint32_t levee_crc32c(uint32_t crc, const void *p, size_t n);

/* Which CPU instructions the CRC functions use. */
enum levee_hash_accel_bits {
  LEVEE_HASH_ACCEL_CRC32C = 1, /* crc32c runs on the SSE4.2 CRC32 instruction */
  LEVEE_HASH_ACCEL_CRC32 = 2   /* crc32 runs on PCLMULQDQ folding */
};

/* mode 0: use the portable tables only; 1: use the CPU's instructions
 * where it has them (the default); -1: change nothing. Returns the
 * LEVEE_HASH_ACCEL_* bits in use afterwards. Process-wide; meant for tests
 * and benchmarks that compare the paths. */
int levee_hash_accel(int mode);


/* levee:section hub */
/* (declarations of the hub module go after this line) */

/* ===================================================================== */
/* hub: the pull-model event hub                                         */
/* ===================================================================== */

/* An event hub over a libevent event_base. Bindings register interest
 * under tokens they choose and pull plain event records with
 * levee_hub_poll; the hub never calls into a binding. One hub belongs to
 * one OS thread; only levee_hub_wake may be called from other threads. */
typedef struct levee_hub levee_hub;

/* What a levee_event reports. */
enum {
  LEVEE_HUB_READ = 1,  /* the fd registered with this read token is readable */
  LEVEE_HUB_WRITE = 2, /* the fd registered with this write token is writable */
  LEVEE_HUB_TIMER = 3, /* the timer added with this token expired */
  LEVEE_HUB_WAKE = 4   /* levee_hub_wake was called (token 0; coalesced) */
};

/* Interest flags for levee_hub_register. */
enum {
  LEVEE_HUB_R = 1, /* report readability */
  LEVEE_HUB_W = 2  /* report writability */
};

/* One event pulled by levee_hub_poll. Frozen. */
typedef struct levee_event {
  uint64_t token; /* the binding's token for the fd direction or timer */
  int32_t kind;   /* LEVEE_HUB_READ, _WRITE, _TIMER or _WAKE */
  int32_t value;  /* READ/WRITE: 1 ready, -1 hang-up or error; else 0 */
} levee_event;

/* Makes a hub. LEVEE_EINVAL (out NULL), LEVEE_ENOMEM, or the system error
 * of the eventfd/epoll set-up. */
int levee_hub_new(levee_hub **out);

/* Frees the hub, its timers and interests. It closes no registered fd.
 * NULL is a no-op. */
void levee_hub_free(levee_hub *hub);

/* Adds edge-triggered, persistent interest in fd: readability reported
 * under rtoken when flags has LEVEE_HUB_R, writability under wtoken when
 * it has LEVEE_HUB_W. Hang-up (a socket's peer closed, or a pipe's last
 * writer) is reported on the read side with value -1; errors wake both
 * sides. LEVEE_EEXIST if fd is already
 * registered, LEVEE_EBADF for a closed fd, LEVEE_EINVAL (NULL, fd < 0,
 * no flags). */
int levee_hub_register(levee_hub *hub, int fd, int flags, uint64_t rtoken, uint64_t wtoken);

/* Removes every interest in fd (it does not close fd); events for fd not
 * yet pulled are dropped. LEVEE_ENOENT if fd is not registered. */
int levee_hub_unregister(levee_hub *hub, int fd);

/* Number of registered fds. */
int levee_hub_registered(const levee_hub *hub);

/* Adds a one-shot timer that expires at deadline_ms on the hub clock
 * (levee_hub_now). Timers expire in deadline order; equal deadlines in the
 * order they were added. Returns a slot (>= 0) for levee_hub_timer_cancel,
 * or LEVEE_EINVAL / LEVEE_ENOMEM. */
int levee_hub_timer_add(levee_hub *hub, double deadline_ms, uint64_t token);

/* Cancels the timer in slot when it still holds token. 0, or LEVEE_ENOENT
 * when it already expired or was cancelled. */
int levee_hub_timer_cancel(levee_hub *hub, int slot, uint64_t token);

/* Number of pending timers. */
int levee_hub_timers(const levee_hub *hub);

/* Waits up to timeout_ms (< 0: until something happens; 0: no wait; never
 * past the earliest timer) and fills at most max records: expired timers
 * first in deadline order, then fd readiness and wake-ups. Events beyond
 * max stay queued for the next call, which then does not wait. Returns the
 * number of records, or LEVEE_EINVAL. */
int levee_hub_poll(levee_hub *hub, double timeout_ms, levee_event *events, int max);

/* levee_hub_poll without asking the OS: refreshes the cached clock and
 * fills at most max records with the expired timers (deadline order) and
 * the fd readiness and wake-ups already collected, making no system call
 * besides reading the clock. For a scheduler tick while green threads are
 * runnable and no fd is registered. Returns the number of records, or
 * LEVEE_EINVAL. */
int levee_hub_expire(levee_hub *hub, levee_event *events, int max);

/* The hub clock in milliseconds (monotonic), as cached by the last poll
 * (or levee_hub_new). Timers and sleeps are measured from it. */
double levee_hub_now(const levee_hub *hub);

/* Re-reads the monotonic clock into the hub cache and returns it. */
double levee_hub_update_time(levee_hub *hub);

/* Interrupts a poll in progress (or makes the next one return at once)
 * with a LEVEE_HUB_WAKE event. Safe from any thread. 0, LEVEE_EINVAL. */
int levee_hub_wake(levee_hub *hub);

/* The monotonic clock in milliseconds, uncached. */
double levee_clock_ms(void);

/* The wall clock (CLOCK_REALTIME) in milliseconds since the Unix epoch. */
double levee_clock_wall_ms(void);


/* levee:section json */
/* (declarations of the json module go after this line) */

/* ===================================================================== */
/* json: incremental strict RFC 8259 tokenizer and encoder helpers       */
/* ===================================================================== */

/* An incremental JSON tokenizer. Each call scans the input from the first
 * byte of the value being decoded (leading white space included) up to the
 * bytes it was given; when they do not yet hold a whole value it answers 0
 * ("need more"), remembers how far it got, and the next call is given the
 * same bytes extended (possibly at another address: only offsets are kept).
 * When a value is complete its tokens form a tape: an array of
 * levee_json_token records in document order whose offsets point into the
 * input (zero-copy). The tape stays valid until the next feed, parse or
 * reset on the handle. Not thread-safe; one handle per decoder. */
typedef struct levee_json levee_json;

/* Token kinds (levee_json_token.type). */
enum levee_json_type {
  LEVEE_JSON_NULL = 0,   /* null */
  LEVEE_JSON_FALSE = 1,  /* false */
  LEVEE_JSON_TRUE = 2,   /* true */
  LEVEE_JSON_NUMBER = 3, /* a number: see number, integer and flags */
  LEVEE_JSON_STRING = 4, /* a string (object keys too): see off, len, flags */
  LEVEE_JSON_ARRAY = 5,  /* array start; len = element count; elements follow */
  LEVEE_JSON_OBJECT = 6  /* object start; len = member count; key, value, ... follow */
};

/* Token flags (levee_json_token.flags, or-ed). */
enum levee_json_flag {
  LEVEE_JSON_FESCAPED = 1, /* string holds escapes: unescaped bytes are at
                              levee_json_strings() + aux, integer bytes long */
  LEVEE_JSON_FINT = 2,     /* integer literal that fits int64: integer is exact */
  LEVEE_JSON_FUINT = 4,    /* integer literal in (INT64_MAX, UINT64_MAX]:
                              integer holds its bits as uint64 */
  LEVEE_JSON_FBIG = 8,     /* integer literal beyond 64 bits: only number
                              (rounded) is set; the exact text is at off, len */
  LEVEE_JSON_FUTF8 = 16    /* string whose (unescaped) text is not all ASCII */
};

/* Default limits of a new tokenizer. */
enum levee_json_limit {
  LEVEE_JSON_MAX_DEPTH = 1024,      /* nesting deeper than this is LEVEE_JSON_ESTACK */
  LEVEE_JSON_MAX_SIZE = 1073741824  /* a value longer than 1 GiB is LEVEE_JSON_ESIZE */
};

/* One tape record (48 bytes, frozen). off/len: strings: the raw content
 * between the quotes; numbers and literals: their text; arrays and objects:
 * off of the opening bracket, len = element / member count. number: the
 * correctly rounded double of a number (equal to strtod's). integer: see
 * the flags; for escaped strings the unescaped length. aux: escaped
 * strings' offset into levee_json_strings(). */
typedef struct levee_json_token {
  uint32_t type;
  uint32_t flags;
  uint64_t off;
  uint64_t len;
  uint64_t aux;
  double number;
  int64_t integer;
} levee_json_token;

/* Makes a tokenizer with the default limits. LEVEE_EINVAL, LEVEE_ENOMEM. */
int levee_json_new(levee_json **out);

/* Frees the tokenizer and its tape. NULL is a no-op. */
void levee_json_free(levee_json *j);

/* Sets the nesting limit (1..100000) and the largest value in bytes (>= 1).
 * Takes effect at the next value. 0 or LEVEE_EINVAL. */
int levee_json_limits(levee_json *j, uint32_t max_depth, uint64_t max_size);

/* Forgets any partial value and the tape: the next feed starts a new value. */
void levee_json_reset(levee_json *j);

/* Scans input[0, len), the bytes of the current value from its first byte
 * (leading white space included; earlier calls saw a prefix of them). eof
 * non-zero says no more bytes will come (a number at the very end is then
 * complete). Returns the number of bytes the complete value used (> 0; the
 * tape is ready and the next feed starts a new value), 0 when more bytes
 * are needed, or LEVEE_JSON_ESYNTAX / EBYTE / EESCAPE / ESTACK / ESIZE
 * (levee_json_error_offset says where; the handle must be reset), or
 * LEVEE_EINVAL, LEVEE_ENOMEM. Input that ends inside a value with eof set
 * is LEVEE_JSON_ESYNTAX at offset len. */
int64_t levee_json_feed(levee_json *j, const uint8_t *input, size_t len, int eof);

/* Decodes input[0, len) as one whole document: one value with only white
 * space around it. Resets first. 0 (tape ready) or the errors of feed;
 * truncated input is LEVEE_JSON_ESYNTAX. */
int levee_json_parse(levee_json *j, const uint8_t *input, size_t len);

/* 1 when the last feed or parse completed a value (its tape is ready). */
int levee_json_done(const levee_json *j);

/* The tape of the completed value (NULL before one is complete). */
const levee_json_token *levee_json_tape(const levee_json *j);

/* Number of tokens on the tape (0 before a value is complete). */
size_t levee_json_count(const levee_json *j);

/* The unescaped bytes of the tape's FESCAPED strings (see token.aux). */
const uint8_t *levee_json_strings(const levee_json *j);

/* Byte offset, from the start of the value's input, of the last error. */
uint64_t levee_json_error_offset(const levee_json *j);

/* Renders the completed tape (input: the same bytes it was parsed from) as
 * a pickle (protocol 4) for Python's pickle.loads: objects -> dict, arrays
 * -> list, strings -> str, integer literals -> int (exact), other numbers
 * -> float, true/false/null -> True/False/None. The bytes are at
 * levee_json_output() until the next call on the handle. Returns their
 * length, LEVEE_JSON_ESTATE when no value is complete, LEVEE_ENOMEM. */
int64_t levee_json_pickle(levee_json *j, const uint8_t *input);

/* parse then pickle in one call: returns the pickle length or an error. */
int64_t levee_json_loads(levee_json *j, const uint8_t *input, size_t len);

/* Renders the completed tape as Python marshal data (version 4) for
 * marshal.loads, same mapping as levee_json_pickle; faster to load, but
 * only for values marshal can carry: LEVEE_ENOTSUP when the value holds an
 * integer beyond 64 bits, a string or array of 2^31 or more, or the depth
 * limit is above 1900 (marshal.loads nests at most 2000 deep); use
 * levee_json_pickle then. Bytes at levee_json_output(). Returns their
 * length, LEVEE_JSON_ESTATE, LEVEE_ENOTSUP, LEVEE_ENOMEM. */
int64_t levee_json_marshal(levee_json *j, const uint8_t *input);

/* The bytes the last levee_json_pickle / levee_json_loads /
 * levee_json_marshal / levee_json_from_marshal produced. */
const uint8_t *levee_json_output(const levee_json *j);

/* JSON text in levee's format (", " and ": " separators, non-ASCII kept,
 * floats as Python's repr) of the value that Python's marshal.dumps wrote
 * into data[0, len) (marshal format 2 to 5). Used by levee.json.dumps. The
 * text is at levee_json_output(j) until the next call on the handle (the
 * tape is left alone). Returns its length, LEVEE_ENOTSUP for values the
 * caller must encode another way (NaN or infinities, keys other than
 * strings, integers beyond 64 bits, bytes, sets and other types, cycles),
 * LEVEE_EINVAL for bytes that are not marshal data, LEVEE_ENOMEM. */
int64_t levee_json_from_marshal(levee_json *j, const uint8_t *data, size_t len);

/* Token kinds that only the lexer below reports: a container's end. */
enum levee_json_end {
  LEVEE_JSON_ARRAY_END = 7,  /* ']' */
  LEVEE_JSON_OBJECT_END = 8  /* '}' */
};

/* A token-at-a-time JSON lexer: each call reads exactly one token of the
 * current value (strictly checked against what may come next) from the
 * bytes that follow the previous token, so a caller can drop each token's
 * bytes before the next call. For programs that walk a document token by
 * token; decoding whole values is faster with levee_json_feed. Not
 * thread-safe. */
typedef struct levee_json_lexer levee_json_lexer;

/* Makes a lexer (nesting limit LEVEE_JSON_MAX_DEPTH). *out owned by the
 * caller. 0, LEVEE_EINVAL, LEVEE_ENOMEM. */
int levee_json_lexer_new(levee_json_lexer **out);

/* Frees the lexer. NULL is a no-op. */
void levee_json_lexer_free(levee_json_lexer *lx);

/* Sets the nesting limit (1..100000). 0 or LEVEE_EINVAL. */
int levee_json_lexer_limits(levee_json_lexer *lx, uint32_t max_depth);

/* Forgets the value in progress: the next token starts a new value. */
void levee_json_lexer_reset(levee_json_lexer *lx);

/* Reads the next token from input[0, len). eof non-zero says no more bytes
 * will come (a number at the very end is then complete). Returns the bytes
 * the token used (> 0: white space and the ',' or ':' before it included)
 * and fills *tok: offsets relative to input; strings as in the tape
 * (escaped ones unescaped at levee_json_lexer_strings() + aux); ARRAY and
 * OBJECT have len 0; ARRAY_END / OBJECT_END close them. Returns 0 when
 * input ends before the token does (call again with the same bytes
 * extended; *tok is untouched), or LEVEE_JSON_ESYNTAX / EBYTE / EESCAPE /
 * ESTACK / ESIZE (levee_json_lexer_error_offset says where, relative to
 * input; reset before reuse), LEVEE_EINVAL, LEVEE_ENOMEM. Input that ends
 * before a token with eof set is LEVEE_JSON_ESYNTAX at offset len. After
 * the token that completes the top-level value, levee_json_lexer_done is 1
 * and the next call starts a new value. */
int64_t levee_json_lexer_next(levee_json_lexer *lx, const uint8_t *input, size_t len, int eof,
                              levee_json_token *tok);

/* 1 when the last token completed the top-level value, else 0. */
int levee_json_lexer_done(const levee_json_lexer *lx);

/* How deep the lexer is: the containers open after the last token. */
int levee_json_lexer_depth(const levee_json_lexer *lx);

/* The unescaped bytes of the last string token that held escapes (see
 * levee_json_token.aux); valid until the next call on the lexer. */
const uint8_t *levee_json_lexer_strings(const levee_json_lexer *lx);

/* Byte offset, relative to the last call's input, of the last error. */
uint64_t levee_json_lexer_error_offset(const levee_json_lexer *lx);

/* Writes src[0, len) as a quoted JSON string at dst, which must hold
 * 6 * len + 2 bytes: '"' and '\\' and control characters are escaped
 * (\b \f \n \r \t, others as \u00XX); valid UTF-8 is copied as is. Returns
 * the bytes written, or LEVEE_UTF8_EENCODING (invalid byte),
 * LEVEE_UTF8_ETOOSHORT (truncated sequence), LEVEE_UTF8_ESURROGATE (encoded
 * surrogate), LEVEE_EINVAL (NULL with len > 0). */
int64_t levee_json_escape(uint8_t *dst, const uint8_t *src, size_t len);

/* Transcodes n UTF-16 (little-endian, host order) code units at src into
 * UTF-8 at dst, which must hold 3 * n bytes; surrogate pairs become 4-byte
 * sequences. Returns the bytes written, LEVEE_UTF8_ESURROGATE for a lone
 * surrogate, LEVEE_EINVAL (NULL with n > 0). Lets a binding hand text it
 * holds as UTF-16 (a Python str) to the tokenizer without a slower
 * conversion. */
int64_t levee_utf16_to_utf8(uint8_t *dst, const uint16_t *src, size_t n);

/* The same from n UTF-32 (host order) code points; dst must hold 4 * n
 * bytes. LEVEE_UTF8_ESURROGATE for a surrogate code point,
 * LEVEE_UTF8_ECODEPOINT above U+10FFFF, LEVEE_EINVAL (NULL with n > 0). */
int64_t levee_utf32_to_utf8(uint8_t *dst, const uint32_t *src, size_t n);

/* Writes the shortest text that reads back as exactly x (std::to_chars)
 * at dst, which must hold 32 bytes. Returns the bytes written, or
 * LEVEE_EINVAL for NaN and infinities (JSON has none). */
int levee_json_format_number(uint8_t *dst, double x);

/* Writes Python's repr() of x at dst, which must hold 32 bytes: the
 * shortest digits that read back as exactly x, positional for decimal
 * exponents -4..15 with ".0" when integral ("100.0", "0.0001"), else
 * d.ddde+XX ("1e+16", "5e-324"). Returns the bytes written, or
 * LEVEE_EINVAL for NaN and infinities (and a NULL dst). The float format
 * of Python's json.dumps, for bindings that write it (levee.json). */
int levee_json_format_pyfloat(uint8_t *dst, double x);


/* levee:section http */
/* (declarations of the http module go after this line) */

/* HTTP/1.1 tokenizer (lib/http.cc). Incremental and zero-copy: tokens are
 * offset/length slices into the bytes given to the call. Contract for
 * incremental use: after a call returns 0 ("need more"), call again with the
 * same unconsumed bytes (same first byte) plus whatever arrived since; the
 * parser resumes its scan where it stopped. Line ends must be CRLF; bare CR
 * or LF, obs-fold, whitespace before ':' and ambiguous framing are refused. */
typedef struct levee_http levee_http;

/* Parser modes for levee_http_new / levee_http_init. */
enum {
  LEVEE_HTTP_MODE_REQUEST = 0, /* parse a request (request line first) */
  LEVEE_HTTP_MODE_RESPONSE = 1 /* parse a response (status line first) */
};

/* Token types (levee_http_token.type). */
enum {
  LEVEE_HTTP_T_NONE = 0,       /* no token yet */
  LEVEE_HTTP_T_REQUEST = 1,    /* request line: a=method, b=target, version */
  LEVEE_HTTP_T_RESPONSE = 2,   /* status line: status, a=reason, version */
  LEVEE_HTTP_T_FIELD = 3,      /* header: a=name, b=value (OWS trimmed) */
  LEVEE_HTTP_T_BODY_START = 4, /* end of head: chunked, length */
  LEVEE_HTTP_T_BODY_CHUNK = 5, /* chunk header: length = chunk size (> 0) */
  LEVEE_HTTP_T_BODY_END = 6    /* last chunk and trailers (skipped) read */
};

/* One token. Offsets are relative to the first byte given to the call that
 * returned it; `end` is the offset just past the token (bytes consumed). */
typedef struct levee_http_token {
  int32_t type;     /* LEVEE_HTTP_T_* */
  uint32_t end;     /* offset just past this token */
  uint32_t a_off;   /* method / reason / field name: offset */
  uint32_t a_len;   /* ... and length */
  uint32_t b_off;   /* request target / field value: offset */
  uint32_t b_len;   /* ... and length */
  uint32_t status;  /* status line: the status code, else 0 */
  uint32_t version; /* request/status line: minor version (1 = HTTP/1.1) */
  uint64_t length;  /* BODY_START: Content-Length (0 when none in a request,
                       UINT64_MAX = until close); BODY_CHUNK: chunk size */
  uint32_t chunked; /* BODY_START: 1 when Transfer-Encoding ends in chunked */
  uint32_t reserved; /* 0 */
} levee_http_token;

/* Size limits in bytes (header count for max_headers). Exceeding any gives
 * LEVEE_HTTP_ESIZE. */
typedef struct levee_http_limits {
  uint32_t max_method;  /* request method (default 32) */
  uint32_t max_uri;     /* request target (default 8192) */
  uint32_t max_reason;  /* status reason (default 256) */
  uint32_t max_field;   /* header name (default 256) */
  uint32_t max_value;   /* header value, also chunk extensions (default 1024) */
  uint32_t max_headers; /* header fields in one head, also trailers (default 100) */
  uint32_t max_head;    /* start line + headers, bytes (default 65536) */
} levee_http_limits;

/* Creates a parser in mode LEVEE_HTTP_MODE_* with default limits; *out owns
 * it (free with levee_http_free). LEVEE_EINVAL for a NULL out or a bad mode,
 * LEVEE_ENOMEM. */
int levee_http_new(levee_http **out, int32_t mode);
/* Frees a parser; NULL is a no-op. */
void levee_http_free(levee_http *p);
/* Starts a new message in `mode`, keeping the limits. 0 or LEVEE_EINVAL. */
int levee_http_init(levee_http *p, int32_t mode);
/* Starts a new message in the current mode, keeping the limits. 0 or
 * LEVEE_EINVAL. */
int levee_http_reset(levee_http *p);
/* Copies the limits into the parser (zero members keep their value). 0 or
 * LEVEE_EINVAL. */
int levee_http_limits_set(levee_http *p, const levee_http_limits *limits);
/* Copies the parser's limits into *out. 0 or LEVEE_EINVAL. */
int levee_http_limits_get(const levee_http *p, levee_http_limits *out);
/* Parses one token from buf[0..len) into *tok. Returns the bytes it took
 * (> 0), 0 when the token is incomplete (call again, see above), or
 * LEVEE_HTTP_ESYNTAX / LEVEE_HTTP_ESIZE (the parser then stays failed and
 * returns the same code until init/reset), LEVEE_HTTP_ESTATE when the
 * message is already complete, LEVEE_EINVAL for NULL arguments or fewer
 * bytes than an earlier call already scanned. Body bytes are never parsed:
 * after BODY_START (length) or BODY_CHUNK (size) the caller consumes them. */
int levee_http_next(levee_http *p, const uint8_t *buf, size_t len, levee_http_token *tok);
/* Bulk form: parses as many complete tokens as fit into toks[0..cap), all
 * relative to buf, stopping after a body token (BODY_*). Returns the count
 * (0 = need more; toks[count-1].end is the bytes consumed) or the codes of
 * levee_http_next; an error after some tokens returns those tokens first
 * and the error on the next call. */
int levee_http_parse(levee_http *p, const uint8_t *buf, size_t len, levee_http_token *toks, uint32_t cap);
/* 1 when the message is complete (BODY_START of a non-chunked message or
 * BODY_END read), 0 otherwise (also for NULL). */
int levee_http_is_done(const levee_http *p);

/* The standard reason phrase of an HTTP status (the IANA registry and the
 * common unofficial codes: 420, 444, 499, 52x, ...), or NULL for a status
 * without one. Static storage. Both bindings' status tables and the
 * connection engine's status lines come from it. */
const char *levee_http_reason(int32_t status);


/* levee:section endpoint */
/* (declarations of the endpoint module go after this line) */

/* A socket address (IPv4, IPv6 or unix, abstract unix too), plain data
 * that is copied by value. addr holds a struct sockaddr_* of len bytes
 * (big enough for sockaddr_storage); af is its AF_* value (0 when
 * empty). Fill it with levee_endpoint_in/_unix/_parse or from a socket. */
typedef struct levee_endpoint {
  uint8_t addr[128];
  uint32_t len;
  int32_t af;
} levee_endpoint;

/* Address families, as levee_endpoint.af holds them and levee_socket_new
 * and levee_socket_pair take them (Linux's AF_* numbers; a port to another
 * OS maps them in the core), so bindings never hard-code OS numbers. */
enum levee_af {
  LEVEE_AF_UNSPEC = 0, /* none: an empty endpoint, or any family for a lookup */
  LEVEE_AF_UNIX = 1,   /* unix socket path or abstract name */
  LEVEE_AF_INET = 2,   /* IPv4 */
  LEVEE_AF_INET6 = 10  /* IPv6 */
};

/* Sets ep to the IPv4 or IPv6 literal host (NULL = "127.0.0.1") and port
 * (0..65535). Returns 0, LEVEE_EINVAL for a bad literal or port. */
int levee_endpoint_in(levee_endpoint *ep, const char *host, int32_t port);

/* Sets ep to the unix socket path of len bytes (a leading NUL byte makes
 * it abstract). Returns 0, LEVEE_ENAMETOOLONG or LEVEE_EINVAL. */
int levee_endpoint_unix(levee_endpoint *ep, const char *path, size_t len);

/* Parses "1.2.3.4:80", "[::1]:80", "/unix/path" or "@abstract" into ep.
 * Returns 0 or LEVEE_EINVAL (no name lookup ever happens). */
int levee_endpoint_parse(levee_endpoint *ep, const char *text);

/* Writes "1.2.3.4:80", "[::1]:80", the unix path ("@name" for abstract)
 * NUL-terminated into dst (cap bytes; 128 always suffice). Returns the
 * length, LEVEE_EINVAL for an empty endpoint, LEVEE_ERANGE if cap is short. */
int levee_endpoint_format(const levee_endpoint *ep, char *dst, size_t cap);

/* Writes the textual IP address (no port) into dst like
 * levee_endpoint_format. LEVEE_EAFNOSUPPORT for unix endpoints. */
int levee_endpoint_host(const levee_endpoint *ep, char *dst, size_t cap);

/* The port (0..65535) of an IPv4/IPv6 endpoint; LEVEE_EAFNOSUPPORT for
 * unix, LEVEE_EINVAL for NULL/empty. */
int levee_endpoint_port(const levee_endpoint *ep);

/* Copies the unix path (without NUL; abstract names keep their leading
 * NUL byte) into dst. Returns its length, LEVEE_EAFNOSUPPORT for IP
 * endpoints, LEVEE_ERANGE if cap is short. */
int levee_endpoint_path(const levee_endpoint *ep, char *dst, size_t cap);

/* Total order over endpoints: family, then address bytes, then port.
 * Returns <0, 0 or >0 (equal endpoints compare 0). */
int levee_endpoint_compare(const levee_endpoint *a, const levee_endpoint *b);

/* Blocking getaddrinfo: resolves host (NULL = loopback/any per passive)
 * and service (number or name, may be NULL) for family (0, AF_INET,
 * AF_INET6) and socktype (0 = SOCK_STREAM), writing up to cap endpoints
 * into out. Returns the number written, or an addr-domain code
 * (LEVEE_EAI_NONAME, ...) or -(errno). Run it off the hub thread. */
int levee_endpoint_resolve(const char *host, const char *service, int32_t family,
                           int32_t socktype, levee_endpoint *out, size_t cap);


/* levee:section socket */
/* (declarations of the socket module go after this line) */

/* Socket types for levee_socket_new, levee_socket_pair and name lookups
 * (Linux's SOCK_* numbers; a port to another OS maps them in the core). */
enum levee_socktype {
  LEVEE_SOCK_STREAM = 1, /* a byte stream (TCP, unix stream) */
  LEVEE_SOCK_DGRAM = 2,  /* datagrams (UDP, unix datagram) */
  LEVEE_SOCK_RAW = 3     /* raw packets (name lookups accept it) */
};

/* Creates a socket with SOCK_CLOEXEC|SOCK_NONBLOCK added to type.
 * Returns the fd or -(errno). */
int levee_socket_new(int32_t domain, int32_t type, int32_t protocol);

/* socketpair(2) of domain (LEVEE_AF_UNIX) and type with SOCK_CLOEXEC|
 * SOCK_NONBLOCK added: fds[0] and fds[1] are connected to each other.
 * 0, LEVEE_EINVAL (fds NULL) or -(errno). */
int levee_socket_pair(int32_t domain, int32_t type, int32_t *fds);

/* Binds fd to ep. Returns 0 or -(errno) (LEVEE_EADDRINUSE, ...). */
int levee_socket_bind(int32_t fd, const levee_endpoint *ep);

/* Listens on fd with backlog. Returns 0 or -(errno). */
int levee_socket_listen(int32_t fd, int32_t backlog);

/* Accepts one connection (accept4 with CLOEXEC|NONBLOCK); the peer's
 * address goes to peer when not NULL. Returns the new fd, LEVEE_EAGAIN
 * when none is pending, LEVEE_EMFILE at the fd limit, or -(errno). */
int levee_socket_accept(int32_t fd, levee_endpoint *peer);

/* Starts connecting fd to ep. Returns 0 when connected,
 * LEVEE_EINPROGRESS for a non-blocking fd still connecting (wait for
 * writable, then levee_socket_error), or -(errno). */
int levee_socket_connect(int32_t fd, const levee_endpoint *ep);

/* The pending socket error (SO_ERROR) as a code: 0 or -(errno). */
int levee_socket_error(int32_t fd);

/* shutdown(2); how is 0 (read), 1 (write) or 2 (both). 0 or -(errno). */
int levee_socket_shutdown(int32_t fd, int32_t how);

/* Writes the local address of fd into ep. 0 or -(errno). */
int levee_socket_sockname(int32_t fd, levee_endpoint *ep);

/* Writes the peer address of fd into ep. 0 or -(errno) (LEVEE_ENOTCONN). */
int levee_socket_peername(int32_t fd, levee_endpoint *ep);

/* send(2) with MSG_NOSIGNAL added. Returns bytes sent, LEVEE_EAGAIN,
 * LEVEE_EPIPE (never a signal) or -(errno). */
int64_t levee_socket_send(int32_t fd, const void *buf, size_t len, int32_t flags);

/* recv(2). Returns bytes received (0 at EOF), LEVEE_EAGAIN or -(errno). */
int64_t levee_socket_recv(int32_t fd, void *buf, size_t len, int32_t flags);

/* sendto(2) to ep (NULL for a connected socket). Bytes or -(errno). */
int64_t levee_socket_sendto(int32_t fd, const void *buf, size_t len, const levee_endpoint *ep);

/* recvfrom(2); the sender goes to ep when not NULL. Bytes or -(errno). */
int64_t levee_socket_recvfrom(int32_t fd, void *buf, size_t len, levee_endpoint *ep);

/* Sends the descriptor passfd (SCM_RIGHTS) with len bytes of payload
 * (at least 1 byte is sent; len 0 sends one NUL byte) over the unix socket
 * fd. Returns payload bytes sent or -(errno). */
int64_t levee_socket_sendfd(int32_t fd, int32_t passfd, const void *buf, size_t len);

/* Receives one payload with at most one descriptor (made CLOEXEC) into
 * buf; *passfd gets the descriptor or -1. Returns bytes received (0 at
 * EOF), LEVEE_EAGAIN or -(errno). Extra descriptors are closed. */
int64_t levee_socket_recvfd(int32_t fd, int32_t *passfd, void *buf, size_t len);

/* Sets the socket option called name ("reuseaddr", "reuseport",
 * "nodelay", "keepalive", "rcvbuf", "sndbuf", "linger" (seconds, < 0
 * turns it off), "v6only", "broadcast", "keepidle", "keepintvl",
 * "keepcnt", "cork", "quickack", "rcvlowat", "sndlowat", "oobinline", and
 * the fd flags "cloexec", "nonblock") to value. Returns 0,
 * LEVEE_ENOPROTOOPT for an unknown name, LEVEE_EPERM for the read-only
 * "error", "acceptconn", "type", or -(errno). */
int levee_socket_setopt(int32_t fd, const char *name, int64_t value);

/* Reads the option called name into *value (booleans 0/1; linger is the
 * seconds or -1 when off; "error" is the pending error as a LEVEE_E* code,
 * 0 for none; "type" the LEVEE_SOCK_* type). Returns 0, LEVEE_ENOPROTOOPT,
 * or -(errno). */
int levee_socket_getopt(int32_t fd, const char *name, int64_t *value);

/* read(2). Bytes (0 at EOF), LEVEE_EAGAIN on an empty non-blocking fd,
 * or -(errno). */
int64_t levee_fd_read(int32_t fd, void *buf, size_t len);

/* pread(2): up to len bytes at offset, the file position unchanged.
 * Bytes (0 at the end of the file), LEVEE_EAGAIN or -(errno). */
int64_t levee_fd_pread(int32_t fd, void *buf, size_t len, int64_t offset);

/* write(2). Bytes written, LEVEE_EAGAIN, LEVEE_EPIPE or -(errno). */
int64_t levee_fd_write(int32_t fd, const void *buf, size_t len);

/* readv(2) over n entries. Bytes, LEVEE_EAGAIN or -(errno). */
int64_t levee_fd_readv(int32_t fd, const levee_iovec_entry *iov, int32_t n);

/* writev(2) over n entries. Bytes, LEVEE_EAGAIN or -(errno). */
int64_t levee_fd_writev(int32_t fd, const levee_iovec_entry *iov, int32_t n);

/* close(2). 0 or -(errno) (LEVEE_EBADF for a closed fd). */
int levee_fd_close(int32_t fd);

/* Makes fd non-blocking (on != 0) or blocking. 0 or -(errno). */
int levee_fd_nonblock(int32_t fd, int32_t on);

/* 1 when fd is non-blocking, 0 when blocking, or -(errno). */
int levee_fd_is_nonblock(int32_t fd);

/* pipe2 with O_CLOEXEC (plus O_NONBLOCK when nonblock != 0): fds[0] is
 * the read end, fds[1] the write end. 0 or -(errno). */
int levee_fd_pipe(int32_t *fds, int32_t nonblock);

/* sendfile(2): copies up to len bytes from in_fd (at *offset, advanced,
 * when offset is not NULL) to out_fd. Bytes, LEVEE_EAGAIN or -(errno). */
int64_t levee_fd_sendfile(int32_t out_fd, int32_t in_fd, int64_t *offset, size_t len);

/* splice(2) of up to len bytes between fds (one must be a pipe), with
 * SPLICE_F_NONBLOCK|SPLICE_F_MOVE (plus SPLICE_F_MORE when more != 0).
 * Bytes, LEVEE_EAGAIN or -(errno). Linux only (LEVEE_ENOSYS elsewhere). */
int64_t levee_fd_splice(int32_t in_fd, int32_t out_fd, size_t len, int32_t more);

/* tee(2) of up to len bytes between two pipes, non-blocking. Bytes,
 * LEVEE_EAGAIN or -(errno). Linux only (LEVEE_ENOSYS elsewhere). */
int64_t levee_fd_tee(int32_t in_fd, int32_t out_fd, size_t len);


/* levee:section fs */
/* (declarations of the fs module go after this line) */

/* File metadata, plain data (times in seconds with fraction). */
typedef struct levee_stat {
  uint64_t dev;
  uint64_t ino;
  uint32_t mode;  /* file type and permission bits, as st_mode */
  uint32_t nlink;
  uint32_t uid;
  uint32_t gid;
  uint64_t rdev;
  int64_t size;
  int64_t blksize;
  int64_t blocks;
  double atime;
  double mtime;
  double ctime;
} levee_stat;

/* Kinds of file, as levee_stat_kind returns them. */
enum levee_file_kind {
  LEVEE_FILE_OTHER = 0, LEVEE_FILE_REG = 1, LEVEE_FILE_DIR = 2,
  LEVEE_FILE_LNK = 3, LEVEE_FILE_SOCK = 4, LEVEE_FILE_FIFO = 5,
  LEVEE_FILE_CHR = 6, LEVEE_FILE_BLK = 7
};

/* stat(2) (follows symlinks) of path into *st. 0 or -(errno). */
int levee_fs_stat(const char *path, levee_stat *st);

/* lstat(2) (does not follow a final symlink). 0 or -(errno). */
int levee_fs_lstat(const char *path, levee_stat *st);

/* fstat(2) of fd. 0 or -(errno). */
int levee_fs_fstat(int32_t fd, levee_stat *st);

/* The LEVEE_FILE_* kind of st->mode (exact file type test). */
int levee_stat_kind(const levee_stat *st);

/* open(2) with O_CLOEXEC added. Returns the fd (0 is a valid fd) or
 * -(errno). */
int levee_fs_open(const char *path, int32_t flags, int32_t mode);

/* The open(2) flags of an fopen-style mode string, as levee's open calls
 * read it: "r" read, "r+" read-write, "w" write + truncate (the file must
 * exist), "w+" read-write + create + truncate, "a" write + append +
 * create, "a+" read-write + append + create; an "x" suffix adds create +
 * exclusive ("wx" fails if the file exists); a "b" anywhere is ignored.
 * Returns the flags (>= 0) or LEVEE_EINVAL for any other string. */
int levee_fs_open_mode(const char *mode);

/* How open(2) flags allow a file to be used (levee_fs_access). */
enum levee_access {
  LEVEE_ACCESS_READ = 1,  /* O_RDONLY */
  LEVEE_ACCESS_WRITE = 2, /* O_WRONLY */
  LEVEE_ACCESS_RW = 3     /* O_RDWR */
};

/* The LEVEE_ACCESS_* that open(2) flags ask for (flags from
 * levee_fs_open_mode or built by a program from the OS's O_* constants). */
int levee_fs_access(int32_t flags);

/* Makes a new directory from tmpl, whose last six characters must be
 * "XXXXXX": they are replaced in place (tmpl is written) by the name
 * chosen; the directory is mode 0700. 0, LEVEE_EINVAL (NULL or no
 * XXXXXX suffix) or -(errno). */
int levee_fs_mkdtemp(char *tmpl);

/* Removes path: a file, a symlink (not its target) or an empty directory;
 * with recurse non-zero a directory and everything under it (symlinks are
 * removed, never followed). 0, or -(errno) of the first failure
 * (LEVEE_ENOTEMPTY for a non-empty directory without recurse). */
int levee_fs_remove(const char *path, int recurse);

/* A recursive walk over the entries under a directory, in name order,
 * depth first (a directory's entries follow it). The root itself is not
 * an entry. Symlinks are reported as such and not followed unless
 * levee_dir_follow says so. Not thread-safe; one walker per use. */
typedef struct levee_dir levee_dir;

/* Opens a walk under path, descending at most depth levels (1: the
 * directory's own entries only). *out owned by the caller
 * (levee_dir_free). 0, LEVEE_EINVAL (NULL, depth < 1), LEVEE_ENOMEM, or
 * -(errno) for a path that cannot be opened as a directory. */
int levee_dir_open(levee_dir **out, const char *path, int32_t depth);

/* Frees the walker. NULL is a no-op. */
void levee_dir_free(levee_dir *d);

/* Moves to the next entry: 1 (an entry is current), 0 (the walk is over)
 * or -(errno) when a directory under the root cannot be read (the walk
 * goes on past it at the next call). */
int levee_dir_next(levee_dir *d);

/* Do not descend into the current entry (a directory). 0, LEVEE_EINVAL
 * when no entry is current. */
int levee_dir_skip(levee_dir *d);

/* Follow the current entry, a symlink: when it points at a directory the
 * walk descends into it (the link is not reported again). 0,
 * LEVEE_EINVAL when no entry is current. */
int levee_dir_follow(levee_dir *d);

/* The LEVEE_FILE_* kind of the current entry (a symlink is
 * LEVEE_FILE_LNK), or LEVEE_EINVAL when no entry is current. */
int levee_dir_kind(const levee_dir *d);

/* The current entry's path (the root joined with the names below it),
 * NUL-terminated, valid until the next call on the walker; NULL when no
 * entry is current. */
const char *levee_dir_path(const levee_dir *d);

/* How deep the current entry is (1: directly under the root), or 0. */
int levee_dir_level(const levee_dir *d);


/* levee:section dns */
/* (declarations of the dns module go after this line) */

/* ===================================================================== */
/* dns: a DNS message codec, resolv.conf, and getaddrinfo off the hub    */
/* ===================================================================== */

/* The record types levee_dns_type knows by name (RFC 1035 numbers). */
enum {
  LEVEE_DNS_TYPE_A = 1, LEVEE_DNS_TYPE_NS = 2, LEVEE_DNS_TYPE_CNAME = 5,
  LEVEE_DNS_TYPE_SOA = 6, LEVEE_DNS_TYPE_PTR = 12, LEVEE_DNS_TYPE_MX = 15,
  LEVEE_DNS_TYPE_TXT = 16, LEVEE_DNS_TYPE_AAAA = 28, LEVEE_DNS_TYPE_SRV = 33,
  LEVEE_DNS_TYPE_OPT = 41, LEVEE_DNS_TYPE_SSHFP = 44
};

/* The number of the record type called name ("A", "AAAA", "MX", "NS",
 * "CNAME", "SOA", "SRV", "OPT", "PTR", "TXT", "SSHFP"; any case), or
 * LEVEE_EINVAL for another name. */
int levee_dns_type(const char *name);

/* The name of record type type ("MX", ...) as a static string, or NULL
 * when it is not one of the types levee_dns_type knows. */
const char *levee_dns_type_name(int32_t type);

/* Builds a recursive query (one question, class IN) for qname, a domain
 * name in presentation form ("www.example.com", trailing dot optional,
 * "\." and "\DDD" escapes), and record type qtype into dst (cap bytes; 512
 * always suffice), with a random id that is also written to *id. Returns
 * the message length, LEVEE_DNS_EILLEGAL for a name that is not a valid
 * domain name (empty label, label over 63 or name over 255 bytes),
 * LEVEE_DNS_ENOBUFS when cap is short, LEVEE_EINVAL. */
int levee_dns_query(uint8_t *dst, size_t cap, const char *qname, int32_t qtype, uint16_t *id);

/* A parsed DNS answer: the records it kept and their text. */
typedef struct levee_dns_answer levee_dns_answer;

/* One answer record, plain data. name and data point into the answer and
 * stay valid until its next parse or free. */
typedef struct levee_dns_record {
  const char *name; /* owner name, FQDN with a trailing dot ("www.example.com.") */
  const char *data; /* rdata as text: "1.2.3.4", "10 mx.example.com.", "\"txt\"", ... */
  uint32_t ttl;     /* seconds */
  int32_t type;     /* LEVEE_DNS_TYPE_* */
} levee_dns_record;

/* Makes an empty answer. LEVEE_EINVAL, LEVEE_ENOMEM. */
int levee_dns_answer_new(levee_dns_answer **out);

/* Frees the answer (and the text of its records). NULL is a no-op. */
void levee_dns_answer_free(levee_dns_answer *a);

/* Parses msg (len bytes, untrusted) as the response to query (qlen bytes,
 * as built by levee_dns_query) and keeps the ANSWER-section records whose
 * type is the question's type (a CNAME chain keeps only the final records,
 * under their own owner names). Rdata text: A/AAAA addresses; NS, CNAME,
 * PTR names; MX "pref name"; SRV "prio weight port target"; SOA "mname
 * rname serial refresh retry expire minimum"; TXT the strings joined, in
 * double quotes with \DDD escapes; SSHFP "alg type hex"; OPT the quoted
 * bytes. Returns the number of records kept; LEVEE_DNS_ENOANSWER when msg
 * is not a response to that query (too short, another id or question: a
 * resolver keeps waiting); the RCODE error (LEVEE_DNS_NXDOMAIN, ...,
 * extended RCODEs from an OPT record too) for a non-zero RCODE;
 * LEVEE_DNS_EILLEGAL for a malformed message (compression loop, pointer
 * out of range, record cut short: levee_last_message says where). With
 * the TC bit set, the records that arrived whole are kept. */
int levee_dns_answer_parse(levee_dns_answer *a, const uint8_t *query, size_t qlen,
                           const uint8_t *msg, size_t len);

/* The number of records the last parse kept (0 after an error). */
int levee_dns_answer_count(const levee_dns_answer *a);

/* Fills *out with record i. 0, LEVEE_ERANGE past the end, LEVEE_EINVAL. */
int levee_dns_answer_record(const levee_dns_answer *a, size_t i, levee_dns_record *out);

/* Reads the nameservers of a resolv.conf-format file (NULL:
 * /etc/resolv.conf) into out (at most cap): "nameserver ADDR" lines where
 * ADDR is an IPv4/IPv6 literal (port 53) or "[ADDR]:PORT"; 0.0.0.0 is
 * skipped; a file without nameserver lines, or no /etc/resolv.conf at all,
 * means 127.0.0.1:53 (as glibc). Other lines are ignored. Returns the
 * number written or -(errno) when the file cannot be read. */
int levee_dns_resconf(const char *path, levee_endpoint *out, size_t cap);

/* A getaddrinfo running on a worker thread. */
typedef struct levee_dns_lookup levee_dns_lookup;

/* Starts levee_endpoint_resolve(host, service, family, socktype) on a
 * worker thread (a small process-wide pool; workers block every signal).
 * *out is the request; *fd is a new non-blocking CLOEXEC descriptor, owned
 * by the caller, that becomes readable when the result is ready: register
 * it with the hub, then close it. Returns 0, LEVEE_EINVAL,
 * LEVEE_EAFNOSUPPORT, LEVEE_EAI_NONAME (no host and no service),
 * LEVEE_ENOMEM, LEVEE_EAGAIN (no thread could be started), -(errno). */
int levee_dns_lookup_start(levee_dns_lookup **out, const char *host, const char *service,
                           int32_t family, int32_t socktype, int32_t *fd);

/* The result: the number of endpoints written to out (at most cap; at
 * most 64 are kept), an addr-domain code (LEVEE_EAI_NONAME, ...) or
 * -(errno) from getaddrinfo, or LEVEE_EAGAIN while the worker still runs. */
int levee_dns_lookup_result(levee_dns_lookup *req, levee_endpoint *out, size_t cap);

/* Releases the request. A lookup still running finishes on its worker and
 * is discarded; one still queued is not run. NULL is a no-op. */
void levee_dns_lookup_free(levee_dns_lookup *req);


/* levee:section tls */
/* (declarations of the tls module go after this line) */

/* ===================================================================== */
/* tls: TLS over libtls; configurations, server contexts, sessions        */
/* ===================================================================== */

/* A TLS configuration: certificates, CA, protocols, ciphers, ALPN and the
 * verification switches, shared by any number of client streams and
 * server contexts (which keep what they need: the configuration may be
 * freed while they live). Immutable once made; safe to share between OS
 * threads. */
typedef struct levee_tls_config levee_tls_config;

/* A server context made from a configuration: what accepted streams are
 * upgraded with. Use it from one OS thread at a time. */
typedef struct levee_tls_server levee_tls_server;

/* The stream a TLS session rides on (declared in the stream section). */
struct levee_stream;

/* Builds a configuration from options given as one JSON object (json, len
 * bytes; both bindings encode their options table). Keys (lua-api.md §5
 * plus levee's additions; other keys are ignored):
 *   ca (PEM text) | ca_path (directory) | ca_file: trusted CAs, the first
 *     present wins; default: the system's CA bundle.
 *   cert | cert_file, key | key_file: this side's certificate and key (PEM
 *     text or path); certs: a list of {cert|cert_file, key|key_file}
 *     objects, further certificates a server chooses among by SNI (the
 *     first certificate given is the default).
 *   ciphers: "secure" (default), "compat", "legacy", "insecure"/"all" or an
 *     OpenSSL cipher list. dheparams: "none", "auto", "legacy".
 *     ecdhecurve (or ecdhecurves): a curve name or list.
 *   protocols: a string or list of TLSv1.0 TLSv1.1 TLSv1.2 TLSv1.3 (also
 *     TLSv1_0 ...), TLSv1, ALL, DEFAULT; case-insensitive. Enabling 1.0 or
 *     1.1 appends "@SECLEVEL=0" to the ciphers (OpenSSL 3 needs it).
 *   verify_depth: 0..100. alpn: a protocol name or list, in preference
 *     order. server_name: the name a client sends and verifies when its
 *     stream is upgraded without one.
 *   server: {prefer_ciphers = "server"|"client", verify_client = true |
 *     "optional"}.
 *   insecure: {verify_cert = false, verify_name = false, verify_time =
 *     false}; only a literal false turns a check off (verification is on
 *     by default).
 * On success *out is the configuration (free with levee_tls_config_free).
 * LEVEE_TLS_ECONFIG for a bad option or unreadable file (levee_last_message
 * names the option and says why), LEVEE_EINVAL, LEVEE_ENOMEM. */
int levee_tls_config_new(levee_tls_config **out, const char *json, size_t len);

/* Frees a configuration. NULL is a no-op. */
void levee_tls_config_free(levee_tls_config *c);

/* Makes a server context from c (which needs at least one certificate and
 * key). *out is freed with levee_tls_server_free. LEVEE_TLS_ECONFIG (no
 * certificate, key does not match, ...: levee_last_message says which),
 * LEVEE_EINVAL, LEVEE_ENOMEM. */
int levee_tls_server_new(levee_tls_server **out, levee_tls_config *c);

/* Frees a server context (streams it upgraded stay usable). NULL is a
 * no-op. */
void levee_tls_server_free(levee_tls_server *s);

/* Makes the connected stream s a TLS client: from now on its reads and
 * writes carry TLS records (sendfile and splice answer LEVEE_ENOTSUP).
 * server_name (NULL or "": the configuration's server_name) is sent as SNI
 * unless it is an IP address, and the server's certificate must match it
 * unless insecure.verify_name is false. The handshake runs on
 * levee_stream_handshake (or the first read/write); drive it to 0 before
 * trusting the peer. Returns 0, LEVEE_TLS_ECONFIG (no server_name while
 * the name is verified), LEVEE_TLS_ECLIENT, LEVEE_EALREADY (already TLS),
 * LEVEE_EBADF (closed stream), LEVEE_EINVAL, LEVEE_ENOMEM.
 *
 * On a TLS stream, levee_stream_handshake answers 0, LEVEE_WANT_READ /
 * LEVEE_WANT_WRITE, or a failure that every later call repeats:
 * LEVEE_TLS_EVERIFY (the peer's certificate or name did not verify, or a
 * required client certificate is missing), LEVEE_TLS_EHANDSHAKE (anything
 * else: no shared protocol or cipher, not TLS, the peer closed midway),
 * with libtls's text at levee_last_message(). Reads return LEVEE_CLOSED at
 * close_notify or at the peer's TCP EOF; read and write failures after the
 * handshake are -(errno) codes (LEVEE_ECONNRESET, LEVEE_EPIPE) or
 * LEVEE_TLS_EGENERIC (a bad record). A read gives every byte libtls holds
 * before it answers LEVEE_WANT_READ. After a short write the rest must be
 * written next (OpenSSL's write retry rule). levee_stream_shutdown (writing
 * side) and close/release/free send close_notify without waiting. */
int levee_stream_tls_client(struct levee_stream *s, levee_tls_config *c, const char *server_name);

/* Makes the accepted stream s the server side of a TLS session of srv
 * (then as levee_stream_tls_client). 0, LEVEE_TLS_ESERVER, LEVEE_EALREADY,
 * LEVEE_EBADF, LEVEE_EINVAL, LEVEE_ENOMEM. */
int levee_stream_tls_accept(struct levee_stream *s, levee_tls_server *srv);

/* What a completed handshake agreed on. Strings are NUL-terminated, "" when
 * absent, and stay valid until the stream is closed, released or freed. */
typedef struct levee_tls_info {
  const char *version;     /* "TLSv1.3", "TLSv1.2", ... */
  const char *cipher;      /* "TLS_AES_256_GCM_SHA384", ... */
  const char *alpn;        /* the protocol ALPN selected, "" when none */
  const char *server_name; /* the SNI name (client: the one sent; server: the one received) */
  const char *subject;     /* the peer certificate's subject, "" without one */
  const char *issuer;      /* its issuer */
  const char *hash;        /* "SHA256:<hex>" of the peer certificate */
  int64_t not_before;      /* validity, seconds since the epoch (0 without one) */
  int64_t not_after;
  int32_t peer_cert;       /* 1 when the peer presented a certificate */
  int32_t cipher_strength; /* bits of the symmetric cipher */
  int32_t session_resumed; /* 1 when the session was resumed */
  int32_t reserved;        /* 0 */
} levee_tls_info;

/* Fills *out for a TLS stream whose handshake completed. 0, LEVEE_EAGAIN
 * before that, LEVEE_ENOTSUP for a plain stream, LEVEE_EBADF, LEVEE_EINVAL. */
int levee_stream_tls_info(struct levee_stream *s, levee_tls_info *out);


/* levee:section process */
/* (declarations of the process module go after this line) */

/* ===================================================================== */
/* process: child processes                                              */
/* ===================================================================== */

/* A child process started by levee_process_spawn. The child is reaped
 * through a pidfd (levee_process_wait), never with waitpid(-1): levee
 * reaps only the children it made. Handles belong to one thread at a time. */
typedef struct levee_process levee_process;

/* What levee_process_spawn does with the child's fd i (stdio[i]); a value
 * >= 0 is instead an fd of the parent, dup2'ed onto the child's fd i. */
enum {
  LEVEE_STDIO_PIPE = -1,    /* a new pipe; the parent's end is levee_process_take_fd(p, i) */
  LEVEE_STDIO_INHERIT = -2, /* the parent's own fd i, as it is */
  LEVEE_STDIO_NULL = -3,    /* /dev/null */
  LEVEE_STDIO_CLOSE = -4    /* closed in the child */
};

/* Starts file with argv (argv[0] first, NULL-terminated) and envp
 * ("NAME=value" strings, NULL-terminated; NULL: this process's environment)
 * in directory cwd (NULL: this process's). A file without '/' is searched
 * in $PATH as execvp does. stdio: three LEVEE_STDIO_* values or fds for
 * the child's fds 0, 1 and 2 (NULL: inherit all three). pdeathsig: the
 * signal the child gets when the thread that spawned it ends (Linux
 * PR_SET_PDEATHSIG; 0 for none), also sent by levee_process_free to a
 * child still running. In the child every signal handler is reset to its
 * default (SIGPIPE too), the signal mask is emptied, and every fd above 2
 * is closed on exec; pipe ends made here are close-on-exec in the parent.
 * Returns 0 and *out, or the error that kept the program from running:
 * the system error of exec (LEVEE_ENOENT, LEVEE_EACCES, LEVEE_ENOEXEC ...),
 * of chdir or of an fd mapping (levee_last_message names the step), then
 * no child remains and *out is NULL; LEVEE_EINVAL for bad arguments. */
int levee_process_spawn(levee_process **out, const char *file, const char *const *argv,
                        const char *const *envp, const char *cwd, const int32_t *stdio,
                        int32_t pdeathsig);

/* The child's process id. */
int levee_process_pid(const levee_process *p);

/* Hands over the parent's end of the pipe made for the child's fd i (0, 1
 * or 2): non-blocking and close-on-exec, now owned by the caller. -1 when
 * there is none (not a pipe, or already taken). */
int levee_process_take_fd(levee_process *p, int32_t i);

/* A new fd (owned by the caller, close-on-exec) that becomes readable when
 * the child exits: wait on it with the hub, then call levee_process_wait.
 * A system error (LEVEE_EMFILE ...), LEVEE_ECHILD once the child is reaped. */
int levee_process_watch_fd(levee_process *p);

/* Reaps the child if it has exited: 1 when it has (now or before; the exit
 * code and signal are then known), 0 while it runs. block != 0 waits for
 * the exit (it blocks the calling thread). A system error otherwise. */
int levee_process_wait(levee_process *p, int32_t block);

/* Once reaped, the code the child gave to exit (0 when a signal killed
 * it); -1 before. */
int levee_process_exit_code(const levee_process *p);

/* Once reaped, the signal that killed the child (0 when it exited); -1
 * before. */
int levee_process_exit_signal(const levee_process *p);

/* Sends signal sig to the child (through its pidfd, so a reaped child's
 * recycled pid is never hit). 0, LEVEE_ESRCH once the child was reaped,
 * LEVEE_EINVAL for a bad signal number. */
int levee_process_kill(levee_process *p, int32_t sig);

/* Frees the handle and closes the pipe ends not taken. A child still
 * running gets its pdeathsig (when not 0) and is reaped later, by a later
 * spawn or free, without blocking; it never stays a zombie for long. NULL
 * is a no-op. */
void levee_process_free(levee_process *p);


/* levee:section thread */
/* (declarations of the thread module go after this line) */

/* ===================================================================== */
/* channel: messages between OS threads                                  */
/* ===================================================================== */

/* A channel is the inbox of one receiving thread: a multi-producer queue
 * whose fd becomes readable when messages wait, so the receiving hub wakes
 * like for any fd. It carries messages for many recvers, each known by an
 * id the receiving side chooses (levee_chan_bind). A sender
 * (levee_chan_sender) is bound to one recver of one channel and may be
 * used from any thread; the channel lives as long as its handle or any
 * sender does. Only the receiving thread calls levee_chan_recv. */
typedef struct levee_chan levee_chan;
typedef struct levee_chan_sender levee_chan_sender;

/* The type of a value carried by a message. */
enum {
  LEVEE_VAL_NIL = 0,     /* no value */
  LEVEE_VAL_BOOL = 1,    /* i: 0 or 1 */
  LEVEE_VAL_NUMBER = 2,  /* num */
  LEVEE_VAL_INT64 = 3,   /* i */
  LEVEE_VAL_UINT64 = 4,  /* i, the bits of a uint64_t */
  LEVEE_VAL_STRING = 5,  /* ptr, len: text (Python str); copied */
  LEVEE_VAL_BYTES = 6,   /* ptr, len: bytes (Lua string, Python bytes); copied */
  LEVEE_VAL_ERROR = 7,   /* i: a registry code; arrives as the same entry */
  LEVEE_VAL_BUFFER = 8,  /* ptr: a levee_buffer, moved (see levee_chan_send) */
  LEVEE_VAL_SENDER = 9,  /* ptr: a levee_chan_sender, a new handle per message */
  LEVEE_VAL_DATA = 10,   /* ptr, len: malloc'd memory whose ownership moves */
  LEVEE_VAL_MSGPACK = 11, /* ptr, len: a msgpack-encoded value; copied */
  LEVEE_VAL_PICKLE = 12, /* ptr, len: a Python pickle; copied */
  LEVEE_CHAN_CLOSED = 13 /* not a value: the recver's last sender is gone */
};

/* One message pulled by levee_chan_recv. Frozen. */
typedef struct levee_chan_msg {
  uint64_t recver; /* the recver id it is for */
  int32_t type;    /* LEVEE_VAL_* or LEVEE_CHAN_CLOSED */
  int32_t err;     /* the error code sent with the value (pass), 0 for none */
  int64_t i;       /* BOOL, INT64, UINT64, ERROR */
  double num;      /* NUMBER */
  void *ptr;       /* BUFFER, SENDER, DATA: now owned by the receiver;
                      STRING, BYTES, MSGPACK, PICKLE: the bytes, valid until
                      the next levee_chan_recv on this channel or its free */
  size_t len;      /* bytes at ptr (STRING, BYTES, MSGPACK, PICKLE, DATA) */
} levee_chan_msg;

/* Makes a channel. 0, LEVEE_ENOMEM or the system error of its eventfd. */
int levee_chan_new(levee_chan **out);

/* Closes the channel (see levee_chan_close) and drops this handle; the
 * memory goes with the last sender. NULL is a no-op. */
void levee_chan_free(levee_chan *c);

/* A new fd (owned by the caller, close-on-exec, non-blocking) that is
 * readable while messages may wait: register it with the receiving hub.
 * A system error otherwise. */
int levee_chan_watch_fd(levee_chan *c);

/* Declares recver id on the channel; senders can then be made for it.
 * 0, LEVEE_EEXIST when id is bound, LEVEE_CLOSED after levee_chan_close. */
int levee_chan_bind(levee_chan *c, uint64_t id);

/* The recver id is gone: its senders get LEVEE_CLOSED from now on, and
 * messages still queued for it are dropped (and what they own freed).
 * 0, LEVEE_ENOENT for an id not bound. */
int levee_chan_unbind(levee_chan *c, uint64_t id);

/* Pulls up to max messages (oldest first; each sender's messages in the
 * order sent) into out and returns how many; 0 when none waits. Call it
 * again until it returns 0: only a call that finds the channel empty
 * re-arms its fd (while the receiver is busy, senders make no system
 * call). Messages for recvers no longer bound are dropped. LEVEE_EINVAL. */
int levee_chan_recv(levee_chan *c, levee_chan_msg *out, int32_t max);

/* Stops the channel: every sender gets LEVEE_CLOSED from now on; queued
 * messages are dropped. Idempotent: 0. */
int levee_chan_close(levee_chan *c);

/* Makes a sender for recver id of channel c, usable from any thread. 0,
 * LEVEE_ENOENT (id not bound), LEVEE_CLOSED (channel closed). When the last
 * sender of a recver is closed or freed, the recver gets a
 * LEVEE_CHAN_CLOSED message after every message sent before. */
int levee_chan_sender_new(levee_chan_sender **out, levee_chan *c, uint64_t id);

/* Sends (err, value) to the sender's recver; the value is (type, i, num,
 * ptr, len) as in levee_chan_msg. BUFFER: the buffer's bytes move into the
 * message without a copy and the caller's buffer is left empty. SENDER:
 * ptr is a levee_chan_sender that stays the caller's; the message carries
 * a new handle to the same recver. DATA: ownership of the malloc'd ptr
 * passes to the channel (on success only). Safe from any thread. 0,
 * LEVEE_CLOSED (sender closed, recver unbound or channel closed: nothing
 * was taken), LEVEE_EINVAL, LEVEE_ENOMEM. */
int levee_chan_send(levee_chan_sender *s, int32_t err, int32_t type, int64_t i, double num,
                    const void *ptr, size_t len);

/* 1 when both senders deliver to the same recver of the same channel. */
int levee_chan_sender_same(const levee_chan_sender *a, const levee_chan_sender *b);

/* Closes this sender handle (later sends are LEVEE_CLOSED). 0 the first
 * time, LEVEE_CLOSED after. */
int levee_chan_sender_close(levee_chan_sender *s);

/* Closes (if open) and frees the handle. NULL is a no-op. */
void levee_chan_sender_free(levee_chan_sender *s);

/* ===================================================================== */
/* thread: OS threads running a Lua state                                */
/* ===================================================================== */

/* The Lua C API entry points a thread needs. liblevee never links Lua: the
 * binding passes these (LuaJIT exports them), each the address of the
 * function of that name. Frozen. */
typedef struct levee_lua_api {
  void *luaL_newstate;
  void *luaL_openlibs;
  void *luaL_loadbuffer;
  void *lua_pushlightuserdata;
  void *lua_pcall;
  void *lua_tolstring;
  void *lua_close;
} levee_lua_api;

/* An OS thread started by levee_thread_lua. */
typedef struct levee_thread levee_thread;

/* Starts an OS thread that makes a new Lua state with the standard
 * libraries, loads the Lua chunk boot (len bytes, copied), calls it with
 * inbox as a light userdata, closes the state, then frees inbox (the
 * thread owns it from this call on, also when the call fails; NULL for
 * none). The thread starts with every signal blocked (see
 * levee_hub_signal). 0, LEVEE_EINVAL (a missing entry point),
 * LEVEE_ENOMEM, or the system error of pthread_create. */
int levee_thread_lua(levee_thread **out, const levee_lua_api *api, const char *boot, size_t len,
                     levee_chan *inbox);

/* A new fd (owned by the caller, close-on-exec) that becomes readable once
 * the thread has finished its work: levee_thread_join then returns at once. */
int levee_thread_watch_fd(levee_thread *t);

/* Waits for the thread to end (it blocks the calling thread) and reaps it.
 * 0 when the boot chunk returned, LEVEE_EUNKNOWN when it raised or did not
 * load (levee_thread_error has the message); the same answer again later. */
int levee_thread_join(levee_thread *t);

/* The error message of a thread whose boot chunk failed, "" otherwise;
 * valid until levee_thread_free. */
const char *levee_thread_error(const levee_thread *t);

/* 1 while the thread runs, 0 once it finished its work. */
int levee_thread_running(const levee_thread *t);

/* Frees the handle; a thread still running is detached and ends on its
 * own. NULL is a no-op. */
void levee_thread_free(levee_thread *t);


/* levee:section signal */
/* (declarations of the signal module go after this line) */

/* ===================================================================== */
/* signal: signals as hub events                                         */
/* ===================================================================== */

/* Signal numbers as levee takes them (Linux's values; the core maps them
 * to the OS's own). Real-time signals run from levee_signal_rtmin() to
 * levee_signal_rtmax(). */
enum {
  LEVEE_SIGHUP = 1, LEVEE_SIGINT = 2, LEVEE_SIGQUIT = 3, LEVEE_SIGILL = 4,
  LEVEE_SIGTRAP = 5, LEVEE_SIGABRT = 6, LEVEE_SIGBUS = 7, LEVEE_SIGFPE = 8,
  LEVEE_SIGKILL = 9, LEVEE_SIGUSR1 = 10, LEVEE_SIGSEGV = 11, LEVEE_SIGUSR2 = 12,
  LEVEE_SIGPIPE = 13, LEVEE_SIGALRM = 14, LEVEE_SIGTERM = 15, LEVEE_SIGSTKFLT = 16,
  LEVEE_SIGCHLD = 17, LEVEE_SIGCONT = 18, LEVEE_SIGSTOP = 19, LEVEE_SIGTSTP = 20,
  LEVEE_SIGTTIN = 21, LEVEE_SIGTTOU = 22, LEVEE_SIGURG = 23, LEVEE_SIGXCPU = 24,
  LEVEE_SIGXFSZ = 25, LEVEE_SIGVTALRM = 26, LEVEE_SIGPROF = 27, LEVEE_SIGWINCH = 28,
  LEVEE_SIGIO = 29, LEVEE_SIGPWR = 30, LEVEE_SIGSYS = 31
};

/* A levee_event kind (beside LEVEE_HUB_READ ... _WAKE): deliveries of a
 * signal the hub subscribed to with levee_hub_signal; token is the signal
 * number, value how many deliveries arrived since the last such event. */
enum { LEVEE_HUB_SIGNAL = 5 };

/* A levee_hub_register flag (beside LEVEE_HUB_R / _W): the fd is the
 * hub's own plumbing (a channel, a wake-up fd) and is not counted by
 * levee_hub_registered. */
enum { LEVEE_HUB_PRIVATE = 4 };

/* Subscribes the hub to signal sig (on != 0) or unsubscribes it. While any
 * hub of the process is subscribed to sig, levee's handler owns it: every
 * delivery, on whichever thread the kernel picks, is counted in each
 * subscribed hub and reported by its next poll as a LEVEE_HUB_SIGNAL
 * event (counts are exact for signals the kernel delivers one by one; two
 * sends of a standard signal while it is still pending merge into one, as
 * POSIX allows; real-time signals queue). The first subscription also
 * unblocks sig in the calling thread; the last one restores the action
 * that was in place before. Subscribing twice is a no-op. 0, LEVEE_EINVAL
 * for SIGKILL, SIGSTOP, the fault signals (SIGSEGV, SIGBUS, SIGFPE, SIGILL)
 * and numbers that are no signal, LEVEE_EFORKED for a hub of the parent. */
int levee_hub_signal(levee_hub *hub, int32_t sig, int32_t on);

/* The name of signal sig ("SIGTERM", "SIGRTMIN+2"), static; NULL when sig
 * is no signal. */
const char *levee_signal_name(int32_t sig);

/* The first real-time signal number of this process (SIGRTMIN). */
int levee_signal_rtmin(void);

/* The last real-time signal number of this process (SIGRTMAX). */
int levee_signal_rtmax(void);

/* kill(2): sends sig to pid (0: no signal, only the permission check).
 * 0, LEVEE_ESRCH, LEVEE_EPERM, LEVEE_EINVAL. */
int levee_signal_send(int32_t pid, int32_t sig);

/* sigqueue(3): sends sig with an int value; real-time signals sent this
 * way queue instead of merging. Errors as levee_signal_send, plus
 * LEVEE_EAGAIN when the queue is full. */
int levee_signal_queue(int32_t pid, int32_t sig, int32_t value);


/* levee:section stream */
/* (declarations of the stream module go after this line) */

/* ===================================================================== */
/* stream: moving bytes between an fd and buffers, never blocking         */
/* ===================================================================== */

/* A byte stream over one fd (socket, pipe, tty or file) that it owns.
 * Every call either makes progress or answers at once: when the fd (or a
 * transport under the stream, such as a TLS session) cannot go on, the
 * call returns LEVEE_WANT_READ or LEVEE_WANT_WRITE, the caller waits for
 * that readiness of the fd (levee_hub_register) and calls again. Only a
 * WANT answer is a reason to wait: a transport may hold bytes it already
 * took from the fd. EINTR is retried inside; SIGPIPE is never raised
 * (LEVEE_EPIPE instead). End of input is LEVEE_CLOSED, distinct from
 * failures (-(errno) codes, or the transport's own). A stream whose fd was
 * closed or released answers LEVEE_EBADF. Not thread-safe. */
typedef struct levee_stream levee_stream;

/* The two "would block" answers of the stream calls. They are not
 * failures and not in the error registry (levee_error_get gives NULL):
 * wait for the readiness they name, then call again. Their values sit in
 * the levee range, where no error will ever take them. */
enum levee_stream_want {
  LEVEE_WANT_READ = -10110, /* would block until the fd is readable */
  LEVEE_WANT_WRITE = -10111 /* would block until the fd is writable */
};

/* Makes a stream that owns fd (made non-blocking here) with the plain
 * transport. The stream closes fd when closed or freed, unless released.
 * LEVEE_EINVAL (out NULL or fd < 0), LEVEE_EBADF (fd not open),
 * LEVEE_ENOMEM. */
int levee_stream_new(levee_stream **out, int32_t fd);

/* Opens path (open(2) with O_CLOEXEC and O_NONBLOCK added, so opening a
 * FIFO does not wait for its other end; flags as levee_fs_open_mode gives them
 * or built from the OS's O_* constants; mode the permissions of a created
 * file) and makes a stream that owns the fd (levee_stream_fd gives it).
 * LEVEE_EINVAL (out or path NULL), LEVEE_ENOMEM, or the open error
 * (LEVEE_ENOENT, LEVEE_EEXIST, ...). */
int levee_stream_open(levee_stream **out, const char *path, int32_t flags, int32_t mode);

/* Frees the stream: ends its transport without waiting and closes its fd
 * unless it was released. NULL is a no-op. */
void levee_stream_free(levee_stream *s);

/* The stream's fd, or -1 once closed or released (or for NULL). */
int levee_stream_fd(const levee_stream *s);

/* Reads up to n bytes into dst. Returns the bytes read (> 0; 0 only for
 * n 0), LEVEE_CLOSED at end of input, LEVEE_WANT_READ (or, under TLS,
 * LEVEE_WANT_WRITE), LEVEE_EBADF for a closed stream, LEVEE_EINVAL (NULL
 * dst with n > 0), or the read error (LEVEE_ECONNRESET, ...). n 0 reads
 * nothing and forgets what the last read said (levee_stream_drained). */
int64_t levee_stream_read(levee_stream *s, void *dst, size_t n);

/* Reads into buf's tail and commits what arrived (bump). n > 0: first
 * makes room for n bytes, then reads at most n. n 0: reads at most the
 * free space at the tail, first making at least 4 KiB (or half the
 * capacity, up to 64 KiB) free. Returns as levee_stream_read, plus
 * LEVEE_ENOMEM; nothing is committed on a non-positive answer. */
int64_t levee_stream_read_buffer(levee_stream *s, levee_buffer *buf, size_t n);

/* Writes n bytes from src, as many as the fd takes now (looping over
 * short writes). Returns the bytes written: n when all went, fewer when
 * the stream would block (levee_stream_want says on what; wait, then
 * write the rest); LEVEE_WANT_WRITE / LEVEE_WANT_READ when nothing could be
 * written; 0 for n 0; LEVEE_EBADF, LEVEE_EINVAL, or the write error
 * (LEVEE_EPIPE when the reader is gone, LEVEE_ECONNRESET, ...). */
int64_t levee_stream_write(levee_stream *s, const void *src, size_t n);

/* Writes the n entries at iov in order, as levee_stream_write (any n:
 * more than IOV_MAX entries go in several system calls). When a write
 * stops short the entries are advanced in place by what was written
 * (whole entries get length 0, a partly written one is moved forward), so
 * calling again with the same iov and n goes on where the last call
 * stopped; when everything went in one system call they are left as they
 * were. Returns the bytes written (fewer than the total when it would
 * block), LEVEE_WANT_*, or an error; LEVEE_EINVAL for n < 0 or NULL iov
 * with n > 0. */
int64_t levee_stream_writev(levee_stream *s, levee_iovec_entry *iov, int32_t n);

/* Writes up to n bytes from the front of buf (n larger than its length:
 * all of it) and trims what was written. Returns as levee_stream_write. */
int64_t levee_stream_write_buffer(levee_stream *s, levee_buffer *buf, size_t n);

/* Writes every entry of iov and consumes what was written
 * (levee_iovec_consume), so the iovec holds what is left. Returns as
 * levee_stream_writev. */
int64_t levee_stream_write_iovec(levee_stream *s, levee_iovec *iov);

/* Copies up to n bytes of the file in_fd, from offset (offset < 0: from
 * in_fd's own position, which advances), to the stream inside the kernel
 * (sendfile(2)). Returns the bytes copied (0 when in_fd is at its end),
 * LEVEE_WANT_WRITE, LEVEE_ENOTSUP when the transport cannot take raw
 * bytes (TLS: copy through a buffer instead), LEVEE_EBADF, or -(errno). */
int64_t levee_stream_sendfile(levee_stream *s, int32_t in_fd, int64_t offset, size_t n);

/* Moves up to n bytes from src to s inside the kernel (splice(2): directly
 * when one fd is a pipe, else through a pipe that s makes on first use and
 * keeps). Bytes taken from src that s could not take yet stay in that
 * pipe and count towards the next call's n, so call again with the bytes
 * still wanted until they arrived. Returns the bytes written to s (> 0),
 * LEVEE_CLOSED when src is at its end with nothing in flight,
 * LEVEE_WANT_READ (src not readable) or LEVEE_WANT_WRITE (s not writable),
 * LEVEE_ENOTSUP when either transport cannot (TLS) or the OS has no
 * splice, LEVEE_EBADF, or -(errno). 0 for n 0. */
int64_t levee_stream_splice(levee_stream *s, levee_stream *src, size_t n);

/* Bytes levee_stream_splice took from a source into s's pipe that s has
 * not written yet (lost if the stream is closed). */
int64_t levee_stream_inflight(const levee_stream *s);

/* The readiness the last call that stopped short waits on:
 * LEVEE_WANT_READ, LEVEE_WANT_WRITE, or 0 when the last call did not stop
 * short. After a read that returned fewer bytes than asked: LEVEE_WANT_READ
 * when that drained the fd (the plain transport: the next read would
 * answer LEVEE_WANT_READ, so a caller may wait for readability first and
 * save the system call), 0 when the transport may hold more (TLS). */
int levee_stream_want(const levee_stream *s);

/* 1 when the last read through s drained its fd, so that the next read
 * would answer LEVEE_WANT_READ until the fd turns readable again (new
 * bytes, end of input or an error come with a new readiness edge from the
 * hub): that read returned fewer bytes than asked, or LEVEE_WANT_READ, on
 * a stream socket or a pipe with the plain transport, and nothing read
 * the fd since. 0 otherwise: more may be there (a full read, a tty, a
 * datagram socket, a file, TLS, which may hold decrypted bytes), or the
 * last read ended the input or failed. A caller that saw no readiness
 * since that read may wait for it before reading, saving the system call
 * that would answer LEVEE_WANT_READ. A caller that reads the fd other than
 * through s (recvmsg for a passed fd, say) calls levee_stream_read(s,
 * NULL, 0) after, which forgets the drained state. The first call for a
 * stream may ask the kernel what the fd is (getsockopt, fstat); the answer
 * is kept. 0 for NULL or a closed stream. */
int levee_stream_drained(levee_stream *s);

/* One step of the transport's handshake: 0 when done (the plain transport
 * has none), LEVEE_WANT_READ / LEVEE_WANT_WRITE, LEVEE_EBADF, or the
 * transport's error. */
int levee_stream_handshake(levee_stream *s);

/* Half-closes the stream's socket: how 0 (reading), 1 (writing) or 2
 * (both); a transport first ends its writing side (TLS close_notify,
 * without waiting). 0, LEVEE_EINVAL (bad how), LEVEE_EBADF, or -(errno)
 * (LEVEE_ENOTSOCK, LEVEE_ENOTCONN). */
int levee_stream_shutdown(levee_stream *s, int32_t how);

/* Ends the transport (without waiting) and closes the fd now. 0,
 * LEVEE_EBADF when already closed or released, or the close error. */
int levee_stream_close(levee_stream *s);

/* Ends the transport (without waiting) and gives the fd up without
 * closing it, for a caller that closes it later (the bindings' hub closes
 * unregistered fds on its next tick). Returns the fd, or LEVEE_EBADF when
 * the stream has none. */
int levee_stream_release(levee_stream *s);


/* levee:section h1 */
/* (declarations of the h1 module go after this line) */

/* ===================================================================== */
/* h1: the HTTP/1.1 connection engine                                    */
/* ===================================================================== */

/* A sans-I/O HTTP/1.1 connection, server or client side (lib/h1.cc), on
 * the tokenizer above. It owns the protocol: head decoding (tokens in bulk,
 * one call per head), body framing (Content-Length, chunked both ways,
 * until close), keep-alive and close decisions (HTTP/1.0, Connection,
 * HEAD, 1xx, 204, 304), Expect: 100-continue, head encoding with
 * validation (Date cached per second, one framing header chosen once), the
 * 400/413/414/431 answers to refused requests, and the order of pipelined
 * responses. Bytes come in through its read buffer and go out through its
 * write buffer; the binding moves them (levee_h1_read / levee_h1_flush do
 * it for a plain fd). See docs/http.md. */
typedef struct levee_h1 levee_h1;

/* The core stream (section stream) the engine's byte movers take. */
struct levee_stream;

/* Sides for levee_h1_new. */
enum {
  LEVEE_H1_SERVER = 0, /* reads requests, writes responses */
  LEVEE_H1_CLIENT = 1  /* writes requests, reads responses */
};

/* What levee_h1_next found (errors are negative codes). */
enum {
  LEVEE_H1_NEED = 0,  /* more input is needed (read, or levee_h1_eof) */
  LEVEE_H1_HEAD = 1,  /* a request head (server) or a final response head (client) */
  LEVEE_H1_DATA = 2,  /* msg->length body bytes at msg->base (the front of the read buffer) */
  LEVEE_H1_CHUNK = 3, /* a chunk of msg->length bytes begins (chunked bodies) */
  LEVEE_H1_END = 4,   /* the body of a chunked or until-close message ended */
  LEVEE_H1_CLOSED = 5 /* no further message on this connection */
};

/* Body framing (levee_h1_msg.body, levee_h1_out.body). */
enum {
  LEVEE_H1_BODY_NONE = 0,    /* no body (out, response: an empty body) */
  LEVEE_H1_BODY_LENGTH = 1,  /* length bytes (Content-Length) */
  LEVEE_H1_BODY_CHUNKED = 2, /* chunked; out: a streamed body, chunked (or
                                until close to an HTTP/1.0 peer) */
  LEVEE_H1_BODY_CLOSE = 3    /* until the connection closes (responses) */
};

/* Flags of a received head (levee_h1_msg.flags). */
enum {
  LEVEE_H1_F_CLOSE = 1,    /* the connection ends after this exchange */
  LEVEE_H1_F_CONTINUE = 2, /* a request with Expect: 100-continue and a body */
  LEVEE_H1_F_HEAD = 4      /* a HEAD request, or the response to one */
};

/* A received head or body piece, filled by levee_h1_next. */
typedef struct levee_h1_msg {
  const uint8_t *base; /* HEAD: the head's first byte (token offsets are
                          relative to it); DATA: the first body byte. Valid
                          until the next call that adds to the read buffer. */
  uint64_t length;     /* HEAD: Content-Length (BODY_LENGTH); DATA: bytes
                          at base; CHUNK: the chunk size */
  uint32_t id;         /* HEAD: the exchange's number on this connection */
  uint32_t ntoks;      /* HEAD: tokens written (request/status line, fields,
                          BODY_START) */
  uint32_t status;     /* HEAD (client): the status; a refused request
                          (server): the status the engine answered */
  uint32_t version;    /* HEAD: the minor version (1 = HTTP/1.1) */
  int32_t body;        /* HEAD: LEVEE_H1_BODY_* */
  uint32_t flags;      /* HEAD: LEVEE_H1_F_*; NEED: levee_h1_state's bits */
  uint32_t head_len;   /* HEAD: bytes of the head */
  uint32_t packed;     /* levee_h1_step, HEAD: bytes written to its pack */
} levee_h1_msg;

/* A header field to write: name and value are not NUL-terminated. */
typedef struct levee_h1_field {
  const char *name;
  const char *value;
  uint32_t name_len;
  uint32_t value_len;
} levee_h1_field;

/* A head to write. Requests have a method; responses have none. */
typedef struct levee_h1_out {
  const char *method;             /* request method, or NULL for a response */
  const char *target;             /* request target, or the response reason
                                     (NULL: the standard reason) */
  uint32_t method_len;
  uint32_t target_len;
  uint32_t status;                /* response status, 100..999 */
  uint32_t nfields;
  const levee_h1_field *fields;   /* the app's fields, in order */
  const levee_h1_field *defaults; /* written when fields lacks the name
                                     (any case): Host, User-Agent, ... */
  uint32_t ndefaults;
  int32_t body;                   /* LEVEE_H1_BODY_NONE, _LENGTH, _CHUNKED */
  uint64_t length;                /* BODY_LENGTH: the body's size */
  const uint8_t *data;            /* body bytes written after the head (the
                                     whole body when data_len == length) */
  size_t data_len;
  uint32_t flags;                 /* LEVEE_H1_O_* (levee_h1_encode) */
  uint32_t reserved;              /* 0 */
} levee_h1_out;

/* Context of a head for levee_h1_encode (the connection sets all but
 * LEVEE_H1_O_USE_LENGTH itself). */
enum {
  LEVEE_H1_O_CLOSE = 1,      /* write Connection: close */
  LEVEE_H1_O_KEEP_ALIVE = 2, /* write Connection: keep-alive (HTTP/1.0 peer) */
  LEVEE_H1_O_HEAD = 4,       /* the response answers HEAD: no body bytes */
  LEVEE_H1_O_HTTP10 = 8,     /* the peer is HTTP/1.0: a streamed body runs
                                until close instead of chunked */
  LEVEE_H1_O_OPEN = 16,      /* a chunked response head is left without its
                                final CRLF (the first chunk starts with it) */
  LEVEE_H1_O_USE_LENGTH = 32 /* a streamed (or absent, for a request) body
                                is framed by the app's own Content-Length
                                field when it gives one (levee_h1_respond and
                                levee_h1_request honour this flag too) */
};

/* What writing a head decided (levee_h1_encode, _respond, _request). */
enum {
  LEVEE_H1_R_SKIP = 1,        /* no body bytes go out (HEAD, 1xx, 204, 304) */
  LEVEE_H1_R_CLOSE = 2,       /* the connection closes after this message */
  LEVEE_H1_R_QUEUED = 4,      /* complete, held until earlier responses are out */
  LEVEE_H1_R_DONE = 8,        /* the message is complete */
  LEVEE_H1_R_CHUNKED = 16,    /* the body is chunked */
  LEVEE_H1_R_UNTIL_CLOSE = 32, /* the body runs until the connection closes */
  LEVEE_H1_R_INPUT = 64,        /* (respond, finish) the read buffer holds more
                                   input: a pipelined request may follow */
  LEVEE_H1_R_END = 128          /* (respond, finish) the connection is done:
                                   close once flushed (LEVEE_H1_S_CLOSE) */
};

/* Bits of levee_h1_state. */
enum {
  LEVEE_H1_S_IDLE = 1,    /* between messages: nothing buffered, nothing in flight */
  LEVEE_H1_S_CLOSE = 2,   /* done: close once the write buffer is flushed */
  LEVEE_H1_S_PARTIAL = 4, /* part of a head has arrived */
  LEVEE_H1_S_BODY = 8,    /* a body is being received */
  LEVEE_H1_S_EOF = 16,    /* the peer closed its side */
  LEVEE_H1_S_DRAINED = 32, /* the last levee_h1_read came back short: the
                              stream has nothing more until its fd is ready again */
  LEVEE_H1_S_OUTPUT = 64,  /* the write buffer holds bytes to write */
  LEVEE_H1_S_WANT_WRITE = 128 /* the last read or write of the stream waits
                                 for writability (TLS can need it to read) */
};

/* Makes a connection engine for side LEVEE_H1_SERVER or LEVEE_H1_CLIENT
 * with the tokenizer's default limits and no body limit; *out owns it.
 * LEVEE_EINVAL, LEVEE_ENOMEM. */
int levee_h1_new(levee_h1 **out, int32_t side);

/* Frees the engine and its buffers. NULL is a no-op. */
void levee_h1_free(levee_h1 *h);

/* Sets the tokenizer limits (zero members keep their value). 0 or
 * LEVEE_EINVAL. */
int levee_h1_limits_set(levee_h1 *h, const levee_http_limits *limits);

/* Sets the largest request body a server accepts (UINT64_MAX: no limit,
 * the default); larger bodies are answered 413. 0 or LEVEE_EINVAL. */
int levee_h1_max_body_set(levee_h1 *h, uint64_t max);

/* The read buffer, owned by the engine: read bytes into its tail and bump
 * them (or use levee_h1_read); consume body bytes only through
 * levee_h1_consume. Valid while the engine lives. */
levee_buffer *levee_h1_rbuf(levee_h1 *h);

/* The write buffer, owned by the engine: write its bytes out and trim them
 * (or use levee_h1_flush). Valid while the engine lives. */
levee_buffer *levee_h1_wbuf(levee_h1 *h);

/* Advances the reading side; msg is filled as the result says. In a body,
 * it reports DATA (bytes available; consume them with levee_h1_consume),
 * CHUNK and END; between messages it parses the next head into
 * toks[0..cap) (cap must hold the start line, every field and BODY_START:
 * a head with more tokens is refused as too large), consuming the head's
 * bytes. A server writes 100 Continue into the write buffer when it has to
 * wait for the body of a request that expects it. Returns LEVEE_H1_*, or:
 * LEVEE_HTTP_ESYNTAX / LEVEE_HTTP_ESIZE for refused input (a server has
 * queued the answer, msg->status), LEVEE_HTTP_ETOOSHORT when the peer
 * closed inside a message, LEVEE_HTTP_ESTATE for a response nobody asked
 * for, LEVEE_EINVAL. After an error or CLOSED it returns CLOSED. */
int levee_h1_next(levee_h1 *h, levee_h1_msg *msg, levee_http_token *toks, uint32_t cap);

/* Consumes n body bytes from the front of the read buffer (n at most what
 * DATA reported, or what is buffered of the current chunk or body).
 * 0, LEVEE_EINVAL (beyond the body), LEVEE_HTTP_ESTATE (not in a body). */
int levee_h1_consume(levee_h1 *h, size_t n);

/* Skips the rest of the current body as far as the buffered bytes go:
 * 1 when the body is over (or there was none), 0 when more input is
 * needed, or the errors of levee_h1_next. */
int levee_h1_discard(levee_h1 *h);

/* Records that the peer closed its side (no more input). 0 or
 * LEVEE_EINVAL. */
int levee_h1_eof(levee_h1 *h);

/* Server shutdown: reads no further request (a head in progress is
 * dropped); the requests in flight are answered, the last answer says
 * Connection: close, and LEVEE_H1_S_CLOSE follows. Returns
 * levee_h1_state, or LEVEE_EINVAL. */
int levee_h1_drain(levee_h1 *h);

/* Server: writes the response to exchange id (from the request's HEAD).
 * The engine drops the app's Content-Length / Transfer-Encoding fields and
 * writes the framing itself: Content-Length for a BODY_LENGTH or
 * BODY_NONE body, chunked for BODY_CHUNKED (until close for HTTP/1.0, or
 * the app's own Content-Length with LEVEE_H1_O_USE_LENGTH); Date unless given;
 * Connection: close when the exchange ends the connection (the request or
 * the app asked for it, or it is the last one before the connection ends),
 * Connection: keep-alive to an HTTP/1.0 peer that asked for it. A response due
 * now goes into the write buffer; a complete one (R_DONE) to a later
 * request is held (R_QUEUED); a streamed one to a later request returns
 * LEVEE_EAGAIN: wait until levee_h1_due says it is its turn. A 1xx
 * status writes an interim response. Returns LEVEE_H1_R_* flags, or
 * LEVEE_EINVAL (a name that is not a token, CR/LF/NUL in a value or the
 * reason, a bad status; nothing is written), LEVEE_HTTP_ESTATE (no such
 * exchange waiting for its response), LEVEE_CLOSED (the engine answered
 * it already, or the connection is closing before it). */
int levee_h1_respond(levee_h1 *h, uint32_t id, const levee_h1_out *o);

/* levee_h1_respond for bindings that hand over bytes rather than fill a
 * struct (Python's cffi): the fields are packed as name NUL value NUL ...
 * (fields_len bytes; a name or value holding NUL makes the count odd:
 * LEVEE_EINVAL), reason NULL for the standard one, kind LEVEE_H1_BODY_*,
 * flags LEVEE_H1_O_USE_LENGTH or 0. Same results. */
int levee_h1_reply(levee_h1 *h, uint32_t id, uint32_t status, const char *reason, size_t reason_len,
                   const char *fields, size_t fields_len, const uint8_t *body, size_t body_len,
                   int32_t kind, uint64_t length, uint32_t flags);

/* Client: writes a request (method and target are validated like field
 * names and values, the target also refuses spaces). BODY_LENGTH writes
 * Content-Length, BODY_CHUNKED Transfer-Encoding: chunked (send the body
 * with levee_h1_send / levee_h1_finish before the next request). Returns
 * the exchange id (>= 0), LEVEE_EINVAL, LEVEE_EBUSY (a streamed body is
 * still open), LEVEE_CLOSED (the connection is closing). */
int levee_h1_request(levee_h1 *h, const levee_h1_out *o);

/* levee_h1_request with packed fields (see levee_h1_reply); defaults are
 * packed the same way. Same results. */
int levee_h1_ask(levee_h1 *h, const char *method, size_t method_len, const char *target,
                 size_t target_len, const char *fields, size_t fields_len, const char *defaults,
                 size_t defaults_len, const uint8_t *body, size_t body_len, int32_t kind,
                 uint64_t length, uint32_t flags);

/* Copies the head levee_h1_next just read (msg, toks) into dst as the
 * slices of its tokens, each followed by a NUL byte: method NUL target NUL
 * (or reason NUL for a response), then name NUL value NUL per field.
 * Returns the bytes written, LEVEE_ERANGE when cap is short, LEVEE_EINVAL.
 * Call it before anything adds to the read buffer. */
int levee_h1_pack(const levee_h1_msg *msg, const levee_http_token *toks, uint8_t *dst, size_t cap);

/* Writes body bytes of the streamed message of exchange id: a chunk
 * (chunked), the bytes as they are (Content-Length, until close), nothing
 * (R_SKIP). With data NULL and len > 0 only the framing goes out (a chunk
 * header): the caller writes the len bytes itself right after flushing.
 * 0, LEVEE_EINVAL (past the Content-Length), LEVEE_HTTP_ESTATE (not
 * streaming), LEVEE_EAGAIN (not its turn yet). */
int levee_h1_send(levee_h1 *h, uint32_t id, const uint8_t *data, size_t len);

/* Ends the streamed message of exchange id (the last chunk when chunked).
 * A Content-Length body that fell short closes the connection. Returns
 * LEVEE_H1_R_* flags (R_CLOSE: close once flushed), LEVEE_HTTP_ESTATE,
 * LEVEE_EAGAIN. */
int levee_h1_finish(levee_h1 *h, uint32_t id);

/* Server: the id of the exchange whose response goes out next, -1 when
 * none is waiting. Client: the id whose response is read next, or -1. */
int64_t levee_h1_due(const levee_h1 *h);

/* Exchanges in flight: server, requests received and not yet answered in
 * full; client, requests sent whose response head has not been read. */
int levee_h1_inflight(const levee_h1 *h);

/* LEVEE_H1_S_* bits (0 for NULL). */
int levee_h1_state(const levee_h1 *h);

/* Heads levee_h1_next has returned on this connection (requests received
 * by a server, responses by a client). */
int64_t levee_h1_count(const levee_h1 *h);

/* Body bytes of exchange id still to be read: what is left of a
 * Content-Length body, or of the current chunk of a chunked body (0
 * between chunks); 0 once that body is over or when id is not the message
 * being read; -1 for a body that runs until the connection closes. */
int64_t levee_h1_left(const levee_h1 *h, uint32_t id);

/* Gives back what an idle connection does not need: the allocations of
 * the empty buffers, and between messages the tokenizer and the exchange
 * queue (made again on demand), so an idle keep-alive connection holds
 * only the engine itself. 0 or LEVEE_EINVAL. */
int levee_h1_release(levee_h1 *h);

/* Reads from the stream s (the core stream: a plain socket, or TLS under
 * it) into the read buffer, growing it as needed. Returns the bytes read,
 * 0 at the end of input (recorded as levee_h1_eof), LEVEE_WANT_READ or
 * LEVEE_WANT_WRITE (wait for that readiness of the fd), or the stream's
 * error (the engine then treats the input as ended). */
int64_t levee_h1_read(levee_h1 *h, struct levee_stream *s);

/* Writes the write buffer to the stream s, as far as it takes it
 * (trimming what went out). Returns the bytes still buffered (0: all
 * written; > 0: wait for the readiness levee_stream_want(s) names), or
 * the stream's error (LEVEE_EPIPE, ...). */
int64_t levee_h1_flush(levee_h1 *h, struct levee_stream *s);

/* One call for what a binding whose FFI calls are dear (Python's cffi)
 * does between two messages: writes the engine's output to the stream s
 * as far as it goes (levee_h1_flush), then levee_h1_next; when that needs
 * input and the last read did not drain the stream (or ready != 0: its fd
 * was reported ready), reads once (levee_h1_read) and calls it again. A
 * HEAD is also packed into pack[0..pack_cap) (levee_h1_pack; msg->packed
 * bytes). Returns levee_h1_next's result (NEED with the state in
 * msg->flags: LEVEE_H1_S_OUTPUT when the stream took less than
 * everything, LEVEE_H1_S_WANT_WRITE when it waits for writability), or
 * the write's error (LEVEE_EPIPE, ...), LEVEE_ERANGE when pack is short. */
int levee_h1_step(levee_h1 *h, struct levee_stream *s, int32_t ready, levee_h1_msg *msg,
                  levee_http_token *toks, uint32_t cap, uint8_t *pack, size_t pack_cap);

/* Appends a request or response head (and o->data) to buf without any
 * connection, with the context of o->flags: the same validation, framing
 * and Date rules as levee_h1_respond / levee_h1_request. Returns
 * LEVEE_H1_R_* flags, LEVEE_EINVAL (nothing appended), LEVEE_ENOMEM. */
int levee_h1_encode(levee_buffer *buf, const levee_h1_out *o);

/* Writes the HTTP date of now ("Sun, 06 Nov 1994 08:49:37 GMT", 29 bytes,
 * no NUL) into dst (cap >= 29), formatted at most once a second per
 * thread. Returns 29, or LEVEE_ERANGE. */
int levee_h1_date(char *dst, size_t cap);


/* levee:section utf8 */
/* (declarations of the utf8 module go after this line) */

/* ===================================================================== */
/* utf8: validation, character length, percent and JSON escaping         */
/* ===================================================================== */

/* Escaping modes of levee_utf8_encode / levee_utf8_decode (or-ed). */
enum levee_utf8_mode {
  LEVEE_UTF8_NONE = 0,          /* percent-encoding that keeps RFC 3986's
                                   unreserved and reserved characters
                                   (JavaScript's encodeURI): space is %20 */
  LEVEE_UTF8_JSON = 1,          /* JSON string escaping (no quotes added) */
  LEVEE_UTF8_URI = 2,           /* the same as LEVEE_UTF8_NONE, said explicitly */
  LEVEE_UTF8_URI_COMPONENT = 4, /* percent-encode all but the unreserved
                                   A-Z a-z 0-9 - . _ ~ (query keys, values) */
  LEVEE_UTF8_SPACE_PLUS = 8     /* URI modes: a space is '+' (and '+' decodes
                                   to a space) */
};

/* 0 when p[0, n) is whole, valid UTF-8 (RFC 3629), else the code of its
 * first fault: LEVEE_UTF8_EENCODING (a byte that cannot start or continue a
 * character, an overlong form), LEVEE_UTF8_ESURROGATE (an encoded
 * U+D800..U+DFFF), LEVEE_UTF8_ECODEPOINT (beyond U+10FFFF),
 * LEVEE_UTF8_ETOOSHORT (the input ends inside a character). LEVEE_EINVAL
 * for NULL with n > 0. */
int levee_utf8_validate(const uint8_t *p, size_t n);

/* The length of the longest prefix of p[0, n) made of whole valid
 * characters: n when levee_utf8_validate says 0, else the offset of the
 * character at fault. 0 for NULL. */
size_t levee_utf8_valid_prefix(const uint8_t *p, size_t n);

/* The byte length (1..4) of the character that starts p[0, n), or the
 * error levee_utf8_validate would give for it (LEVEE_UTF8_ETOOSHORT when
 * n is 0). */
int levee_utf8_charlen(const uint8_t *p, size_t n);

/* Escapes src[0, n) into dst[0, cap) as mode says (levee_utf8_mode bits);
 * src must be valid UTF-8. Returns the bytes written, LEVEE_UTF8_EBUFS when
 * they do not fit in cap (dst then holds a prefix), or the validation error
 * of src (LEVEE_UTF8_EENCODING, ...). cap >= 6 * n always suffices for
 * JSON, 3 * n for the URI modes. LEVEE_EINVAL for NULL pointers with n > 0
 * or an unknown mode bit. */
int64_t levee_utf8_encode(uint8_t *dst, size_t cap, const uint8_t *src, size_t n, int mode);

/* Undoes levee_utf8_encode: URI modes decode %XX (and '+' with
 * LEVEE_UTF8_SPACE_PLUS); JSON decodes backslash escapes including the
 * u-escaped surrogate pairs. The result must be valid UTF-8. Returns the bytes
 * written to dst (never more than n, so cap >= n suffices), or
 * LEVEE_UTF8_EESCAPE (a malformed escape), LEVEE_UTF8_ESURROGATE (a lone or
 * misordered u-escaped surrogate), LEVEE_UTF8_ETOOSHORT (src ends inside an
 * escape), LEVEE_UTF8_EBUFS, the validation error of the result,
 * LEVEE_EINVAL. */
int64_t levee_utf8_decode(uint8_t *dst, size_t cap, const uint8_t *src, size_t n, int mode);


/* levee:section uri */
/* (declarations of the uri module go after this line) */

/* ===================================================================== */
/* uri: RFC 3986 URI references: segments, ranges, joins, query params    */
/* ===================================================================== */

/* Segments of a URI, in the order they appear (levee_uri.off / len). */
enum levee_uri_segment {
  LEVEE_URI_SCHEME = 0,   /* "http" of "http://u:p@h:80/p?q#f" */
  LEVEE_URI_USER = 1,     /* "u" */
  LEVEE_URI_PASSWORD = 2, /* "p" */
  LEVEE_URI_HOST = 3,     /* "h" ("[::1]" keeps its brackets, as RFC 3986 writes it) */
  LEVEE_URI_PORT = 4,     /* "80", digits only (may be empty) */
  LEVEE_URI_PATH = 5,     /* "/p" (present when not empty) */
  LEVEE_URI_QUERY = 6,    /* "q", without the '?' (may be empty) */
  LEVEE_URI_FRAGMENT = 7  /* "f", without the '#' (may be empty) */
};

/* A parsed URI reference (plain data, 72 bytes, frozen): segment i is
 * text[off[i], off[i] + len[i]) of the text it was parsed from, when bit
 * (1 << i) of present is set. length is the text's length. */
typedef struct levee_uri {
  uint32_t off[8];
  uint32_t len[8];
  uint32_t present;
  uint32_t length;
} levee_uri;

/* One query parameter (plain data, frozen): key and value as offsets into
 * the decoded bytes levee_uri_params wrote. */
typedef struct levee_uri_param {
  uint32_t key_off;
  uint32_t key_len;
  uint32_t value_off;
  uint32_t value_len;
} levee_uri_param;

/* Parses text[0, n) as a URI reference (absolute or relative): a scheme
 * (ALPHA *(ALPHA / DIGIT / "+" / "-" / ".") before ':'), "//" authority
 * (userinfo '@', host: reg-name, IPv4 or "[...]" literal, ':' port
 * digits), path, '?' query, '#' fragment. Scheme, userinfo, host and port
 * take only RFC 3986's characters; path, query and fragment take any
 * visible ASCII but the delimiters that end them (so "a|b" and "a[]=1"
 * parse, as servers accept them). Every '%' must begin %XX. 0, or
 * LEVEE_URI_ESYNTAX (out describes nothing then; levee_last_message says
 * where), LEVEE_URI_ERANGE (n >= 4 GiB), LEVEE_EINVAL (NULL). */
int levee_uri_parse(levee_uri *out, const char *text, size_t n);

/* The range of text from segment first to segment last (absent segments
 * at either end are skipped) as range[0] = offset, range[1] = length.
 * valid non-zero widens it to a piece that reads as a URI on its own: the
 * '//' before an authority, ':' before a port, '?' before a query, '#'
 * before a fragment, ':' after a scheme, '@' after userinfo. 0, or
 * LEVEE_URI_ESEGMENT (a segment number outside 0..7, or none of first..last
 * present), LEVEE_URI_ERANGE (first > last), LEVEE_EINVAL. */
int levee_uri_sub(const levee_uri *u, int first, int last, int valid, uint32_t *range);

/* Resolves the reference ref[0, rlen) against base[0, blen) (RFC 3986
 * section 5.2: merge paths, remove dot segments) and writes the target URI
 * to dst[0, cap). cap >= blen + rlen + 4 always suffices. Returns the
 * length written, or LEVEE_URI_ESYNTAX (either does not parse),
 * LEVEE_URI_EBUFS (cap too small), LEVEE_EINVAL. */
int64_t levee_uri_join(char *dst, size_t cap, const char *base, size_t blen, const char *ref,
                       size_t rlen);

/* Splits a query ("a=1&b=x+y&c", without the '?') at '&' (empty pieces
 * skipped) and each piece at its first '='; keys and values are decoded
 * ('+' is a space, %XX a byte) into dst, which must hold n bytes, and must
 * be valid UTF-8. A piece without '=' has an empty value. Writes up to cap
 * records to out (in order) and returns how many parameters there are
 * (call again with a bigger out when that exceeds cap), or
 * LEVEE_UTF8_EESCAPE, LEVEE_UTF8_ETOOSHORT, the validation error of a
 * decoded key or value, LEVEE_URI_ERANGE (n >= 2 GiB), LEVEE_EINVAL. */
int levee_uri_params(const char *query, size_t n, levee_uri_param *out, size_t cap, uint8_t *dst);


/* levee:section base64 */
/* (declarations of the base64 module go after this line) */

/* ===================================================================== */
/* base64: RFC 4648 with padding                                          */
/* ===================================================================== */

/* Writes the padded base64 text of src[0, n) to dst, which must hold
 * 4 * ((n + 2) / 3) bytes (no NUL is added). Returns the bytes written, or
 * LEVEE_EINVAL (NULL with n > 0). */
int64_t levee_base64_encode(char *dst, const uint8_t *src, size_t n);

/* Decodes base64 text src[0, n) into dst, which must hold 3 * (n / 4) + 3
 * bytes. Bytes outside the alphabet A-Z a-z 0-9 + / are skipped (line
 * breaks, spaces); '=' ends a group, so padded pieces may follow each
 * other. Returns the bytes written, or LEVEE_BASE64_ETOOSHORT when a group
 * ends with a single character (6 bits: truncated input), LEVEE_EINVAL. */
int64_t levee_base64_decode(uint8_t *dst, const char *src, size_t n);


/* levee:section rand */
/* (declarations of the rand module go after this line) */

/* Fills dst[0, n) with bytes from the kernel's CSPRNG (getrandom(2); it
 * blocks only until the pool is first seeded at boot). 0, or -(errno),
 * LEVEE_EINVAL (NULL with n > 0). */
int levee_rand_bytes(void *dst, size_t n);


/* levee:section term */
/* (declarations of the term module go after this line) */

/* A terminal's size (struct winsize's fields). */
typedef struct levee_winsize {
  uint16_t row;
  uint16_t col;
  uint16_t xpixel;
  uint16_t ypixel;
} levee_winsize;

/* The size of the terminal open on fd (ioctl TIOCGWINSZ). 0, or -(errno)
 * (LEVEE_ENOTTY when fd is not a terminal, LEVEE_EBADF), LEVEE_EINVAL. */
int levee_term_winsize(int32_t fd, levee_winsize *out);

/* levee:section simd */
/* (declarations of the simd module go after this line) */

/* The tokenizers (JSON, HTTP) scan with the widest vector instructions the
 * CPU offers, chosen once at run time; the library stays one binary for any
 * x86-64 and builds on other machines with the portable path only. Every
 * level gives the same results: the levels exist so tests and benchmarks
 * can compare them. The environment variable LEVEE_SIMD (portable, sse4.2,
 * avx2) lowers the level for the whole process when the library loads. */
enum levee_simd_level {
  LEVEE_SIMD_PORTABLE = 0, /* plain C++, table-driven (every architecture) */
  LEVEE_SIMD_SSE42 = 1,    /* x86-64 SSE4.2 (with SSSE3): 16 bytes a step */
  LEVEE_SIMD_AVX2 = 2,     /* x86-64 AVX2: 32 bytes a step */
  LEVEE_SIMD_AVX512 = 3    /* reserved: no AVX-512 path yet (never detected) */
};

/* The LEVEE_SIMD_* level the tokenizers use now. */
int levee_simd_level(void);

/* The highest LEVEE_SIMD_* level this CPU and build support. */
int levee_simd_detected(void);

/* Makes the tokenizers use `level` from their next call on (process-wide;
 * for tests and benchmarks, not to be changed while other threads parse).
 * Returns the level now in force, LEVEE_EINVAL for an unknown level, or
 * LEVEE_ENOTSUP when the CPU lacks it (the level is then unchanged). */
int levee_simd_set_level(int32_t level);


/* levee:section misc */
/* (declarations of the misc module go after this line) */

/* Resource usage, plain data (times in seconds). */
typedef struct levee_rusage {
  double utime;
  double stime;
  int64_t maxrss;  /* KiB */
  int64_t minflt;
  int64_t majflt;
  int64_t inblock;
  int64_t oublock;
  int64_t nvcsw;
  int64_t nivcsw;
} levee_rusage;

/* getrusage(2) for who (0 self, -1 children, 1 thread). 0 or -(errno). */
int levee_sys_getrusage(int32_t who, levee_rusage *out);

/* Current resident set size of this process in bytes, or -(errno). */
int64_t levee_sys_rss(void);

/* gethostname(2) into dst (NUL-terminated). Length or -(errno). */
int levee_sys_gethostname(char *dst, size_t cap);

/* The number of open fds of this process, or -(errno). */
int levee_sys_fdcount(void);

/* Writes up to cap open fds of this process, ascending, into out. Returns
 * the total number open (may exceed cap) or -(errno). */
int levee_sys_fds(int32_t *out, size_t cap);

/* The value of the OS constant called name, as the system headers the
 * library was built with define it: address families and socket levels,
 * types and options (AF_INET, SOCK_STREAM, SOL_SOCKET, SO_REUSEADDR,
 * TCP_NODELAY, SHUT_WR, ...), fcntl commands and open flags (F_GETFL,
 * O_NONBLOCK, O_CLOEXEC, ...), access modes (F_OK ...), signals (SIGTERM,
 * SIG_BLOCK, ...), errno values (EAGAIN, EINTR, ...), wait and rusage
 * selectors, epoll, signalfd and prctl flags, clock ids (CLOCK_REALTIME,
 * CLOCK_MONOTONIC), address string lengths.
 * Lets a binding hand such numbers to the OS or to programs without
 * hard-coding them. Writes *value and returns 0; LEVEE_ENOENT for a name
 * it does not know (or the OS lacks), LEVEE_EINVAL for NULL. */
int levee_os_constant(const char *name, int64_t *value);


/* levee:cdef-end */

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif

#endif /* LEVEE_H */
