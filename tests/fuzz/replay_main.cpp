// Without libFuzzer (the default build): a fuzz target replays its committed corpus, every file
// of the directories or files it is given, so that CTest runs each finding again in seconds.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  std::vector<std::filesystem::path> inputs;
  for (int i = 1; i < argc; ++i) {
    if (std::filesystem::is_directory(argv[i])) {
      for (const auto& entry : std::filesystem::recursive_directory_iterator(argv[i]))
        if (entry.is_regular_file()) inputs.push_back(entry.path());
    } else {
      inputs.emplace_back(argv[i]);
    }
  }
  if (inputs.empty()) {
    std::cerr << argv[0] << ": error: no corpus files given\n";
    return 2;
  }
  // A target accepts an input or answers it with an InputError (which it catches); any other
  // exception is a failure, named with its input. A failed property aborts the process.
  int failures = 0;
  for (const std::filesystem::path& input : inputs) {
    std::ifstream file(input, std::ios::binary);
    // A corpus file that cannot be read would otherwise replay as the empty input and pass.
    if (!file) {
      std::cerr << "FAIL " << input.string() << ": cannot be read\n";
      ++failures;
      continue;
    }
    const std::string bytes((std::istreambuf_iterator<char>(file)),
                            std::istreambuf_iterator<char>());
    try {
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    } catch (const std::exception& error) {
      std::cerr << "FAIL " << input.string() << ": " << error.what() << "\n";
      ++failures;
    }
  }
  std::cout << "replayed " << inputs.size() << " inputs, " << failures << " failed\n";
  return failures == 0 ? 0 : 1;
}
