#include "host_run.h"

#include "compiler/compile.h"
#include "compiler/emitter.h"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <unistd.h>

namespace tinyc::test {

namespace fs = std::filesystem;

static void write(const fs::path& p, const std::string& s) {
  std::ofstream f(p, std::ios::binary);
  f.write(s.data(), std::streamsize(s.size()));
}

HostRun compile_and_run(Graph g, const std::vector<TensorData>& inputs, bool run_passes,
                        const std::string& extra_flags, bool checking_build) {
  if (run_passes) run_pipeline(g);
  EmitOptions o;
  o.name = "m";
  o.header_file = "m.h";
  o.model_file = "test";
  // TINYC_TEST_PLAN=poison,io-in-arena: the checking build (dead buffers poisoned) with the
  // model's inputs and outputs in the arena, so single-op tests also run their op in place.
  o.poison_dead = o.plan.io_in_arena = checking_build;
  if (const char* plan = std::getenv("TINYC_TEST_PLAN")) {
    const std::string p = plan;
    o.poison_dead |= p.find("poison") != std::string::npos;
    o.plan.io_in_arena |= p.find("io-in-arena") != std::string::npos;
    if (p.find("no-inplace") != std::string::npos) o.plan.inplace = false;
  }
  EmittedModel m = emit_model(g, o);

  static int counter = 0;
  fs::path dir = fs::temp_directory_path() / fmt::format("tinyc_unit_{}_{}", getpid(), counter++);
  fs::remove_all(dir);
  fs::create_directories(dir);
  write(dir / "m.cpp", m.source);
  write(dir / "m.h", m.header);

  std::string main = "#include \"m.h\"\n#include <stdio.h>\n";
  std::string args;
  for (size_t i = 0; i < inputs.size(); ++i) {
    main += fmt::format("static {} in{}[{}];\n", dtype_ctype(inputs[i].dtype), i,
                        std::max<int64_t>(1, inputs[i].size()));
    args += fmt::format("{}in{}", i ? ", " : "", i);
    write(dir / fmt::format("in{}.bin", i),
          std::string(inputs[i].bytes.begin(), inputs[i].bytes.end()));
  }
  for (size_t i = 0; i < g.outputs.size(); ++i) {
    const Value& v = g.val(g.outputs[i]);
    main += fmt::format("static {} out{}[{}];\n", dtype_ctype(v.dtype), i,
                        std::max<int64_t>(1, numel(v.shape)));
    args += fmt::format("{}out{}", args.empty() ? "" : ", ", i);
  }
  main += "int main() {\n  FILE* f;\n";
  for (size_t i = 0; i < inputs.size(); ++i)
    main += fmt::format("  f = fopen(\"in{0}.bin\", \"rb\"); if (fread(in{0}, 1, {1}, f) != {1}) "
                        "return 3; fclose(f);\n",
                        i, inputs[i].bytes.size());
  main += fmt::format("  if (m_run({}) != 0) return 4;\n", args);
  for (size_t i = 0; i < g.outputs.size(); ++i) {
    const Value& v = g.val(g.outputs[i]);
    main +=
        fmt::format("  f = fopen(\"out{0}.bin\", \"wb\"); fwrite(out{0}, 1, {1}, f); fclose(f);\n",
                    i, numel(v.shape) * int64_t(dtype_size(v.dtype)));
  }
  main += "  return 0;\n}\n";
  write(dir / "main.cpp", main);

  std::string cmd = fmt::format(
      "cd {} && g++ -std=c++17 -O1 -Wall -Wextra -Werror -fsanitize=address,undefined "
      "-fno-sanitize-recover=all {} m.cpp main.cpp -o t -lm > build.log 2>&1 && ./t > run.log 2>&1",
      dir.string(), extra_flags);
  int rc = std::system(cmd.c_str());
  if (rc != 0) {
    std::ifstream b(dir / "build.log"), r(dir / "run.log");
    std::string log((std::istreambuf_iterator<char>(b)), {}),
        log2((std::istreambuf_iterator<char>(r)), {});
    throw std::runtime_error("generated code failed to build or run (kept in " + dir.string() +
                             "):\n" + log.substr(0, 3000) + log2.substr(0, 3000));
  }
  HostRun r;
  r.source = m.source;
  for (size_t i = 0; i < g.outputs.size(); ++i) {
    const Value& v = g.val(g.outputs[i]);
    TensorData t(v.dtype, v.shape);
    std::ifstream f(dir / fmt::format("out{}.bin", i), std::ios::binary);
    f.read(reinterpret_cast<char*>(t.bytes.data()), std::streamsize(t.bytes.size()));
    r.outputs.push_back(std::move(t));
  }
  fs::remove_all(dir);
  return r;
}

} // namespace tinyc::test
