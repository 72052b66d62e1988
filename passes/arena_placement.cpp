// Offset assignment: greedy placements under several orderings (largest first, longest lived
// first, ...), then a local search that perturbs the best ordering. A placement costs
// O(n * conflicts), so the search is cheap for the few hundred buffers of an MCU model.
#include "arena_placement.h"

#include <algorithm>
#include <functional>
#include <random>

namespace tinyc {

int64_t live_lower_bound(const std::vector<Interval>& bufs) {
  // Sweep over lifetime starts and ends.
  std::vector<std::pair<int, int64_t>> events;
  for (const auto& b : bufs) {
    events.push_back({2 * b.first, b.size});
    events.push_back({2 * b.last + 1, -b.size});
  }
  std::sort(events.begin(), events.end());
  int64_t live = 0, peak = 0;
  for (const auto& [t, d] : events) {
    live += d;
    peak = std::max(peak, live);
  }
  return peak;
}

namespace {

// For every buffer, the buffers alive at the same time.
std::vector<std::vector<int>> conflicts_of(const std::vector<Interval>& bufs) {
  std::vector<std::vector<int>> c(bufs.size());
  for (size_t i = 0; i < bufs.size(); ++i)
    for (size_t j = i + 1; j < bufs.size(); ++j)
      if (live_together(bufs[i], bufs[j])) {
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

// One greedy pass. Each buffer goes into a free gap among the placed buffers it meets (the
// first gap, or the smallest that fits); `top[k]` puts it at the upper end of that gap
// instead of the lower end, where the open gap above everything ends at `cap`.
Placement place(const std::vector<Interval>& bufs, const std::vector<std::vector<int>>& conflicts,
                const std::vector<int>& order, const std::vector<char>& top, bool best_fit,
                int64_t cap, Score* score = nullptr) {
  Placement p;
  p.offsets.assign(bufs.size(), -1);
  std::vector<std::pair<int64_t, int64_t>> busy;
  int64_t excess = 0;
  for (int k : order) {
    const int64_t size = bufs[size_t(k)].size;
    busy.clear();
    for (int o : conflicts[size_t(k)])
      if (p.offsets[size_t(o)] >= 0)
        busy.push_back({p.offsets[size_t(o)], p.offsets[size_t(o)] + bufs[size_t(o)].size});
    std::sort(busy.begin(), busy.end());
    int64_t gap_lo = -1, gap_hi = -1, best_gap = INT64_MAX, cur = 0;
    for (const auto& [s, e] : busy) {
      if (s > cur && s - cur >= size && (!best_fit || s - cur < best_gap)) {
        best_gap = s - cur;
        gap_lo = cur;
        gap_hi = s;
        if (!best_fit) break;
      }
      cur = std::max(cur, e);
    }
    if (gap_lo < 0) { // the open space above everything it meets
      gap_lo = cur;
      gap_hi = std::max(cap, cur + size);
    }
    const int64_t off = top[size_t(k)] ? gap_hi - size : gap_lo;
    p.offsets[size_t(k)] = off;
    p.arena = std::max(p.arena, off + size);
    excess += std::max<int64_t>(0, off + size - cap);
  }
  if (score) *score = {p.arena, excess};
  return p;
}

} // namespace

Placement place_in_order(const std::vector<Interval>& bufs, const std::vector<int>& order,
                         bool best_fit) {
  return place(bufs, conflicts_of(bufs), order, std::vector<char>(bufs.size(), 0), best_fit,
               live_lower_bound(bufs));
}

Placement place_buffers(const std::vector<Interval>& bufs, int effort) {
  const size_t n = bufs.size();
  Placement best;
  if (n == 0) return best;
  const auto conflicts = conflicts_of(bufs);
  const int64_t bound = live_lower_bound(bufs);

  // Bytes each buffer shares its lifetime with: the most constrained go first.
  std::vector<int64_t> pressure(n, 0);
  for (size_t i = 0; i < n; ++i)
    for (int o : conflicts[i]) pressure[i] += bufs[size_t(o)].size;

  using Key = std::function<bool(int, int)>;
  auto len = [&](int i) { return int64_t(bufs[size_t(i)].last - bufs[size_t(i)].first + 1); };
  auto sz = [&](int i) { return bufs[size_t(i)].size; };
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
         return bufs[size_t(a)].first != bufs[size_t(b)].first
                    ? bufs[size_t(a)].first < bufs[size_t(b)].first
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
      Placement p = place(bufs, conflicts, order, bottom, fit, bound);
      if (best_order.empty() || p.arena < best.arena) {
        best = p;
        best.method = name;
        best_order = order;
        best_fit_rule = fit;
      }
      if (best.arena == bound) return best;
    }
  }

  // Local search: swap two buffers in the ordering, move one earlier, or send one to the other
  // end of its gap; keep changes that do not make the score worse (plateaus are walked, the
  // best arena seen is kept).
  std::mt19937 rng(20240611u);
  std::vector<int> cur = best_order;
  std::vector<char> cur_top = bottom;
  Score cur_score;
  place(bufs, conflicts, cur, cur_top, best_fit_rule, bound, &cur_score);
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
    Placement p = place(bufs, conflicts, trial, trial_top, best_fit_rule, bound, &sc);
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
