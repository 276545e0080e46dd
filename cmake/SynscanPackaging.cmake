# CPack: a Debian package of the install layout (cmake/SynscanInstall.cmake).
#   cpack -G DEB      (scripts/build-deb does this in a build directory of its own and runs lintian)
# Depends is computed by dpkg-shlibdeps from the binary's libraries, never written by hand.
set(CPACK_PACKAGE_NAME synscan)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${SYNSCAN_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "fast raw-packet TCP SYN and UDP port scanner")
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # synscan_VERSION_ARCH.deb
set(CPACK_DEBIAN_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${SYNSCAN_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The extended description; CPack puts the summary above it as the synopsis and indents it.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "synscan sends TCP SYN and UDP probes from packet templates at a paced rate
and gives every probed port the state and reason nmap would (open, closed,
filtered, open|filtered), retrying unanswered probes a fixed number of times.
Results stream while the scan runs, in nmap's XML and greppable formats and
as JSON lines. Subcommands diff, merge, convert and report work on saved
scans. Raw sockets need root or CAP_NET_RAW.")

include(CPack)
