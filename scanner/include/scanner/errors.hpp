#pragma once
/// synscan's setup-time error hierarchy. Hot paths never throw: they return enums and count.
/// main maps UsageError to exit code 1 and every other SynscanError to exit code 2.
#include <stdexcept>
#include <string>

namespace synscan {

class SynscanError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Bad command line, target, port or file content: the user must change what they typed.
class UsageError : public SynscanError {
 public:
  using SynscanError::SynscanError;
};

/// The environment refused: no privileges, no interface, no route, capture/send failed to open.
class RuntimeError : public SynscanError {
 public:
  using SynscanError::SynscanError;
};

}  // namespace synscan
