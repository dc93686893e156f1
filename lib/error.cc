// The process-wide error registry (levee_error_*), levee_strerror,
// levee_errname, errno mapping and the thread-local message.
//
// Entries live for the whole process and never move, so a levee_error
// pointer identifies an error in every OS thread: the Lua binding compares
// errors by pointer identity (err == errors.CLOSED) across threads.
#include <cctype>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

#include "internal.h"

struct levee_error {
  int code;
  const char *domain;
  const char *name;
  const char *msg;
  const char *fullname;  // "domain.NAME"
};

namespace levee {
namespace {

struct Builtin {
  int code;
  const char *name;
  const char *msg;
};

// system: every Linux errno, -(errno); msg is the lower-cased strerror text.
const Builtin kSystem[] = {
  {-1, "EPERM", "operation not permitted"},
  {-2, "ENOENT", "no such file or directory"},
  {-3, "ESRCH", "no such process"},
  {-4, "EINTR", "interrupted system call"},
  {-5, "EIO", "input/output error"},
  {-6, "ENXIO", "no such device or address"},
  {-7, "E2BIG", "argument list too long"},
  {-8, "ENOEXEC", "exec format error"},
  {-9, "EBADF", "bad file descriptor"},
  {-10, "ECHILD", "no child processes"},
  {-11, "EAGAIN", "resource temporarily unavailable"},
  {-12, "ENOMEM", "cannot allocate memory"},
  {-13, "EACCES", "permission denied"},
  {-14, "EFAULT", "bad address"},
  {-15, "ENOTBLK", "block device required"},
  {-16, "EBUSY", "device or resource busy"},
  {-17, "EEXIST", "file exists"},
  {-18, "EXDEV", "invalid cross-device link"},
  {-19, "ENODEV", "no such device"},
  {-20, "ENOTDIR", "not a directory"},
  {-21, "EISDIR", "is a directory"},
  {-22, "EINVAL", "invalid argument"},
  {-23, "ENFILE", "too many open files in system"},
  {-24, "EMFILE", "too many open files"},
  {-25, "ENOTTY", "inappropriate ioctl for device"},
  {-26, "ETXTBSY", "text file busy"},
  {-27, "EFBIG", "file too large"},
  {-28, "ENOSPC", "no space left on device"},
  {-29, "ESPIPE", "illegal seek"},
  {-30, "EROFS", "read-only file system"},
  {-31, "EMLINK", "too many links"},
  {-32, "EPIPE", "broken pipe"},
  {-33, "EDOM", "numerical argument out of domain"},
  {-34, "ERANGE", "numerical result out of range"},
  {-35, "EDEADLK", "resource deadlock avoided"},
  {-36, "ENAMETOOLONG", "file name too long"},
  {-37, "ENOLCK", "no locks available"},
  {-38, "ENOSYS", "function not implemented"},
  {-39, "ENOTEMPTY", "directory not empty"},
  {-40, "ELOOP", "too many levels of symbolic links"},
  {-42, "ENOMSG", "no message of desired type"},
  {-43, "EIDRM", "identifier removed"},
  {-44, "ECHRNG", "channel number out of range"},
  {-45, "EL2NSYNC", "level 2 not synchronized"},
  {-46, "EL3HLT", "level 3 halted"},
  {-47, "EL3RST", "level 3 reset"},
  {-48, "ELNRNG", "link number out of range"},
  {-49, "EUNATCH", "protocol driver not attached"},
  {-50, "ENOCSI", "no csi structure available"},
  {-51, "EL2HLT", "level 2 halted"},
  {-52, "EBADE", "invalid exchange"},
  {-53, "EBADR", "invalid request descriptor"},
  {-54, "EXFULL", "exchange full"},
  {-55, "ENOANO", "no anode"},
  {-56, "EBADRQC", "invalid request code"},
  {-57, "EBADSLT", "invalid slot"},
  {-59, "EBFONT", "bad font file format"},
  {-60, "ENOSTR", "device not a stream"},
  {-61, "ENODATA", "no data available"},
  {-62, "ETIME", "timer expired"},
  {-63, "ENOSR", "out of streams resources"},
  {-64, "ENONET", "machine is not on the network"},
  {-65, "ENOPKG", "package not installed"},
  {-66, "EREMOTE", "object is remote"},
  {-67, "ENOLINK", "link has been severed"},
  {-68, "EADV", "advertise error"},
  {-69, "ESRMNT", "srmount error"},
  {-70, "ECOMM", "communication error on send"},
  {-71, "EPROTO", "protocol error"},
  {-72, "EMULTIHOP", "multihop attempted"},
  {-73, "EDOTDOT", "rfs specific error"},
  {-74, "EBADMSG", "bad message"},
  {-75, "EOVERFLOW", "value too large for defined data type"},
  {-76, "ENOTUNIQ", "name not unique on network"},
  {-77, "EBADFD", "file descriptor in bad state"},
  {-78, "EREMCHG", "remote address changed"},
  {-79, "ELIBACC", "can not access a needed shared library"},
  {-80, "ELIBBAD", "accessing a corrupted shared library"},
  {-81, "ELIBSCN", ".lib section in a.out corrupted"},
  {-82, "ELIBMAX", "attempting to link in too many shared libraries"},
  {-83, "ELIBEXEC", "cannot exec a shared library directly"},
  {-84, "EILSEQ", "invalid or incomplete multibyte or wide character"},
  {-85, "ERESTART", "interrupted system call should be restarted"},
  {-86, "ESTRPIPE", "streams pipe error"},
  {-87, "EUSERS", "too many users"},
  {-88, "ENOTSOCK", "socket operation on non-socket"},
  {-89, "EDESTADDRREQ", "destination address required"},
  {-90, "EMSGSIZE", "message too long"},
  {-91, "EPROTOTYPE", "protocol wrong type for socket"},
  {-92, "ENOPROTOOPT", "protocol not available"},
  {-93, "EPROTONOSUPPORT", "protocol not supported"},
  {-94, "ESOCKTNOSUPPORT", "socket type not supported"},
  {-95, "ENOTSUP", "operation not supported"},
  {-96, "EPFNOSUPPORT", "protocol family not supported"},
  {-97, "EAFNOSUPPORT", "address family not supported by protocol"},
  {-98, "EADDRINUSE", "address already in use"},
  {-99, "EADDRNOTAVAIL", "cannot assign requested address"},
  {-100, "ENETDOWN", "network is down"},
  {-101, "ENETUNREACH", "network is unreachable"},
  {-102, "ENETRESET", "network dropped connection on reset"},
  {-103, "ECONNABORTED", "software caused connection abort"},
  {-104, "ECONNRESET", "connection reset by peer"},
  {-105, "ENOBUFS", "no buffer space available"},
  {-106, "EISCONN", "transport endpoint is already connected"},
  {-107, "ENOTCONN", "transport endpoint is not connected"},
  {-108, "ESHUTDOWN", "cannot send after transport endpoint shutdown"},
  {-109, "ETOOMANYREFS", "too many references: cannot splice"},
  {-110, "ETIMEDOUT", "connection timed out"},
  {-111, "ECONNREFUSED", "connection refused"},
  {-112, "EHOSTDOWN", "host is down"},
  {-113, "EHOSTUNREACH", "no route to host"},
  {-114, "EALREADY", "operation already in progress"},
  {-115, "EINPROGRESS", "operation now in progress"},
  {-116, "ESTALE", "stale file handle"},
  {-117, "EUCLEAN", "structure needs cleaning"},
  {-118, "ENOTNAM", "not a xenix named type file"},
  {-119, "ENAVAIL", "no xenix semaphores available"},
  {-120, "EISNAM", "is a named type file"},
  {-121, "EREMOTEIO", "remote i/o error"},
  {-122, "EDQUOT", "disk quota exceeded"},
  {-123, "ENOMEDIUM", "no medium found"},
  {-124, "EMEDIUMTYPE", "wrong medium type"},
  {-125, "ECANCELED", "operation canceled"},
  {-126, "ENOKEY", "required key not available"},
  {-127, "EKEYEXPIRED", "key has expired"},
  {-128, "EKEYREVOKED", "key has been revoked"},
  {-129, "EKEYREJECTED", "key was rejected by service"},
  {-130, "EOWNERDEAD", "owner died"},
  {-131, "ENOTRECOVERABLE", "state not recoverable"},
  {-132, "ERFKILL", "operation not possible due to rf-kill"},
  {-133, "EHWPOISON", "memory page has hardware error"},
};

const Builtin kAddr[] = {
    {-201, "EBADFLAGS", "bad value for ai_flags"},
    {-202, "ENONAME", "name or service not known"},
    {-203, "EAGAIN", "temporary failure in name resolution"},
    {-204, "EFAIL", "non-recoverable failure in name resolution"},
    {-205, "ENODATA", "no address associated with hostname"},
    {-206, "EFAMILY", "ai_family not supported"},
    {-207, "ESOCKTYPE", "ai_socktype not supported"},
    {-208, "ESERVICE", "servname not supported for ai_socktype"},
    {-209, "EADDRFAMILY", "address family for hostname not supported"},
    {-210, "EMEMORY", "memory allocation failure"},
    {-212, "EOVERFLOW", "argument buffer overflow"},
    {-213, "EBADHINTS", "invalid value for hints"},
    {-214, "EPROTOCOL", "resolved protocol is unknown"},
    {-301, "ECANCELED", "request canceled"},
};

const Builtin kUtf8[] = {
    {-1001, "ESIZE", "invalid size"},
    {-1002, "EESCAPE", "invalid escape sequence"},
    {-1003, "ECODEPOINT", "invalid code point"},
    {-1004, "EENCODING", "invalid encoding"},
    {-1005, "ESURROGATE", "invalid surrogate pair"},
    {-1006, "ETOOSHORT", "byte sequence too short"},
    {-1007, "EBUFS", "buffer too small"},
};

const Builtin kHttp[] = {
    {-1010, "ESYNTAX", "invalid HTTP syntax"},
    {-1011, "ESIZE", "HTTP element exceeds its size limit"},
    {-1012, "ESTATE", "invalid HTTP parser state"},
    {-1013, "ETOOSHORT", "HTTP input too short"},
};

const Builtin kJson[] = {
    {-1020, "ESYNTAX", "invalid JSON syntax"},
    {-1021, "ESIZE", "JSON element exceeds its size limit"},
    {-1022, "ESTACK", "JSON nesting too deep"},
    {-1023, "ESTATE", "invalid JSON parser state"},
    {-1024, "EESCAPE", "invalid JSON escape"},
    {-1025, "EBYTE", "invalid byte in JSON input"},
};

const Builtin kMsgpack[] = {
    {-1030, "ESYNTAX", "invalid msgpack syntax"},
    {-1032, "ESTACK", "msgpack nesting too deep"},
};

const Builtin kPath[] = {
    {-1051, "EBUFS", "path buffer too small"},
    {-1052, "ENOTFOUND", "path not found"},
    {-1053, "ECLOSED", "path iterator closed"},
};

const Builtin kUri[] = {
    {-1060, "ESYNTAX", "invalid URI syntax"},
    {-1061, "EBUFS", "URI buffer too small"},
    {-1062, "ESEGMENT", "invalid URI segment"},
    {-1063, "ERANGE", "URI segment out of range"},
};

// base64 is levee's own domain (the original decoded in Lua and reported
// nothing): truncated input is the one fault a lenient decoder can see.
const Builtin kBase64[] = {
    {-1070, "ETOOSHORT", "base64 input truncated"},
};

const Builtin kDns[] = {
    {-1100, "ENOBUFS", "DNS packet buffer too small"},
    {-1101, "EILLEGAL", "illegal DNS RR name or data"},
    {-1102, "EORDER", "DNS section order violation"},
    {-1103, "ESECTION", "invalid DNS section"},
    {-1104, "EUNKNOWN", "unknown DNS error"},
    {-1105, "EADDRESS", "invalid textual address form"},
    {-1106, "ENOQUERY", "DNS query not sent"},
    {-1107, "ENOANSWER", "no DNS answer"},
    {-1108, "EFETCHED", "DNS answer already fetched"},
    {-1109, "ESERVICE", "DNS service unavailable"},
    {-1110, "ENONAME", "DNS name not known"},
    {-1111, "EFAIL", "non-recoverable DNS failure"},
    {-1112, "ELAST", "last DNS library error"},
    {-1113, "NOERROR", "no error"},
    {-1114, "FORMERR", "format error"},
    {-1115, "SERVFAIL", "server failure"},
    {-1116, "NXDOMAIN", "non-existent domain"},
    {-1117, "NOTIMP", "not implemented"},
    {-1118, "REFUSED", "query refused"},
    {-1119, "YXDOMAIN", "name exists when it should not"},
    {-1120, "YXRRSET", "RR set exists when it should not"},
    {-1121, "NXRRSET", "RR set that should exist does not"},
    {-1122, "NOTAUTH", "server not authoritative for zone"},
    {-1123, "NOTZONE", "name not contained in zone"},
    {-1129, "BADVERS", "bad OPT version"},
    {-1130, "BADKEY", "key not recognized"},
    {-1131, "BADTIME", "signature out of time window"},
    {-1132, "BADMODE", "bad TKEY mode"},
    {-1133, "BADNAME", "duplicate key name"},
    {-1134, "BADALG", "algorithm not supported"},
};

const Builtin kLevee[] = {
    {-10100, "TIMEOUT", "operation timed out"},
    {-10101, "CLOSED", "channel is closed"},
    {-10102, "EINTERNAL", "internal error"},
    {-10103, "EUNKNOWN", "unknown error"},
};

const Builtin kTls[] = {
    {-30000, "GENERIC", "TLS error"},
    {-30001, "CONFIG", "TLS configuration error"},
    {-30002, "CONTEXT", "TLS context error"},
    {-30003, "CLIENT", "TLS client error"},
    {-30004, "SERVER", "TLS server error"},
};

class Registry {
 public:
  Registry() {
    add_all("system", kSystem);
    add_all("addr", kAddr);
    add_all("utf8", kUtf8);
    add_all("http", kHttp);
    add_all("json", kJson);
    add_all("msgpack", kMsgpack);
    add_all("path", kPath);
    add_all("uri", kUri);
    add_all("base64", kBase64);
    add_all("levee", kLevee);
    add_all("dns", kDns);
    add_all("tls", kTls);
  }

