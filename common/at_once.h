// One thread per item for work that is mostly waiting on a server (a new session each, one query each): the nodes
// of a cluster asked at the same time instead of one after the other.
#pragma once

#include <exception>
#include <future>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

namespace pgload {

// Runs fn(item) for every item at the same time and returns the results in the items' order (nothing for a void
// fn). Every call has ended before this returns; then the first exception, in the items' order, is rethrown.
template <class Item, class Fn>
auto at_once(const std::vector<Item>& items, Fn fn) {
  using Result = std::invoke_result_t<Fn&, const Item&>;
  std::vector<std::future<Result>> running;
  running.reserve(items.size());
  for (const Item& item : items) running.push_back(std::async(std::launch::async, [&fn, &item] { return fn(item); }));
  std::exception_ptr first;
  if constexpr (std::is_void_v<Result>) {
    for (auto& r : running) {
      try {
        r.get();
      } catch (...) {
        if (!first) first = std::current_exception();
      }
    }
    if (first) std::rethrow_exception(first);
  } else {
    std::vector<std::optional<Result>> got(running.size());
    for (size_t i = 0; i < running.size(); ++i) {
      try {
        got[i].emplace(running[i].get());
      } catch (...) {
        if (!first) first = std::current_exception();
      }
    }
    if (first) std::rethrow_exception(first);
    std::vector<Result> out;
    out.reserve(got.size());
    for (auto& g : got) out.push_back(std::move(*g));
    return out;
  }
}

}  // namespace pgload
