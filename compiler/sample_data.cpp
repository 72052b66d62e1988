#include "sample_data.h"

#include "diagnostics.h"
#include "npy.h"
#include "onnx_import.h"

#include <algorithm>
#include <filesystem>
#include <map>

namespace tinyc {
namespace fs = std::filesystem;

std::vector<TensorData> split_samples(const TensorData& t, const Value& v,
                                      const std::string& what) {
  if (t.dtype != v.dtype)
    fail("{}: data type {} but input '{}' is {}{}", what, dtype_name(t.dtype), v.name,
         dtype_name(v.dtype),
         v.dtype == DType::F32 ? " (convert with x.astype(numpy.float32))" : "");
  const Shape& s = v.shape;
  int64_t count = 0;
  if (t.shape == s) {
    count = 1;
  } else if (t.shape.size() == s.size() + 1 && Shape(t.shape.begin() + 1, t.shape.end()) == s) {
    count = t.shape[0];
  } else if (!s.empty() && s[0] == 1 && t.shape.size() == s.size() &&
             Shape(t.shape.begin() + 1, t.shape.end()) == Shape(s.begin() + 1, s.end())) {
    count = t.shape[0]; // N x shape without the batch dim of a batch-1 input
  } else {
    fail("{}: shape {} does not fit input '{}' of shape {} (expected N x {}{})", what,
         shape_str(t.shape), v.name, shape_str(s), shape_str(s),
         !s.empty() && s[0] == 1 ? " or N x " + shape_str(Shape(s.begin() + 1, s.end())) : "");
  }
  std::vector<TensorData> r;
  const size_t bytes = size_t(numel(s)) * dtype_size(v.dtype);
  for (int64_t k = 0; k < count; ++k) {
    TensorData x(v.dtype, s);
    std::copy(t.bytes.begin() + long(size_t(k) * bytes),
              t.bytes.begin() + long(size_t(k + 1) * bytes), x.bytes.begin());
    r.push_back(std::move(x));
  }
  return r;
}

namespace {

bool has_ext(const fs::path& p, const char* ext) {
  return p.extension() == ext;
}

TensorData read_sample_file(const fs::path& p, const std::string& option) {
  const std::string what = option + " '" + p.string() + "'";
  if (!fs::exists(p)) fail("{}: no such file or folder", what);
  if (has_ext(p, ".npy")) return parse_npy_file(p.string(), what);
  if (has_ext(p, ".pb")) return read_tensor_pb(p.string());
  fail("{}: expected a .npy or .pb file", what);
}

// The samples of one input from a file or a folder of files.
std::vector<TensorData> samples_of_input(const std::string& path, const Value& v,
                                         const std::string& option) {
  const fs::path p(path);
  const std::string what = option + " '" + path + "'";
  if (!fs::exists(p)) fail("{}: no such file or folder", what);
  std::vector<fs::path> files;
  if (fs::is_directory(p)) {
    for (const auto& e : fs::directory_iterator(p))
      if (e.is_regular_file() && (has_ext(e.path(), ".npy") || has_ext(e.path(), ".pb")))
        files.push_back(e.path());
    std::sort(files.begin(), files.end());
    if (files.empty()) fail("{}: the folder holds no .npy or .pb files", what);
  } else {
    files.push_back(p);
  }
  std::vector<TensorData> r;
  for (const fs::path& f : files) {
    auto part = split_samples(read_sample_file(f, option), v, option + " '" + f.string() + "'");
    for (auto& x : part) r.push_back(std::move(x));
  }
  return r;
}

// DIR/<sample>/input_K.{pb,npy}: the layout of ONNX's test data sets.
bool is_sample_folder_layout(const fs::path& dir) {
  if (!fs::is_directory(dir)) return false;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_directory() &&
        (fs::exists(e.path() / "input_0.pb") || fs::exists(e.path() / "input_0.npy")))
      return true;
  return false;
}

std::vector<std::vector<TensorData>> load_sample_folders(const Graph& g, const fs::path& dir,
                                                         const std::string& option) {
  std::vector<fs::path> folders;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_directory()) folders.push_back(e.path());
  std::sort(folders.begin(), folders.end());
  std::vector<std::vector<TensorData>> r;
  for (const fs::path& f : folders) {
    std::vector<TensorData> sample;
    for (size_t k = 0; k < g.inputs.size(); ++k) {
      fs::path file = f / fmt::format("input_{}.pb", k);
      if (!fs::exists(file)) file = f / fmt::format("input_{}.npy", k);
      if (!fs::exists(file))
        fail("{} '{}': sample folder '{}' has no input_{}.pb or input_{}.npy", option, dir.string(),
             f.filename().string(), k, k);
      const Value& v = g.val(g.inputs[k]);
      auto one =
          split_samples(read_sample_file(file, option), v, option + " '" + file.string() + "'");
      if (one.size() != 1)
        fail("{} '{}': holds {} samples, expected one", option, file.string(), one.size());
      sample.push_back(std::move(one[0]));
    }
    r.push_back(std::move(sample));
  }
  return r;
}

} // namespace

