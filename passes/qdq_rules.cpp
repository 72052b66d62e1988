#include "qdq_rules.h"

#include "../compiler/quant.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace tinyc {

static std::map<std::string, QdqRule>& rules() {
  static std::map<std::string, QdqRule> r;
  return r;
}

static std::map<std::string, bool>& unquantized_output_rules() {
  static std::map<std::string, bool> r;
  return r;
}

void register_qdq_rule(const std::string& op_type, QdqRule rule, bool unquantized_output) {
  rules()[op_type] = std::move(rule);
  unquantized_output_rules()[op_type] = unquantized_output;
}

bool qdq_rule_takes_unquantized_output(const std::string& op_type) {
  auto it = unquantized_output_rules().find(op_type);
  return it != unquantized_output_rules().end() && it->second;
}

const QdqRule* find_qdq_rule(const std::string& op_type) {
  auto it = rules().find(op_type);
  return it == rules().end() ? nullptr : &it->second;
}

bool QdqMatch::all_int8(bool allow_per_channel_weights) const {
  for (const QdqInput& i : in) {
    if (i.value < 0) continue;
    if (!i.quantized()) return false;
    if (i.axis >= 0 && !(allow_per_channel_weights && i.is_constant)) return false;
    if (i.q_type != DType::I8 && !(i.is_constant && i.q_type == DType::I32)) return false;
  }
  for (const QdqOutput& o : out)
    if (!o.quantized() || o.q_type != DType::I8) return false;
  return !out.empty();
}

bool fused_act_range(const FusedAct& act, const QdqOutput& out, int32_t& lo, int32_t& hi) {
  lo = qmin(out.q_type);
  hi = qmax(out.q_type);
  switch (act.kind) {
  case ActKind::None:
    return true;
  case ActKind::Relu:
    lo = std::max(lo, out.zero_point);
    return true;
  case ActKind::Clip:
    if (std::isfinite(act.alpha))
      lo = std::max(lo, quantize_value(act.alpha, out.scale, out.zero_point, out.q_type));
    if (std::isfinite(act.beta))
      hi = std::min(hi, quantize_value(act.beta, out.scale, out.zero_point, out.q_type));
    return lo <= hi;
  default:
    return false;
  }
}

} // namespace tinyc
