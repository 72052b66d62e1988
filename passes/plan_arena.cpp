// Memory planning: liveness intervals over the execution order, placed largest first at the
// lowest offset that does not overlap a buffer alive at the same time.
#include "plan_arena.h"

#include "../compiler/op_registry.h"

#include <algorithm>

namespace tinyc {

bool is_view_node(const Graph& g, const Node& n) {
  const OpDef* def = OpRegistry::instance().find(n.domain, n.op_type);
  if (!def || !def->is_view || n.input(0) < 0 || n.output(0) < 0) return false;
  // A graph output must land in the caller's buffer, so it is copied instead.
  return !g.is_graph_output(n.output(0)) && !g.val(n.input(0)).constant;
}

static int64_t align_up(int64_t x) {
  return (x + ArenaPlan::kAlign - 1) / ArenaPlan::kAlign * ArenaPlan::kAlign;
}

ArenaPlan plan_arena(const Graph& g) {
  ArenaPlan plan;
  const size_t nv = g.values.size();
  plan.alias_of.resize(nv);
  for (size_t v = 0; v < nv; ++v) plan.alias_of[v] = int(v);
  for (const Node& n : g.nodes)
    if (is_view_node(g, n)) plan.alias_of[size_t(n.output(0))] = plan.alias_of[size_t(n.input(0))];

  std::vector<int> first(nv, -1), last(nv, -1);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    for (int o : n.outputs)
      if (o >= 0) {
        int root = plan.alias_of[size_t(o)];
        if (first[size_t(root)] < 0) first[size_t(root)] = int(i);
        last[size_t(root)] = std::max(last[size_t(root)], int(i));
      }
    for (int in : n.inputs)
      if (in >= 0) last[size_t(plan.alias_of[size_t(in)])] = int(i);
  }
  for (size_t v = 0; v < nv; ++v) {
    const Value& val = g.values[v];
    if (plan.alias_of[v] != int(v) || first[v] < 0 || val.constant) continue;
    if (g.is_graph_output(int(v))) continue;
    if (std::find(g.inputs.begin(), g.inputs.end(), int(v)) != g.inputs.end()) continue;
    ArenaBuffer b;
    b.value_id = int(v);
    b.size = align_up(std::max<int64_t>(1, numel(val.shape) * int64_t(dtype_size(val.dtype))));
    b.first = first[v];
    b.last = std::max(last[v], first[v]);
    plan.buffers.push_back(b);
  }

  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    const OpDef* def = OpRegistry::instance().find(n.domain, n.op_type);
    if (!def || !def->scratch_bytes) continue;
    int64_t bytes = def->scratch_bytes(g, n);
    if (bytes <= 0) continue;
    ArenaBuffer b;
    b.scratch_of = int(i);
    b.size = align_up(bytes);
    b.first = b.last = int(i);
    plan.buffers.push_back(b);
  }

  // Largest first; ties by first use then value id, so the plan is deterministic.
  std::vector<size_t> order(plan.buffers.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const auto &x = plan.buffers[a], &y = plan.buffers[b];
    if (x.size != y.size) return x.size > y.size;
    if (x.first != y.first) return x.first < y.first;
    if (x.value_id != y.value_id) return x.value_id < y.value_id;
    return x.scratch_of < y.scratch_of;
  });
  std::vector<size_t> placed;
  for (size_t k : order) {
    ArenaBuffer& b = plan.buffers[k];
    std::vector<std::pair<int64_t, int64_t>> busy; // [offset, end) of overlapping lifetimes
    for (size_t p : placed) {
      const ArenaBuffer& o = plan.buffers[p];
      if (o.first <= b.last && b.first <= o.last) busy.push_back({o.offset, o.offset + o.size});
    }
    std::sort(busy.begin(), busy.end());
    int64_t off = 0;
    for (const auto& [s, e] : busy) {
      if (off + b.size <= s) break;
      off = std::max(off, e);
    }
    b.offset = off;
    plan.arena_bytes = std::max(plan.arena_bytes, off + b.size);
    placed.push_back(k);
  }
  for (const auto& b : plan.buffers) plan.naive_bytes += b.size;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    int64_t live = 0;
    for (const auto& b : plan.buffers)
      if (b.first <= int(i) && int(i) <= b.last) live += b.size;
    plan.lower_bound = std::max(plan.lower_bound, live);
  }
  return plan;
}

} // namespace tinyc
