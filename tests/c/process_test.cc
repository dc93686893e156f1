// Black-box tests of levee_process_*: spawn with stdio mappings, env and
// cwd, exec failures reported as errors, reaping through the pidfd only,
// kill, and no zombie or fd left behind.
#include <gtest/gtest.h>
#include <levee.h>
#include <poll.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace {

std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, size_t(n));
    } else if (n < 0 && errno == EAGAIN) {
      pollfd p{fd, POLLIN, 0};
      poll(&p, 1, -1);
    } else {
      break;
    }
  }
  return out;
}

struct Proc {
  levee_process *p = nullptr;
  ~Proc() { levee_process_free(p); }
};

int spawn(Proc &pr, std::vector<const char *> argv, const int32_t *stdio = nullptr,
          const char *const *envp = nullptr, const char *cwd = nullptr, int pdeathsig = 0) {
  argv.push_back(nullptr);
  return levee_process_spawn(&pr.p, argv[0], argv.data(), envp, cwd, stdio, pdeathsig);
}

// Runs argv with stdout on a pipe (stdin /dev/null, stderr inherited) and
// returns what it printed once it has exited.
std::string output_of(std::vector<const char *> argv) {
  Proc pr;
  int32_t stdio[3] = {LEVEE_STDIO_NULL, LEVEE_STDIO_PIPE, LEVEE_STDIO_INHERIT};
  EXPECT_EQ(0, spawn(pr, argv, stdio));
  if (!pr.p) return "";
  int out = levee_process_take_fd(pr.p, 1);
  std::string text = read_all(out);
  close(out);
  EXPECT_EQ(1, levee_process_wait(pr.p, 1));
  return text;
}

TEST(Process, RunsAProgramFoundInPathAndReportsItsExitCode) {
  Proc pr;
  ASSERT_EQ(0, spawn(pr, {"sh", "-c", "exit 7"}));
  EXPECT_GT(levee_process_pid(pr.p), 0);
  EXPECT_EQ(-1, levee_process_exit_code(pr.p));
  EXPECT_EQ(1, levee_process_wait(pr.p, 1));
  EXPECT_EQ(7, levee_process_exit_code(pr.p));
  EXPECT_EQ(0, levee_process_exit_signal(pr.p));
  EXPECT_EQ(1, levee_process_wait(pr.p, 0));  // sticky
  EXPECT_EQ(LEVEE_ESRCH, levee_process_kill(pr.p, SIGTERM));
}

TEST(Process, PipesCarryStdinToStdoutAndStderr) {
  Proc pr;
  int32_t stdio[3] = {LEVEE_STDIO_PIPE, LEVEE_STDIO_PIPE, LEVEE_STDIO_PIPE};
  ASSERT_EQ(0, spawn(pr, {"sh", "-c", "cat; echo oops >&2"}, stdio));
  int in = levee_process_take_fd(pr.p, 0), out = levee_process_take_fd(pr.p, 1),
      err = levee_process_take_fd(pr.p, 2);
  ASSERT_GE(in, 0);
  ASSERT_GE(out, 0);
  ASSERT_GE(err, 0);
  EXPECT_EQ(-1, levee_process_take_fd(pr.p, 0));  // taken once
  EXPECT_EQ(5, write(in, "hello", 5));
  close(in);
  EXPECT_EQ("hello", read_all(out));
  EXPECT_EQ("oops\n", read_all(err));
  close(out);
  close(err);
  EXPECT_EQ(1, levee_process_wait(pr.p, 1));
  EXPECT_EQ(0, levee_process_exit_code(pr.p));
}

TEST(Process, MapsAnExistingFdAndSwapsStandardFds) {
  int fds[2];
  ASSERT_EQ(0, pipe(fds));
  {
    Proc pr;
    // the child's stdout is our pipe's write end
    int32_t stdio[3] = {LEVEE_STDIO_NULL, fds[1], LEVEE_STDIO_INHERIT};
    ASSERT_EQ(0, spawn(pr, {"sh", "-c", "echo mapped; cat"}, stdio));
    close(fds[1]);
    EXPECT_EQ("mapped\n", read_all(fds[0]));  // cat read /dev/null: EOF
    EXPECT_EQ(1, levee_process_wait(pr.p, 1));
  }
  close(fds[0]);
}

