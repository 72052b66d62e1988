// ConvTranspose kernel against the reference evaluator on odd shapes.
#include "compiler/evaluator.h"
#include "support/graph_builder.h"
#include "support/host_run.h"

#include <catch2/catch.hpp>

using namespace tinyc;
using namespace tinyc::test;

TEST_CASE("ConvTranspose matches the evaluator") {
  struct Case {
    const char* what;
    Shape x, w;
    bool bias;
    std::map<std::string, Attr> attrs;
    Shape expect;
  };
  const std::vector<Case> cases = {
      {"stride 2 pads output_padding",
       {1, 3, 5, 4},
       {3, 2, 3, 3},
       true,
       {{"strides", attr_ints({2, 2})},
        {"pads", attr_ints({1, 0, 1, 1})},
        {"output_padding", attr_ints({1, 0})}},
       {1, 2, 10, 8}},
      {"groups and dilation",
       {2, 4, 3, 5},
       {4, 3, 2, 3},
       false,
       {{"group", attr_i(2)}, {"dilations", attr_ints({2, 1})}, {"strides", attr_ints({1, 2})}},
       {2, 6, 5, 11}},
      {"output_shape larger than the full output",
       {1, 1, 3, 3},
       {1, 2, 3, 3},
       true,
       {{"strides", attr_ints({3, 2})}, {"output_shape", attr_ints({10, 8})}},
       {1, 2, 10, 8}},
      {"SAME_LOWER",
       {1, 2, 3, 4},
       {2, 1, 3, 2},
       true,
       {{"strides", attr_ints({2, 2})}, {"auto_pad", attr_s("SAME_LOWER")}},
       {1, 1, 6, 8}},
      {"1-D", {1, 2, 7}, {2, 3, 4}, true, {{"strides", attr_ints({3})}}, {1, 3, 22}},
  };
  uint32_t seed = 1;
  for (const auto& c : cases) {
    GraphBuilder b;
    int x = b.input("x", DType::F32, c.x);
    std::vector<int> ins = {x, b.constant("w", random_tensor(DType::F32, c.w, -1, 1, seed++))};
    const int64_t m = c.w[1] * (c.attrs.count("group") ? c.attrs.at("group").i : 1);
    if (c.bias) ins.push_back(b.constant("b", random_tensor(DType::F32, {m}, -1, 1, seed++)));
    b.output(b.node1("ConvTranspose", ins, c.attrs));
    Graph g = b.finish();
    std::vector<TensorData> in = {random_tensor(DType::F32, c.x, -2, 2, seed++)};
    auto ref = evaluate(g, in);
    auto got = compile_and_run(g, in).outputs;
    INFO(c.what);
    CHECK(ref[0].shape == c.expect);
    REQUIRE(ref[0].shape == got[0].shape);
    CHECK(max_abs_diff(ref[0], got[0]) <= 1e-5);
  }
}
