// Data-movement, indexing, reduction and resize kernels against the reference evaluator, on
// odd shapes and several dtypes. Several ops share one graph so one host build checks them all.
#include "compiler/evaluator.h"
#include "support/graph_builder.h"
#include "support/host_run.h"

#include <catch2/catch.hpp>

using namespace tinyc;
using namespace tinyc::test;

namespace {

// Builds, evaluates and runs; every output must match the evaluator exactly (or within tol).
void check_all(Graph g, const std::vector<TensorData>& in, double tol = 0) {
  auto ref = evaluate(g, in);
  auto got = compile_and_run(g, in).outputs;
  REQUIRE(ref.size() == got.size());
  for (size_t k = 0; k < ref.size(); ++k) {
    INFO("output " << k << " (" << g.val(g.outputs[k]).name << ")");
    REQUIRE(ref[k].shape == got[k].shape);
    if (tol == 0)
      CHECK(ref[k].bytes == got[k].bytes);
    else
      CHECK(max_abs_diff(ref[k], got[k]) <= tol);
  }
}

TensorData ints(DType t, Shape s, std::vector<int64_t> v) {
  TensorData r(t, std::move(s));
  for (size_t i = 0; i < v.size(); ++i) r.set_f64(int64_t(i), double(v[i]));
  return r;
}

} // namespace

TEST_CASE("affine movement ops match the evaluator") {
  for (DType t : {DType::F32, DType::I8, DType::I64}) {
    GraphBuilder b(13);
    int x = b.input("x", t, {3, 5, 7});
    int z = b.input("z", t, {3, 2, 7});
    b.output(b.node1("Transpose", {x}, {{"perm", attr_ints({2, 0, 1})}}));
    b.output(b.node1("Slice", {x, b.constant("st", tensor_i64({2}, {-1, 1})),
                               b.constant("en", tensor_i64({2}, {-100, 6})),
                               b.constant("ax", tensor_i64({2}, {1, 2})),
                               b.constant("sp", tensor_i64({2}, {-2, 2}))}));
    b.output(b.node1("Concat", {x, z, x}, {{"axis", attr_i(1)}}));
    auto parts =
        b.node("Split", {x, b.constant("sz", tensor_i64({2}, {3, 4}))}, 2, {{"axis", attr_i(-1)}});
    b.output(parts[0]);
    b.output(parts[1]);
    b.output(b.node1("Expand", {z, b.constant("es", tensor_i64({4}, {2, 1, 2, 1}))}));
    b.output(b.node1("Tile", {z, b.constant("rp", tensor_i64({3}, {2, 1, 3}))}));
    Graph g = b.finish();
    check_all(g, {random_tensor(t, {3, 5, 7}, -100, 100, 11),
                  random_tensor(t, {3, 2, 7}, -100, 100, 12)});
  }
}

TEST_CASE("slice with a negative step reverses") {
  GraphBuilder b(13);
  int x = b.input("x", DType::I32, {5});
  b.output(
      b.node1("Slice",
              {x, b.constant("st", tensor_i64({1}, {10})), b.constant("en", tensor_i64({1}, {-10})),
               b.constant("ax", tensor_i64({1}, {0})), b.constant("sp", tensor_i64({1}, {-1}))}));
  Graph g = b.finish();
  TensorData in = ints(DType::I32, {5}, {1, 2, 3, 4, 5});
  auto got = compile_and_run(g, {in}).outputs[0];
  CHECK(got.to_i64_vector() == std::vector<int64_t>{5, 4, 3, 2, 1});
  CHECK(evaluate(g, {in})[0].bytes == got.bytes);
}

TEST_CASE("depth/space rearrangements and pads match the evaluator") {
  GraphBuilder b(13);
  int x = b.input("x", DType::F32, {2, 8, 3, 5});
  int y = b.input("y", DType::F32, {1, 3, 4, 6});
  b.output(b.node1("DepthToSpace", {x}, {{"blocksize", attr_i(2)}, {"mode", attr_s("DCR")}}));
  b.output(b.node1("DepthToSpace", {x}, {{"blocksize", attr_i(2)}, {"mode", attr_s("CRD")}}));
  b.output(b.node1("SpaceToDepth", {y}, {{"blocksize", attr_i(2)}}));
  int pads = b.constant("pads", tensor_i64({8}, {0, 1, 2, 3, 0, 2, 1, 4}));
  for (const char* mode : {"constant", "edge", "reflect", "wrap"})
    b.output(b.node1("Pad", {y, pads, b.constant(std::string("v") + mode, tensor_f32({}, {1.5f}))},
                     {{"mode", attr_s(mode)}}));
  Graph g = b.finish();
  check_all(g, {random_tensor(DType::F32, {2, 8, 3, 5}, -1, 1, 3),
                random_tensor(DType::F32, {1, 3, 4, 6}, -1, 1, 4)});
}

