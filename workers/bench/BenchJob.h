// One benchmark request: refuse a library outside the cache root, load it through the AOTI runner registry
// (by device name, as AOTI eager does), check its outputs against eager, then time both and judge.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>

namespace aotiscope::bench {

using EventSink = std::function<void(nlohmann::json event)>;

// Emits started, progress and finished events; throws with a message in words on failure.
void runBenchJob(const nlohmann::json& request, const EventSink& emit);

// A "load" request (verify): the library loaded exactly as PyTorch's kernel holder loads it (dlopen through the
// AOTI runner of its device), nothing run. Finished carries {"loaded": true, "load_ms"}; throws with the loader's
// message on failure.
void runLoadJob(const nlohmann::json& request, const EventSink& emit);

// The verdict of docs/benchmarking.md from a finished result's figures.
std::string verdictFor(const nlohmann::json& result);

} // namespace aotiscope::bench
