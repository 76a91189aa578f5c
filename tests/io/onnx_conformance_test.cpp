// ONNX's own conformance tests through qdse's importer and executor: the backend node
// tests and the PyTorch-converted / PyTorch-operator sets that Debian's libonnx-testdata
// ships (model.onnx + test_data_set_*/input_*.pb, output_*.pb).
//
// qdse models have one data input, so the inputs of a case after the first become
// initializers holding that case's own input values: the op is checked with those
// operands as constants. Every case ends as one of
//   pass      imported and ran; every data set's output equals ONNX's expected output
//             at the backend tests' tolerance (rtol 1e-3, atol 1e-7),
//   refused   the importer or executor raised qdse::Error (an unsupported op, attribute,
//             dtype or pattern): a documented refusal, counted per reason,
//   mismatch  imported and ran but computed something else: a bug,
//   crash     something other than qdse::Error escaped: a bug.
// The test fails on any crash, on a mismatch that tests/io/fixtures/onnx_conformance_known.txt
// does not explain, and when a case of tests/io/fixtures/onnx_conformance_pass.txt no longer
// passes. QDSE_UPDATE_GOLDEN=1 rewrites the pass list; QDSE_CONFORMANCE_TSV=<file> writes
// every case's status (the source of the table in docs/onnx.md).
#include <gtest/gtest.h>
#include <torch/types.h>
#include <torch/utils.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "onnx/onnx_pb.h"
#include "qdse/core/error.hpp"
#include "qdse/exec/executor.hpp"
#include "qdse/io/onnx/import.hpp"
#include "qdse/io/onnx/import_context.hpp"
#include "../support/prerequisites.hpp"

