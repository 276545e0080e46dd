// Replays fuzz corpora without libFuzzer: every file named on the command line (directories are
// walked, in name order) is fed once to the target's LLVMFuzzerTestOneInput. Linked with each
// fuzz target's own source by any compiler (g++ in the default and sanitizer builds), so ctest
// proves on every build that the seeds and regression inputs still pass the target's checks.
// A crash, an abort from the target's checks or a sanitizer report fails the run; so does an
// empty corpus (a replay of nothing proves nothing).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

std::vector<std::filesystem::path> corpus_files(int argc, char** argv) {
  std::vector<std::filesystem::path> files;
  for (int index = 1; index < argc; ++index) {
    const std::filesystem::path path(argv[index]);
    if (std::filesystem::is_directory(path)) {
      std::vector<std::filesystem::path> inside;
      for (const auto& entry : std::filesystem::recursive_directory_iterator(path)) {
        if (entry.is_regular_file()) inside.push_back(entry.path());
      }
      std::sort(inside.begin(), inside.end());
      files.insert(files.end(), inside.begin(), inside.end());
    } else {
      files.push_back(path);
    }
  }
  return files;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::filesystem::path> files = corpus_files(argc, argv);
  if (files.empty()) {
    std::cerr << "fuzz replay: no corpus files given\n";
    return 1;
  }
  for (const std::filesystem::path& file : files) {
    std::ifstream stream(file, std::ios::binary);
    if (!stream) {
      std::cerr << "fuzz replay: cannot read " << file << "\n";
      return 1;
    }
    const std::vector<char> bytes((std::istreambuf_iterator<char>(stream)),
                                  std::istreambuf_iterator<char>());
    std::cout << "replay " << file.filename().string() << " (" << bytes.size() << " bytes)\n";
    // A copy of exactly `size` bytes on the heap, as libFuzzer passes it, so an overread is seen
    // by AddressSanitizer in the sanitizer builds.
    std::vector<std::uint8_t> input(bytes.begin(), bytes.end());
    (void)LLVMFuzzerTestOneInput(input.empty() ? nullptr : input.data(), input.size());
  }
  std::cout << "fuzz replay: " << files.size() << " inputs, no crash\n";
  return 0;
}