  const levee_error *get(int code) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = by_code_.find(code);
    return it == by_code_.end() ? nullptr : it->second;
  }

  size_t count() {
    std::lock_guard<std::mutex> lock(mu_);
    return entries_.size();
  }

  const levee_error *at(size_t i) {
    std::lock_guard<std::mutex> lock(mu_);
    return i < entries_.size() ? &entries_[i] : nullptr;
  }

  // Returns 0 with the new entry, or LEVEE_EEXIST with the existing one.
  int add(int code, const char *domain, const char *name, const char *msg,
          const levee_error **out) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = by_code_.find(code);
    if (it != by_code_.end()) {
      *out = it->second;
      return LEVEE_EEXIST;
    }
    *out = insert(code, intern(domain), intern(name), intern(msg));
    return 0;
  }

 private:
  template <size_t N>
  void add_all(const char *domain, const Builtin (&list)[N]) {
    for (const Builtin &b : list) insert(b.code, domain, b.name, b.msg);
  }

  const levee_error *insert(int code, const char *domain, const char *name, const char *msg) {
    std::string full = std::string(domain) + "." + name;
    entries_.push_back(levee_error{code, domain, name, msg, intern(full.c_str())});
    levee_error *e = &entries_.back();
    by_code_.emplace(code, e);
    return e;
  }

