// Each graph pass on small graphs: the structure it leaves behind, and that the reference
// evaluator gives the same outputs before and after it.
//
// Some tests need ops that live in other op families (Gather/Concat, Clip/LeakyRelu, Conv,
// BatchNormalization, Gemm). They carry a tag ([needs-gather], ...) and, while the op is not
// registered, warn and return instead of failing; once the op exists they run in full.
#include "compiler/diagnostics.h"
#include "compiler/evaluator.h"
#include "compiler/op_registry.h"
#include "passes/passes.h"
#include "support/graph_builder.h"

#include <catch2/catch.hpp>

#include <limits>

using namespace tinyc;
using namespace tinyc::test;

namespace {

bool have_ops(std::initializer_list<const char*> ops) {
  for (const char* op : ops)
    if (!OpRegistry::instance().find("", op)) {
      WARN("op " << op << " is not registered yet; test skipped");
      return false;
    }
  return true;
}

const Node& only_node(const Graph& g, const std::string& op) {
  for (const Node& n : g.nodes)
    if (n.op_type == op) return n;
  FAIL("no " << op << " node left");
  return g.nodes.front();
}

// Runs `pass` on a copy of g and checks that the outputs do not change.
Graph apply_and_compare(const Graph& g, void (*pass)(Graph&), const std::vector<TensorData>& in,
                        double tol = 0) {
  Graph after = g;
  pass(after);
  auto want = evaluate(g, in);
  auto got = evaluate(after, in);
  REQUIRE(want.size() == got.size());
  for (size_t k = 0; k < want.size(); ++k) {
    REQUIRE(want[k].shape == got[k].shape);
    REQUIRE(want[k].dtype == got[k].dtype);
    CHECK(max_abs_diff(want[k], got[k]) <= tol);
  }
  return after;
}

// The graph as built, before infer_shapes (which folds constants itself as it goes), so that
// fold_constants has something to do.
Graph unfolded(GraphBuilder& b) {
  check_supported(b.graph());
  return b.graph();
}

TensorData scalar_i64(int64_t v) {
  TensorData t(DType::I64, {});
  t.data<int64_t>()[0] = v;
  return t;
}

} // namespace

// ------------------------------------------------------------------------------- fold_constants

TEST_CASE("fold_constants computes nodes whose inputs are all constant", "[passes][fold]") {
  GraphBuilder b;
  int x = b.input("x", DType::F32, {3, 5});
  int c1 = b.constant("c1", random_tensor(DType::F32, {5}, -1, 1, 1));
  int c2 = b.constant("c2", random_tensor(DType::F32, {3, 1}, -1, 1, 2));
  int sum = b.node1("Add", {c1, c2}); // constant [3, 5]
  int neg = b.node1("Neg", {sum});    // constant
  b.output(b.node1("Mul", {x, neg})); // depends on the input: stays
  Graph g = unfolded(b);
  Graph after = apply_and_compare(g, fold_constants, {random_tensor(DType::F32, {3, 5}, -2, 2, 3)});
  REQUIRE(after.nodes.size() == 1);
  infer_shapes(after);
  const Node& mul = only_node(after, "Mul");
  const Value& folded = after.val(mul.inputs[1]);
  REQUIRE(folded.constant);
  CHECK(folded.shape == Shape{3, 5});
  const float want = -(g.val(c1).constant->data<float>()[4] + g.val(c2).constant->data<float>()[2]);
  CHECK(folded.constant->data<float>()[2 * 5 + 4] == want);
}

TEST_CASE("fold_constants turns Shape of a static input into a constant", "[passes][fold]") {
  GraphBuilder b;
  int x = b.input("x", DType::F32, {2, 3, 4});
  int y = b.input("y", DType::F32, {6, 4});
  int shape = b.node1("Shape", {x});
  b.output(b.node1("Reshape", {y, shape}));
  Graph g = unfolded(b);
  Graph after = apply_and_compare(g, fold_constants,
                                  {random_tensor(DType::F32, {2, 3, 4}, -1, 1, 4),
                                   random_tensor(DType::F32, {6, 4}, -1, 1, 5)});
  REQUIRE(after.nodes.size() == 1);
  infer_shapes(after);
  const Node& r = only_node(after, "Reshape");
  REQUIRE(after.val(r.inputs[1]).constant);
  CHECK(after.val(r.inputs[1]).constant->to_i64_vector() == std::vector<int64_t>{2, 3, 4});
  CHECK(after.val(r.outputs[0]).shape == Shape{2, 3, 4});
}

