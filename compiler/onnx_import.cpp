#include "onnx_import.h"

#include "diagnostics.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <fstream>
#include <sstream>

namespace tinyc {

namespace fs = std::filesystem;

static constexpr int kMaxOpset = 17;
static constexpr int kMinOpset = 6;

Shape parse_shape(const std::string& text) {
  Shape s;
  if (text.empty() || text == "scalar") return s;
  std::stringstream ss(text);
  std::string part;
  while (std::getline(ss, part, 'x')) {
    if (part.empty() || part.find_first_not_of("0123456789") != std::string::npos ||
        part.size() > 9)
      fail("bad shape '{}': expected dimensions separated by 'x', e.g. 1x3x32x32", text);
    s.push_back(std::stoll(part));
  }
  return s;
}

// The onnx library's messages span several lines ("...\n\n==> Context: ..."); ours are one.
static std::string one_line(const std::string& text) {
  std::string r;
  bool space = false;
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = !r.empty();
      continue;
    }
    if (space) r += ' ';
    space = false;
    r += c;
  }
  const std::string context = "==> Context: ";
  auto at = r.find(context);
  if (at != std::string::npos) r.replace(at, context.size(), "(") += ")";
  return r;
}

static std::string read_file(const std::string& path, const char* what) {
  std::error_code ec;
  if (!fs::exists(path, ec)) fail("{} '{}' does not exist", what, path);
  if (fs::is_directory(path, ec)) fail("{} '{}' is a directory, not a file", what, path);
  std::ifstream f(path, std::ios::binary);
  if (!f) fail("cannot open {} '{}'", what, path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Copies numbers from a repeated proto field into the tensor, converting element by element.
template <class Field>
static void fill_from_field(TensorData& t, const Field& field, const std::string& name) {
  if (int64_t(field.size()) != t.size())
    fail("initializer '{}' holds {} values but its shape {} needs {}", name, field.size(),
         shape_str(t.shape), t.size());
  for (int64_t i = 0; i < t.size(); ++i) t.set_f64(i, double(field.Get(int(i))));
}

static TensorData tensor_from_proto(const onnx::TensorProto& p, const std::string& base_dir) {
  const std::string& name = p.name();
  DType dt = dtype_from_onnx(p.data_type());
  if (dt == DType::Undefined)
    fail("tensor '{}' has element type {} ({}), which is not supported by tinyc", name,
         p.data_type(), onnx::TensorProto_DataType_Name(p.data_type()));
  Shape shape;
  for (int64_t d : p.dims()) {
    if (d < 0) fail("tensor '{}' has a negative dimension", name);
    shape.push_back(d);
  }
  TensorData t;
  try {
    t = TensorData(dt, shape);
  } catch (const CompileError& e) {
    fail("tensor '{}': {}", name, e.what());
  }
  const size_t nbytes = t.bytes.size();

  if (p.data_location() == onnx::TensorProto_DataLocation_EXTERNAL) {
    std::string location;
    int64_t offset = 0, length = -1;
    for (const auto& e : p.external_data()) {
      if (e.key() == "location")
        location = e.value();
      else if (e.key() == "offset")
        offset = std::atoll(e.value().c_str());
      else if (e.key() == "length")
        length = std::atoll(e.value().c_str());
    }
    if (location.empty()) fail("tensor '{}' has external data without a location", name);
    // External files must stay inside the model's folder: a model must not make the compiler
    // read arbitrary files on the build machine.
    fs::path dir = fs::weakly_canonical(fs::absolute(base_dir.empty() ? "." : base_dir));
    fs::path file = fs::weakly_canonical(dir / location);
    auto rel = file.lexically_relative(dir);
    if (fs::path(location).is_absolute() || rel.empty() || *rel.begin() == "..")
      fail("tensor '{}': external data location '{}' leaves the model's folder; refused", name,
           location);
    std::string blob = read_file(file.string(), "external data file");
    if (length < 0) length = int64_t(blob.size()) - offset;
    if (offset < 0 || offset > int64_t(blob.size()) || length != int64_t(nbytes) ||
        offset + length > int64_t(blob.size()))
      fail("tensor '{}': external data in '{}' (offset {}, length {}) does not match its shape {}",
           name, location, offset, length, shape_str(shape));
    std::memcpy(t.bytes.data(), blob.data() + offset, nbytes);
    return t;
  }
  if (p.has_raw_data()) {
    if (p.raw_data().size() != nbytes)
      fail("tensor '{}' has {} bytes of data but its shape {} of {} needs {}", name,
           p.raw_data().size(), shape_str(shape), dtype_name(dt), nbytes);
    std::memcpy(t.bytes.data(), p.raw_data().data(), nbytes);
    return t;
  }
  switch (dt) {
  case DType::F32:
    fill_from_field(t, p.float_data(), name);
    break;
  case DType::F64:
    fill_from_field(t, p.double_data(), name);
    break;
  case DType::I64: {
    if (int64_t(p.int64_data_size()) != t.size())
      fail("initializer '{}' holds {} values but its shape {} needs {}", name, p.int64_data_size(),
           shape_str(t.shape), t.size());
    for (int64_t i = 0; i < t.size(); ++i) t.data<int64_t>()[i] = p.int64_data(int(i));
    break;
  }
  case DType::U32:
  case DType::U64: {
    if (int64_t(p.uint64_data_size()) != t.size())
      fail("initializer '{}' holds {} values but its shape {} needs {}", name, p.uint64_data_size(),
           shape_str(t.shape), t.size());
    for (int64_t i = 0; i < t.size(); ++i) {
      if (dt == DType::U64)
        t.data<uint64_t>()[i] = p.uint64_data(int(i));
      else
        t.data<uint32_t>()[i] = uint32_t(p.uint64_data(int(i)));
    }
    break;
  }
  default:
    fill_from_field(t, p.int32_data(), name);
    break; // int8..int32, uint8, uint16, bool
  }
  return t;
}

TensorData read_tensor_pb(const std::string& path) {
  std::string bytes = read_file(path, "tensor file");
  onnx::TensorProto p;
  if (!p.ParseFromString(bytes)) fail("'{}' is not a serialized ONNX TensorProto", path);
  return tensor_from_proto(p, fs::path(path).parent_path().string());
}

static Attr attr_from_proto(const onnx::AttributeProto& a, const std::string& base_dir) {
  Attr r;
  switch (a.type()) {
  case onnx::AttributeProto::INT:
    r.kind = AttrKind::Int;
    r.i = a.i();
    break;
  case onnx::AttributeProto::FLOAT:
    r.kind = AttrKind::Float;
    r.f = a.f();
    break;
  case onnx::AttributeProto::STRING:
    r.kind = AttrKind::String;
    r.s = a.s();
    break;
  case onnx::AttributeProto::INTS:
    r.kind = AttrKind::Ints;
    r.ints.assign(a.ints().begin(), a.ints().end());
    break;
  case onnx::AttributeProto::FLOATS:
    r.kind = AttrKind::Floats;
    r.floats.assign(a.floats().begin(), a.floats().end());
    break;
  case onnx::AttributeProto::STRINGS:
    r.kind = AttrKind::Strings;
    r.strings.assign(a.strings().begin(), a.strings().end());
    break;
  case onnx::AttributeProto::TENSOR:
    r.kind = AttrKind::Tensor;
    r.tensor = tensor_from_proto(a.t(), base_dir);
    break;
  default:
    r.kind = AttrKind::Unsupported;
    break;
  }
  return r;
}

// Fills dtype and static shape of a value from an ONNX ValueInfo, when fully known.
static void apply_type(Value& v, const onnx::TypeProto& tp) {
  if (!tp.has_tensor_type()) return;
  const auto& tt = tp.tensor_type();
  if (tt.elem_type() != 0 && v.dtype == DType::Undefined) v.dtype = dtype_from_onnx(tt.elem_type());
  if (!tt.has_shape() || v.shape_known) return;
  Shape s;
  for (const auto& d : tt.shape().dim()) {
    if (!d.has_dim_value() || d.dim_value() < 0) return;
    s.push_back(d.dim_value());
  }
  v.shape = s;
  v.shape_known = true;
}

static void fix_input_dims(onnx::ValueInfoProto& in, const ImportOptions& opts) {
  auto it = opts.input_shapes.find(in.name());
  auto* tt = in.mutable_type()->mutable_tensor_type();
  if (it != opts.input_shapes.end()) {
    auto* shape = tt->mutable_shape();
    if (tt->has_shape() && shape->dim_size() != int(it->second.size()))
      fail("--input-shape for '{}' has rank {} but the model's input has rank {}", in.name(),
           it->second.size(), shape->dim_size());
    for (int k = 0; tt->has_shape() && k < shape->dim_size(); ++k) {
      const auto& d = shape->dim(k);
      if (d.has_dim_value() && d.dim_value() != it->second[size_t(k)])
        fail("--input-shape {}={} conflicts with the model, whose dimension {} is fixed at {}",
             in.name(), shape_str(it->second), k, d.dim_value());
    }
    shape->clear_dim();
    for (int64_t d : it->second) shape->add_dim()->set_dim_value(d);
    return;
  }
  if (!tt->has_shape())
    fail(
        "input '{}' has no shape in the model; give it with --input-shape {}=DIMS (e.g. 1x3x32x32)",
        in.name(), in.name());
  std::string dims;
  bool dynamic = false;
  for (const auto& d : tt->shape().dim())
    if (d.has_dim_value() && d.dim_value() < 0)
      fail("input '{}' has a negative dimension ({}) in its shape", in.name(), d.dim_value());
  for (const auto& d : tt->shape().dim()) {
    bool fixed = d.has_dim_value() && d.dim_value() >= 0;
    dynamic |= !fixed;
    dims += (dims.empty() ? "" : "x") + (d.has_dim_value()   ? std::to_string(d.dim_value())
                                         : d.has_dim_param() ? d.dim_param()
                                                             : "?");
  }
  if (dynamic)
    fail("input '{}' has a dynamic shape [{}]; fix it with --input-shape {}=DIMS (e.g. 1x3x32x32)",
         in.name(), dims, in.name());
}

static std::string node_label(const onnx::NodeProto& n, int index) {
  std::string name = n.name().empty() ? n.op_type() + "_" + std::to_string(index) : n.name();
  return fmt::format("'{}' ({})", name, n.op_type());
}

// Reads of undefined tensors and cycles, reported in our words before the checker's (which
// calls both "not topologically sorted").
static void check_graph_structure(const onnx::GraphProto& graph) {
  std::map<std::string, int> producer; // tensor -> node index, -1 for inputs and initializers
  for (const auto& in : graph.input()) producer[in.name()] = -1;
  for (const auto& init : graph.initializer()) producer[init.name()] = -1;
  for (int i = 0; i < graph.node_size(); ++i)
    for (const auto& out : graph.node(i).output())
      if (!out.empty()) producer.emplace(out, i);
  for (int i = 0; i < graph.node_size(); ++i)
    for (const auto& in : graph.node(i).input())
      if (!in.empty() && !producer.count(in))
        fail("node {} reads '{}', which no node, initializer or model input defines",
             node_label(graph.node(i), i), in);
  // Kahn's algorithm: the nodes it cannot schedule depend on a cycle.
  const size_t n = size_t(graph.node_size());
  std::vector<int> waiting(n, 0);
  std::vector<std::vector<int>> readers(n);
  for (size_t i = 0; i < n; ++i)
    for (const auto& in : graph.node(int(i)).input()) {
      auto it = in.empty() ? producer.end() : producer.find(in);
      if (it == producer.end() || it->second < 0) continue;
      ++waiting[i];
      readers[size_t(it->second)].push_back(int(i));
    }
  std::vector<int> ready;
  for (size_t i = 0; i < n; ++i)
    if (waiting[i] == 0) ready.push_back(int(i));
  size_t scheduled = 0;
  while (!ready.empty()) {
    int i = ready.back();
    ready.pop_back();
    ++scheduled;
    for (int r : readers[size_t(i)])
      if (--waiting[size_t(r)] == 0) ready.push_back(r);
  }
  if (scheduled == n) return;
  // Nodes that merely follow a cycle are trimmed off the end, leaving the cycle itself.
  std::vector<bool> in_cycle(n);
  for (size_t i = 0; i < n; ++i) in_cycle[i] = waiting[i] > 0;
  for (bool trimmed = true; trimmed;) {
    trimmed = false;
    for (size_t i = 0; i < n; ++i) {
      if (!in_cycle[i]) continue;
      bool feeds_cycle = false;
      for (int r : readers[i]) feeds_cycle |= in_cycle[size_t(r)];
      if (!feeds_cycle) in_cycle[i] = false, trimmed = true;
    }
  }
  std::string members;
  int count = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!in_cycle[i]) continue;
    if (count++ < 6)
      members += (members.empty() ? "" : ", ") + node_label(graph.node(int(i)), int(i));
  }
  fail("the graph has a cycle through {} node(s): {}{}", count, members, count > 6 ? ", ..." : "");
}

