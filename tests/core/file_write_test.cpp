// write_file_atomic on a full disk (issue 13 item 17): the temporary file goes, the
// destination keeps its old content, the error names the path. The full disk is real:
// the temporary name is a symlink to /dev/full, whose writes fail with ENOSPC (also for
// root, whom file permissions would not stop).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "qdse/core/error.hpp"
#include "qdse/core/file_write.hpp"

namespace qdse {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(FileWrite, FullDiskLeavesNoTemporaryAndKeepsTheOldFile) {
  ASSERT_TRUE(fs::exists("/dev/full"));
  const fs::path dir = fs::temp_directory_path() / ("qdse_file_write_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path target = dir / "trials.csv";
  write_file_atomic(target.string(), "old\n");
  fs::create_symlink("/dev/full", dir / "trials.csv.tmp");
  try {
    write_file_atomic(target.string(), std::string(1 << 16, 'x'));
    FAIL() << "a write to a full disk succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Io);
    EXPECT_NE(std::string(e.what()).find(target.string()), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(fs::symlink_status(dir / "trials.csv.tmp")));
  EXPECT_EQ(slurp(target), "old\n");
  // An unwritable destination directory: the same, with nothing created.
  EXPECT_THROW(write_file_atomic((dir / "missing" / "x.json").string(), "{}"), Error);
  EXPECT_FALSE(fs::exists(dir / "missing"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace qdse
