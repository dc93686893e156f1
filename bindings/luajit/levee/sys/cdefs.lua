-- levee.sys.cdefs: the libc declarations and constants levee programs use
-- through ffi.C (lua-api.md §0 item 2). Each declaration goes to ffi.cdef
-- on its own inside pcall, so a program that declared some of them first
-- (or another module that did) still loads: the first definition wins.
local ffi = require("ffi")

local decls = {
  "typedef uint32_t socklen_t;",
  "typedef uint16_t sa_family_t;",
  "typedef int pid_t;",
  "typedef uint32_t uid_t;",
  "typedef uint32_t gid_t;",
  "typedef uint32_t mode_t;",
  "typedef int64_t off_t;",
  "typedef intptr_t ssize_t;",
  "typedef uint16_t in_port_t;",
  "typedef uint32_t in_addr_t;",
  "struct in_addr { in_addr_t s_addr; };",
  "struct in6_addr { union { uint8_t s6_addr[16]; uint16_t s6_addr16[8]; uint32_t s6_addr32[4]; }; };",
  "struct sockaddr { sa_family_t sa_family; char sa_data[14]; };",
  "struct sockaddr_storage { sa_family_t ss_family; char __ss_padding[118]; unsigned long __ss_align; };",
  "struct sockaddr_in { sa_family_t sin_family; in_port_t sin_port; struct in_addr sin_addr; unsigned char sin_zero[8]; };",
  "struct sockaddr_in6 { sa_family_t sin6_family; in_port_t sin6_port; uint32_t sin6_flowinfo; struct in6_addr sin6_addr; uint32_t sin6_scope_id; };",
  "struct sockaddr_un { sa_family_t sun_family; char sun_path[108]; };",
  "int socket(int domain, int type, int protocol);",
  "int socketpair(int domain, int type, int protocol, int sv[2]);",
  "int bind(int fd, const struct sockaddr *addr, socklen_t len);",
  "int listen(int fd, int backlog);",
  "int accept(int fd, struct sockaddr *addr, socklen_t *len);",
  "int connect(int fd, const struct sockaddr *addr, socklen_t len);",
  "int setsockopt(int fd, int level, int name, const void *val, socklen_t len);",
  "int getsockopt(int fd, int level, int name, void *val, socklen_t *len);",
  "int shutdown(int fd, int how);",
  "int fcntl(int fd, int cmd, ...);",
  "int open(const char *path, int flags, ...);",
  "int close(int fd);",
  "ssize_t read(int fd, void *buf, size_t n);",
  "ssize_t write(int fd, const void *buf, size_t n);",
  "int pipe(int fds[2]);",
  "int dup(int fd);",
  "int dup2(int fd, int fd2);",
  "int kill(pid_t pid, int sig);",
  "pid_t getpid(void);",
  "pid_t getppid(void);",
  "pid_t fork(void);",
  "void _exit(int status);",
  "int usleep(uint32_t usec);",
  "unsigned int sleep(unsigned int seconds);",
  "size_t strlen(const char *s);",
  "char *strerror(int errnum);",
  "void *malloc(size_t n);",
  "void *realloc(void *p, size_t n);",
  "void *calloc(size_t n, size_t size);",
  "void free(void *p);",
  "void *memset(void *p, int c, size_t n);",
  "void *memcpy(void *dst, const void *src, size_t n);",
  "int memcmp(const void *a, const void *b, size_t n);",
  "int access(const char *path, int mode);",
  "int unlink(const char *path);",
  "const char *inet_ntop(int af, const void *src, char *dst, socklen_t size);",
  "int inet_pton(int af, const char *src, void *dst);",
  "uint16_t htons(uint16_t v);",
  "uint16_t ntohs(uint16_t v);",
  "uint32_t htonl(uint32_t v);",
  "uint32_t ntohl(uint32_t v);",
  "typedef void (*levee_sighandler_t)(int);",
  "levee_sighandler_t signal(int signum, levee_sighandler_t handler);",
  "int execv(const char *path, char *const argv[]);",
  "int execvp(const char *file, char *const argv[]);",
  "pid_t waitpid(pid_t pid, int *status, int options);",
  "int prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5);",
  "int getpagesize(void);",
  "struct servent { char *s_name; char **s_aliases; int s_port; char *s_proto; };",
  "struct servent *getservbyname(const char *name, const char *proto);",
  "struct levee_timeval { int64_t tv_sec; int64_t tv_usec; };",
  "struct rusage { struct levee_timeval ru_utime; struct levee_timeval ru_stime; long ru_maxrss; long ru_ixrss; long ru_idrss; long ru_isrss; long ru_minflt; long ru_majflt; long ru_nswap; long ru_inblock; long ru_oublock; long ru_msgsnd; long ru_msgrcv; long ru_nsignals; long ru_nvcsw; long ru_nivcsw; };",
}

-- Linux values. Each constant is its own anonymous enum so one that a
-- program already declared does not stop the rest.
local constants = {
  AF_UNSPEC = 0, AF_UNIX = 1, AF_LOCAL = 1, AF_INET = 2, AF_INET6 = 10,
  PF_UNIX = 1, PF_INET = 2, PF_INET6 = 10,
  SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_RAW = 3, SOCK_SEQPACKET = 5,
  SOCK_NONBLOCK = 2048, SOCK_CLOEXEC = 524288,
  SOL_SOCKET = 1, SO_REUSEADDR = 2, SO_ERROR = 4, SO_BROADCAST = 6, SO_SNDBUF = 7,
  SO_RCVBUF = 8, SO_KEEPALIVE = 9, SO_LINGER = 13, SO_REUSEPORT = 15,
  IPPROTO_IP = 0, IPPROTO_TCP = 6, IPPROTO_UDP = 17, IPPROTO_IPV6 = 41,
  TCP_NODELAY = 1, IPV6_V6ONLY = 26,
  SHUT_RD = 0, SHUT_WR = 1, SHUT_RDWR = 2,
  INADDR_ANY = 0, INET_ADDRSTRLEN = 16, INET6_ADDRSTRLEN = 46,
  SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGKILL = 9, SIGUSR1 = 10, SIGSEGV = 11,
  SIGUSR2 = 12, SIGPIPE = 13, SIGALRM = 14, SIGTERM = 15, SIGCHLD = 17,
  SIGCONT = 18, SIGSTOP = 19,
  F_DUPFD = 0, F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, FD_CLOEXEC = 1,
  O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 64, O_EXCL = 128, O_NOCTTY = 256,
  O_TRUNC = 512, O_APPEND = 1024, O_NONBLOCK = 2048, O_CLOEXEC = 524288,
  F_OK = 0, X_OK = 1, W_OK = 2, R_OK = 4,
  WNOHANG = 1, WUNTRACED = 2,
  RUSAGE_SELF = 0, RUSAGE_CHILDREN = -1, RUSAGE_THREAD = 1,
  PR_SET_PDEATHSIG = 1,
  EAGAIN = 11, EWOULDBLOCK = 11, EINTR = 4, EINPROGRESS = 115, EPIPE = 32,
}

local names = {}
for name in pairs(constants) do names[#names + 1] = name end
table.sort(names)

for i = 1, #decls do pcall(ffi.cdef, decls[i]) end
for i = 1, #names do
  pcall(ffi.cdef, string.format("enum { %s = %d };", names[i], constants[names[i]]))
end

return { decls = decls, constants = constants }