std::vector<std::vector<TensorData>>
load_samples(const Graph& g, const std::vector<std::string>& specs, const std::string& option) {
  if (specs.empty()) fail("{}: no data given", option);
  if (g.inputs.empty()) fail("{}: the model has no inputs to feed", option);
  std::vector<std::vector<TensorData>> samples;
  if (specs.size() == 1 && is_sample_folder_layout(specs[0])) {
    samples = load_sample_folders(g, specs[0], option);
  } else {
    // One path per input, named or in model order.
    std::map<std::string, size_t> index;
    for (size_t k = 0; k < g.inputs.size(); ++k) index[g.val(g.inputs[k]).name] = k;
    std::vector<std::string> path_of(g.inputs.size());
    for (size_t i = 0; i < specs.size(); ++i) {
      std::string name, path = specs[i];
      const size_t eq = specs[i].find('=');
      if (eq != std::string::npos && index.count(specs[i].substr(0, eq))) {
        name = specs[i].substr(0, eq);
        path = specs[i].substr(eq + 1);
      }
      size_t k = name.empty() ? i : index[name];
      if (name.empty() && i >= g.inputs.size())
        fail("{}: {} paths given but the model has {} input(s)", option, specs.size(),
             g.inputs.size());
      if (!path_of[k].empty())
        fail("{}: input '{}' is given twice", option, g.val(g.inputs[k]).name);
      path_of[k] = path;
    }
    for (size_t k = 0; k < g.inputs.size(); ++k)
      if (path_of[k].empty()) {
        std::string names;
        for (int in : g.inputs) names += (names.empty() ? "" : ", ") + g.val(in).name;
        fail("{}: no data for input '{}'; the model has {} inputs ({}): give NAME=PATH for "
             "each, or a folder of sample folders holding input_0.pb, input_1.pb, ...",
             option, g.val(g.inputs[k]).name, g.inputs.size(), names);
      }
    std::vector<std::vector<TensorData>> per_input;
    for (size_t k = 0; k < g.inputs.size(); ++k) {
      per_input.push_back(samples_of_input(path_of[k], g.val(g.inputs[k]), option));
      if (per_input[k].size() != per_input[0].size())
        fail("{}: input '{}' has {} samples but input '{}' has {}", option, g.val(g.inputs[k]).name,
             per_input[k].size(), g.val(g.inputs[0]).name, per_input[0].size());
    }
    for (size_t s = 0; s < per_input[0].size(); ++s) {
      std::vector<TensorData> sample;
      for (auto& in : per_input) sample.push_back(std::move(in[s]));
      samples.push_back(std::move(sample));
    }
  }
  if (samples.empty()) fail("{}: the data set is empty (no samples)", option);
  return samples;
}

std::vector<int64_t> load_labels(const std::string& path, const std::string& option) {
  const std::string what = option + " '" + path + "'";
  if (!fs::exists(path)) fail("{}: no such file", what);
  TensorData t = parse_npy_file(path, what);
  if (!dtype_is_signed_int(t.dtype) && t.dtype != DType::U8 && t.dtype != DType::U16 &&
      t.dtype != DType::U32 && t.dtype != DType::U64)
    fail("{}: labels must be integers, got {}", what, dtype_name(t.dtype));
  if (!(t.shape.size() == 1 || (t.shape.size() == 2 && t.shape[1] == 1)))
    fail("{}: labels must have shape N or N x 1, got {}", what, shape_str(t.shape));
  std::vector<int64_t> r;
  for (int64_t i = 0; i < t.size(); ++i) r.push_back(t.get_i64(i));
  return r;
}

} // namespace tinyc
