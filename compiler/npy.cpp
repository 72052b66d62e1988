#include "npy.h"

#include "diagnostics.h"

#include <cctype>
#include <fstream>
#include <sstream>

namespace tinyc {
namespace {

// The value of `key` in the header dict, as written by numpy: 'key': VALUE.
std::string header_field(const std::string& header, const std::string& key,
                         const std::string& what) {
  const std::string pattern = "'" + key + "'";
  size_t p = header.find(pattern);
  if (p == std::string::npos) fail("{}: the .npy header has no '{}'", what, key);
  p = header.find(':', p + pattern.size());
  if (p == std::string::npos) fail("{}: malformed .npy header", what);
  ++p;
  while (p < header.size() && std::isspace((unsigned char)header[p])) ++p;
  if (p >= header.size()) fail("{}: malformed .npy header", what);
  const char open = header[p];
  const char close = open == '(' ? ')' : open == '\'' ? '\'' : open == '"' ? '"' : 0;
  if (close) {
    size_t e = header.find(close, p + 1);
    if (e == std::string::npos) fail("{}: malformed .npy header", what);
    return header.substr(p, e - p + 1);
  }
  size_t e = p;
  while (e < header.size() && header[e] != ',' && header[e] != '}') ++e;
  return header.substr(p, e - p);
}

DType dtype_of_descr(const std::string& descr, const std::string& what) {
  // descr is quoted: '<f4', '|i1', ...
  const std::string d = descr.size() >= 2 ? descr.substr(1, descr.size() - 2) : descr;
  if (d.size() >= 2 && d[0] == '>' && d.substr(1) != "i1" && d.substr(1) != "u1" &&
      d.substr(1) != "b1")
    fail("{}: big-endian data ('{}') is not supported; save it little-endian", what, d);
  const std::string t =
      d.size() >= 2 && (d[0] == '<' || d[0] == '|' || d[0] == '=' || d[0] == '>') ? d.substr(1) : d;
  if (t == "f4") return DType::F32;
  if (t == "f8") return DType::F64;
  if (t == "i1") return DType::I8;
  if (t == "u1") return DType::U8;
  if (t == "i2") return DType::I16;
  if (t == "u2") return DType::U16;
  if (t == "i4") return DType::I32;
  if (t == "u4") return DType::U32;
  if (t == "i8") return DType::I64;
  if (t == "u8") return DType::U64;
  if (t == "b1") return DType::Bool;
  fail("{}: the .npy dtype '{}' is not supported (expected a number type such as float32)", what,
       d);
}

Shape parse_shape_tuple(const std::string& tuple, const std::string& what) {
  Shape s;
  std::string num;
  for (char c : tuple.substr(1)) {
    if (std::isdigit((unsigned char)c)) {
      num += c;
    } else if (c == ',' || c == ')') {
      if (!num.empty()) {
        if (num.size() > 15) fail("{}: a dimension of the .npy shape is too large", what);
        s.push_back(std::stoll(num));
      }
      num.clear();
    } else if (!std::isspace((unsigned char)c)) {
      fail("{}: malformed shape {} in the .npy header", what, tuple);
    }
  }
  return s;
}

} // namespace

TensorData parse_npy(const std::string& bytes, const std::string& what) {
  static const char magic[] = "\x93NUMPY";
  if (bytes.size() < 10 || bytes.compare(0, 6, magic, 6) != 0)
    fail("{}: not a NumPy .npy file (save it with numpy.save)", what);
  const unsigned major = (unsigned char)bytes[6];
  size_t header_len = 0, start = 0;
  if (major == 1) {
    header_len = (unsigned char)bytes[8] | size_t((unsigned char)bytes[9]) << 8;
    start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) fail("{}: truncated .npy header", what);
    for (int k = 3; k >= 0; --k) header_len = header_len << 8 | (unsigned char)bytes[8 + k];
    start = 12;
  } else {
    fail("{}: .npy format version {} is not supported", what, major);
  }
  if (header_len > bytes.size() - start) fail("{}: truncated .npy header", what);
  const std::string header = bytes.substr(start, header_len);
  const std::string descr = header_field(header, "descr", what);
  if (descr.empty() || (descr[0] != '\'' && descr[0] != '"'))
    fail("{}: structured .npy dtypes are not supported", what);
  const DType t = dtype_of_descr(descr, what);
  if (header_field(header, "fortran_order", what).rfind("True", 0) == 0)
    fail("{}: Fortran-ordered .npy data is not supported; save np.ascontiguousarray(x)", what);
  const std::string shape_text = header_field(header, "shape", what);
  if (shape_text.empty() || shape_text[0] != '(') fail("{}: malformed .npy shape", what);
  Shape shape = parse_shape_tuple(shape_text, what);
  // numel without overflow: reject absurd sizes before multiplying further.
  int64_t count = 1;
  for (int64_t d : shape) {
    if (d != 0 && count > (int64_t(1) << 40) / d) fail("{}: the .npy array is too large", what);
    count *= d;
  }
  const size_t data_bytes = size_t(count) * dtype_size(t);
  const size_t data_start = start + header_len;
  if (bytes.size() - data_start < data_bytes)
    fail("{}: the .npy file is truncated ({} data bytes, {} expected)", what,
         bytes.size() - data_start, data_bytes);
  TensorData r(t, shape);
  std::copy(bytes.begin() + long(data_start), bytes.begin() + long(data_start + data_bytes),
            r.bytes.begin());
  return r;
}

TensorData parse_npy_file(const std::string& path, const std::string& what) {
  std::ifstream f(path, std::ios::binary);
  if (!f) fail("{}: cannot read the file", what);
  std::ostringstream ss;
  ss << f.rdbuf();
  if (!f && !f.eof()) fail("{}: cannot read the file", what);
  return parse_npy(ss.str(), what);
}

TensorData read_npy(const std::string& path) {
  return parse_npy_file(path, "'" + path + "'");
}

} // namespace tinyc
