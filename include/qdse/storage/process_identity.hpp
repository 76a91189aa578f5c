// ProcessIdentity: which process created a trial, recorded with the trial (schema
// version 2, docs/storage.md) so that a later `qdse search` on the same machine can tell
// at once that the process is gone (kill -9, OOM kill, crash) instead of waiting for
// its heartbeat to time out.
//
// A pid alone is not enough: pids are reused, and containers have their own pid
// namespaces. `start` therefore names the process instance: "<boot id>/<pid namespace
// inode>/<start time in clock ticks since boot>" (/proc/sys/kernel/random/boot_id,
// /proc/self/ns/pid, field 22 of /proc/<pid>/stat). Another process can be judged
// only when its boot id and pid namespace are ours (same kernel, same pid numbering);
// then it is dead when /proc/<pid> is gone, is a zombie, or started at another time.
// Everything else (another host or container, no /proc, an old trial without an
// identity) is Unknown: the heartbeat timeout decides, as before.
// Thread-safety: all functions are safe to call concurrently (this_process() caches
// under a mutex; the rest reads /proc).
#pragma once

#include <string>

namespace qdse::storage {

struct ProcessIdentity {
  std::string host;   // gethostname(); shown in messages
  long long pid = 0;
  std::string start;  // "<boot id>/<pid ns inode>/<start ticks>"; "" when /proc is unreadable
};

enum class ProcessLiveness { Alive, Dead, Unknown };

// The identity of the calling process (recomputed after a fork).
ProcessIdentity this_process();

// Whether the process `id` names still runs, judged from this process (see above).
ProcessLiveness liveness(const ProcessIdentity& id);

// The start token of process `pid` as seen from here ("" if it does not exist or is a
// zombie); exposed for tests.
std::string process_start_token(long long pid);

}  // namespace qdse::storage
