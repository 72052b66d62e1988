// Memory planning: liveness intervals over an execution order, elementwise ops written over
// an input that dies there, overlapping outputs (OpDef::overlap_shift), then offsets from
// passes/arena_placement. Several execution orders (passes/arena_schedule) are planned and the one
// with the smallest arena kept.
#include "plan_arena.h"

#include "../compiler/op_registry.h"
#include "arena_placement.h"
#include "arena_schedule.h"

#include <algorithm>
#include <tuple>

namespace tinyc {

bool is_view_node(const Graph& g, const Node& n) {
  const OpDef* def = OpRegistry::instance().find(n.domain, n.op_type);
  if (!def || !def->is_view || n.input(0) < 0 || n.output(0) < 0) return false;
  // A graph output must land in the caller's buffer, so it is copied instead.
  return !g.is_graph_output(n.output(0)) && !g.val(n.input(0)).constant;
}

namespace {

int64_t align_up(int64_t x) {
  return (x + ArenaPlan::kAlign - 1) / ArenaPlan::kAlign * ArenaPlan::kAlign;
}

int64_t value_bytes(const Value& v) {
  return align_up(std::max<int64_t>(1, numel(v.shape) * int64_t(dtype_size(v.dtype))));
}

bool is_graph_input(const Graph& g, int v) {
  return std::find(g.inputs.begin(), g.inputs.end(), v) != g.inputs.end();
}

// Whether a value (a storage root) needs arena space at all.
bool in_arena(const Graph& g, int v, const PlanOptions& o) {
  if (g.val(v).constant) return false;
  return o.io_in_arena || (!is_graph_input(g, v) && !g.is_graph_output(v));
}

// Views share their input's storage, whatever the order.
std::vector<int> view_roots(const Graph& g) {
  std::vector<int> root(g.values.size());
  for (size_t v = 0; v < root.size(); ++v) root[v] = int(v);
  for (const Node& n : g.nodes)
    if (is_view_node(g, n)) root[size_t(n.output(0))] = root[size_t(n.input(0))];
  return root;
}

int64_t scratch_bytes_of(const Graph& g, const Node& n) {
  const OpDef* def = OpRegistry::instance().find(n.domain, n.op_type);
  if (!def || !def->scratch_bytes) return 0;
  return def->scratch_bytes(g, n);
}

// Whether storage r holds a model output (kept until after the last step, even when the last
// node reads it).
bool holds_graph_output(const Graph& g, const std::vector<int>& alias, int r) {
  for (int v : g.outputs)
    if (alias[size_t(v)] == r) return true;
  return false;
}

// Node n may write its output over input value `in` (root r), which dies at position p.
bool may_overwrite(const Graph& g, const Node& n, int in, int r, int out,
                   const std::vector<int>& alias, const std::vector<int64_t>& offset,
                   const std::vector<int>& last, int p, const PlanOptions& o) {
  const Value &x = g.val(in), &y = g.val(out);
  if (r == out || !in_arena(g, r, o) || holds_graph_output(g, alias, r) || last[size_t(r)] != p)
    return false;
  if (numel(x.shape) != numel(y.shape) || dtype_size(x.dtype) != dtype_size(y.dtype)) return false;
  // Another input in the same storage must be read at the same positions as the output.
  for (int w : n.inputs)
    if (w >= 0 && alias[size_t(w)] == r &&
        (numel(g.val(w).shape) != numel(y.shape) ||
         dtype_size(g.val(w).dtype) != dtype_size(y.dtype) ||
         offset[size_t(w)] != offset[size_t(in)]))
      return false;
  return true;
}

// Node n (with OpDef::overlap_shift) may put its output k bytes before input 0 (value `in`,
// storage `r`), overlapping r: the whole storage dies here, it is an arena tensor of the
// program's own (or I/O in the arena), holds no Concat slices, and no other input of n lives
// in it.
bool may_overlap(const Graph& g, const Node& n, int in, int r, int out,
                 const std::vector<int>& alias, const std::vector<int>& last,
                 const std::vector<char>& sliced, int p, const PlanOptions& o) {
  if (in < 0 || n.input(0) != in || r == out || !in_arena(g, r, o) ||
      holds_graph_output(g, alias, r))
    return false;
  if (last[size_t(r)] != p || sliced[size_t(r)]) return false;
  for (size_t k = 1; k < n.inputs.size(); ++k)
    if (n.inputs[k] >= 0 && alias[size_t(n.inputs[k])] == r) return false;
  return true;
}

// A Concat whose inputs can be written by their producers straight into their slice of the
// output: the slices are contiguous (every dimension before the axis is 1) and aligned, and
// every input is an arena tensor of its own (not a view, not the caller's, not a constant,
// not listed twice). Sets the byte offset of each input's slice.
bool concat_slices(const Graph& g, const Node& n, const std::vector<int>& alias,
                   const PlanOptions& o, std::vector<int64_t>& offsets) {
  if (n.op_type != "Concat" || !n.domain.empty() || n.inputs.empty()) return false;
  const int out = n.output(0);
  if (out < 0 || alias[size_t(out)] != out || !in_arena(g, out, o)) return false;
  if (g.is_graph_output(out)) return false;
  const Value& y = g.val(out);
  const int64_t rank = int64_t(y.shape.size());
  int64_t axis = n.attr_i("axis", 0);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return false;
  for (int64_t d = 0; d < axis; ++d)
    if (y.shape[size_t(d)] != 1) return false;
  int64_t at = 0;
  offsets.clear();
  for (size_t k = 0; k < n.inputs.size(); ++k) {
    const int in = n.inputs[k];
    if (in < 0 || alias[size_t(in)] != in || !in_arena(g, in, o) || g.is_graph_output(in) ||
        g.val(in).dtype != y.dtype)
      return false;
    if (std::count(n.inputs.begin(), n.inputs.end(), in) != 1) return false;
    if (at % ArenaPlan::kAlign != 0) return false;
    offsets.push_back(at);
    at += numel(g.val(in).shape) * int64_t(dtype_size(y.dtype));
  }
  return at == numel(y.shape) * int64_t(dtype_size(y.dtype));
}

// OpDef::overlap_shift of every node, computed once per plan_arena (-2: not asked yet).
struct ShiftCache {
  std::vector<int64_t> k;
  int64_t of(const Graph& g, int ni) {
    if (k.empty()) k.assign(g.nodes.size(), -2);
    int64_t& v = k[size_t(ni)];
    if (v == -2) {
      const Node& n = g.nodes[size_t(ni)];
      const OpDef* def = OpRegistry::instance().find(n.domain, n.op_type);
      v = def && def->overlap_shift ? def->overlap_shift(g, n, ArenaPlan::kAlign) : -1;
      if (v % ArenaPlan::kAlign != 0) v = -1;
    }
    return v;
  }
};

// Moves every value stored in `from` into storage `to`, `at` bytes further on.
void merge_storage(std::vector<int>& alias, std::vector<int64_t>& offset, int from, int to,
                   int64_t at) {
  for (size_t v = 0; v < alias.size(); ++v)
    if (alias[v] == from) {
      alias[v] = to;
      offset[v] += at;
    }
}

// Liveness, in-place decisions and buffers for one execution order (no offsets yet).
ArenaPlan build(const Graph& g, const std::vector<int>& order, const PlanOptions& o,
                ShiftCache& shifts) {
  ArenaPlan plan;
  plan.order = order;
  plan.io_in_arena = o.io_in_arena;
  const size_t nv = g.values.size();
  const int steps = int(order.size());
  plan.alias_of = view_roots(g);
  plan.inplace_of.assign(g.nodes.size(), -1);
  std::vector<int>& alias = plan.alias_of;

  std::vector<int> first(nv, -1), last(nv, -1);
  for (int p = 0; p < steps; ++p) {
    const Node& n = g.nodes[size_t(order[size_t(p)])];
    for (int out : n.outputs)
      if (out >= 0) {
        const size_t r = size_t(alias[size_t(out)]);
        if (first[r] < 0) first[r] = p;
        last[r] = std::max(last[r], p);
      }
    for (int in : n.inputs)
      if (in >= 0) last[size_t(alias[size_t(in)])] = std::max(last[size_t(alias[size_t(in)])], p);
  }
  const int end = std::max(0, steps - 1);
  if (o.io_in_arena) {
    for (int v : g.inputs) first[size_t(v)] = 0, last[size_t(v)] = std::max(last[size_t(v)], 0);
    for (int v : g.outputs) {
      const size_t r = size_t(alias[size_t(v)]);
      if (first[r] < 0) first[r] = 0;
      last[r] = end;
    }
  }

  plan.alias_offset.assign(nv, 0);
  plan.overlap_shift.assign(g.nodes.size(), -1);
  plan.elided.assign(g.nodes.size(), 0);
  std::vector<char> sliced(nv, 0); // storages holding a Concat's slices
  if (o.concat_in_place) {
    for (int p = 0; p < steps; ++p) {
      const int ni = order[size_t(p)];
      std::vector<int64_t> offsets;
      if (!concat_slices(g, g.nodes[size_t(ni)], alias, o, offsets)) continue;
      const Node& n = g.nodes[size_t(ni)];
      const int out = n.output(0);
      for (size_t k = 0; k < n.inputs.size(); ++k) {
        const int in = n.inputs[k];
        for (size_t v = 0; v < nv; ++v)
          if (alias[v] == in) {
            alias[v] = out;
            plan.alias_offset[v] += offsets[k]; // a nested Concat's slices keep their place
          }
        first[size_t(out)] = std::min(first[size_t(out)], first[size_t(in)]);
        last[size_t(out)] = std::max(last[size_t(out)], last[size_t(in)]);
        first[size_t(in)] = last[size_t(in)] = -1;
      }
      sliced[size_t(out)] = 1;
      plan.elided[size_t(ni)] = 1;
    }
  }

  std::vector<int64_t>& offset = plan.alias_offset;
  // Overlap groups of storages (roots): the group's first storage, and each storage's start
  // relative to it (may be negative until normalised below).
  std::vector<int> group(nv, -1);
  std::vector<int64_t> rel(nv, 0);
  if (o.inplace) {
    for (int p = 0; p < steps; ++p) {
      const int ni = order[size_t(p)];
      const Node& n = g.nodes[size_t(ni)];
      const OpDef* def = OpRegistry::instance().find(n.domain, n.op_type);
      if (!def || (!def->elementwise_inplace && !def->overlap_shift)) continue;
      int out = -1, outs = 0;
      for (int v : n.outputs)
        if (v >= 0) out = v, ++outs;
      if (outs != 1 || alias[size_t(out)] != out || !in_arena(g, out, o)) continue;
      if (def->overlap_shift) {
        // The output's storage joins r's overlap group, starting k bytes before input 0.
        const int in = n.input(0);
        if (in < 0) continue;
        const int r = alias[size_t(in)];
        if (!may_overlap(g, n, in, r, out, alias, last, sliced, p, o)) continue;
        const int64_t k = shifts.of(g, ni);
        if (k < 0) continue;
        // A group places its buffers rigidly; an overlap that shares little (less than a
        // quarter of the smaller tensor) would tie the output to the input for almost nothing.
        const int64_t xb = value_bytes(g.val(in)), yb = value_bytes(g.val(out));
        const int64_t shared = std::min(xb, yb - k);
        if (4 * shared < std::min(xb, yb)) continue;
        // Storage `out` joins r's group, k bytes before `in`; r ends here, `out` starts here.
        if (group[size_t(r)] < 0) group[size_t(r)] = r;
        group[size_t(out)] = group[size_t(r)];
        rel[size_t(out)] = rel[size_t(r)] + offset[size_t(in)] - k;
        plan.inplace_of[size_t(ni)] = in;
        plan.overlap_shift[size_t(ni)] = k;
        continue;
      }
      for (int in : n.inputs) {
        if (in < 0) continue;
        const int r = alias[size_t(in)];
        if (!may_overwrite(g, n, in, r, out, alias, offset, last, p, o)) continue;
        // The output takes exactly the input's bytes (wherever they are in the storage).
        merge_storage(alias, offset, out, r, offset[size_t(in)]);
        last[size_t(r)] = std::max(last[size_t(r)], last[size_t(out)]);
        first[size_t(out)] = last[size_t(out)] = -1;
        plan.inplace_of[size_t(ni)] = in;
        break;
      }
    }
  }

  // A storage spans its values: shift the offsets so the lowest is 0 (an overlapping output
  // may start before its input) and size it to the highest end.
  std::vector<int64_t> lo(nv, 0), hi(nv, 0);
  for (size_t v = 0; v < nv; ++v) {
    const size_t r = size_t(alias[v]);
    lo[r] = std::min(lo[r], offset[v]);
    hi[r] = std::max(hi[r], offset[v] + value_bytes(g.val(int(v))));
  }
  for (size_t v = 0; v < nv; ++v) offset[v] -= lo[size_t(alias[v])];
  for (size_t v = 0; v < nv; ++v) rel[v] += lo[v]; // a storage start moved by lo (roots only)
  // Each group's lowest start becomes 0.
  std::vector<int64_t> group_lo(nv, INT64_MAX);
  for (size_t v = 0; v < nv; ++v)
    if (group[v] >= 0 && alias[v] == int(v) && first[v] >= 0)
      group_lo[size_t(group[v])] = std::min(group_lo[size_t(group[v])], rel[v]);

  for (size_t v = 0; v < nv; ++v) {
    if (alias[v] != int(v) || first[v] < 0 || !in_arena(g, int(v), o)) continue;
    ArenaBuffer b;
    b.value_id = int(v);
    for (size_t w = 0; w < nv; ++w)
      if (alias[w] == int(v)) b.values.push_back(int(w));
    b.size = align_up(hi[v] - lo[v]);
    b.first = first[v];
    b.last = std::max(last[v], first[v]);
    if (group[v] >= 0) {
      b.group = group[v];
      b.group_offset = rel[v] - group_lo[size_t(group[v])];
    }
    plan.buffers.push_back(b);
  }
  for (int p = 0; p < steps; ++p) {
    const int ni = order[size_t(p)];
    const Node& n = g.nodes[size_t(ni)];
    if (is_view_node(g, n)) continue;
    const int64_t bytes = scratch_bytes_of(g, n);
    if (bytes <= 0) continue;
    ArenaBuffer b;
    b.scratch_of = ni;
    b.size = align_up(bytes);
    b.first = b.last = p;
    plan.buffers.push_back(b);
  }
  for (const auto& b : plan.buffers) plan.naive_bytes += b.size;
  return plan;
}

std::vector<Interval> intervals_of(const ArenaPlan& p) {
  std::vector<Interval> iv;
  for (const auto& b : p.buffers) iv.push_back({b.size, b.first, b.last, b.group, b.group_offset});
  return iv;
}

void place(ArenaPlan& plan, int effort) {
  const std::vector<Interval> iv = intervals_of(plan);
  plan.lower_bound = live_lower_bound(iv);
  Placement pl = place_buffers(iv, effort);
  for (size_t k = 0; k < plan.buffers.size(); ++k) plan.buffers[k].offset = pl.offsets[k];
  plan.arena_bytes = pl.arena;
  plan.method = pl.method;
}

// The scheduler's view of the graph: dependencies and the storage each node reads and creates.
std::vector<ScheduleNode> schedule_nodes(const Graph& g, const PlanOptions& o) {
  const std::vector<int> root = view_roots(g);
  std::vector<int> producer(g.values.size(), -1);
  for (size_t i = 0; i < g.nodes.size(); ++i)
    for (int v : g.nodes[i].outputs)
      if (v >= 0) producer[size_t(v)] = int(i);
  std::vector<ScheduleNode> sn(g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    for (int v : n.inputs) {
      if (v < 0) continue;
      if (producer[size_t(v)] >= 0) sn[i].preds.push_back(producer[size_t(v)]);
      const int r = root[size_t(v)];
      if (std::find(sn[i].reads.begin(), sn[i].reads.end(), r) == sn[i].reads.end())
        sn[i].reads.push_back(r);
    }
    for (int v : n.outputs)
      if (v >= 0 && root[size_t(v)] == v)
        sn[i].creates.push_back({v, in_arena(g, v, o) ? value_bytes(g.val(v)) : 0});
    if (!is_view_node(g, n)) sn[i].scratch = align_up(std::max<int64_t>(0, scratch_bytes_of(g, n)));
  }
  return sn;
}

} // namespace

ArenaPlan plan_arena(const Graph& g, const PlanOptions& o) {
  std::vector<int> graph_order(g.nodes.size());
  for (size_t i = 0; i < graph_order.size(); ++i) graph_order[i] = int(i);
  std::vector<std::vector<int>> candidates = {graph_order};
  if (o.schedule && g.nodes.size() > 2) candidates = candidate_schedules(schedule_nodes(g, o));

  // Each order gets a quick placement; the smallest arena (then lower bound) wins.
  size_t best = 0;
  std::tuple<int64_t, int64_t> best_key{INT64_MAX, INT64_MAX};
  ShiftCache shifts;
  if (candidates.size() > 1) {
    for (size_t c = 0; c < candidates.size(); ++c) {
      ArenaPlan p = build(g, candidates[c], o, shifts);
      place(p, 0);
      std::tuple<int64_t, int64_t> key{p.arena_bytes, p.lower_bound};
      if (key < best_key) best_key = key, best = c;
    }
  }
  ArenaPlan plan = build(g, candidates[best], o, shifts);
  place(plan, o.effort);
  return plan;
}

} // namespace tinyc
