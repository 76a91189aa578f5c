// PostgresServer: a throw-away PostgreSQL server for tests and benchmarks, started from
// the installed binaries (/usr/lib/postgresql/<v>/bin, or QDSE_PG_BIN) in a fresh temp
// directory, listening on 127.0.0.1 at a free port (unix socket inside the temp dir),
// trust authentication for user `qdse`. Never reuses a server someone else started.
//
// PostgreSQL refuses to run as root: when euid == 0, initdb runs through
// `runuser -u postgres --` and the server is exec'd after setuid(postgres), on a temp
// dir chowned to that user. The server is a direct child with PR_SET_PDEATHSIG, so it
// dies with the test process even on a crash; stop() (or the destructor, in the process
// that started it only — forked children must _exit) shuts it down and removes the dir.
// Not gtest-dependent (bench/storage_bench.cpp uses it too). Thread-safety: start/stop
// from one thread; url() is safe once started.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

namespace qdse::storage::testing {

class PostgresServer {
 public:
  // The process-wide server, started on first use; nullptr (with reason()) if it cannot
  // be started here.
  static PostgresServer* shared() {
    static std::unique_ptr<PostgresServer> server = [] {
      auto s = std::make_unique<PostgresServer>();
      s->start();
      return s;
    }();
    return server->running() ? server.get() : nullptr;
  }
  static std::string shared_failure() {
    shared();
    return last_failure();
  }

  PostgresServer() = default;
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;
  ~PostgresServer() {
    if (getpid() == owner_pid_) stop();
  }

  // Starts the server; false (reason in last_failure()) when it cannot.
  bool start(bool fsync = false) {
    owner_pid_ = getpid();
    const std::string bin = find_bin();
    if (bin.empty()) return failed("no PostgreSQL server binaries (set QDSE_PG_BIN)");
    char tmpl[] = "/tmp/qdse_pg_XXXXXX";
    if (!mkdtemp(tmpl)) return failed("mkdtemp failed");
    dir_ = tmpl;
    uid_t uid = geteuid();
    gid_t gid = getegid();
    const bool root = geteuid() == 0;
    if (root) {
      const passwd* pw = getpwnam("postgres");
      if (!pw) return failed("running as root and there is no `postgres` user to run the server as");
      uid = pw->pw_uid;
      gid = pw->pw_gid;
      if (chown(dir_.c_str(), uid, gid) != 0) return failed("chown of the temp dir failed");
    }
    const std::string data = dir_ + "/data";
    const std::string initdb = (root ? std::string("runuser -u postgres -- ") : std::string()) + bin +
                               "/initdb -D " + data + " -U qdse --auth=trust -E UTF8 --no-locale >" + dir_ +
                               "/initdb.log 2>&1";
    if (std::system(initdb.c_str()) != 0) return failed("initdb failed (see " + dir_ + "/initdb.log)");
    for (int attempt = 0; attempt < 5 && pid_ <= 0; ++attempt) {
      port_ = free_port();
      if (port_ <= 0) return failed("no free TCP port on 127.0.0.1");
      launch(bin + "/postgres", data, uid, gid, root, fsync);
      if (!wait_ready()) {
        kill_server();
      }
    }
    if (pid_ <= 0) return failed("the server did not accept connections (see " + dir_ + "/server.log)");
    return true;
  }

  // Fast shutdown, bounded wait, then SIGKILL; removes the temp dir.
  void stop() {
    kill_server();
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
      dir_.clear();
    }
  }

  bool running() const { return pid_ > 0; }
  int port() const { return port_; }
  std::string url(const std::string& db = "postgres") const {
    return "postgresql://qdse@127.0.0.1:" + std::to_string(port_) + "/" + db;
  }
  static std::string& last_failure() {
    static std::string reason;
    return reason;
  }

  // A new empty database; returns its URL.
  std::string create_database(const std::string& name) const {
    pqxx::connection c(url());
    pqxx::nontransaction tx(c);
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name));
    tx.exec("CREATE DATABASE " + tx.quote_name(name));
    return url(name);
  }

 private:
  static std::string find_bin() {
    if (const char* env = std::getenv("QDSE_PG_BIN")) return env;
    std::error_code ec;
    for (int v = 20; v >= 10; --v) {
      const std::string b = "/usr/lib/postgresql/" + std::to_string(v) + "/bin";
      if (std::filesystem::exists(b + "/postgres", ec)) return b;
    }
    return "";
  }

  bool failed(const std::string& why) {
    last_failure() = "cannot start a test PostgreSQL server: " + why;
    return false;
  }

  static int free_port() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    int port = -1;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin_port);
    }
    close(fd);
    return port;
  }

  void launch(const std::string& postgres, const std::string& data, uid_t uid, gid_t gid, bool root, bool fsync) {
    const std::string log = dir_ + "/server.log";
    const std::string port = std::to_string(port_);
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) return;
    if (pid == 0) {
      if (root && (setgid(gid) != 0 || setuid(uid) != 0)) _exit(126);
      // After setuid: credential changes clear the death signal.
      prctl(PR_SET_PDEATHSIG, SIGQUIT);
      if (getppid() != parent) _exit(125);
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
      }
      std::vector<std::string> args = {postgres, "-D", data, "-k", dir_, "-h", "127.0.0.1", "-p", port,
                                       "-c", "max_connections=100"};
      if (!fsync) args.push_back("-F");
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(postgres.c_str(), argv.data());
      _exit(127);
    }
    pid_ = pid;
  }

  // Bounded wait (30 s) until a connection succeeds or the server exits.
  bool wait_ready() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      try {
        pqxx::connection c(url());
        return true;
      } catch (const std::exception&) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
    return false;
  }

  void kill_server() {
    if (pid_ <= 0) return;
    kill(pid_, SIGINT);  // fast shutdown: disconnects clients
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    pid_ = -1;
  }

  std::string dir_;
  pid_t pid_ = -1;
  pid_t owner_pid_ = -1;
  int port_ = -1;
};

}  // namespace qdse::storage::testing