  // Strings of user errors live as long as the process, like the entries.
  const char *intern(const char *s) {
    strings_.emplace_back(s);
    return strings_.back().c_str();
  }

  std::mutex mu_;
  std::deque<levee_error> entries_;
  std::deque<std::string> strings_;
  std::unordered_map<int, levee_error *> by_code_;
};

Registry &registry() {
  // Leaked on purpose: error pointers must stay valid during exit handlers.
  static Registry *r = new Registry();
  return *r;
}

thread_local char t_message[256];

int normalise(int code) { return code > 0 ? -code : code; }

}  // namespace

void set_message(const char *fmt, ...) noexcept {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(t_message, sizeof t_message, fmt, ap);
  va_end(ap);
}

void clear_message() noexcept { t_message[0] = '\0'; }

int errno_code(int e) noexcept {
  if (e <= 0) return LEVEE_EUNKNOWN;
#if defined(__linux__)
  // The system domain is defined as -(Linux errno).
  return registry().get(-e) ? -e : LEVEE_EUNKNOWN;
#else
#error "levee maps errno onto the Linux numbering; add this OS's table here"
#endif
}

void panic(const char *what) noexcept {
  fprintf(stderr, "levee: fatal: %s\n", what);
  abort();
}

}  // namespace levee

using levee::registry;