TEST_CASE("fold_constants leaves nodes that read a model input alone", "[passes][fold]") {
  GraphBuilder b;
  int x = b.input("x", DType::F32, {4});
  int a = b.node1("Abs", {x});
  b.output(b.node1("Exp", {a}));
  Graph g = unfolded(b);
  Graph after = apply_and_compare(g, fold_constants, {random_tensor(DType::F32, {4}, -1, 1, 6)});
  CHECK(after.nodes.size() == 2);
}

// What PyTorch's exporter writes for x.view(x.size(0), -1).
TEST_CASE("fold_constants resolves a Shape->Gather->Unsqueeze->Concat->Reshape chain",
          "[passes][fold][needs-gather]") {
  if (!have_ops({"Gather", "Concat", "Unsqueeze"})) return;
  GraphBuilder b(13);
  int x = b.input("x", DType::F32, {2, 3, 4, 5});
  int shape = b.node1("Shape", {x});
  int batch = b.node1("Gather", {shape, b.constant("zero", scalar_i64(0))}, {{"axis", attr_i(0)}});
  int axes = b.constant("axes", tensor_i64({1}, {0}));
  int batch1 = b.node1("Unsqueeze", {batch, axes});
  int target = b.node1("Concat", {batch1, b.constant("minus_one", tensor_i64({1}, {-1}))},
                       {{"axis", attr_i(0)}});
  int flat = b.node1("Reshape", {x, target});
  b.output(b.node1("Relu", {flat}));
  Graph g = unfolded(b);
  Graph after =
      apply_and_compare(g, fold_constants, {random_tensor(DType::F32, {2, 3, 4, 5}, -1, 1, 7)});
  REQUIRE(after.nodes.size() == 2);
  infer_shapes(after);
  const Node& r = only_node(after, "Reshape");
  REQUIRE(after.val(r.inputs[1]).constant);
  CHECK(after.val(r.inputs[1]).constant->to_i64_vector() == std::vector<int64_t>{2, -1});
  CHECK(after.val(r.outputs[0]).shape == Shape{2, 60});
  CHECK(count_ops(after, "Shape") == 0);
  CHECK(count_ops(after, "Gather") == 0);
  CHECK(count_ops(after, "Concat") == 0);
}

TEST_CASE("infer_shapes folds a shape computation the next shape depends on",
          "[passes][fold][shapes]") {
  GraphBuilder b;
  int x = b.input("x", DType::F32, {2, 3, 4});
  int y = b.input("y", DType::F32, {6, 4});
  int shape = b.node1("Shape", {x});
  int r = b.node1("Reshape", {y, shape});
  b.output(b.node1("Relu", {r}));
  Graph g = b.finish(); // runs infer_shapes, which must not need fold_constants first
  CHECK(g.val(r).shape == Shape{2, 3, 4});
  CHECK(count_ops(g, "Shape") == 0);
  CHECK(g.nodes.size() == 2);
}

TEST_CASE("infer_shapes resolves the PyTorch flatten chain",
          "[passes][fold][shapes][needs-gather]") {
  if (!have_ops({"Gather", "Concat", "Unsqueeze"})) return;
  GraphBuilder b(13);
  int x = b.input("x", DType::F32, {3, 2, 5});
  int shape = b.node1("Shape", {x});
  int batch = b.node1("Gather", {shape, b.constant("zero", scalar_i64(0))}, {{"axis", attr_i(0)}});
  int batch1 = b.node1("Unsqueeze", {batch, b.constant("axes", tensor_i64({1}, {0}))});
  int target = b.node1("Concat", {batch1, b.constant("minus_one", tensor_i64({1}, {-1}))},
                       {{"axis", attr_i(0)}});
  int flat = b.node1("Reshape", {x, target});
  b.output(flat);
  Graph g = b.finish();
  CHECK(g.val(flat).shape == Shape{3, 10});
  CHECK(g.nodes.size() == 1);
}

// ------------------------------------------------------------------------------ remove_identity