TEST_CASE("reflect pad mirrors without repeating the edge") {
  GraphBuilder b(13);
  int x = b.input("x", DType::I32, {3});
  b.output(
      b.node1("Pad", {x, b.constant("p", tensor_i64({2}, {2, 3}))}, {{"mode", attr_s("reflect")}}));
  Graph g = b.finish();
  auto got = compile_and_run(g, {ints(DType::I32, {3}, {1, 2, 3})}).outputs[0];
  CHECK(got.to_i64_vector() == std::vector<int64_t>{3, 2, 1, 2, 3, 2, 1, 2});
}

TEST_CASE("gather and scatter clamp run-time indices like the evaluator") {
  GraphBuilder b(16);
  int x = b.input("x", DType::F32, {4, 5, 3});
  int idx = b.input("i", DType::I64, {2, 3});
  int eidx = b.input("e", DType::I32, {4, 2, 3});
  int upd = b.input("u", DType::F32, {4, 2, 3});
  int nd = b.input("nd", DType::I64, {3, 2});
  b.output(b.node1("Gather", {x, idx}, {{"axis", attr_i(1)}}));
  b.output(b.node1("GatherElements", {x, eidx}, {{"axis", attr_i(1)}}));
  b.output(b.node1("ScatterElements", {x, eidx, upd},
                   {{"axis", attr_i(1)}, {"reduction", attr_s("add")}}));
  b.output(b.node1("GatherND", {x, nd}));
  b.output(b.node1("ScatterND",
                   {x, nd, b.constant("ndu", random_tensor(DType::F32, {3, 3}, -1, 1, 9))},
                   {{"reduction", attr_s("mul")}}));
  Graph g = b.finish();
  // Indices beyond either end of their axis exercise the clamping.
  check_all(g, {random_tensor(DType::F32, {4, 5, 3}, -1, 1, 5),
                ints(DType::I64, {2, 3}, {0, -1, 4, 7, -9, 2}),
                random_tensor(DType::I32, {4, 2, 3}, -8, 8, 6),
                random_tensor(DType::F32, {4, 2, 3}, -1, 1, 7),
                ints(DType::I64, {3, 2}, {0, 4, -1, -2, 9, 1})});
}

TEST_CASE("reductions match the evaluator") {
  const std::vector<const char*> ops = {
      "ReduceSum", "ReduceMean", "ReduceProd",      "ReduceMax",    "ReduceMin",
      "ReduceL1",  "ReduceL2",   "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp"};
  GraphBuilder b(13);
  int x = b.input("x", DType::F32, {3, 4, 5});
  int xi = b.input("xi", DType::I32, {3, 4, 5});
  for (const char* op : ops)
    for (int keep : {0, 1}) {
      std::map<std::string, Attr> a = {{"keepdims", attr_i(keep)}};
      std::vector<int> in = {x};
      if (std::string(op) == "ReduceSum")
        in.push_back(
            b.constant(std::string("ax") + std::to_string(keep), tensor_i64({2}, {0, -1})));
      else
        a["axes"] = attr_ints({0, 2});
      b.output(b.node1(op, in, a));
    }
  b.output(b.node1("ReduceSum", {xi, b.constant("axi", tensor_i64({1}, {1}))}));
  b.output(b.node1("ReduceMax", {xi}, {{"axes", attr_ints({2})}, {"keepdims", attr_i(0)}}));
  b.output(b.node1("ArgMax", {xi}, {{"axis", attr_i(1)}, {"select_last_index", attr_i(1)}}));
  b.output(b.node1("ArgMin", {xi}, {{"axis", attr_i(2)}, {"keepdims", attr_i(0)}}));
  Graph g = b.finish();
  check_all(g,
            {random_tensor(DType::F32, {3, 4, 5}, 0.1, 1.5, 8),
             random_tensor(DType::I32, {3, 4, 5}, -3, 3, 9)},
            1e-6);
}

