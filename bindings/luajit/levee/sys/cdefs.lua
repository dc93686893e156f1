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
-- The constants' values come from the library (levee_os_constant: the
-- system headers it was built with), never from numbers written here.
local NAMES = {
  "AF_UNSPEC", "AF_UNIX", "AF_LOCAL", "AF_INET", "AF_INET6", "PF_UNIX", "PF_INET", "PF_INET6",
  "SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW", "SOCK_SEQPACKET", "SOCK_NONBLOCK", "SOCK_CLOEXEC",
  "SOL_SOCKET", "SO_REUSEADDR", "SO_ERROR", "SO_BROADCAST", "SO_SNDBUF", "SO_RCVBUF",
  "SO_KEEPALIVE", "SO_LINGER", "SO_REUSEPORT",
  "IPPROTO_IP", "IPPROTO_TCP", "IPPROTO_UDP", "IPPROTO_IPV6", "TCP_NODELAY", "IPV6_V6ONLY",
  "SHUT_RD", "SHUT_WR", "SHUT_RDWR", "INADDR_ANY", "INET_ADDRSTRLEN", "INET6_ADDRSTRLEN",
  "SIGHUP", "SIGINT", "SIGQUIT", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE",
  "SIGALRM", "SIGTERM", "SIGCHLD", "SIGCONT", "SIGSTOP",
  "F_DUPFD", "F_GETFD", "F_SETFD", "F_GETFL", "F_SETFL", "FD_CLOEXEC",
  "O_RDONLY", "O_WRONLY", "O_RDWR", "O_CREAT", "O_EXCL", "O_NOCTTY", "O_TRUNC", "O_APPEND",
  "O_NONBLOCK", "O_CLOEXEC",
  "F_OK", "X_OK", "W_OK", "R_OK", "WNOHANG", "WUNTRACED",
  "RUSAGE_SELF", "RUSAGE_CHILDREN", "RUSAGE_THREAD", "PR_SET_PDEATHSIG",
  "EAGAIN", "EWOULDBLOCK", "EINTR", "EINPROGRESS", "EPIPE",
}

local L = require("levee.lib")
local value = ffi.new("int64_t[1]")
local constants = {}
for _, name in ipairs(NAMES) do
  if L.levee_os_constant(name, value) == 0 then constants[name] = tonumber(value[0]) end
end

local names = {}
for name in pairs(constants) do names[#names + 1] = name end
table.sort(names)

for i = 1, #decls do pcall(ffi.cdef, decls[i]) end
for i = 1, #names do
  pcall(ffi.cdef, string.format("enum { %s = %d };", names[i], constants[names[i]]))
end

return { decls = decls, constants = constants }
