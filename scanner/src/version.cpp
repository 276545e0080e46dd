// --version: what a bug report needs to name the build. The git revision is written at build time
// (cmake/GitRevision.cmake); the library versions are asked of the libraries actually loaded, which
// may be newer than the headers synscan was compiled against.
#include <libnet.h>
#include <pcap/pcap.h>

#include <string>

#include "git_revision.hpp"
#include "scanner/cli.hpp"

namespace synscan::scanner {

std::string version_text() {
  return std::string("synscan ") + SYNSCAN_VERSION + "\n" +
         "git revision: " + kGitRevision + "\n" +
         pcap_lib_version() + "\n" +
         libnet_version() + "\n";  // "libnet version 1.1.6"
}

}  // namespace synscan::scanner
