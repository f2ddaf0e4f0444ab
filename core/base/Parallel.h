// Runs fn(i) for i in [0, n) on up to `threads` threads, handing out indices one at a time so that one
// slow file does not hold back a whole chunk.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace aotiscope {

inline unsigned defaultThreadCount() { return std::max(1u, std::thread::hardware_concurrency()); }

template <typename Fn>
void parallelFor(std::size_t n, unsigned threads, Fn&& fn) {
    threads = std::max(1u, std::min<unsigned>(threads, unsigned(std::min<std::size_t>(n, 64))));
    if (threads <= 1) {
        for (std::size_t i = 0; i < n; ++i) {
            fn(i, 0u);
        }
        return;
    }
    std::atomic<std::size_t> next{0};
    std::vector<std::jthread> pool;
    pool.reserve(threads);
    for (unsigned t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            for (std::size_t i = next.fetch_add(1, std::memory_order_relaxed); i < n;
                 i = next.fetch_add(1, std::memory_order_relaxed)) {
                fn(i, t);
            }
        });
    }
}

} // namespace aotiscope