namespace qdse::io {
namespace {

namespace fs = std::filesystem;

const char* const kTestdataRoot = "/usr/share/libonnx-testdata/data";  // Debian libonnx-testdata
const char* const kSets[] = {"node", "pytorch-converted", "pytorch-operator"};

struct ConformanceCase {
  std::string name;    // "<set>/<test>"
  std::string ops;     // op types of the model, sorted and '+'-joined
  std::string status;  // pass | refused | mismatch | crash
  std::string detail;  // first line of the error, or the largest difference
};

template <class Proto>
Proto read_proto(const fs::path& p) {
  Proto proto;
  std::ifstream in(p, std::ios::binary);
  if (!in || !proto.ParseFromIstream(&in)) throw Error(ErrorKind::Io, "cannot parse " + p.string());
  return proto;
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

std::string op_types(const onnx::ModelProto& m) {
  std::set<std::string> ops;
  for (const auto& n : m.graph().node()) ops.insert(n.op_type());
  std::string out;
  for (const auto& op : ops) out += (out.empty() ? "" : "+") + op;
  return out;
}

// One data set of a case: the model with inputs 1.. as initializers, run on input 0.
// Returns "" when the output matches, else what differs.
std::string run_data_set(const onnx::ModelProto& original, const fs::path& set_dir) {
  onnx::ModelProto model = original;
  auto* graph = model.mutable_graph();
  if (graph->input_size() == 0) throw Error(ErrorKind::Import, "the model has no data input");
  std::vector<fs::path> input_files, output_files;
  for (int i = 0;; ++i) {
    const auto p = set_dir / ("input_" + std::to_string(i) + ".pb");
    if (!fs::exists(p)) break;
    input_files.push_back(p);
  }
  for (int i = 0;; ++i) {
    const auto p = set_dir / ("output_" + std::to_string(i) + ".pb");
    if (!fs::exists(p)) break;
    output_files.push_back(p);
  }
  if (input_files.empty() || output_files.empty()) throw Error(ErrorKind::Io, "data set without input or output");
  if (output_files.size() != 1) throw Error(ErrorKind::Import, "qdse models have one output (this case has " +
                                                                    std::to_string(output_files.size()) + ")");
  // Inputs already given an initializer (old IR versions list both) are constants already.
  std::set<std::string> initialized;
  for (const auto& t : graph->initializer()) initialized.insert(t.name());
  std::vector<std::string> data_inputs;
  for (const auto& in : graph->input())
    if (!initialized.count(in.name())) data_inputs.push_back(in.name());
  if (data_inputs.size() != input_files.size()) throw Error(ErrorKind::Io, "inputs and input_*.pb files disagree");
  for (std::size_t i = 1; i < data_inputs.size(); ++i) {
    auto t = read_proto<onnx::TensorProto>(input_files[i]);
    t.set_name(data_inputs[i]);
    *graph->add_initializer() = t;
  }
  // Keep the first data input (and the inputs that have initializers) as inputs.
  google::protobuf::RepeatedPtrField<onnx::ValueInfoProto> kept;
  for (const auto& in : graph->input())
    if (in.name() == data_inputs[0] || initialized.count(in.name())) *kept.Add() = in;
  graph->mutable_input()->Swap(&kept);

  const at::Tensor x = onnx_detail::tensor_from_proto(read_proto<onnx::TensorProto>(input_files[0]), set_dir.string());
  const at::Tensor want = onnx_detail::tensor_from_proto(read_proto<onnx::TensorProto>(output_files[0]), set_dir.string());
  OnnxImportOptions options;
  if (x.dim() >= 1) options.input_shape.assign(x.sizes().begin() + 1, x.sizes().end());
  std::string bytes;
  model.SerializeToString(&bytes);
  const ir::Graph g = import_onnx_bytes(bytes, options, set_dir.parent_path().string(), set_dir.parent_path().string());
  torch::NoGradGuard no_grad;
  const at::Tensor got = exec::Executor(g).forward(x.to(torch::kFloat32));
  if (got.sizes() != want.sizes()) {
    std::ostringstream os;
    os << "shape " << got.sizes() << " instead of " << want.sizes();
    return os.str();
  }
  const auto g64 = got.to(torch::kFloat64), w64 = want.to(torch::kFloat64);
  if (torch::allclose(g64, w64, 1e-3, 1e-7, /*equal_nan=*/true)) return "";
  std::ostringstream os;
  os << "max abs difference " << (g64 - w64).abs().nan_to_num(1e300).max().item<double>();
  return os.str();
}

ConformanceCase run_case(const std::string& set, const fs::path& dir) {
  ConformanceCase c{set + "/" + dir.filename().string(), "", "pass", ""};
  try {
    const auto model = read_proto<onnx::ModelProto>(dir / "model.onnx");
    c.ops = op_types(model);
    std::vector<fs::path> sets;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0) sets.push_back(e.path());
    std::sort(sets.begin(), sets.end());
    if (sets.empty()) throw Error(ErrorKind::Io, "no test_data_set_*");
    for (const auto& s : sets) {
      const std::string diff = run_data_set(model, s);
      if (!diff.empty()) {
        c.status = "mismatch";
        c.detail = s.filename().string() + ": " + diff;
        break;
      }
    }
  } catch (const Error& e) {
    c.status = "refused";
    c.detail = first_line(e.what());
  } catch (const std::exception& e) {
    c.status = "crash";
    c.detail = first_line(e.what());
  } catch (...) {
    c.status = "crash";
    c.detail = "non-standard exception";
  }
  return c;
}

std::set<std::string> read_list(const fs::path& p) {
  std::set<std::string> names;
  std::ifstream in(p);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    names.insert(line.substr(0, line.find_first_of(" \t")));
  }
  return names;
}

const fs::path kFixtures = fs::path(QDSE_SOURCE_DIR) / "tests" / "io" / "fixtures";

TEST(OnnxConformance, BackendTestsPassOrAreRefusedNeverCrash) {
  QDSE_REQUIRE(fs::is_directory(fs::path(kTestdataRoot) / "node"),
               "ONNX backend test data not found at " << kTestdataRoot
                                                      << " (Debian libonnx-testdata; scripts/install-deps.sh installs it)");
  std::vector<ConformanceCase> cases;
  for (const char* set : kSets) {
    std::vector<fs::path> dirs;
    for (const auto& e : fs::directory_iterator(fs::path(kTestdataRoot) / set))
      if (fs::exists(e.path() / "model.onnx")) dirs.push_back(e.path());
    std::sort(dirs.begin(), dirs.end());
    for (const auto& d : dirs) cases.push_back(run_case(set, d));
  }
  ASSERT_GT(cases.size(), 900u) << "the test data looks incomplete";

  const auto expected_pass = read_list(kFixtures / "onnx_conformance_pass.txt");
  const auto known_mismatch = read_list(kFixtures / "onnx_conformance_known.txt");
  std::map<std::string, int> count;
  std::set<std::string> passing;
  for (const auto& c : cases) {
    ++count[c.status];
    if (c.status == "pass") passing.insert(c.name);
    EXPECT_NE(c.status, "crash") << c.name << " (" << c.ops << "): " << c.detail;
    if (c.status == "mismatch")
      EXPECT_TRUE(known_mismatch.count(c.name)) << c.name << " (" << c.ops << ") computes a different result: "
                                                << c.detail;
  }
  for (const auto& name : expected_pass) EXPECT_TRUE(passing.count(name)) << name << " passed before and no longer does";
  std::cout << "ONNX conformance: " << cases.size() << " cases, " << count["pass"] << " pass, " << count["refused"]
            << " refused, " << count["mismatch"] << " mismatch, " << count["crash"] << " crash\n";

  if (const char* tsv = std::getenv("QDSE_CONFORMANCE_TSV"); tsv != nullptr && *tsv != '\0') {
    std::ofstream out(tsv);
    out << "case\tops\tstatus\tdetail\n";
    for (const auto& c : cases) out << c.name << '\t' << c.ops << '\t' << c.status << '\t' << c.detail << '\n';
  }
  if (const char* update = std::getenv("QDSE_UPDATE_GOLDEN"); update != nullptr && *update == '1') {
    std::ofstream out(kFixtures / "onnx_conformance_pass.txt");
    out << "# ONNX backend cases that pass through qdse's importer and executor (onnx_conformance_test.cpp).\n";
    for (const auto& name : passing) out << name << '\n';
  }
}

}  // namespace
}  // namespace qdse::io