TEST_CASE("remove_identity bypasses inner Identity and Dropout nodes", "[passes][identity]") {
  GraphBuilder b;
  int x = b.input("x", DType::F32, {7});
  int i1 = b.node1("Identity", {x});
  int r = b.node1("Relu", {i1});
  int d = b.node1("Dropout", {r});
  b.output(b.node1("Neg", {d}));
  Graph g = b.finish();
  Graph after = apply_and_compare(g, remove_identity, {random_tensor(DType::F32, {7}, -1, 1, 8)});
  REQUIRE(after.nodes.size() == 2);
  CHECK(only_node(after, "Relu").inputs[0] == x);
  CHECK(only_node(after, "Neg").inputs[0] == r);
}

TEST_CASE("remove_identity keeps an Identity that writes a graph output", "[passes][identity]") {
  GraphBuilder b;
  int x = b.input("x", DType::F32, {2, 3});
  int r = b.node1("Relu", {x});
  int out = b.node1("Identity", {r});
  b.output(out);
  b.output(r); // the Relu result is an output too
  Graph g = b.finish();
  Graph after =
      apply_and_compare(g, remove_identity, {random_tensor(DType::F32, {2, 3}, -1, 1, 9)});
  REQUIRE(after.nodes.size() == 2);
  CHECK(after.outputs == std::vector<int>{out, r});
  CHECK(after.val(out).name == g.val(out).name);
  CHECK(after.val(out).producer >= 0);
}

TEST_CASE("remove_identity keeps a Dropout whose mask is read", "[passes][identity]") {
  GraphBuilder b(12);
  int x = b.input("x", DType::F32, {5});
  auto outs = b.node("Dropout", {x}, 2);
  b.output(b.node1("Abs", {outs[0]}));
  b.output(outs[1]);
  // Shapes are not needed: only the structure matters here.
  Graph g = b.graph();
  remove_identity(g);
  CHECK(count_ops(g, "Dropout") == 1);
}

// ------------------------------------------------------------------------- eliminate_dead_nodes

TEST_CASE("eliminate_dead_nodes drops chains nobody reads", "[passes][dce]") {
  GraphBuilder b;
  int x = b.input("x", DType::F32, {3, 3});
  int a = b.node1("Abs", {x});
  int dead1 = b.node1("Exp", {a});
  b.node1("Neg", {dead1}); // reads a dead value: dead too
  b.output(b.node1("Sigmoid", {a}));
  Graph g = b.finish();
  Graph after =
      apply_and_compare(g, eliminate_dead_nodes, {random_tensor(DType::F32, {3, 3}, -1, 1, 10)});
  REQUIRE(after.nodes.size() == 2);
  CHECK(count_ops(after, "Exp") == 0);
  CHECK(count_ops(after, "Neg") == 0);
  CHECK(after.val(after.outputs[0]).producer == 1);
}

TEST_CASE("eliminate_dead_nodes keeps a node when any of its outputs is used", "[passes][dce]") {
  GraphBuilder b;
  int x = b.input("x", DType::F32, {4});
  int a = b.node1("Abs", {x});
  b.output(a);
  b.output(b.node1("Tanh", {a}));
  Graph g = b.finish();
  Graph after =
      apply_and_compare(g, eliminate_dead_nodes, {random_tensor(DType::F32, {4}, -1, 1, 11)});
  CHECK(after.nodes.size() == 2);
}

// ------------------------------------------------------------------------------ fuse_activation

TEST_CASE("fuse_activation merges Relu into the Add before it", "[passes][fuse]") {
  GraphBuilder b;
  int x = b.input("x", DType::F32, {2, 5}), y = b.input("y", DType::F32, {5});
  int s = b.node1("Add", {x, y});
  int r = b.node1("Relu", {s});
  b.output(r);
  Graph g = b.finish();
  Graph after = apply_and_compare(
      g, fuse_activation,
      {random_tensor(DType::F32, {2, 5}, -2, 2, 12), random_tensor(DType::F32, {5}, -2, 2, 13)});
  REQUIRE(after.nodes.size() == 1);
  const Node& add = only_node(after, "Add");
  CHECK(add.act.kind == ActKind::Relu);
  CHECK(add.outputs[0] == r); // the fused node writes the activation's result
}

