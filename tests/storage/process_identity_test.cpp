// ProcessIdentity: a process that ran on this machine is judged Alive or Dead from its
// recorded pid and start token; exited, reaped, zombie and pid-reused processes are
// Dead, and identities from another kernel or pid namespace are Unknown.
#include "qdse/storage/process_identity.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

namespace qdse::storage {
namespace {

bool have_proc() { return !this_process().start.empty(); }

TEST(ProcessIdentity, ThisProcessIsAlive) {
  if (!have_proc()) GTEST_SKIP() << "no /proc: every identity is Unknown here";
  const auto self = this_process();
  EXPECT_EQ(self.pid, static_cast<long long>(getpid()));
  EXPECT_FALSE(self.host.empty());
  EXPECT_EQ(liveness(self), ProcessLiveness::Alive);
}

TEST(ProcessIdentity, ChildIsAliveThenDeadAsZombieAndAfterReaping) {
  if (!have_proc()) GTEST_SKIP() << "no /proc: every identity is Unknown here";
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {  // the child waits until the parent closes the pipe, then exits
    close(fds[1]);
    char c;
    while (read(fds[0], &c, 1) > 0) {
    }
    _exit(0);
  }
  close(fds[0]);
  // The identity the child would have recorded (this_process() in the child).
  const ProcessIdentity child{this_process().host, pid, process_start_token(pid)};
  ASSERT_FALSE(child.start.empty());
  EXPECT_EQ(liveness(child), ProcessLiveness::Alive);
  close(fds[1]);
  // Exited but not reaped: a zombie is not running.
  siginfo_t info{};
  ASSERT_EQ(waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT), 0);
  EXPECT_EQ(liveness(child), ProcessLiveness::Dead);
  ASSERT_EQ(waitpid(pid, nullptr, 0), pid);
  EXPECT_EQ(liveness(child), ProcessLiveness::Dead);
}

TEST(ProcessIdentity, ReusedPidOtherKernelAndMissingIdentity) {
  if (!have_proc()) GTEST_SKIP() << "no /proc: every identity is Unknown here";
  ProcessIdentity reused = this_process();
  // Same pid, another start time: the pid now belongs to a newer process.
  reused.start = reused.start.substr(0, reused.start.rfind('/')) + "/1";
  EXPECT_EQ(liveness(reused), ProcessLiveness::Dead);
  ProcessIdentity elsewhere = this_process();
  elsewhere.start = "00000000-0000-0000-0000-000000000000/pid:[1]/1";  // another boot or host
  EXPECT_EQ(liveness(elsewhere), ProcessLiveness::Unknown);
  ProcessIdentity old = this_process();
  old.start = "";  // schema version 1 rows, or a writer without /proc
  EXPECT_EQ(liveness(old), ProcessLiveness::Unknown);
  old.pid = 0;
  EXPECT_EQ(liveness(old), ProcessLiveness::Unknown);
}

TEST(ProcessIdentity, ForkedChildRecordsItsOwnPid) {
  if (!have_proc()) GTEST_SKIP() << "no /proc: every identity is Unknown here";
  (void)this_process();  // cached in the parent
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const auto id = this_process();
    _exit(id.pid == static_cast<long long>(getpid()) && liveness(id) == ProcessLiveness::Alive ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace qdse::storage
