// How the process's allocator keeps memory it was given back: for a long-lived window that refreshes 100,000
// records and 300,000 findings at each write PyTorch makes.
#pragma once

namespace aotiscope {

// Keeps freed memory for the next refresh instead of handing it back to the kernel: allocations up to 32 MiB (the
// allocator's ceiling) come from the heap, and the heap is not trimmed. A refresh otherwise had its 100 MB of new
// records and findings faulted in page by page (a quarter of its time). Costs a peak-sized heap kept while the
// window is open. Call once, early in main().
void keepFreedMemoryForReuse();

} // namespace aotiscope