TEST_CASE("fuse_activation merges Clip and LeakyRelu", "[passes][fuse][needs-clip]") {
  if (!have_ops({"Clip", "LeakyRelu"})) return;
  std::vector<TensorData> in = {random_tensor(DType::F32, {3, 4}, -8, 8, 14),
                                random_tensor(DType::F32, {4}, -8, 8, 15)};
  SECTION("Clip with constant bounds (opset 11+)") {
    GraphBuilder b;
    int x = b.input("x", DType::F32, {3, 4}), y = b.input("y", DType::F32, {4});
    int s = b.node1("Sub", {x, y});
    b.output(
        b.node1("Clip", {s, b.constant("lo", scalar_f32(-1.5f)), b.constant("hi", scalar_f32(6))}));
    Graph after = apply_and_compare(b.finish(), fuse_activation, in);
    REQUIRE(after.nodes.size() == 1);
    CHECK(after.nodes[0].act.kind == ActKind::Clip);
    CHECK(after.nodes[0].act.alpha == -1.5f);
    CHECK(after.nodes[0].act.beta == 6.0f);
  }
  SECTION("Clip with only a max bound") {
    GraphBuilder b;
    int x = b.input("x", DType::F32, {3, 4}), y = b.input("y", DType::F32, {4});
    int s = b.node1("Add", {x, y});
    b.output(b.node1("Clip", {s, -1, b.constant("hi", scalar_f32(2))}));
    Graph after = apply_and_compare(b.finish(), fuse_activation, in);
    REQUIRE(after.nodes.size() == 1);
    CHECK(after.nodes[0].act.alpha == -std::numeric_limits<float>::infinity());
  }
  SECTION("Clip with bounds computed at run time is not fused") {
    GraphBuilder b;
    int x = b.input("x", DType::F32, {3, 4}), y = b.input("y", DType::F32, {4});
    int lo = b.input("lo", DType::F32, {});
    int s = b.node1("Add", {x, y});
    b.output(b.node1("Clip", {s, lo}));
    Graph after = apply_and_compare(b.finish(), fuse_activation, {in[0], in[1], scalar_f32(0.25f)});
    CHECK(after.nodes.size() == 2);
  }
  SECTION("LeakyRelu keeps its alpha") {
    GraphBuilder b;
    int x = b.input("x", DType::F32, {3, 4}), y = b.input("y", DType::F32, {4});
    int s = b.node1("Mul", {x, y});
    b.output(b.node1("LeakyRelu", {s}, {{"alpha", attr_f(0.3f)}}));
    Graph after = apply_and_compare(b.finish(), fuse_activation, in);
    REQUIRE(after.nodes.size() == 1);
    CHECK(after.nodes[0].act.kind == ActKind::LeakyRelu);
    CHECK(after.nodes[0].act.alpha == 0.3f);
  }
}

TEST_CASE("fuse_activation does not fuse when the intermediate is needed", "[passes][fuse]") {
  std::vector<TensorData> in = {random_tensor(DType::F32, {2, 3}, -2, 2, 16),
                                random_tensor(DType::F32, {2, 3}, -2, 2, 17)};
  SECTION("the Add result is a graph output") {
    GraphBuilder b;
    int x = b.input("x", DType::F32, {2, 3}), y = b.input("y", DType::F32, {2, 3});
    int s = b.node1("Add", {x, y});
    b.output(b.node1("Relu", {s}));
    b.output(s);
    Graph after = apply_and_compare(b.finish(), fuse_activation, in);
    CHECK(after.nodes.size() == 2);
    CHECK(only_node(after, "Add").act.kind == ActKind::None);
  }
  SECTION("the Add result has two consumers") {
    GraphBuilder b;
    int x = b.input("x", DType::F32, {2, 3}), y = b.input("y", DType::F32, {2, 3});
    int s = b.node1("Add", {x, y});
    int r = b.node1("Relu", {s});
    b.output(b.node1("Mul", {r, s}));
    Graph after = apply_and_compare(b.finish(), fuse_activation, in);
    CHECK(after.nodes.size() == 3);
    CHECK(only_node(after, "Add").act.kind == ActKind::None);
  }
  SECTION("the producer cannot apply an activation") {
    GraphBuilder b;
    int x = b.input("x", DType::F32, {2, 3}), y = b.input("y", DType::F32, {2, 3});
    int s = b.node1("Add", {x, y});
    int a = b.node1("Neg", {s});
    b.output(b.node1("Relu", {a}));
    Graph after = apply_and_compare(b.finish(), fuse_activation, in);
    CHECK(after.nodes.size() == 3);
  }
  SECTION("an integer Add is not fused") {
    GraphBuilder b;
    int x = b.input("x", DType::I32, {4}), y = b.input("y", DType::I32, {4});
    int s = b.node1("Add", {x, y});
    b.output(b.node1("Relu", {s}));
    Graph after = apply_and_compare(
        b.finish(), fuse_activation,
        {random_tensor(DType::I32, {4}, -9, 9, 18), random_tensor(DType::I32, {4}, -9, 9, 19)});
    CHECK(after.nodes.size() == 2);
  }
}

