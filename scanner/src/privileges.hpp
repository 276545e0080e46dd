#pragma once
// Least privilege: once the capture handle and the raw send socket are open, the scan needs no
// privilege at all, so synscan gives it up before the first probe is sent or reply parsed.
#include <string>

namespace synscan::scanner {

struct DroppedPrivileges {
  bool dropped = false;
  std::string user;       // who we run as now
  unsigned uid = 0, gid = 0;
};

/// When running as root: switch to `user` (default "nobody"): supplementary groups cleared,
/// gid, uid, no way back (PR_SET_NO_NEW_PRIVS). When not root (file capabilities): clear every
/// capability set. Throws RuntimeError if the user does not exist or a step fails.
DroppedPrivileges drop_privileges(const std::string& user);

}  // namespace synscan::scanner
