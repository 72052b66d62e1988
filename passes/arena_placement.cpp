// Offset assignment: greedy placements under several orderings (largest first, longest lived
// first, ...), then a local search that perturbs the best ordering. A placement costs
// O(n * conflicts), so the search is cheap for the few hundred buffers of an MCU model.
// The unit placed is an item: a buffer of its own, or a group of buffers with fixed relative
// offsets (an output overlapping the input it replaces), placed by one base offset.
#include "arena_placement.h"

#include <algorithm>
#include <functional>
#include <map>
#include <random>

namespace tinyc {

int64_t live_lower_bound(const std::vector<Interval>& bufs) {
  int end = 0;
  for (const auto& b : bufs) end = std::max(end, b.last + 1);
  // Per position: the sizes of the buffers of their own, and the span of each group.
  std::vector<int64_t> live(size_t(end), 0);
  std::map<int, std::vector<size_t>> groups;
  for (size_t i = 0; i < bufs.size(); ++i) {
    if (bufs[i].group >= 0) {
      groups[bufs[i].group].push_back(i);
      continue;
    }
    for (int t = bufs[i].first; t <= bufs[i].last; ++t) live[size_t(t)] += bufs[i].size;
  }
  for (const auto& [gid, members] : groups)
    for (int t = 0; t < end; ++t) {
      int64_t lo = INT64_MAX, hi = INT64_MIN;
      for (size_t i : members)
        if (bufs[i].first <= t && t <= bufs[i].last) {
          lo = std::min(lo, bufs[i].rel);
          hi = std::max(hi, bufs[i].rel + bufs[i].size);
        }
      if (hi > lo) live[size_t(t)] += hi - lo;
    }
  int64_t peak = 0;
  for (int64_t v : live) peak = std::max(peak, v);
  return peak;
}

namespace {

// Items: the buffers of a group together, every other buffer alone (item order: by first
// buffer index).
struct Items {
  std::vector<std::vector<int>> members;
  std::vector<int64_t> extent; // highest rel + size
  std::vector<int> first, last;
  std::vector<int> item_of; // per buffer
};

Items items_of(const std::vector<Interval>& bufs) {
  Items it;
  it.item_of.assign(bufs.size(), -1);
  std::map<int, int> group_item;
  for (size_t i = 0; i < bufs.size(); ++i) {
    int k;
    if (bufs[i].group >= 0 && group_item.count(bufs[i].group)) {
      k = group_item[bufs[i].group];
    } else {
      k = int(it.members.size());
      if (bufs[i].group >= 0) group_item[bufs[i].group] = k;
      it.members.emplace_back();
      it.extent.push_back(0);
      it.first.push_back(bufs[i].first);
      it.last.push_back(bufs[i].last);
    }
    it.item_of[i] = k;
    it.members[size_t(k)].push_back(int(i));
    const int64_t rel = bufs[i].group >= 0 ? bufs[i].rel : 0;
    it.extent[size_t(k)] = std::max(it.extent[size_t(k)], rel + bufs[i].size);
    it.first[size_t(k)] = std::min(it.first[size_t(k)], bufs[i].first);
    it.last[size_t(k)] = std::max(it.last[size_t(k)], bufs[i].last);
  }
  return it;
}

int64_t rel_of(const Interval& b) {
  return b.group >= 0 ? b.rel : 0;
}

// For every buffer, the buffers of other items alive at the same time.
std::vector<std::vector<int>> conflicts_of(const std::vector<Interval>& bufs, const Items& it) {
  std::vector<std::vector<int>> c(bufs.size());
  for (size_t i = 0; i < bufs.size(); ++i)
    for (size_t j = i + 1; j < bufs.size(); ++j)
      if (it.item_of[i] != it.item_of[j] && live_together(bufs[i], bufs[j])) {
        c[i].push_back(int(j));
        c[j].push_back(int(i));
      }
  return c;
}

// How far a placement is from the cap (bytes above it, summed): lets the local search see
// progress on plateaus where the arena itself does not move yet.
struct Score {
  int64_t arena = 0, excess = 0;
  bool operator<=(const Score& o) const {
    return arena != o.arena ? arena < o.arena : excess <= o.excess;
  }
};

// One greedy pass over items. Each item goes into a free gap of base offsets among the placed
// buffers its members meet (the first gap, or the smallest that fits); `top[k]` puts it at the
// upper end of that gap instead of the lower end, where the open gap above everything ends at
// `cap`.
Placement place(const std::vector<Interval>& bufs, const Items& it,
                const std::vector<std::vector<int>>& conflicts, const std::vector<int>& order,
                const std::vector<char>& top, bool best_fit, int64_t cap, Score* score = nullptr) {
  Placement p;
  p.offsets.assign(bufs.size(), -1);
  std::vector<std::pair<int64_t, int64_t>> forbidden; // base offsets [lo, hi) not allowed
  int64_t excess = 0;
  for (int k : order) {
    const int64_t extent = it.extent[size_t(k)];
    forbidden.clear();
    for (int m : it.members[size_t(k)]) {
      const int64_t rel = rel_of(bufs[size_t(m)]), size = bufs[size_t(m)].size;
      for (int o : conflicts[size_t(m)])
        if (p.offsets[size_t(o)] >= 0) {
          // Member m at base + rel meets [s, e) unless base + rel + size <= s or base + rel >= e.
          const int64_t s = p.offsets[size_t(o)], e = s + bufs[size_t(o)].size;
          forbidden.push_back({s - rel - size + 1, e - rel});
        }
    }
    std::sort(forbidden.begin(), forbidden.end());
    // Allowed bases form gaps [cur, lo - 1] between forbidden ranges (bases >= 0).
    int64_t gap_lo = -1, gap_hi = -1, best_gap = INT64_MAX, cur = 0;
    for (const auto& [lo, hi] : forbidden) {
      if (lo > cur && (!best_fit || lo - cur < best_gap)) {
        best_gap = lo - cur;
        gap_lo = cur;
        gap_hi = lo - 1; // highest allowed base
        if (!best_fit) break;
      }
      cur = std::max(cur, hi);
    }
    if (gap_lo < 0) { // the open space above everything it meets
      gap_lo = cur;
      gap_hi = std::max(cap - extent, cur);
    }
    const int64_t base = top[size_t(k)] ? gap_hi : gap_lo;
    for (int m : it.members[size_t(k)]) p.offsets[size_t(m)] = base + rel_of(bufs[size_t(m)]);
    p.arena = std::max(p.arena, base + extent);
    excess += std::max<int64_t>(0, base + extent - cap);
  }
  if (score) *score = {p.arena, excess};
  return p;
}

} // namespace

Placement place_in_order(const std::vector<Interval>& bufs, const std::vector<int>& order,
                         bool best_fit) {
  const Items it = items_of(bufs);
  std::vector<int> items;
  std::vector<char> seen(it.members.size(), 0);
  for (int b : order) {
    const int k = it.item_of[size_t(b)];
    if (!seen[size_t(k)]) seen[size_t(k)] = 1, items.push_back(k);
  }
  return place(bufs, it, conflicts_of(bufs, it), items, std::vector<char>(it.members.size(), 0),
               best_fit, live_lower_bound(bufs));
}

Placement place_buffers(const std::vector<Interval>& bufs, int effort) {
  Placement best;
  if (bufs.empty()) return best;
  const Items it = items_of(bufs);
  const size_t n = it.members.size();
  const auto conflicts = conflicts_of(bufs, it);
  const int64_t bound = live_lower_bound(bufs);

  // Bytes each item shares its lifetime with: the most constrained go first.
  std::vector<int64_t> pressure(n, 0);
  for (size_t b = 0; b < bufs.size(); ++b)
    for (int o : conflicts[b]) pressure[size_t(it.item_of[b])] += bufs[size_t(o)].size;

  using Key = std::function<bool(int, int)>;
  auto len = [&](int i) { return int64_t(it.last[size_t(i)] - it.first[size_t(i)] + 1); };
  auto sz = [&](int i) { return it.extent[size_t(i)]; };
  const std::vector<std::pair<const char*, Key>> orderings = {
      {"largest first", [&](int a, int b) { return sz(a) > sz(b); }},
      {"longest lived first",
       [&](int a, int b) { return len(a) != len(b) ? len(a) > len(b) : sz(a) > sz(b); }},
      {"largest area first", [&](int a, int b) { return sz(a) * len(a) > sz(b) * len(b); }},
      {"most contended first",
       [&](int a, int b) {
         return pressure[size_t(a)] + sz(a) != pressure[size_t(b)] + sz(b)
                    ? pressure[size_t(a)] + sz(a) > pressure[size_t(b)] + sz(b)
                    : sz(a) > sz(b);
       }},
      {"earliest first", [&](int a, int b) {
         return it.first[size_t(a)] != it.first[size_t(b)]
                    ? it.first[size_t(a)] < it.first[size_t(b)]
                    : sz(a) > sz(b);
       }}};

  std::vector<int> best_order;
  bool best_fit_rule = false;
  const std::vector<char> bottom(n, 0);
  for (const auto& [name, key] : orderings) {
    std::vector<int> order(n);
    for (size_t i = 0; i < n; ++i) order[i] = int(i);
    std::stable_sort(order.begin(), order.end(), key);
    for (bool fit : {false, true}) {
      Placement p = place(bufs, it, conflicts, order, bottom, fit, bound);
      if (best_order.empty() || p.arena < best.arena) {
        best = p;
        best.method = name;
        best_order = order;
        best_fit_rule = fit;
      }
      if (best.arena == bound) return best;
    }
  }

  // Local search: swap two items in the ordering, move one earlier, or send one to the other
  // end of its gap; keep changes that do not make the score worse (plateaus are walked, the
  // best arena seen is kept).
  std::mt19937 rng(20240611u);
  std::vector<int> cur = best_order;
  std::vector<char> cur_top = bottom;
  Score cur_score;
  place(bufs, it, conflicts, cur, cur_top, best_fit_rule, bound, &cur_score);
  for (int step = 0; step < effort && n > 1; ++step) {
    std::vector<int> trial = cur;
    std::vector<char> trial_top = cur_top;
    const size_t i = rng() % n, j = rng() % n, move = rng() % 3;
    if (move == 0) {
      trial_top[size_t(trial[i])] ^= 1;
    } else if (i == j) {
      continue;
    } else if (move == 1) {
      std::swap(trial[i], trial[j]);
    } else {
      const int moved = trial[std::max(i, j)];
      trial.erase(trial.begin() + long(std::max(i, j)));
      trial.insert(trial.begin() + long(std::min(i, j)), moved);
    }
    Score sc;
    Placement p = place(bufs, it, conflicts, trial, trial_top, best_fit_rule, bound, &sc);
    if (sc <= cur_score) {
      cur = std::move(trial);
      cur_top = std::move(trial_top);
      cur_score = sc;
      if (p.arena < best.arena) {
        best = p;
        best.method = "local search";
        if (best.arena == bound) break;
      }
    }
  }
  return best;
}

} // namespace tinyc
