#include "qdse/data/idx_loader.hpp"

#include <torch/types.h>

#include <array>
#include <cstdio>
#include <filesystem>

#include "qdse/core/error.hpp"
#include "qdse/data/file_reader.hpp"

namespace qdse::data {

namespace {

constexpr uint32_t kImagesMagic = 0x00000803;  // unsigned byte, 3 dimensions
constexpr uint32_t kLabelsMagic = 0x00000801;  // unsigned byte, 1 dimension
// Payload is read in chunks this big so memory grows with the bytes really present.
constexpr size_t kReadChunk = size_t{16} << 20;

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

uint32_t read_be32(GzReader& r, const std::string& what) {
  std::array<unsigned char, 4> b{};
  r.read_exact(b.data(), b.size(), what);
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
}

void check_magic(const std::string& path, uint32_t found, uint32_t expected, const char* kind) {
  if (found != expected) {
    throw Error(ErrorKind::Io, path + ": not an IDX " + kind + " file: expected magic " +
                                   hex32(expected) + ", found " + hex32(found));
  }
}

// Reads exactly `count` payload bytes, then insists the file ends there.
std::vector<uint8_t> read_payload(GzReader& r, uint64_t count, const std::string& what) {
  std::vector<uint8_t> data;
  data.reserve(static_cast<size_t>(std::min<uint64_t>(count, kReadChunk)));
  uint64_t done = 0;
  while (done < count) {
    const auto want = static_cast<size_t>(std::min<uint64_t>(count - done, kReadChunk));
    data.resize(static_cast<size_t>(done) + want);
    const size_t got = r.read_some(data.data() + done, want);
    done += got;
    if (got < want) {
      throw Error(ErrorKind::Io, r.path() + ": truncated " + what + ": header promises " +
                                     std::to_string(count) + " bytes, found " + std::to_string(done));
    }
  }
  if (!r.at_end()) {
    throw Error(ErrorKind::Io, r.path() + ": unexpected trailing data after " + std::to_string(count) +
                                   " bytes of " + what + " (header count does not match the file)");
  }
  return data;
}

std::string idx_hint(IdxFlavor flavor) {
  if (flavor == IdxFlavor::FashionMnist) {
    return "Get Fashion-MNIST with `apt-get install dataset-fashion-mnist` (installs to " +
           std::string(kFashionMnistDefaultDir) +
           ") or from https://github.com/zalandoresearch/fashion-mnist (data/fashion/*.gz).";
  }
  return "Get MNIST from http://yann.lecun.com/exdb/mnist/ (mirror: "
         "https://ossci-datasets.s3.amazonaws.com/mnist/) and put the four .gz files in " +
         std::string(kMnistDefaultDir) + " or point `dataset_path` at their directory.";
}

std::string flavor_name(IdxFlavor flavor) {
  return flavor == IdxFlavor::FashionMnist ? "fashion_mnist" : "mnist";
}

// `base` or `base.gz` under dir (also the `train-images.idx3-ubyte` spelling some
// mirrors use).
std::string resolve_idx_file(IdxFlavor flavor, const std::string& dir, const std::string& base) {
  std::string dotted = base;
  if (auto pos = dotted.find("-idx"); pos != std::string::npos) dotted[pos] = '.';
  std::vector<std::string> tried;
  for (const std::string& name : {base + ".gz", base, dotted + ".gz", dotted}) {
    const std::string p = (std::filesystem::path(dir) / name).string();
    if (std::find(tried.begin(), tried.end(), p) != tried.end()) continue;
    tried.push_back(p);
    std::error_code ec;
    if (std::filesystem::is_regular_file(p, ec)) return p;
  }
  std::string list;
  for (const auto& t : tried) list += (list.empty() ? "" : ", ") + t;
  throw Error(ErrorKind::Io,
              flavor_name(flavor) + ": cannot find " + base + "[.gz] (tried " + list +
                  "). Expected a directory with the IDX files train-images-idx3-ubyte, "
                  "train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte "
                  "(gzip-compressed or plain). " +
                  idx_hint(flavor));
}

torch::Tensor load_images_as_float(const std::string& path) {
  // [N, 28, 28] uint8 -> [N, 1, 28, 28] float32, one contiguous block. A plain
  // loop (auto-vectorized) because libtorch's dtype conversion is several times
  // slower when it runs single-threaded.
  torch::Tensor bytes = read_idx_images(path);
  torch::Tensor out = torch::empty({bytes.size(0), 1, bytes.size(1), bytes.size(2)}, torch::kFloat32);
  const uint8_t* src = bytes.data_ptr<uint8_t>();
  float* dst = out.data_ptr<float>();
  const int64_t n = bytes.numel();
  for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(src[i]);
  return out;
}

}  // namespace

std::vector<std::string> fashion_mnist_class_names() {
  return {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
          "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
}

std::vector<std::string> mnist_class_names() {
  return {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
}

at::Tensor read_idx_images(const std::string& path) {
  GzReader r(path);
  check_magic(path, read_be32(r, "IDX header (magic)"), kImagesMagic, "image");
  const uint32_t n = read_be32(r, "IDX header (image count)");
  const uint32_t rows = read_be32(r, "IDX header (row count)");
  const uint32_t cols = read_be32(r, "IDX header (column count)");
  if (rows != kIdxImageSide || cols != kIdxImageSide) {
    throw Error(ErrorKind::Io, path + ": expected 28x28 images, found " + std::to_string(rows) + "x" +
                                   std::to_string(cols));
  }
  if (n == 0) throw Error(ErrorKind::Io, path + ": expected at least one image, found 0");
  // n < 2^32 and rows*cols == 784, so the product fits easily in 64 bits.
  const uint64_t bytes = uint64_t{n} * rows * cols;
  std::vector<uint8_t> data = read_payload(r, bytes, "image data");
  return torch::from_blob(data.data(), {int64_t{n}, int64_t{rows}, int64_t{cols}}, torch::kUInt8)
      .clone();
}

at::Tensor read_idx_labels(const std::string& path) {
  GzReader r(path);
  check_magic(path, read_be32(r, "IDX header (magic)"), kLabelsMagic, "label");
  const uint32_t n = read_be32(r, "IDX header (label count)");
  if (n == 0) throw Error(ErrorKind::Io, path + ": expected at least one label, found 0");
  std::vector<uint8_t> data = read_payload(r, n, "label data");
  for (size_t i = 0; i < data.size(); ++i) {
    if (data[i] >= kIdxNumClasses) {
      throw Error(ErrorKind::Io, path + ": label " + std::to_string(i) + " is " +
                                     std::to_string(data[i]) + ", expected a class id in [0, 9]");
    }
  }
  return torch::from_blob(data.data(), {int64_t{n}}, torch::kUInt8).to(torch::kInt64);
}

Dataset load_idx_dataset(IdxFlavor flavor, const std::string& dir_in, bool with_train) {
  const std::string dir = dir_in.empty()
                              ? std::string(flavor == IdxFlavor::FashionMnist ? kFashionMnistDefaultDir
                                                                             : kMnistDefaultDir)
                              : dir_in;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    throw Error(ErrorKind::Io, flavor_name(flavor) + ": `" + dir +
                                   "` is not a directory; expected a directory holding the IDX files "
                                   "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
                                   "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz. " +
                                   idx_hint(flavor));
  }
  auto load_pair = [&](const char* images_base, const char* labels_base) {
    const std::string images_path = resolve_idx_file(flavor, dir, images_base);
    const std::string labels_path = resolve_idx_file(flavor, dir, labels_base);
    Split s;
    s.x = load_images_as_float(images_path);
    s.y = read_idx_labels(labels_path);
    if (s.x.size(0) != s.y.size(0)) {
      throw Error(ErrorKind::Io, images_path + " holds " + std::to_string(s.x.size(0)) + " images but " +
                                     labels_path + " holds " + std::to_string(s.y.size(0)) +
                                     " labels; expected equal counts");
    }
    return s;
  };
  Dataset d;
  d.name = flavor_name(flavor);
  d.sample_shape = {1, kIdxImageSide, kIdxImageSide};
  d.train = with_train ? load_pair("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
                       : make_empty_split(d.sample_shape);
  d.test = load_pair("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte");
  d.validation = make_empty_split(d.sample_shape);
  d.num_classes = kIdxNumClasses;
  d.class_names = flavor == IdxFlavor::FashionMnist ? fashion_mnist_class_names() : mnist_class_names();
  return d;
}

}  // namespace qdse::data