TEST(Process, ClosedStdoutIsClosedInTheChild) {
  Proc pr;
  int32_t stdio[3] = {LEVEE_STDIO_NULL, LEVEE_STDIO_CLOSE, LEVEE_STDIO_PIPE};
  ASSERT_EQ(0, spawn(pr, {"sh", "-c", "echo x || echo closed >&2"}, stdio));
  int err = levee_process_take_fd(pr.p, 2);
  EXPECT_NE(std::string::npos, read_all(err).find("closed"));
  close(err);
  EXPECT_EQ(1, levee_process_wait(pr.p, 1));
}

TEST(Process, EnvReplacesTheEnvironmentAndCwdIsHonoured) {
  Proc pr;
  int32_t stdio[3] = {LEVEE_STDIO_NULL, LEVEE_STDIO_PIPE, LEVEE_STDIO_INHERIT};
  const char *env[] = {"LEVEE_TEST=42", "PATH=/usr/bin:/bin", nullptr};
  ASSERT_EQ(0, spawn(pr, {"sh", "-c", "echo $LEVEE_TEST $HOME; pwd"}, stdio, env, "/tmp"));
  int out = levee_process_take_fd(pr.p, 1);
  EXPECT_EQ("42\n/tmp\n", read_all(out));
  close(out);
  EXPECT_EQ(1, levee_process_wait(pr.p, 1));
}

TEST(Process, ExecFailureIsAnErrorAndLeavesNoChild) {
  int before = levee_sys_fdcount();
  Proc pr;
  int32_t stdio[3] = {LEVEE_STDIO_PIPE, LEVEE_STDIO_PIPE, LEVEE_STDIO_PIPE};
  EXPECT_EQ(LEVEE_ENOENT, spawn(pr, {"levee-no-such-program"}, stdio));
  EXPECT_EQ(nullptr, pr.p);
  EXPECT_NE(std::string::npos, std::string(levee_last_message()).find("exec"));
  EXPECT_EQ(LEVEE_EACCES, spawn(pr, {"/etc/passwd"}, stdio));
  EXPECT_EQ(LEVEE_ENOENT, spawn(pr, {"/bin/true"}, stdio, nullptr, "/no/such/dir"));
  EXPECT_NE(std::string::npos, std::string(levee_last_message()).find("chdir"));
  EXPECT_EQ(before, levee_sys_fdcount());
  int status;
  EXPECT_EQ(-1, waitpid(-1, &status, WNOHANG));  // no child at all
  EXPECT_EQ(ECHILD, errno);
}

TEST(Process, BadArgumentsAreEinval) {
  levee_process *p = nullptr;
  const char *argv[] = {"true", nullptr};
  const char *empty[] = {nullptr};
  int32_t bad[3] = {-5, 0, 0};
  EXPECT_EQ(LEVEE_EINVAL, levee_process_spawn(nullptr, "true", argv, nullptr, nullptr, nullptr, 0));
  EXPECT_EQ(LEVEE_EINVAL, levee_process_spawn(&p, nullptr, argv, nullptr, nullptr, nullptr, 0));
  EXPECT_EQ(LEVEE_EINVAL, levee_process_spawn(&p, "true", empty, nullptr, nullptr, nullptr, 0));
  EXPECT_EQ(LEVEE_EINVAL, levee_process_spawn(&p, "true", argv, nullptr, nullptr, bad, 0));
  EXPECT_EQ(LEVEE_EINVAL, levee_process_spawn(&p, "true", argv, nullptr, nullptr, nullptr, 999));
  int32_t closed_fd[3] = {987, LEVEE_STDIO_INHERIT, LEVEE_STDIO_INHERIT};
  EXPECT_EQ(LEVEE_EBADF, levee_process_spawn(&p, "true", argv, nullptr, nullptr, closed_fd, 0));
  EXPECT_EQ(nullptr, p);
}

TEST(Process, KillAndSignalDeath) {
  Proc pr;
  ASSERT_EQ(0, spawn(pr, {"sleep", "30"}));
  EXPECT_EQ(0, levee_process_wait(pr.p, 0));
  EXPECT_EQ(0, levee_process_kill(pr.p, SIGTERM));
  EXPECT_EQ(1, levee_process_wait(pr.p, 1));
  EXPECT_EQ(0, levee_process_exit_code(pr.p));
  EXPECT_EQ(SIGTERM, levee_process_exit_signal(pr.p));
}

