// A list of records too many to copy at each refresh (lib/'s 100,000 files), kept in chunks that lists copied from
// one another share until one of them writes a record: copy on write, a chunk at a time. A refresh that changes three
// records copies at most three chunks, not the list; one that changes none copies a hundred pointers.
// Reads are const. A write goes through mutate(i), which first makes the record's chunk this list's own; writes from
// several threads are safe once own() has made every chunk they reach this list's own (mutate then copies nothing).
#pragma once

#include <cstddef> // first: moc reads <compare> wrongly before the library's configuration header
#include <algorithm>
#include <compare>
#include <iterator>
#include <memory>
#include <vector>

namespace aotiscope {

template <typename T>
class SharedChunks {
public:
    static constexpr std::size_t kChunk = 1024;
    using Chunk = std::vector<T>;

    class const_iterator {
    public:
        using iterator_concept = std::random_access_iterator_tag;
        using iterator_category = std::random_access_iterator_tag;
        using value_type = T;
        using difference_type = std::ptrdiff_t;
        using pointer = const T*;
        using reference = const T&;

        const_iterator() = default;
        reference operator*() const { return (*list_->chunks_[c_])[i_ - list_->starts_[c_]]; }
        pointer operator->() const { return &**this; }
        reference operator[](difference_type n) const { return *(*this + n); }
        const_iterator& operator++() {
            if (++i_ == list_->starts_[c_ + 1]) ++c_;
            return *this;
        }
        const_iterator operator++(int) { auto old = *this; ++*this; return old; }
        const_iterator& operator--() {
            if (i_-- == list_->starts_[c_]) --c_;
            return *this;
        }
        const_iterator operator--(int) { auto old = *this; --*this; return old; }
        const_iterator& operator+=(difference_type n) {
            i_ = std::size_t(difference_type(i_) + n);
            c_ = list_->chunkAt(i_);
            return *this;
        }
        const_iterator& operator-=(difference_type n) { return *this += -n; }
        friend const_iterator operator+(const_iterator it, difference_type n) { return it += n; }
        friend const_iterator operator+(difference_type n, const_iterator it) { return it += n; }
        friend const_iterator operator-(const_iterator it, difference_type n) { return it -= n; }
        friend difference_type operator-(const const_iterator& a, const const_iterator& b) {
            return difference_type(a.i_) - difference_type(b.i_);
        }
        friend bool operator==(const const_iterator& a, const const_iterator& b) { return a.i_ == b.i_; }
        friend auto operator<=>(const const_iterator& a, const const_iterator& b) { return a.i_ <=> b.i_; }
        std::size_t index() const { return i_; }

    private:
        friend class SharedChunks;
        const_iterator(const SharedChunks* list, std::size_t i, std::size_t c) : list_(list), i_(i), c_(c) {}
        const SharedChunks* list_ = nullptr;
        std::size_t i_ = 0; // position in the list
        std::size_t c_ = 0; // its chunk (chunks_.size() at the end)
    };

    SharedChunks() = default;
    explicit SharedChunks(std::vector<T> records) {
        for (std::size_t at = 0; at < records.size(); at += kChunk) {
            auto end = std::min(records.size(), at + kChunk);
            chunks_.push_back(std::make_shared<Chunk>(std::make_move_iterator(records.begin() + std::ptrdiff_t(at)),
                                                      std::make_move_iterator(records.begin() + std::ptrdiff_t(end))));
            starts_.push_back(end);
        }
        size_ = records.size();
    }

    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    const T& operator[](std::size_t i) const {
        auto c = chunkAt(i);
        return (*chunks_[c])[i - starts_[c]];
    }
    const T& front() const { return (*this)[0]; }
    const T& back() const { return (*this)[size_ - 1]; }
    const_iterator begin() const { return const_iterator(this, 0, 0); }
    const_iterator end() const { return const_iterator(this, size_, chunks_.size()); }

    // Record i, to write: its chunk copied first when another list shares it.
    T& mutate(std::size_t i) {
        auto c = chunkAt(i);
        return (*own(c))[i - starts_[c]];
    }
    // Every chunk this list's own (a pass that writes most records, from several threads).
    void own() {
        for (std::size_t c = 0; c < chunks_.size(); ++c) own(c);
    }
    // Record `record` put before position `at` (size(): at the end); a chunk grown to twice its size is split.
    void insert(std::size_t at, T record) {
        if (chunks_.empty()) {
            chunks_.push_back(std::make_shared<Chunk>());
            starts_.push_back(0);
        }
        auto c = std::min(chunkAt(at), chunks_.size() - 1);
        auto& chunk = *own(c);
        chunk.insert(chunk.begin() + std::ptrdiff_t(at - starts_[c]), std::move(record));
        for (auto k = c + 1; k < starts_.size(); ++k) ++starts_[k];
        ++size_;
        if (chunk.size() >= 2 * kChunk) {
            auto half = chunk.size() / 2;
            auto tail = std::make_shared<Chunk>(std::make_move_iterator(chunk.begin() + std::ptrdiff_t(half)),
                                                std::make_move_iterator(chunk.end()));
            chunk.erase(chunk.begin() + std::ptrdiff_t(half), chunk.end());
            chunks_.insert(chunks_.begin() + std::ptrdiff_t(c + 1), std::move(tail));
            starts_.insert(starts_.begin() + std::ptrdiff_t(c + 1), starts_[c] + half);
        }
    }

    // How many of this list's chunks `other` holds too (the same records, written by neither since they were shared).
    std::size_t chunkCount() const { return chunks_.size(); }
    std::size_t sharedChunks(const SharedChunks& other) const {
        std::size_t shared = 0;
        for (const auto& c : chunks_) shared += std::ranges::find(other.chunks_, c) != other.chunks_.end();
        return shared;
    }

private:
    Chunk* own(std::size_t c) {
        auto& p = chunks_[c];
        if (p.use_count() > 1) p = std::make_shared<Chunk>(*p);
        return p.get();
    }
    // The chunk holding position i (chunks_.size() for the end). Chunks stay near kChunk records (a refresh inserts a
    // few), so i / kChunk is the chunk or next to it: the lint and the indexes read 100,000 records by position.
    std::size_t chunkAt(std::size_t i) const {
        if (i >= size_) return chunks_.size();
        auto c = std::min(i / kChunk, chunks_.size() - 1);
        for (int step = 0; step < 3; ++step) {
            if (starts_[c] > i) --c;
            else if (starts_[c + 1] <= i) ++c;
            else return c;
        }
        return std::size_t(std::upper_bound(starts_.begin(), starts_.end(), i) - starts_.begin()) - 1;
    }

    std::vector<std::shared_ptr<Chunk>> chunks_;
    std::vector<std::size_t> starts_{0}; // each chunk's first position, then size_
    std::size_t size_ = 0;
};

} // namespace aotiscope
