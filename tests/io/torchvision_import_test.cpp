// Real networks as users export them: torchvision classifiers adapted to Fashion-MNIST
// (scripts/export-torchvision.py, run here with /usr/bin/python3 and Debian's
// python3-torchvision), exported by torch.onnx.export at opsets 11, 13 and 17 with a
// dynamic batch axis. Each imports and gives PyTorch's logits on fixed inputs:
// max |qdse - torch| <= 1e-4 * max |torch| over the batch.
// Models qdse cannot import yet must be refused with one clear error naming the op and
// its node (never a crash, never wrong numbers); kImports lists the ones that import.
#include <gtest/gtest.h>
#include <torch/types.h>
#include <torch/utils.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "qdse/core/error.hpp"
#include "qdse/exec/executor.hpp"
#include "qdse/io/onnx/import.hpp"
#include "../support/prerequisites.hpp"
#include "../support/temp_dir.hpp"

namespace qdse::io {
namespace {

const std::vector<std::string> kModels = {"resnet18",       "resnet34",           "mobilenet_v2",  "mobilenet_v3_small",
                                          "shufflenet_v2_x0_5", "squeezenet1_1",  "mnasnet0_5",    "efficientnet_b0",
                                          "regnet_x_400mf", "vgg11_bn",           "densenet121"};
const std::set<std::string> kImports(kModels.begin(), kModels.end());
const int kOpsets[] = {11, 13, 17};

at::Tensor read_f32(const std::string& path, std::vector<int64_t> shape) {
  std::ifstream in(path, std::ios::binary);
  int64_t n = 1;
  for (auto d : shape) n *= d;
  std::vector<float> v(static_cast<std::size_t>(n));
  in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(n * sizeof(float)));
  if (!in) throw std::runtime_error("cannot read " + path);
  return torch::from_blob(v.data(), shape, torch::kFloat32).clone();
}

class TorchvisionImport : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir("qdse_torchvision");
    const std::string cmd = "/usr/bin/python3 " + std::string(QDSE_SOURCE_DIR) + "/scripts/export-torchvision.py " +
                            dir_->path().string() + " > " + dir_->file("export.log") + " 2>&1";
    exported_ = std::system(cmd.c_str()) == 0;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static testing::TempDir* dir_;
  static bool exported_;
};
testing::TempDir* TorchvisionImport::dir_ = nullptr;
bool TorchvisionImport::exported_ = false;

TEST_F(TorchvisionImport, EveryModelAndOpsetImportsWithPyTorchsLogitsOrIsRefusedClearly) {
  QDSE_REQUIRE(std::system("/usr/bin/python3 -c 'import torchvision' >/dev/null 2>&1") == 0,
               "/usr/bin/python3 cannot import torchvision (scripts/install-deps.sh installs python3-torchvision)");
  ASSERT_TRUE(exported_) << "scripts/export-torchvision.py failed; log: " << dir_->file("export.log");
  torch::NoGradGuard no_grad;
  int imported = 0;
  for (const auto& model : kModels) {
    const auto x = read_f32(dir_->file(model + ".input.f32"), {4, 1, 28, 28});
    const auto want = read_f32(dir_->file(model + ".logits.f32"), {4, 10});
    for (int opset : kOpsets) {
      const std::string path = dir_->file(model + "_op" + std::to_string(opset) + ".onnx");
      SCOPED_TRACE(model + " opset " + std::to_string(opset));
      if (!kImports.count(model)) {
        try {
          import_onnx(path);
          ADD_FAILURE() << "imports now: add it to kImports";
        } catch (const Error& e) {
          const std::string msg = e.what();
          EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
          EXPECT_NE(msg.find("op '"), std::string::npos) << msg;
          EXPECT_NE(msg.find("of node '"), std::string::npos) << msg;
        }
        continue;
      }
      const ir::Graph g = import_onnx(path);
      const auto got = exec::Executor(g).forward(x);
      ASSERT_EQ(got.sizes(), want.sizes());
      const double scale = want.abs().max().item<double>();
      const double diff = (got - want).abs().max().item<double>();
      EXPECT_LE(diff, 1e-4 * scale) << "max |difference| " << diff << " at logit scale " << scale;
      ++imported;
    }
  }
  EXPECT_EQ(imported, static_cast<int>(kImports.size()) * 3);
}

}  // namespace
}  // namespace qdse::io