// ------------------------------------------------------------------------------- fold_batchnorm

namespace {
std::map<std::string, Attr> conv_attrs() {
  return {{"kernel_shape", attr_ints({3, 3})}, {"pads", attr_ints({1, 1, 1, 1})}};
}
std::vector<int> bn_params(GraphBuilder& b, int64_t c, uint32_t seed) {
  return {b.constant("gamma", random_tensor(DType::F32, {c}, 0.5, 2, seed)),
          b.constant("beta", random_tensor(DType::F32, {c}, -1, 1, seed + 1)),
          b.constant("mean", random_tensor(DType::F32, {c}, -1, 1, seed + 2)),
          b.constant("var", random_tensor(DType::F32, {c}, 0.1, 3, seed + 3))};
}
} // namespace

TEST_CASE("fold_batchnorm merges BatchNormalization into Conv", "[passes][bn][needs-conv]") {
  if (!have_ops({"Conv", "BatchNormalization"})) return;
  for (bool with_bias : {false, true}) {
    GraphBuilder b;
    int x = b.input("x", DType::F32, {1, 3, 7, 6});
    int w = b.constant("w", random_tensor(DType::F32, {5, 3, 3, 3}, -1, 1, 20));
    std::vector<int> conv_in = {x, w};
    if (with_bias) conv_in.push_back(b.constant("bias", random_tensor(DType::F32, {5}, -1, 1, 21)));
    int y = b.node1("Conv", conv_in, conv_attrs());
    auto p = bn_params(b, 5, 22);
    int z =
        b.node1("BatchNormalization", {y, p[0], p[1], p[2], p[3]}, {{"epsilon", attr_f(1e-3f)}});
    b.output(b.node1("Relu", {z}));
    Graph g = b.finish();
    INFO("bias: " << with_bias);
    Graph after = apply_and_compare(g, fold_batchnorm,
                                    {random_tensor(DType::F32, {1, 3, 7, 6}, -1, 1, 26)}, 1e-4);
    CHECK(after.nodes.size() == 2);
    CHECK(count_ops(after, "BatchNormalization") == 0);
    const Node& conv = only_node(after, "Conv");
    CHECK(conv.outputs[0] == z);
    REQUIRE(conv.inputs.size() == 3);
    CHECK(after.val(conv.inputs[1]).constant);
    CHECK(after.val(conv.inputs[2]).constant);
  }
}

TEST_CASE("fold_batchnorm leaves a Conv whose result is also used elsewhere",
          "[passes][bn][needs-conv]") {
  if (!have_ops({"Conv", "BatchNormalization"})) return;
  GraphBuilder b;
  int x = b.input("x", DType::F32, {1, 2, 5, 5});
  int w = b.constant("w", random_tensor(DType::F32, {4, 2, 3, 3}, -1, 1, 30));
  int y = b.node1("Conv", {x, w}, conv_attrs());
  auto p = bn_params(b, 4, 31);
  int z = b.node1("BatchNormalization", {y, p[0], p[1], p[2], p[3]});
  b.output(b.node1("Add", {z, y}));
  Graph after = apply_and_compare(b.finish(), fold_batchnorm,
                                  {random_tensor(DType::F32, {1, 2, 5, 5}, -1, 1, 35)});
  CHECK(count_ops(after, "BatchNormalization") == 1);
}

TEST_CASE("fold_batchnorm merges BatchNormalization into Gemm", "[passes][bn][needs-gemm]") {
  if (!have_ops({"Gemm", "BatchNormalization"})) return;
  GraphBuilder b;
  int x = b.input("x", DType::F32, {3, 6});
  int w = b.constant("w", random_tensor(DType::F32, {4, 6}, -1, 1, 40));
  int c = b.constant("c", random_tensor(DType::F32, {4}, -1, 1, 41));
  int y = b.node1("Gemm", {x, w, c}, {{"transB", attr_i(1)}, {"beta", attr_f(0.5f)}});
  auto p = bn_params(b, 4, 42);
  b.output(b.node1("BatchNormalization", {y, p[0], p[1], p[2], p[3]}));
  Graph after = apply_and_compare(b.finish(), fold_batchnorm,
                                  {random_tensor(DType::F32, {3, 6}, -1, 1, 46)}, 1e-4);
  REQUIRE(after.nodes.size() == 1);
  CHECK(after.nodes[0].op_type == "Gemm");
}

