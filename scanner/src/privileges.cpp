#include "privileges.hpp"

#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "scanner/errors.hpp"

namespace synscan::scanner {
namespace {

[[noreturn]] void fail(const std::string& step) {
  throw RuntimeError("cannot drop privileges (" + step + "): " + std::strerror(errno));
}

void clear_capabilities() {
  // capset(2) directly: no libcap dependency for one call that zeroes all three sets.
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capset, &header, data) != 0) fail("capset");
}

}  // namespace

DroppedPrivileges drop_privileges(const std::string& requested_user) {
  DroppedPrivileges result;
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail("PR_SET_NO_NEW_PRIVS");
  if (::geteuid() != 0) {
    clear_capabilities();
    result.dropped = true;
    result.uid = ::getuid();
    result.gid = ::getgid();
    return result;
  }
  const std::string user = requested_user.empty() ? "nobody" : requested_user;
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  if (::getpwnam_r(user.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 || !found) {
    throw RuntimeError("cannot drop privileges: no user '" + user + "' (give --user)");
  }
  if (found->pw_uid == 0) {
    throw RuntimeError("--user '" + user + "' is root: refusing to keep root privileges");
  }
  if (::setgroups(0, nullptr) != 0) fail("setgroups");
  if (::setresgid(found->pw_gid, found->pw_gid, found->pw_gid) != 0) fail("setresgid");
  if (::setresuid(found->pw_uid, found->pw_uid, found->pw_uid) != 0) fail("setresuid");
  // Check, don't trust: getting root back must now fail.
  if (::setuid(0) == 0 || ::geteuid() == 0) {
    throw RuntimeError("cannot drop privileges: still able to regain root");
  }
  result = {true, user, found->pw_uid, found->pw_gid};
  return result;
}

}  // namespace synscan::scanner