extern "C" const levee_error *levee_error_get(int code) {
  return levee::guard([&]() -> const levee_error * {
    if (code == 0 || code == INT32_MIN) return nullptr;
    return registry().get(levee::normalise(code));
  });
}

extern "C" int levee_error_code(const levee_error *e) { return e ? e->code : LEVEE_EINVAL; }

extern "C" const char *levee_error_domain(const levee_error *e) { return e ? e->domain : ""; }

extern "C" const char *levee_error_name(const levee_error *e) { return e ? e->name : ""; }

extern "C" const char *levee_error_msg(const levee_error *e) { return e ? e->msg : ""; }

extern "C" int levee_error_add(int code, const char *domain, const char *name, const char *msg,
                               const levee_error **out) {
  if (out) *out = nullptr;
  if (!out || !domain || !name || !msg || code == INT32_MIN) return LEVEE_EINVAL;
  code = levee::normalise(code);
  if (code > -2000 || !*domain || !*name) return LEVEE_EINVAL;
  if (strlen(domain) > 31 || strlen(name) > 63) return LEVEE_EINVAL;
  return levee::guard([&] { return registry().add(code, domain, name, msg, out); });
}

extern "C" size_t levee_error_count(void) {
  return levee::guard([] { return registry().count(); });
}

extern "C" const levee_error *levee_error_at(size_t i) {
  return levee::guard([&] { return registry().at(i); });
}

extern "C" const char *levee_strerror(int code) {
  const levee_error *e = levee_error_get(code);
  return e ? e->msg : "unknown error";
}

extern "C" const char *levee_errname(int code) {
  const levee_error *e = levee_error_get(code);
  return e ? e->fullname : "levee.EUNKNOWN";
}

extern "C" int levee_errno_code(int os_errno) { return levee::errno_code(os_errno); }

extern "C" const char *levee_last_message(void) { return levee::t_message; }
