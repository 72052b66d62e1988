// The tinyc command line.
#include "compile.h"
#include "diagnostics.h"
#include "ir_print.h"
#include "op_registry.h"
#include "output_files.h"
#include "report.h"
#include "version.h"
#include "../passes/passes.h"

#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>

#include <unistd.h>

using namespace tinyc;
namespace fs = std::filesystem;

namespace {

struct Args {
  std::string model, output, header, name, report, report_html, dump_ir, io = "float";
  std::string arena_size, arena = "static";
  bool poison_dead = false, io_in_arena = false, no_inplace = false, no_schedule = false;
  std::vector<std::string> input_shapes, frozen;
  std::string quantize, calib_method;
  std::vector<std::string> calib, val;
  double calib_percentile = 99.99;
  bool quantize_all_ops = false;
  std::string prune, prune_method, prune_norm, prune_scope, prune_compensate;
  double max_accuracy_drop = -1; // -1: not given
  bool keep_zero_channels = false;
  std::string sparse_kernels = "auto";
  bool list_ops = false, print_pipeline = false, quiet = false;
  int verbose = 0;
};

// "NAME=VALUE" -> {NAME, VALUE}; a bare VALUE gets an empty NAME.
std::pair<std::string, std::string> split_assignment(const std::string& s) {
  auto eq = s.rfind('=');
  if (eq == std::string::npos) return {"", s};
  return {s.substr(0, eq), s.substr(eq + 1)};
}

ImportOptions import_options(const Args& a) {
  ImportOptions io;
  for (const auto& spec : a.input_shapes) {
    auto [name, dims] = split_assignment(spec);
    if (name.empty()) fail("--input-shape '{}': expected NAME=DIMS, e.g. input=1x3x32x32", spec);
    io.input_shapes[name] = parse_shape(dims);
  }
  for (const auto& spec : a.frozen) {
    auto [name, file] = split_assignment(spec);
    if (name.empty()) fail("--freeze-input '{}': expected NAME=FILE.pb", spec);
    io.frozen_inputs[name] = read_tensor_pb(file);
  }
  return io;
}

// Progress of long steps on stderr: a self-updating line on a terminal, else a line at half
// and at the end of each.
std::function<void(const std::string&, int64_t, int64_t)> progress_printer() {
  const bool tty = isatty(2);
  return [tty](const std::string& what, int64_t done, int64_t total) {
    if (total < 16) return;
    if (tty) {
      fmt::print(stderr, "\rtinyc: {}: {}/{} samples{}", what, done, total,
                 done == total ? "\n" : "");
    } else if (done * 2 / total != (done - 1) * 2 / total) {
      fmt::print(stderr, "tinyc: {}: {}/{} samples\n", what, done, total);
    }
  };
}

void quantize_options(const Args& a, CompileOptions& opts) {
  const bool any = ((!a.calib.empty() || !a.val.empty()) && a.prune.empty()) ||
                   !a.calib_method.empty() || a.quantize_all_ops;
  if (a.quantize.empty()) {
    if (any)
      fail("--calib, --calib-method, --val and --quantize-all-ops need --quantize int8 (--calib "
           "and --val also work with --prune)");
    if (!a.calib.empty()) opts.calib = a.calib;
    return;
  }
  if (a.quantize != "int8") fail("--quantize {} is not supported (only int8)", a.quantize);
  if (!a.calib_method.empty() && a.calib_method != "minmax" && a.calib_method != "percentile" &&
      a.calib_method != "mse")
    fail("--calib-method {} is not supported (minmax, percentile or mse)", a.calib_method);
  if (!(a.calib_percentile > 50.0 && a.calib_percentile <= 100.0))
    fail("--calib-percentile {} is not supported: give a value in (50, 100]", a.calib_percentile);
  if (a.calib.empty())
    fail("--quantize int8 needs calibration data: add --calib FILE.npy (N samples of the "
         "model input; see --help)");
  QuantizeOptions& q = opts.passes.quant;
  q.enabled = true;
  q.method = a.calib_method;
  q.percentile = a.calib_percentile;
  q.all_ops = a.quantize_all_ops;
  if (!a.quiet) q.progress = progress_printer();
  opts.calib = a.calib;
  if (!a.val.empty()) {
    opts.val_inputs = a.val.at(0);
    opts.val_labels = a.val.at(1);
  }
}

void prune_options(const Args& a, CompileOptions& opts) {
  PruneOptions& p = opts.passes.prune;
  p.remove_zero_channels = !a.keep_zero_channels;
  if (a.prune.empty()) {
    if (!a.prune_method.empty() || !a.prune_norm.empty() || !a.prune_scope.empty() ||
        !a.prune_compensate.empty() || a.max_accuracy_drop >= 0)
      fail("--prune-method, --prune-norm, --prune-scope, --prune-compensate and "
           "--max-accuracy-drop need --prune FRACTION or --prune auto");
    return;
  }
  p.enabled = true;
  if (a.prune == "auto") {
    p.automatic = true;
    if (a.val.empty())
      fail("--prune auto searches per-layer fractions on labelled data: add --val X.npy Y.npy");
    if (!a.prune_scope.empty())
      fail("--prune-scope does not apply to --prune auto (it chooses a fraction per layer)");
    if (a.max_accuracy_drop >= 0) p.max_accuracy_drop = a.max_accuracy_drop;
    if (!(p.max_accuracy_drop >= 0 && p.max_accuracy_drop <= 100))
      fail("--max-accuracy-drop {}: expected points of top-1 accuracy, from 0 to 100",
           a.max_accuracy_drop);
    if (!a.quiet)
      p.progress = [](const std::string& s) { fmt::print(stderr, "tinyc: prune auto: {}\n", s); };
  } else {
    if (a.max_accuracy_drop >= 0) fail("--max-accuracy-drop needs --prune auto");
    size_t used = 0;
    double f = -1;
    try {
      f = std::stod(a.prune, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != a.prune.size() || !(f >= 0.0 && f <= 0.95))
      fail("--prune '{}': expected the fraction of channels (or weights) to remove, from 0 to "
           "0.95, or auto",
           a.prune);
    p.fraction = f;
  }
  if (a.prune_method.empty() || a.prune_method == "structured")
    p.method = PruneMethod::Structured;
  else if (a.prune_method == "unstructured")
    p.method = PruneMethod::Unstructured;
  else
    fail("--prune-method {} is not supported (structured or unstructured)", a.prune_method);
  const bool data = !a.calib.empty() || !a.val.empty();
  if (a.prune_norm.empty())
    p.norm = data ? PruneNorm::Data : PruneNorm::L1;
  else if (a.prune_norm == "l1")
    p.norm = PruneNorm::L1;
  else if (a.prune_norm == "l2")
    p.norm = PruneNorm::L2;
  else if (a.prune_norm == "data")
    p.norm = PruneNorm::Data;
  else
    fail("--prune-norm {} is not supported (l1, l2 or data)", a.prune_norm);
  if (a.prune_compensate.empty() || a.prune_compensate == "refit")
    p.compensate = PruneCompensation::Refit;
  else if (a.prune_compensate == "mean")
    p.compensate = PruneCompensation::Mean;
  else if (a.prune_compensate == "none")
    p.compensate = PruneCompensation::None;
  else
    fail("--prune-compensate {} is not supported (refit, mean or none)", a.prune_compensate);
  if (!a.prune_compensate.empty() && p.method != PruneMethod::Structured)
    fail("--prune-compensate applies to --prune-method structured only");
  if (!a.prune_compensate.empty() && a.prune_compensate != "none" && !data)
    fail("--prune-compensate {} measures the removed channels on sample data: add --calib "
         "FILE.npy or --val X.npy Y.npy",
         a.prune_compensate);
  if (p.norm == PruneNorm::Data && !data)
    fail("--prune-norm data measures channels on sample data: add --calib FILE.npy or --val X.npy "
         "Y.npy");
  if (!a.prune_norm.empty() && p.method != PruneMethod::Structured)
    fail("--prune-norm ranks channels: it applies to --prune-method structured only");
  if (a.prune_scope == "layer")
    p.per_layer = true;
  else if (!a.prune_scope.empty() && a.prune_scope != "global")
    fail("--prune-scope {} is not supported (global or layer)", a.prune_scope);
  if (!a.prune_scope.empty() && p.method != PruneMethod::Unstructured)
    fail("--prune-scope chooses the weight threshold of --prune-method unstructured only");
  if (!a.val.empty()) {
    opts.val_inputs = a.val.at(0);
    opts.val_labels = a.val.at(1);
  }
}

// "65536", "64K", "64k", "1M" -> bytes.
int64_t parse_byte_size(const std::string& s) {
  size_t used = 0;
  long long v = -1;
  try {
    v = std::stoll(s, &used);
  } catch (const std::exception&) {
  }
  std::string unit = s.substr(used);
  int64_t scale = unit.empty()                   ? 1
                  : (unit == "K" || unit == "k") ? 1024
                  : unit == "M"                  ? 1 << 20
                                                 : 0;
  if (v < 0 || scale == 0 || v > (int64_t(1) << 40))
    fail("--arena-size '{}': expected a byte count such as 65536, 64K or 1M", s);
  return int64_t(v) * scale;
}

// The report's members beyond the layers: quantisation and pruning, when they ran.
std::string report_extra(const CompileResult& r) {
  std::string q = quant_report_json(r.quant.get(), r.accuracy);
  if (!r.prune || (r.prune->method.empty() && r.prune->zero_channels_removed == 0)) return q;
  std::string p = "  " + prune_report_json(*r.prune);
  if (r.prune_accuracy && r.prune_accuracy->has_labels) {
    p.pop_back(); // the closing brace: the accuracy goes inside
    p += fmt::format(", \"top1_before\": {:.6f}, \"top1_after\": {:.6f}, \"samples\": {}}}",
                     r.prune_accuracy->top1_float, r.prune_accuracy->top1_int8,
                     r.prune_accuracy->samples);
  }
  return q.empty() ? p : q + ",\n" + p;
}

// "top-1 98.0% before pruning, 97.5% after (200 validation samples)".
std::string prune_accuracy_text(const QuantAccuracy& a) {
  if (!a.has_labels) return "";
  return fmt::format("  pruned model on {} validation samples: top-1 {:.2f}% (unpruned {:.2f}%), "
                     "same top-1 class {:.2f}%\n",
                     a.samples, 100 * a.top1_int8, 100 * a.top1_float, 100 * a.top1_agreement);
}

int run(const Args& a) {
  if (a.list_ops) {
    for (const auto& n : OpRegistry::instance().names()) fmt::print("{}\n", n);
    return 0;
  }
  if (a.print_pipeline) {
    for (const Pass& p : pipeline()) fmt::print("{:<22} {}\n", p.name, p.purpose);
    fmt::print("{:<22} {}\n", "plan-arena", "static arena offsets from liveness (at emit)");
    return 0;
  }
  if (a.model.empty()) fail("no model given (usage: tinyc MODEL.onnx -o OUT.cpp; see --help)");
  if (a.output.empty()) fail("no output file given: add -o OUT.cpp");

  CompileOptions opts;
  opts.import = import_options(a);
  opts.passes.quant.int8_io = a.io == "int8";
  quantize_options(a, opts);
  prune_options(a, opts);
  opts.passes.sparse_kernels = parse_sparse_kernels(a.sparse_kernels, opts.passes.sparse_only);
  const fs::path out(a.output);
  const fs::path header =
      a.header.empty() ? fs::path(out).replace_extension(".h") : fs::path(a.header);
  if (header == out)
    fail("the header '{}' would overwrite the source; pick another --header", a.header);
  auto same_file = [](const fs::path& x, const fs::path& y) {
    return fs::absolute(x).lexically_normal() == fs::absolute(y).lexically_normal();
  };
  for (const auto& [rep, flag] :
       {std::pair{&a.report, "--report"}, {&a.report_html, "--report-html"}})
    if (!rep->empty() && (same_file(*rep, out) || same_file(*rep, header)))
      fail("the report '{}' would overwrite the generated code; pick another {}", *rep, flag);
  if (a.arena != "static" && a.arena != "external")
    fail("--arena '{}': expected static (the model's own buffer) or external (NAME_set_arena)",
         a.arena);
  opts.emit.arena_external = a.arena == "external";
  if (!a.arena_size.empty()) opts.emit.arena_limit = parse_byte_size(a.arena_size);
  opts.emit.poison_dead = a.poison_dead;
  opts.emit.plan.io_in_arena = a.io_in_arena;
  opts.emit.plan.inplace = !a.no_inplace;
  opts.emit.plan.schedule = !a.no_schedule;
  opts.emit.name = c_identifier(a.name.empty() ? out.stem().string() : a.name);
  opts.emit.header_file = header.filename().string();
  opts.emit.model_file = fs::path(a.model).filename().string();
  if (!a.dump_ir.empty()) {
    std::string want = a.dump_ir.rfind("after=", 0) == 0 ? a.dump_ir.substr(6) : a.dump_ir;
    bool known = want == "all" || want == "import";
    for (const Pass& p : pipeline()) known |= want == p.name;
    if (!known) fail("--dump-ir: no pass named '{}' (see --print-pipeline)", want);
    opts.after_pass = [want](const std::string& pass, const Graph& g) {
      if (want == "all" || want == pass)
        fmt::print(stderr, "// ---- IR after {}\n{}", pass, print_ir(g));
    };
  }

  CompileResult r = compile_model(a.model, opts);

  OutputFiles files;
  files.add(out.string(), r.model.source);
  files.add(header.string(), r.model.header);
  if (!a.report.empty())
    files.add(a.report, report_json(r.graph, r.model, opts.emit.model_file, report_extra(r)));
  if (!a.report_html.empty())
    files.add(a.report_html, report_html(r.graph, r.model, opts.emit.model_file));
  files.commit();

  if (!a.quiet) {
    fmt::print("tinyc: {} -> {} + {} ({}_run)\n", a.model, out.string(), header.string(),
               opts.emit.name);
    fmt::print("{}", summary_text(r.graph, r.model, a.verbose >= 1));
    if (r.prune) fmt::print("{}", prune_summary_text(*r.prune));
    if (r.prune_accuracy) fmt::print("{}", prune_accuracy_text(*r.prune_accuracy));
    if (r.quant) fmt::print("{}", quant_summary_text(*r.quant, r.accuracy));
    fmt::print("{}", sparse_summary_text(r.graph));
  }
  return 0;
}

// Names in a model may hold any bytes; a message stays one line on the terminal.
std::string printable(const std::string& s) {
  std::string r;
  for (char c : s) {
    if ((unsigned char)c < 0x20 || c == 0x7f)
      r += fmt::format("\\x{:02x}", (unsigned char)c);
    else
      r += c;
  }
  return r;
}

} // namespace

int main(int argc, char** argv) {
  Args a;
  CLI::App app{"tinyc: compiles an ONNX model into standalone C++ for microcontrollers.\n"
               "The output is one source file and one header with static buffers only: no heap,\n"
               "no interpreter, every shape a compile-time constant.\n\n"
               "  tinyc model.onnx -o model.cpp                 # writes model.cpp and model.h\n"
               "  tinyc model.onnx -o kws.cpp --name kws -v     # kws_run(), per-layer table\n"};
  app.add_option("model", a.model, "ONNX model file (opsets 6 to 17)");
  app.add_option("-o,--output", a.output, "C++ source to write; the header goes beside it as .h");
  app.add_option("--header", a.header, "header file to write (default: OUTPUT with .h)");
  app.add_option("--name", a.name,
                 "symbol prefix: NAME_run(), NAME_ARENA_BYTES... (default: output file stem)");
  app.add_option("--report", a.report, "write a JSON report: layers, shapes, MACs, arena plan");
  app.add_option("--report-html", a.report_html,
                 "write the arena plan as a picture: a self-contained HTML page with an SVG");
  app.add_option("--arena-size", a.arena_size,
                 "fail when the arena needs more than this many bytes (e.g. 65536, 64K, 1M)");
  app.add_option("--arena", a.arena,
                 "static (default): the model owns its arena; external: the caller passes it "
                 "with NAME_set_arena() (to place it in a chosen RAM bank)");
  app.add_flag("--io-in-arena", a.io_in_arena,
               "plan the model's inputs and outputs inside the arena too: NAME_run copies them "
               "in and out, and their space is reused once they are consumed");
  app.add_flag("--poison-dead", a.poison_dead,
               "checking build: fill each arena buffer with 0x7F bytes when it dies, so reads "
               "of freed memory give wrong outputs");
  app.add_flag("--no-inplace", a.no_inplace,
               "no output is written over its input (elementwise ops, overlapping convolutions)");
  app.add_flag("--no-schedule", a.no_schedule,
               "run the nodes in the model's order (no memory-aware reordering)");
  app.add_option("--input-shape", a.input_shapes,
                 "NAME=DIMS fixes a symbolic or dynamic input shape, e.g. input=1x3x32x32 "
                 "(repeatable)");
  app.add_option("--freeze-input", a.frozen,
                 "NAME=FILE.pb turns a model input into a constant read from an ONNX TensorProto "
                 "file, for inputs that decide shapes (repeatable)");
  app.add_option("--io", a.io,
                 "element type of the model's inputs and outputs: float (default; a quantised "
                 "model converts at its boundary) or int8 (NAME_run takes and returns the int8 "
                 "tensors; model.h gives their scale and zero point)")
      ->check(CLI::IsMember({"float", "int8"}));
  app.add_option("--dump-ir", a.dump_ir,
                 "print the IR to stderr after a pass: PASS, after=PASS, import or all");
  app.add_option("--quantize", a.quantize,
                 "int8: post-training quantisation. Activations int8 per tensor (asymmetric), "
                 "weights int8 per output channel (symmetric), biases int32; ops with an int8 "
                 "kernel run in int8, the others in float. Needs --calib");
  app.add_option("--calib", a.calib,
                 "calibration data for --quantize (with --prune: the sample data that ranks "
                 "channels): a .npy file (float32, N x input shape, or N x "
                 "shape without the batch dim when the batch is 1), a folder of .npy files, or "
                 "ONNX TensorProto .pb files (one sample each). Several inputs: NAME=PATH per "
                 "input (repeat --calib), or a folder of sample folders holding input_0.pb, "
                 "input_1.pb... (ONNX test-data layout). A few hundred representative samples "
                 "of the training distribution are plenty")
      ->allow_extra_args(false);
  app.add_option("--calib-method", a.calib_method,
                 "how activation ranges are chosen: minmax (every calibration value fits), "
                 "percentile (clips the rarest 0.01% at each end, see --calib-percentile) or "
                 "mse (clipping bounds minimising the expected squared quantisation error over "
                 "a histogram). Default: mse: best mean SNR on the example models and it adapts, "
                 "clipping heavy tails only where that lowers the error (docs/quantization.md)");
  app.add_option("--calib-percentile", a.calib_percentile,
                 "percentile kept by --calib-method percentile (default 99.99)");
  app.add_option("--val", a.val,
                 "X.npy Y.npy: validation inputs and integer labels; after quantising, tinyc "
                 "reports top-1 accuracy of the int8 and the float model on them (without "
                 "--val: SNR and max error of int8 vs float outputs on the calibration set); "
                 "with --prune, top-1 before and after pruning")
      ->expected(2);
  app.add_flag("--quantize-all-ops", a.quantize_all_ops,
               "also quantise around ops that have no int8 kernel yet (they then run in float "
               "on dequantised values): shows the accuracy a full int8 deployment would have");
  app.add_option(
      "--prune", a.prune,
      "FRACTION (0 to 0.95): remove that fraction of the output channels of every "
      "prunable group of Conv/Gemm/MatMul layers (structured: tensors, weights, MACs "
      "and arena shrink) or of the weights (--prune-method unstructured: zeros). With "
      "--val, prints top-1 before and after. auto: search a fraction per layer on --val "
      "data and keep the most compressed model within --max-accuracy-drop. Channels whose "
      "weights and bias are all zero (or whose activated bias is 0) are removed without "
      "this flag (docs/pruning.md)");
  app.add_flag("--keep-zero-channels", a.keep_zero_channels,
               "keep channels whose output is constantly zero (removed by default; they cost "
               "flash and cycles and change nothing): the dense model, e.g. to compare with "
               "another tool on the same network");
  app.add_option("--max-accuracy-drop", a.max_accuracy_drop,
                 "with --prune auto: the top-1 points (on --val) the compiled model may lose "
                 "against the unpruned float model, quantisation included (default 1.0)");
  app.add_option("--prune-method", a.prune_method,
                 "structured (default): whole channels, ranked by --prune-norm; "
                 "unstructured: the smallest-magnitude weights become 0");
  app.add_option("--prune-norm", a.prune_norm,
                 "channel importance for structured pruning: l1 or l2 norm of the weights "
                 "producing the channel, or data: the error removing it causes in the layers "
                 "reading it, on --calib data (else --val); default data when there is data, "
                 "else l1");
  app.add_option("--prune-compensate", a.prune_compensate,
                 "what stands in for removed channels in the layers reading them, measured on "
                 "--calib data (else --val): refit (default: those layers' kept weights and "
                 "bias are refit by least squares to reproduce their original outputs), mean "
                 "(each removed channel's mean goes into their bias) or none. Without data: none");
  app.add_option("--prune-scope", a.prune_scope,
                 "unstructured pruning threshold: global (default, one magnitude threshold over "
                 "all layers) or layer (the same fraction in every layer)");
  app.add_option(
      "--sparse-kernels", a.sparse_kernels,
      "Gemm/Conv (group 1, int8 and float) kernels that loop over nonzero weights only, for "
      "--prune-method unstructured: auto (default: per layer, when a cost model "
      "says the sparse kernel is both smaller and faster), never (dense kernels), "
      "always (sparse wherever one exists; for testing and benchmarks), "
      "only=LAYER[,LAYER...] (sparse in those layers alone, to measure them)");
  app.add_flag("--print-pipeline", a.print_pipeline, "list the passes in order and exit");
  app.add_flag("--list-ops", a.list_ops, "list the supported ONNX ops and exit");
  app.add_flag("-v,--verbose", a.verbose, "per-layer table; -vv also prints progress");
  app.add_flag("-q,--quiet", a.quiet, "print nothing on success");
  app.set_version_flag("--version", std::string("tinyc ") + kTinycVersion);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  g_verbosity = a.verbose >= 2 ? 1 : 0;
  try {
    return run(a);
  } catch (const CompileErrors& e) {
    for (const auto& m : e.messages) fmt::print(stderr, "tinyc: error: {}\n", printable(m));
  } catch (const CompileError& e) {
    fmt::print(stderr, "tinyc: error: {}\n", printable(e.what()));
  } catch (const std::bad_alloc&) {
    fmt::print(stderr, "tinyc: error: out of memory (is the model unreasonably large?)\n");
  } catch (const std::exception& e) {
    fmt::print(stderr, "tinyc: internal error: {} (please report this with the model)\n",
               printable(e.what()));
  }
  return 1;
}