TEST(Process, WatchFdBecomesReadableAtExit) {
  Proc pr;
  ASSERT_EQ(0, spawn(pr, {"sh", "-c", "exit 3"}));
  int fd = levee_process_watch_fd(pr.p);
  ASSERT_GE(fd, 0);
  pollfd p{fd, POLLIN, 0};
  EXPECT_EQ(1, poll(&p, 1, 10000));
  EXPECT_EQ(1, levee_process_wait(pr.p, 0));
  EXPECT_EQ(3, levee_process_exit_code(pr.p));
  EXPECT_EQ(LEVEE_ECHILD, levee_process_watch_fd(pr.p));
  close(fd);
}

TEST(Process, OnlyItsOwnChildIsReaped) {
  pid_t other = fork();
  if (other == 0) _exit(5);
  Proc pr;
  ASSERT_EQ(0, spawn(pr, {"true"}));
  EXPECT_EQ(1, levee_process_wait(pr.p, 1));
  int status = 0;
  EXPECT_EQ(other, waitpid(other, &status, 0));  // still ours to reap
  EXPECT_EQ(5, WEXITSTATUS(status));
}

TEST(Process, FreeSendsPdeathsigToARunningChildAndReapsIt) {
  levee_process *p = nullptr;
  const char *argv[] = {"sleep", "30", nullptr};
  ASSERT_EQ(0, levee_process_spawn(&p, "sleep", argv, nullptr, nullptr, nullptr, SIGTERM));
  pid_t pid = levee_process_pid(p);
  levee_process_free(p);
  // reaped by a later spawn's sweep at the latest
  Proc pr;
  ASSERT_EQ(0, spawn(pr, {"true"}));
  EXPECT_EQ(1, levee_process_wait(pr.p, 1));
  for (int i = 0; i < 1000 && kill(pid, 0) == 0; ++i) {
    Proc again;
    ASSERT_EQ(0, spawn(again, {"true"}));
    levee_process_wait(again.p, 1);
  }
  EXPECT_EQ(-1, kill(pid, 0));
  EXPECT_EQ(ESRCH, errno);
}

TEST(Process, AThousandSpawnsLeaveNoZombieAndNoFd) {
  int before = levee_sys_fdcount();
  for (int i = 0; i < 1000; ++i) {
    Proc pr;
    int32_t stdio[3] = {LEVEE_STDIO_PIPE, LEVEE_STDIO_PIPE, LEVEE_STDIO_NULL};
    ASSERT_EQ(0, spawn(pr, {"/bin/true"}, stdio));
    ASSERT_EQ(1, levee_process_wait(pr.p, 1));
  }
  EXPECT_EQ(before, levee_sys_fdcount());
  int status;
  EXPECT_EQ(-1, waitpid(-1, &status, WNOHANG));
  EXPECT_EQ(ECHILD, errno);
}

TEST(Process, ChildStartsWithDefaultSignalsAndAnEmptyMask) {
  // SIGPIPE ignored and SIGUSR1 blocked here: neither reaches the child.
  struct sigaction ign{}, old{};
  ign.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ign, &old);
  sigset_t one, oldmask;
  sigemptyset(&one);
  sigaddset(&one, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &one, &oldmask);
  std::string text = output_of({"sh", "-c", "grep -E '^(SigBlk|SigIgn)' /proc/self/status"});
  pthread_sigmask(SIG_SETMASK, &oldmask, nullptr);
  sigaction(SIGPIPE, &old, nullptr);
  EXPECT_NE(std::string::npos, text.find("SigBlk:\t0000000000000000")) << text;
  // sh itself may ignore some signals, never SIGPIPE (bit 13)
  size_t at = text.find("SigIgn:\t");
  ASSERT_NE(std::string::npos, at);
  unsigned long long ignored = std::stoull(text.substr(at + 8, 16), nullptr, 16);
  EXPECT_EQ(0ull, ignored & (1ull << (SIGPIPE - 1))) << text;
}

TEST(Process, FdsWithoutCloexecDoNotReachTheChild) {
  int p[2];
  ASSERT_EQ(0, pipe(p));  // no O_CLOEXEC
  // numbers no other fd of ls can have
  int fds[2] = {fcntl(p[0], F_DUPFD, 300), fcntl(p[1], F_DUPFD, 300)};
  close(p[0]);
  close(p[1]);
  std::string text = output_of({"sh", "-c", "ls /proc/self/fd"});
  // ls sees 0, 1, 2 and its own directory fd only
  EXPECT_EQ(std::string::npos, text.find(std::to_string(fds[0]) + "\n")) << text;
  EXPECT_EQ(std::string::npos, text.find(std::to_string(fds[1]) + "\n")) << text;
  close(fds[0]);
  close(fds[1]);
}

}  // namespace
