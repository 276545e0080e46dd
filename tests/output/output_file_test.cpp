// OutputFile: opening rules and write errors (ENOSPC, EPIPE, unwritable paths) -> OutputError.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>

#include "output_test_support.hpp"

namespace synscan::output {
namespace {

TEST(OutputFileTest, WritesAndTruncates) {
  const std::string path = test_support::temp_path("plain.txt");
  test_support::write_file(path, "old content that is longer");
  {
    OutputFile file(path);
    file.write("new\n");
    file.flush();
    EXPECT_EQ(file.path(), path);
  }
  EXPECT_EQ(test_support::read_file(path), "new\n");
  struct stat status {};
  ASSERT_EQ(::stat(path.c_str(), &status), 0);
}

TEST(OutputFileTest, UnwritablePathThrowsWithPathAndReason) {
  const std::string path = "/nonexistent-synscan-directory/scan.xml";
  try {
    OutputFile file(path);
    FAIL() << "expected OutputError";
  } catch (const OutputError& error) {
    EXPECT_NE(std::string(error.what()).find(path), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("No such file or directory"), std::string::npos)
        << error.what();
  }
}

TEST(OutputFileTest, RefusesToFollowASymlink) {
  const std::string target = test_support::temp_path("target.txt");
  const std::string link = test_support::temp_path("link.txt");
  test_support::write_file(target, "precious");
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  EXPECT_THROW(OutputFile file(link), OutputError);
  EXPECT_EQ(test_support::read_file(target), "precious");
}

TEST(OutputFileTest, DevFullReportsNoSpaceOnce) {
  if (::access("/dev/full", W_OK) != 0) SYNSCAN_SKIP_WITHOUT_TOOL("/dev/full");
  OutputFile file("/dev/full");
  file.write("a record\n");
  try {
    file.flush();
    FAIL() << "expected OutputError";
  } catch (const OutputError& error) {
    EXPECT_EQ(std::string(error.what()), "cannot write /dev/full: No space left on device");
  }
  // Reported once: the dead file swallows what follows.
  EXPECT_NO_THROW(file.write("more\n"));
  EXPECT_NO_THROW(file.flush());
}

TEST(OutputFileTest, WriterOnDevFullThrowsOutputErrorThenFinishesQuietly) {
  if (::access("/dev/full", W_OK) != 0) SYNSCAN_SKIP_WITHOUT_TOOL("/dev/full");
  for (const FormatInfo& format : kFormats) {
    SCOPED_TRACE(format.option);
    auto writer = make_writer(format.format, std::make_unique<OutputFile>("/dev/full"));
    const test_support::SampleScan scan;
    const HostResult host = scan.hosts().front();
    const auto write_everything = [&] {
      writer->begin(scan.info);
      writer->port_result(host.address, host.ports.front(), test_support::kStart);
      writer->host(host);
      writer->end_batch();
    };
    if (format.format == Format::kJsonLines) {
      EXPECT_THROW(write_everything(), OutputError);  // the first pass of records fails
    } else {
      EXPECT_THROW(writer->begin(scan.info), OutputError);  // the header fails
    }
    EXPECT_NO_THROW(writer->finish(scan.summary()));
  }
}

TEST(OutputFileTest, ClosedPipeReportsBrokenPipe) {
  // The engine ignores SIGPIPE; so must this test, to see EPIPE instead of dying.
  const auto previous = std::signal(SIGPIPE, SIG_IGN);
  const std::string fifo = test_support::temp_path("pipe");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  OutputFile file(fifo);
  ::close(reader);
  file.write("nobody reads this\n");
  try {
    file.flush();
    FAIL() << "expected OutputError";
  } catch (const OutputError& error) {
    EXPECT_EQ(std::string(error.what()), "cannot write " + fifo + ": Broken pipe");
  }
  std::signal(SIGPIPE, previous);
}

TEST(OutputFileTest, StdoutIsLineBuffered) {
  // A child writes one line to "-" (stdout redirected into a pipe) without flushing, then waits:
  // the parent must receive the line while the child is still alive.
  int data_pipe[2];
  int release_pipe[2];
  ASSERT_EQ(::pipe(data_pipe), 0);
  ASSERT_EQ(::pipe(release_pipe), 0);
  // The child inherits stdio's buffer: whatever the runner printed and did not flush yet (its
  // banner when stdout is a pipe and --gtest_brief hides the per-test lines) would come first.
  std::fflush(stdout);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::dup2(data_pipe[1], STDOUT_FILENO);
    ::close(data_pipe[0]);
    ::close(release_pipe[1]);
    {
      OutputFile file("-");
      file.write("Host: 198.18.0.5 ()\tStatus: Up\n");
      char released = 0;
      [[maybe_unused]] const ssize_t ignored = ::read(release_pipe[0], &released, 1);
    }
    ::_exit(0);
  }
  ::close(data_pipe[1]);
  ::close(release_pipe[0]);
  pollfd readable{data_pipe[0], POLLIN, 0};
  const int ready = ::poll(&readable, 1, 5000);
  char received[64] = {};
  const ssize_t length = ready == 1 ? ::read(data_pipe[0], received, sizeof received - 1) : -1;
  ::close(release_pipe[1]);
  int status = 0;
  ::waitpid(child, &status, 0);
  ::close(data_pipe[0]);
  ASSERT_EQ(ready, 1) << "the line was held in a buffer";
  EXPECT_EQ(std::string(received, static_cast<std::size_t>(std::max<ssize_t>(length, 0))),
            "Host: 198.18.0.5 ()\tStatus: Up\n");
}

}  // namespace
}  // namespace synscan::output
