/* Spawn + wait of /bin/true per second, in the same run:
 *   levee        levee_process_spawn + levee_process_wait (clone + pidfd)
 *   posix_spawn  glibc posix_spawn + waitpid
 * The child inherits stdin, stdout and stderr in both. Median of RUNS runs
 * of N spawns each, interleaved.
 *   spawn RUNS N */
#include <levee.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double run_levee(int n) {
  const char *argv[] = {"/bin/true", NULL};
  double t0 = now();
  for (int i = 0; i < n; i++) {
    levee_process *p = NULL;
    if (levee_process_spawn(&p, "/bin/true", argv, NULL, NULL, NULL, 0) != 0) abort();
    if (levee_process_wait(p, 1) != 1 || levee_process_exit_code(p) != 0) abort();
    levee_process_free(p);
  }
  return n / (now() - t0);
}

static double run_posix_spawn(int n) {
  char *argv[] = {"/bin/true", NULL};
  double t0 = now();
  for (int i = 0; i < n; i++) {
    pid_t pid;
    int status;
    if (posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ) != 0) abort();
    if (waitpid(pid, &status, 0) != pid || status != 0) abort();
  }
  return n / (now() - t0);
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  int runs = argc > 1 ? atoi(argv[1]) : 5, n = argc > 2 ? atoi(argv[2]) : 2000;
  double lv[64], ps[64];
  if (runs > 64) runs = 64;
  for (int r = 0; r < runs; r++) {
    lv[r] = run_levee(n);
    ps[r] = run_posix_spawn(n);
  }
  qsort(lv, runs, sizeof lv[0], cmp);
  qsort(ps, runs, sizeof ps[0], cmp);
  printf("C: spawn + wait of /bin/true, %d per run; median of %d runs\n", n, runs);
  printf("  %-34s %10.0f /s\n", "levee_process_spawn + wait", lv[runs / 2]);
  printf("  %-34s %10.0f /s   levee/posix_spawn %.2fx\n", "posix_spawn + waitpid", ps[runs / 2],
         lv[runs / 2] / ps[runs / 2]);
  printf("REF posix_spawn %.0f\n", ps[runs / 2]);
  return 0;
}
