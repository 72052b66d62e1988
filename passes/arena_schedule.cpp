// Greedy list scheduling with a memory model: at each step, of the nodes whose inputs are
// ready, run the one a strategy prefers, tracking which tensors are alive.
#include "arena_schedule.h"

#include <algorithm>
#include <map>

namespace tinyc {

namespace {

enum class Strategy { FreesMost, LowestPeak, DepthFirst };

std::vector<int> greedy_schedule(const std::vector<ScheduleNode>& nodes, Strategy s) {
  const int n = int(nodes.size());
  std::vector<int> waiting(nodes.size(), 0);
  std::vector<std::vector<int>> succs(nodes.size());
  std::map<int, int> readers_left;   // root -> nodes still to read it
  std::map<int, int64_t> root_bytes; // root -> arena bytes
  std::map<int, int> created_at;     // root -> step it was created
  for (int i = 0; i < n; ++i) {
    for (int p : nodes[size_t(i)].preds) succs[size_t(p)].push_back(i);
    waiting[size_t(i)] = int(nodes[size_t(i)].preds.size());
    for (int r : nodes[size_t(i)].reads) ++readers_left[r];
    for (const auto& [r, b] : nodes[size_t(i)].creates) root_bytes[r] = b;
  }
  int64_t live = 0;
  std::vector<int> ready, order;
  for (int i = 0; i < n; ++i)
    if (!waiting[size_t(i)]) ready.push_back(i);

  auto alloc = [&](int i) {
    int64_t a = 0;
    for (const auto& [r, b] : nodes[size_t(i)].creates) a += b;
    return a;
  };
  auto freed = [&](int i) {
    int64_t f = 0;
    for (int r : nodes[size_t(i)].reads)
      if (readers_left[r] == 1) f += root_bytes.count(r) ? root_bytes[r] : 0;
    return f;
  };
  auto newest_input = [&](int i) {
    int t = -1;
    for (int r : nodes[size_t(i)].reads)
      if (created_at.count(r)) t = std::max(t, created_at[r]);
    return t;
  };

  for (int step = 0; step < n; ++step) {
    size_t pick = 0;
    auto better = [&](int a, int b) { // true when a is preferred over b
      const int64_t da = alloc(a) - freed(a), db = alloc(b) - freed(b);
      switch (s) {
      case Strategy::FreesMost:
        if (da != db) return da < db;
        break;
      case Strategy::LowestPeak: {
        const int64_t pa = alloc(a) + nodes[size_t(a)].scratch,
                      pb = alloc(b) + nodes[size_t(b)].scratch;
        if (pa != pb) return pa < pb;
        if (da != db) return da < db;
        break;
      }
      case Strategy::DepthFirst: {
        const int na = newest_input(a), nb = newest_input(b);
        if (na != nb) return na > nb;
        if (da != db) return da < db;
        break;
      }
      }
      return a < b;
    };
    for (size_t k = 1; k < ready.size(); ++k)
      if (better(ready[k], ready[pick])) pick = k;
    const int i = ready[pick];
    ready.erase(ready.begin() + long(pick));
    order.push_back(i);
    live += alloc(i) - freed(i);
    for (int r : nodes[size_t(i)].reads) --readers_left[r];
    for (const auto& [r, b] : nodes[size_t(i)].creates) created_at[r] = step;
    for (int j : succs[size_t(i)])
      if (--waiting[size_t(j)] == 0) ready.push_back(j);
  }
  return order;
}

} // namespace

std::vector<std::vector<int>> candidate_schedules(const std::vector<ScheduleNode>& nodes) {
  std::vector<std::vector<int>> out;
  std::vector<int> identity(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) identity[i] = int(i);
  out.push_back(identity);
  for (Strategy s : {Strategy::FreesMost, Strategy::LowestPeak, Strategy::DepthFirst}) {
    std::vector<int> o = greedy_schedule(nodes, s);
    if (o.size() == nodes.size() && std::find(out.begin(), out.end(), o) == out.end())
      out.push_back(std::move(o));
  }
  return out;
}

} // namespace tinyc
