#include "emit_context.h"

#include "diagnostics.h"

#include <cmath>
#include <limits>

namespace tinyc {

std::string float_literal(double v) {
  if (std::isnan(v)) return "__builtin_nanf(\"\")";
  if (std::isinf(v)) return v > 0 ? "__builtin_inff()" : "(-__builtin_inff())";
  std::string s = fmt::format("{}", float(v));
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s + "f";
}

std::string double_literal(double v) {
  if (std::isnan(v)) return "__builtin_nan(\"\")";
  if (std::isinf(v)) return v > 0 ? "__builtin_inf()" : "(-__builtin_inf())";
  std::string s = fmt::format("{}", v);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

std::string int_literal(int64_t v, DType t) {
  switch (t) {
  case DType::I64:
    if (v == std::numeric_limits<int64_t>::min()) return "(-INT64_C(9223372036854775807) - 1)";
    return fmt::format("INT64_C({})", v);
  case DType::U64:
    return fmt::format("UINT64_C({})", uint64_t(v));
  case DType::U32:
    return fmt::format("{}u", uint32_t(v));
  case DType::I32:
    if (v == std::numeric_limits<int32_t>::min()) return "(-2147483647 - 1)";
    return fmt::format("{}", v);
  case DType::Bool:
    return v ? "true" : "false";
  default:
    return fmt::format("{}", v);
  }
}

Params& Params::i(const std::string& name, int64_t v) {
  if (v > std::numeric_limits<int32_t>::max() || v < std::numeric_limits<int32_t>::min())
    members_.push_back(
        fmt::format("static constexpr int64_t {} = {};", name, int_literal(v, DType::I64)));
  else
    members_.push_back(fmt::format("static constexpr int {} = {};", name, v));
  return *this;
}

Params& Params::f(const std::string& name, double v) {
  members_.push_back(fmt::format("static constexpr float {} = {};", name, float_literal(v)));
  return *this;
}

Params& Params::ints(const std::string& name, const std::vector<int64_t>& v) {
  bool wide = false;
  for (int64_t x : v)
    wide |= x > std::numeric_limits<int32_t>::max() || x < std::numeric_limits<int32_t>::min();
  std::string s = fmt::format("static constexpr {} {}[{}] = {{", wide ? "int64_t" : "int32_t", name,
                              v.empty() ? 1 : v.size());
  if (v.empty()) s += "0";
  for (size_t k = 0; k < v.size(); ++k)
    s += (k ? ", " : "") + int_literal(v[k], wide ? DType::I64 : DType::I32);
  members_.push_back(s + "};");
  return *this;
}

Params& Params::floats(const std::string& name, const std::vector<float>& v) {
  std::string s = fmt::format("static constexpr float {}[{}] = {{", name, v.empty() ? 1 : v.size());
  if (v.empty()) s += "0.0f";
  for (size_t k = 0; k < v.size(); ++k) s += (k ? ", " : "") + float_literal(v[k]);
  members_.push_back(s + "};");
  return *this;
}

Params& Params::type(const std::string& name, const std::string& ctype) {
  members_.push_back(fmt::format("using {} = {};", name, ctype));
  return *this;
}

std::string Params::body() const {
  std::string s;
  for (const auto& m : members_) s += "  " + m + "\n";
  return s;
}

// Formats elements of a constant as C literals, a fixed number per line.
static std::string array_initializer(DType t, const TensorData& d) {
  std::string s;
  const int64_t n = d.size();
  for (int64_t k = 0; k < n; ++k) {
    if (k % 12 == 0) s += "\n  ";
    if (t == DType::F32)
      s += float_literal(d.get_f64(k));
    else if (t == DType::F64)
      s += double_literal(d.get_f64(k));
    else
      s += int_literal(d.get_i64(k), t);
    s += ",";
    if (k % 12 != 11 && k + 1 < n) s += " ";
  }
  return s;
}

EmitContext::EmitContext(const Graph& g, std::string prefix) : g_(g), prefix_(std::move(prefix)) {}

void EmitContext::set_storage(int value_id, Storage s) {
  storage_[value_id] = std::move(s);
}

const Storage& EmitContext::storage(int value_id) const {
  auto it = storage_.find(value_id);
  const Value& v = g_.val(value_id);
  if (it == storage_.end() && v.constant) {
    Storage s;
    s.kind = Storage::Constant;
    s.symbol = fmt::format("w{}_{}", storage_.size(), v.name);
    for (char& c : s.symbol)
      if (!isalnum(static_cast<unsigned char>(c))) c = '_';
    if (s.symbol.size() > 48) s.symbol.resize(48);
    const int64_t count = v.constant->size() > 0 ? v.constant->size() : 1;
    const_decls_ += fmt::format(
        "alignas(16) static const {} {}[{}] = {{{}}};\n", dtype_ctype(v.dtype), s.symbol, count,
        v.constant->size() > 0 ? array_initializer(v.dtype, *v.constant) : "0");
    constant_bytes_ += count * int64_t(dtype_size(v.dtype));
    it = storage_.emplace(value_id, s).first;
  }
  if (it == storage_.end())
    throw std::logic_error("no storage assigned to value " + g_.val(value_id).name);
  return it->second;
}

std::string EmitContext::ptr(int value_id) const {
  const Storage& s = storage(value_id);
  const char* ct = dtype_ctype(g_.val(value_id).dtype);
  switch (s.kind) {
  case Storage::Input:
    return fmt::format("const_cast<{}*>(in{})", ct, s.index);
  case Storage::Output:
    return fmt::format("out{}", s.index);
  case Storage::Constant:
    return fmt::format("const_cast<{}*>({})", ct, s.symbol);
  default:
    return fmt::format("reinterpret_cast<{}*>({}_arena + {})", ct, prefix_, s.offset);
  }
}

std::string EmitContext::cptr(int value_id) const {
  const Storage& s = storage(value_id);
  const char* ct = dtype_ctype(g_.val(value_id).dtype);
  switch (s.kind) {
  case Storage::Input:
    return fmt::format("in{}", s.index);
  case Storage::Output:
    return fmt::format("static_cast<const {}*>(out{})", ct, s.index);
  case Storage::Constant:
    return s.symbol;
  default:
    return fmt::format("reinterpret_cast<const {}*>({}_arena + {})", ct, prefix_, s.offset);
  }
}

std::string EmitContext::scratch(DType t) const {
  if (scratch_offset_ < 0) throw std::logic_error("scratch() used by an op without scratch_bytes");
  return fmt::format("reinterpret_cast<{}*>({}_arena + {})", dtype_ctype(t), prefix_,
                     scratch_offset_);
}

void EmitContext::use(const std::string& name) {
  if (template_set_.insert(name).second) templates_.push_back(name);
}

std::string EmitContext::params(const Params& p) {
  std::string n = fmt::format("P{}", next_params_++);
  decls_ += fmt::format("struct {} {{\n{}}};\n", n, p.body());
  return n;
}

std::string EmitContext::constant_array(DType t, const TensorData& data, const std::string& hint) {
  std::string n = fmt::format("c{}_{}", next_array_++, hint);
  for (char& c : n)
    if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  const int64_t count = data.size() > 0 ? data.size() : 1;
  std::string init = data.size() > 0 ? array_initializer(t, data) : "0";
  decls_ +=
      fmt::format("alignas(16) static const {} {}[{}] = {{{}}};\n", dtype_ctype(t), n, count, init);
  constant_bytes_ += count * int64_t(dtype_size(t));
  return n;
}

void EmitContext::line(const std::string& code) {
  body_ += "  " + code + "\n";
}

void EmitContext::comment(const std::string& text) {
  body_ += "  // " + text + "\n";
}

} // namespace tinyc
