// synscan-docgen: run at build time, writes synscan(1) and the bash completion from the option
// table synscan's --help prints.
//   synscan-docgen --man synscan.1 --completion synscan.bash
#include <fstream>
#include <iostream>
#include <string>

#include "docgen/docgen.hpp"

namespace {

bool write_file(const std::string& path, const std::string& content) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << content;
  file.close();
  if (!file) std::cerr << "synscan-docgen: cannot write " << path << "\n";
  return static_cast<bool>(file);
}

}  // namespace

int main(int argc, char** argv) {
  std::string man_path, completion_path;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string option = argv[i];
    if (option == "--man") man_path = argv[i + 1];
    else if (option == "--completion") completion_path = argv[i + 1];
  }
  if (man_path.empty() || completion_path.empty() || argc != 5) {
    std::cerr << "usage: synscan-docgen --man FILE --completion FILE\n";
    return 1;
  }
  const auto command_line = synscan::scanner::describe_command_line();
  const auto tools = synscan::scanner::describe_tools();
  const bool ok = write_file(man_path, synscan::docgen::man_page(command_line, tools, SYNSCAN_VERSION)) &&
                  write_file(completion_path, synscan::docgen::bash_completion(command_line, tools));
  return ok ? 0 : 1;
}
