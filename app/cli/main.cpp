// aotiscope-cli: the headless front end over the core library (no Qt).
#include "app/cli/CliCommands.h"
#include "app/cli/CliOptions.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <iostream>

int main(int argc, char** argv) {
    using namespace aotiscope::cli;
    auto logger = spdlog::stderr_color_mt("aotiscope");
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::warn);
    try {
        auto options = parseCli(argc, argv);
        if (!options.python.empty()) {
            // One choice for every part of the run: host checks, the compile worker, the benchmark's eager.
            ::setenv("AOTISCOPE_PYTHON", options.python.c_str(), 1);
        }
        if (options.verbose) {
            spdlog::set_level(spdlog::level::debug);
        }
        if (options.command == "help") {
            std::cout << usageText();
            return 0;
        }
        int code = runCommand(options, std::cout, std::cerr);
        // Everything is written: skip tearing down a snapshot of 100,000 entries (a tenth of a second)
        // on the way out, as the OS frees it at once.
        std::cout.flush();
        std::cerr.flush();
        spdlog::shutdown();
        std::_Exit(code);
    } catch (const UsageError& e) {
        std::cerr << "aotiscope-cli: " << e.message << "\n\n" << usageText();
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "aotiscope-cli: " << e.what() << "\n";
        return 3;
    }
}
