// Pooling kernels against the reference evaluator on odd shapes: strides, pads, dilations,
// ceil mode, auto_pad, count_include_pad, 1-D/3-D, global forms.
#include "compiler/evaluator.h"
#include "support/graph_builder.h"
#include "support/host_run.h"

#include <catch2/catch.hpp>

using namespace tinyc;
using namespace tinyc::test;

namespace {

void check_pool(const char* op, Shape xs, std::map<std::string, Attr> attrs, uint32_t seed,
                DType t = DType::F32, const std::string& flags = "") {
  GraphBuilder b;
  int x = b.input("x", t, xs);
  b.output(b.node1(op, {x}, attrs));
  Graph g = b.finish();
  std::vector<TensorData> in = {t == DType::F32 ? random_tensor(t, xs, -2, 2, seed)
                                                : random_tensor(t, xs, t == DType::I8 ? -128 : 0,
                                                                t == DType::I8 ? 127 : 255, seed)};
  auto ref = evaluate(g, in);
  auto got = compile_and_run(g, in, true, flags).outputs;
  INFO(op << " on " << shape_str(xs) << " " << flags);
  REQUIRE(ref[0].shape == got[0].shape);
  CHECK(max_abs_diff(ref[0], got[0]) <= 1e-6);
}

} // namespace

TEST_CASE("MaxPool, AveragePool and LpPool match the evaluator") {
  const std::vector<std::map<std::string, Attr>> attrs = {
      {{"kernel_shape", attr_ints({3, 2})},
       {"strides", attr_ints({2, 1})},
       {"pads", attr_ints({1, 0, 1, 1})}},
      {{"kernel_shape", attr_ints({3, 3})},
       {"strides", attr_ints({2, 2})},
       {"ceil_mode", attr_i(1)}},
      {{"kernel_shape", attr_ints({2, 3})},
       {"strides", attr_ints({2, 2})},
       {"auto_pad", attr_s("SAME_UPPER")}},
      {{"kernel_shape", attr_ints({3, 2})},
       {"strides", attr_ints({3, 2})},
       {"auto_pad", attr_s("SAME_LOWER")}},
      {{"kernel_shape", attr_ints({3, 3})},
       {"pads", attr_ints({1, 1, 1, 1})},
       {"count_include_pad", attr_i(1)},
       {"strides", attr_ints({2, 2})},
       {"ceil_mode", attr_i(1)}},
  };
  uint32_t seed = 1;
  for (const char* op : {"MaxPool", "AveragePool", "LpPool"})
    for (const auto& a : attrs) check_pool(op, {2, 3, 7, 5}, a, seed++);
  check_pool("MaxPool", {1, 2, 7, 6},
             {{"kernel_shape", attr_ints({2, 2})},
              {"dilations", attr_ints({2, 2})},
              {"pads", attr_ints({1, 1, 1, 1})}},
             40);
  check_pool("MaxPool", {1, 2, 9}, {{"kernel_shape", attr_ints({3})}, {"strides", attr_ints({2})}},
             41);
  check_pool("AveragePool", {1, 2, 4, 5, 3},
             {{"kernel_shape", attr_ints({2, 3, 2})}, {"pads", attr_ints({1, 1, 0, 0, 1, 1})}}, 42);
  check_pool("MaxPool", {1, 2, 5, 5},
             {{"kernel_shape", attr_ints({3, 3})}, {"pads", attr_ints({1, 1, 1, 1})}}, 43,
             DType::U8);
  check_pool("LpPool", {1, 2, 5, 5}, {{"kernel_shape", attr_ints({2, 2})}, {"p", attr_i(3)}}, 44);
  for (const char* op : {"GlobalMaxPool", "GlobalAveragePool", "GlobalLpPool"})
    check_pool(op, {2, 3, 5, 7}, {}, 50);
}

TEST_CASE("int8 MaxPool: the scalar and the four-lane DSP paths match the evaluator exactly") {
  // Widths leave blocks of four and tails; windows cross every border; stride 2 with even
  // and odd kernel widths (the odd last tap loads one byte past its window).
  const std::vector<std::map<std::string, Attr>> attrs = {
      {{"kernel_shape", attr_ints({2, 2})}, {"strides", attr_ints({2, 2})}},
      {{"kernel_shape", attr_ints({3, 3})}, {"pads", attr_ints({1, 1, 1, 1})}},
      {{"kernel_shape", attr_ints({3, 3})},
       {"strides", attr_ints({2, 2})},
       {"pads", attr_ints({1, 1, 1, 1})}},
      {{"kernel_shape", attr_ints({2, 5})},
       {"strides", attr_ints({1, 2})},
       {"ceil_mode", attr_i(1)}},
      {{"kernel_shape", attr_ints({3, 4})},
       {"strides", attr_ints({2, 1})},
       {"pads", attr_ints({0, 2, 1, 1})}},
      {{"kernel_shape", attr_ints({2, 2})}, {"dilations", attr_ints({1, 2})}},
      {{"kernel_shape", attr_ints({2, 3})}, {"strides", attr_ints({3, 3})}},
  };
  for (const char* flags : {"", "-DTK_EMULATE_DSP"}) {
    uint32_t seed = 60;
    for (const auto& a : attrs) check_pool("MaxPool", {1, 3, 9, 21}, a, seed++, DType::I8, flags);
    check_pool("MaxPool", {1, 2, 23},
               {{"kernel_shape", attr_ints({3})}, {"strides", attr_ints({2})}}, 70, DType::I8,
               flags);
    check_pool("MaxPool", {1, 2, 3, 5, 13},
               {{"kernel_shape", attr_ints({2, 2, 2})}, {"strides", attr_ints({1, 1, 1})}}, 71,
               DType::I8, flags);
    check_pool("GlobalMaxPool", {2, 3, 5, 7}, {}, 72, DType::I8, flags);
    check_pool("GlobalMaxPool", {1, 4, 3}, {}, 73, DType::I8, flags);
  }
}

TEST_CASE("MaxPool Indices match the evaluator in both storage orders") {
  for (int order : {0, 1}) {
    GraphBuilder b;
    int x = b.input("x", DType::F32, {2, 3, 7, 5});
    auto outs = b.node("MaxPool", {x}, 2,
                       {{"kernel_shape", attr_ints({3, 2})},
                        {"strides", attr_ints({2, 2})},
                        {"pads", attr_ints({1, 1, 1, 0})},
                        {"storage_order", attr_i(order)}});
    b.output(outs[0]);
    b.output(outs[1]);
    Graph g = b.finish();
    std::vector<TensorData> in = {
        random_tensor(DType::F32, {2, 3, 7, 5}, -2, 2, 60 + uint32_t(order))};
    auto ref = evaluate(g, in);
    auto got = compile_and_run(g, in).outputs;
    INFO("storage_order " << order);
    CHECK(max_abs_diff(ref[0], got[0]) == 0);
    CHECK(ref[1].bytes == got[1].bytes);
    // The index points at the maximum it reports.
    for (int64_t i = 0; i < ref[1].size(); ++i) {
      const int64_t k = ref[1].data<int64_t>()[i];
      const int64_t plane = k / 35, sp = k % 35;
      const int64_t h = order ? sp % 7 : sp / 5, w = order ? sp / 7 : sp % 5;
      CHECK(in[0].data<float>()[plane * 35 + h * 5 + w] == ref[0].data<float>()[i]);
    }
  }
}
