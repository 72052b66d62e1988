// What an op's emitter sees while writing the body of NAME_run(): pointers to the storage of
// each value, kernel templates to pull in, and compile-time parameter structs.
#pragma once

#include "ir.h"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace tinyc {

// A compile-time parameter struct for one kernel call:
//   struct P7 { static constexpr int H = 32; static constexpr int32_t pads[4] = {1, 1, 1, 1}; };
// Kernels in templates/ take it as a template argument, so the target compiler specialises and
// unrolls every loop for the model's exact shapes.
class Params {
public:
  Params& i(const std::string& name, int64_t v);
  Params& f(const std::string& name, double v); // float member, exact literal
  Params& ints(const std::string& name, const std::vector<int64_t>& v);
  Params& floats(const std::string& name, const std::vector<float>& v);
  Params& type(const std::string& name, const std::string& ctype); // using name = ctype;
  std::string body() const;

private:
  std::vector<std::string> members_;
};

std::string float_literal(double v); // shortest exact "1.5f", "__builtin_inff()", ...
std::string double_literal(double v);
std::string int_literal(int64_t v, DType t); // typed literal for integer element types

// Where a value lives in the generated code.
struct Storage {
  enum Kind { Arena, Input, Output, Constant } kind = Arena;
  int index = 0;      // input/output position
  int64_t offset = 0; // arena byte offset
  std::string symbol; // constant array name
};

class EmitContext {
public:
  EmitContext(const Graph& g, std::string prefix);

  const Graph& graph() const { return g_; }
  // A typed C expression pointing at a value's elements: "in0", "w_conv1_weight",
  // "reinterpret_cast<float*>(mnist_arena + 128)". cptr() is the const-qualified form.
  std::string ptr(int value_id) const;
  std::string cptr(int value_id) const;
  // Pulls templates/NAME.h (and what it includes) into the output once.
  void use(const std::string& template_name);
  // Typed pointer to the current node's scratch buffer (OpDef::scratch_bytes).
  std::string scratch(DType t) const;
  // Declares a parameter struct and returns its name.
  std::string params(const Params& p);
  // Declares a static const array of the given element type and returns its name.
  std::string constant_array(DType t, const TensorData& data, const std::string& hint);
  // One statement (or several lines) of the run function body.
  void line(const std::string& code);
  void comment(const std::string& text);

  // Used by the emitter driver.
  void set_storage(int value_id, Storage s);
  void set_scratch_offset(int64_t offset) { scratch_offset_ = offset; }
  int64_t constant_bytes() const { return constant_bytes_; }
  const Storage& storage(int value_id) const;
  const std::vector<std::string>& templates() const { return templates_; }
  std::string decls() const { return const_decls_ + decls_; }
  const std::string& body() const { return body_; }
  const std::string& prefix() const { return prefix_; }

private:
  const Graph& g_;
  std::string prefix_;
  // Constants get their array on first use, so values read only at compile time (shapes,
  // axes) cost no flash.
  mutable std::map<int, Storage> storage_;
  mutable std::string const_decls_;
  mutable int64_t constant_bytes_ = 0;
  int64_t scratch_offset_ = -1;
  std::vector<std::string> templates_;
  std::set<std::string> template_set_;
  std::string decls_;
  std::string body_;
  int next_params_ = 0;
  int next_array_ = 0;
};

} // namespace tinyc
