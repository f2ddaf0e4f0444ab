// An iterator over a list of pointers that yields what they point at: a list of shared or borrowed objects read as
// a list of the objects (DeviceDir::ops(), FindingList). It wraps the list's own iterator, so it stays valid as long
// as the list does, and ranges algorithms take it.
#pragma once

#include <cstddef> // first: moc reads <compare> wrongly before the library's configuration header
#include <compare>
#include <iterator>
#include <memory>

namespace aotiscope {

template <typename Base, typename T>
class PointeeIterator {
public:
    using iterator_concept = std::random_access_iterator_tag;
    using iterator_category = std::random_access_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = const T*;
    using reference = const T&;

    PointeeIterator() = default;
    explicit PointeeIterator(Base it) : it_(it) {}
    reference operator*() const { return **it_; }
    pointer operator->() const { return std::to_address(*it_); }
    reference operator[](difference_type n) const { return *it_[n]; }
    PointeeIterator& operator++() { ++it_; return *this; }
    PointeeIterator operator++(int) { auto old = *this; ++it_; return old; }
    PointeeIterator& operator--() { --it_; return *this; }
    PointeeIterator operator--(int) { auto old = *this; --it_; return old; }
    PointeeIterator& operator+=(difference_type n) { it_ += n; return *this; }
    PointeeIterator& operator-=(difference_type n) { it_ -= n; return *this; }
    friend PointeeIterator operator+(PointeeIterator i, difference_type n) { return i += n; }
    friend PointeeIterator operator+(difference_type n, PointeeIterator i) { return i += n; }
    friend PointeeIterator operator-(PointeeIterator i, difference_type n) { return i -= n; }
    friend difference_type operator-(const PointeeIterator& a, const PointeeIterator& b) { return a.it_ - b.it_; }
    friend bool operator==(const PointeeIterator& a, const PointeeIterator& b) { return a.it_ == b.it_; }
    friend auto operator<=>(const PointeeIterator& a, const PointeeIterator& b) { return a.it_ <=> b.it_; }

private:
    Base it_;
};

} // namespace aotiscope
