// Model input samples read from files, for --calib and --val: NumPy .npy arrays (N samples
// stacked, or one), folders of them, or ONNX TensorProto .pb files (one sample each).
#pragma once

#include "ir.h"

#include <string>
#include <vector>

namespace tinyc {

// Samples for the inputs of g, each sample a vector in g.inputs order. `specs` are the
// option's values, `option` its name for messages ("--calib"). Accepted forms:
//   PATH                 one-input model; PATH is a .npy (N x input shape, or N x shape
//                        without the batch dim when the batch is 1, or exactly the input
//                        shape), a .pb (one sample) or a folder of such files (name order)
//   NAME=PATH ...        one per model input (any order); all must give the same sample count
//   PATH ... (unnamed)   one per model input, in model input order
//   DIR                  holding sample folders in the ONNX test-data layout
//                        (DIR/*/input_K.pb or input_K.npy), for any number of inputs
// Throws CompileError with a one-line message for a missing file, a wrong dtype or shape,
// an empty set, or inputs with different sample counts.
std::vector<std::vector<TensorData>>
load_samples(const Graph& g, const std::vector<std::string>& specs, const std::string& option);

// Integer class labels from an .npy file (any integer dtype, N or N x 1 values).
std::vector<int64_t> load_labels(const std::string& path, const std::string& option);

// Splits an array into samples of value v's dtype and shape (see load_samples for the shapes
// accepted); `what` names the array in messages.
std::vector<TensorData> split_samples(const TensorData& t, const Value& v, const std::string& what);

} // namespace tinyc