TEST_CASE("resize modes match the evaluator") {
  GraphBuilder b(13);
  int x = b.input("x", DType::F32, {1, 2, 3, 5});
  int roi = b.constant("roi", tensor_f32({8}, {0, 0, 0.2f, 0.1f, 1, 1, 0.9f, 1.2f}));
  int scales = b.constant("sc", tensor_f32({4}, {1, 1, 2.5f, 0.8f}));
  int none = b.constant("none", TensorData(DType::F32, {0}));
  int sizes = b.constant("sz", tensor_i64({4}, {1, 2, 7, 3}));
  struct Case {
    const char *mode, *coord;
    bool by_sizes;
  };
  const Case cases[] = {
      {"nearest", "half_pixel", false},       {"nearest", "asymmetric", true},
      {"linear", "half_pixel", false},        {"linear", "align_corners", true},
      {"linear", "pytorch_half_pixel", true}, {"cubic", "half_pixel", false},
      {"cubic", "asymmetric", true},          {"linear", "tf_crop_and_resize", true}};
  for (const Case& c : cases) {
    std::vector<int> in = {x, roi, c.by_sizes ? none : scales};
    if (c.by_sizes) in.push_back(sizes);
    b.output(b.node1("Resize", in,
                     {{"mode", attr_s(c.mode)},
                      {"coordinate_transformation_mode", attr_s(c.coord)},
                      {"extrapolation_value", attr_f(-7)}}));
  }
  Graph g = b.finish();
  check_all(g, {random_tensor(DType::F32, {1, 2, 3, 5}, -1, 1, 10)}, 1e-6);
}

TEST_CASE("axis-wise sequence ops match the evaluator") {
  GraphBuilder b(14);
  int x = b.input("x", DType::F32, {3, 7, 2});
  int xi = b.input("xi", DType::I64, {3, 7, 2});
  int oh = b.input("oh", DType::I64, {2, 3});
  auto tk = b.node("TopK", {xi, b.constant("k", tensor_i64({1}, {4}))}, 2, {{"axis", attr_i(1)}});
  b.output(tk[0]);
  b.output(tk[1]);
  auto tk2 = b.node("TopK", {x, b.constant("k2", tensor_i64({1}, {3}))}, 2,
                    {{"largest", attr_i(0)}, {"axis", attr_i(0)}});
  b.output(tk2[0]);
  b.output(tk2[1]);
  b.output(b.node1("CumSum", {x, b.constant("cax", tensor_i64({}, {1}))},
                   {{"exclusive", attr_i(1)}, {"reverse", attr_i(1)}}));
  b.output(b.node1(
      "OneHot",
      {oh, b.constant("depth", tensor_i64({}, {5})), b.constant("vals", tensor_f32({2}, {-1, 3}))},
      {{"axis", attr_i(1)}}));
  b.output(b.node1("Trilu", {x, b.constant("tk", tensor_i64({}, {-1}))}, {{"upper", attr_i(0)}}));
  b.output(b.node1("Shrink", {x}, {{"lambd", attr_f(0.3f)}, {"bias", attr_f(0.1f)}}));
  Graph g = b.finish();
  // Few distinct integers give ties, which must keep the lower index first.
  check_all(g,
            {random_tensor(DType::F32, {3, 7, 2}, -1, 1, 13),
             random_tensor(DType::I64, {3, 7, 2}, 0, 3, 14),
             ints(DType::I64, {2, 3}, {0, 4, -1, 5, -6, 2})},
            1e-6);
}

TEST_CASE("shape chains computed at compile time feed Reshape during inference") {
  GraphBuilder b(13);
  int x = b.input("x", DType::F32, {2, 3, 4});
  int s = b.node1("Shape", {x});
  int d0 = b.node1("Gather", {s, b.constant("i0", tensor_i64({}, {0}))}, {{"axis", attr_i(0)}});
  int d0u = b.node1("Unsqueeze", {d0, b.constant("ax", tensor_i64({1}, {0}))});
  int shp =
      b.node1("Concat", {d0u, b.constant("m1", tensor_i64({1}, {-1}))}, {{"axis", attr_i(0)}});
  int y = b.node1("Reshape", {x, shp});
  b.output(y);
  Graph g = b.finish();
  CHECK(g.val(y).shape == Shape{2, 12});
  TensorData in = random_tensor(DType::F32, {2, 3, 4}, -1, 1, 15);
  CHECK(compile_and_run(g, {in}).outputs[0].bytes == in.bytes);
}