// --------------------------------------------------------------------------------- infer_shapes

TEST_CASE("infer_shapes reports bad shapes with the node's name", "[passes][shapes]") {
  SECTION("incompatible broadcast") {
    GraphBuilder b;
    int x = b.input("x", DType::F32, {2, 3}), y = b.input("y", DType::F32, {4});
    b.output(b.node1("Add", {x, y}));
    REQUIRE_THROWS_WITH(b.finish(), Catch::Contains("Add_0"));
  }
  SECTION("Reshape to a different element count") {
    GraphBuilder b;
    int x = b.input("x", DType::F32, {3, 4});
    b.output(b.node1("Reshape", {x, b.constant("s", tensor_i64({2}, {5, 5}))}));
    REQUIRE_THROWS_WITH(b.finish(), Catch::Contains("Reshape_0") && Catch::Contains("12"));
  }
  SECTION("Reshape to an absurd size") {
    GraphBuilder b;
    int x = b.input("x", DType::F32, {3, 4});
    int64_t big = int64_t(1) << 40;
    b.output(b.node1("Reshape", {x, b.constant("s", tensor_i64({2}, {big, big}))}));
    REQUIRE_THROWS_AS(b.finish(), CompileError);
  }
  SECTION("an input whose shape is unknown") {
    GraphBuilder b;
    int x = b.input("x", DType::F32, {3});
    b.graph().val(x).shape_known = false;
    b.output(b.node1("Relu", {x}));
    REQUIRE_THROWS_WITH(b.finish(), Catch::Contains("'x'") && Catch::Contains("not known"));
  }
  SECTION("an input too large for any target") {
    GraphBuilder b;
    int x = b.input("x", DType::F32, {int64_t(1) << 20, int64_t(1) << 20});
    b.output(b.node1("Relu", {x}));
    REQUIRE_THROWS_WITH(b.finish(), Catch::Contains("'x'") && Catch::Contains("too large"));
  }
  SECTION("an input whose element count overflows int64") {
    GraphBuilder b;
    int x = b.input("x", DType::F32, {int64_t(1) << 40, int64_t(1) << 40, 16});
    b.output(b.node1("Relu", {x}));
    REQUIRE_THROWS_WITH(b.finish(), Catch::Contains("too large"));
  }
  SECTION("a negative dimension") {
    GraphBuilder b;
    int x = b.input("x", DType::F32, {3, -2});
    b.output(b.node1("Relu", {x}));
    REQUIRE_THROWS_WITH(b.finish(), Catch::Contains("'x'") && Catch::Contains("negative"));
  }
  SECTION("an unsupported op is reported by check_supported, every one at once") {
    GraphBuilder b;
    int x = b.input("x", DType::F32, {3});
    int a = b.node1("NoSuchOp", {x});
    b.output(b.node1("AlsoMissing", {a}));
    try {
      b.finish();
      FAIL("no error");
    } catch (const CompileErrors& e) {
      REQUIRE(e.messages.size() == 3);
      CHECK_THAT(e.messages[0], Catch::Contains("NoSuchOp_0") && Catch::Contains("not supported"));
      CHECK_THAT(e.messages[1], Catch::Contains("AlsoMissing_1"));
      CHECK_THAT(e.messages[2], Catch::Contains("2 unsupported"));
    }
  }
}

TEST_CASE("infer_shapes fills in shapes the importer could not", "[passes][shapes]") {
  GraphBuilder b;
  int x = b.input("x", DType::F32, {2, 3, 4});
  int f = b.node1("Flatten", {x}, {{"axis", attr_i(2)}});
  int u = b.node1("Unsqueeze", {f, b.constant("axes", tensor_i64({1}, {1}))});
  b.output(u);
  Graph g = b.finish();
  CHECK(g.val(f).shape == Shape{6, 4});
  CHECK(g.val(u).shape == Shape{6, 1, 4});
  CHECK(g.val(u).dtype == DType::F32);
}