static void to_tensor_proto(const TensorData& t, const std::string& name, onnx::TensorProto* p) {
  p->set_name(name);
  p->set_data_type(dtype_to_onnx(t.dtype));
  for (int64_t d : t.shape) p->add_dims(d);
  p->set_raw_data(std::string(t.bytes.begin(), t.bytes.end()));
}

Graph import_onnx(const std::string& path, const ImportOptions& opts) {
  std::string bytes = read_file(path, "model file");
  onnx::ModelProto model;
  if (bytes.empty() || !model.ParseFromString(bytes))
    fail("'{}' is not an ONNX model (the file does not parse as an ONNX protobuf)", path);
  if (!model.has_graph() || model.ir_version() == 0)
    fail("'{}' is not an ONNX model (no graph or no IR version)", path);
  const std::string base_dir = fs::path(path).parent_path().string();

  int opset = 0;
  for (const auto& o : model.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") opset = int(o.version());
  if (opset == 0 && model.ir_version() < 3) opset = 1;
  if (opset > kMaxOpset || opset < kMinOpset)
    fail("'{}' uses ONNX opset {}, which is not supported by tinyc (opsets {} to {}; convert the "
         "model with onnx.version_converter)",
         path, opset, kMinOpset, kMaxOpset);

  auto* graph = model.mutable_graph();
  // External data is loaded (and confined to the model folder) before the checker looks at it.
  for (auto& init : *graph->mutable_initializer()) {
    if (init.data_location() != onnx::TensorProto_DataLocation_EXTERNAL) continue;
    TensorData t = tensor_from_proto(init, base_dir);
    init.clear_external_data();
    init.set_data_location(onnx::TensorProto_DataLocation_DEFAULT);
    init.set_raw_data(std::string(t.bytes.begin(), t.bytes.end()));
  }

  for (const auto& [name, shape] : opts.input_shapes) {
    bool found = false;
    for (const auto& in : graph->input()) found |= in.name() == name;
    if (!found) fail("--input-shape names '{}', which is not an input of the model", name);
  }
  std::set<std::string> initializer_names;
  for (const auto& init : graph->initializer()) initializer_names.insert(init.name());
  for (const auto& [name, t] : opts.frozen_inputs) {
    bool found = false;
    for (const auto& in : graph->input()) found |= in.name() == name;
    if (!found) fail("--freeze-input names '{}', which is not an input of the model", name);
    if (!initializer_names.count(name)) to_tensor_proto(t, name, graph->add_initializer());
  }

  for (auto& in : *graph->mutable_input()) {
    if (initializer_names.count(in.name()) || opts.frozen_inputs.count(in.name())) continue;
    if (!in.type().has_tensor_type())
      fail("input '{}' is not a tensor; non-tensor inputs (sequences, maps, optionals) are not "
           "supported by tinyc",
           in.name());
    fix_input_dims(in, opts);
  }

  check_graph_structure(*graph);
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception& e) {
    fail("'{}' is not a valid ONNX model: {}", path, one_line(e.what()));
  }
  try {
    onnx::ShapeInferenceOptions so(false, 0, true);
    onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(), so);
  } catch (const std::exception& e) {
    fail("shape inference failed on '{}': {}", path, one_line(e.what()));
  }

  Graph g;
  g.name = graph->name();
  g.opset = opset;
  std::map<std::string, int> ids;
  auto value_id = [&](const std::string& name) {
    auto it = ids.find(name);
    if (it != ids.end()) return it->second;
    Value v;
    v.name = name;
    int id = g.add_value(std::move(v));
    ids[name] = id;
    return id;
  };

  for (const auto& init : graph->initializer()) {
    int id = value_id(init.name());
    Value& v = g.val(id);
    v.constant = tensor_from_proto(init, base_dir);
    v.dtype = v.constant->dtype;
    v.shape = v.constant->shape;
    v.shape_known = true;
  }
  for (const auto& in : graph->input()) {
    int id = value_id(in.name());
    if (g.val(id).constant) continue;
    apply_type(g.val(id), in.type());
    if (g.val(id).dtype == DType::Undefined)
      fail("input '{}' has an element type that is not supported by tinyc", in.name());
    g.inputs.push_back(id);
  }
  for (const auto& vi : graph->value_info()) apply_type(g.val(value_id(vi.name())), vi.type());
  for (const auto& vi : graph->output()) apply_type(g.val(value_id(vi.name())), vi.type());

  for (const auto& np : graph->node()) {
    Node n;
    n.name = np.name();
    n.op_type = np.op_type();
    n.domain = np.domain() == "ai.onnx" ? "" : np.domain();
    n.opset = opset;
    for (const auto& in : np.input()) n.inputs.push_back(in.empty() ? -1 : value_id(in));
    for (const auto& out : np.output()) n.outputs.push_back(out.empty() ? -1 : value_id(out));
    for (const auto& a : np.attribute()) n.attrs[a.name()] = attr_from_proto(a, base_dir);
    g.nodes.push_back(std::move(n));
  }
  // Nodes without names get one, so every message can name the node.
  std::set<std::string> used;
  for (auto& n : g.nodes) used.insert(n.name);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    Node& n = g.nodes[i];
    if (!n.name.empty()) continue;
    std::string base = n.op_type + "_" + std::to_string(i);
    n.name = base;
    for (int k = 1; used.count(n.name); ++k) n.name = base + "_" + std::to_string(k);
    used.insert(n.name);
  }
  for (const auto& out : graph->output()) g.outputs.push_back(value_id(out.name()));
  if (g.outputs.empty()) fail("'{}' has no outputs", path);
  g.compact();
  // The checker accepts a graph output that nothing computes; its buffer would be left unset.
  for (int o : g.outputs) {
    const Value& v = g.val(o);
    bool is_input = std::find(g.inputs.begin(), g.inputs.end(), o) != g.inputs.end();
    if (v.producer < 0 && !v.constant && !is_input)
      fail("output '{}' is not computed by any node of the model", v.name);
  }
  return g;
}

} // namespace tinyc
