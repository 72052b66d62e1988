// IR basics: tensors, shapes, attributes, graph bookkeeping.
#include "compiler/diagnostics.h"
#include "compiler/ir.h"
#include "compiler/onnx_import.h"

#include <catch2/catch.hpp>

using namespace tinyc;

TEST_CASE("parse_shape reads dims and rejects junk") {
  CHECK(parse_shape("1x3x32x32") == Shape{1, 3, 32, 32});
  CHECK(parse_shape("scalar").empty());
  CHECK_THROWS_AS(parse_shape("1x-3"), CompileError);
  CHECK_THROWS_AS(parse_shape("1xx3"), CompileError);
  CHECK_THROWS_AS(parse_shape("abc"), CompileError);
}

TEST_CASE("TensorData converts elements and refuses absurd sizes") {
  TensorData t(DType::I8, {2, 2});
  t.set_f64(0, 300); // saturates
  t.set_f64(1, -300);
  t.set_f64(2, 7.9); // truncates toward zero like a C cast
  CHECK(t.get_i64(0) == 127);
  CHECK(t.get_i64(1) == -128);
  CHECK(t.get_i64(2) == 7);
  CHECK_THROWS_AS(TensorData(DType::F32, {1 << 20, 1 << 20}), CompileError);
  CHECK_THROWS_AS(TensorData(DType::F32, {-1}), CompileError);
  TensorData f(DType::F32, {1});
  f.data<float>()[0] = NAN;
  CHECK(f.get_i64(0) == 0); // no undefined float->int conversion
}

TEST_CASE("Graph compact drops cleared nodes and recomputes producers") {
  Graph g;
  Value a;
  a.name = "a";
  int ia = g.add_value(a);
  Value b;
  b.name = "b";
  int ib = g.add_value(b);
  Node n1;
  n1.op_type = "Relu";
  n1.inputs = {ia};
  n1.outputs = {ib};
  Node n2 = n1;
  n2.op_type.clear();
  g.nodes = {n2, n1};
  g.compact();
  REQUIRE(g.nodes.size() == 1);
  CHECK(g.val(ib).producer == 0);
  CHECK(g.unique_name("a") == "a_1");
  CHECK(g.consumers()[size_t(ia)] == std::vector<int>{0});
}
