// Loader for MNIST-style IDX files (MNIST, Fashion-MNIST), gzip-compressed or plain.
//
// A directory holds train-images-idx3-ubyte, train-labels-idx1-ubyte,
// t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, each optionally with a
// `.gz` suffix. Every header field is checked before it is trusted (magic,
// dimension count, 28x28 images, image/label counts agree, labels < 10) and
// the payload is read in bounded chunks, so a lying header cannot make the
// loader allocate more than the file really holds, and a truncated or
// over-long file is an Error(Io) naming the path, what was expected and what
// was found. Loaders return raw pixels (0..255 as float32); load_dataset()
// carves validation and applies the preprocessing.
// Ownership: returns values. Thread-safety: reentrant.
#pragma once

#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "qdse/data/dataset.hpp"

namespace qdse::data {

// The statistics the project's reference PyTorch Fashion-MNIST models were
// trained with (transforms.Normalize((0.2860,), (0.3530,))), on x / 255.
inline constexpr double kFashionMnistMean = 0.2860;
inline constexpr double kFashionMnistStd = 0.3530;
// The customary MNIST statistics (torchvision examples), on x / 255.
inline constexpr double kMnistMean = 0.1307;
inline constexpr double kMnistStd = 0.3081;

// Debian's dataset-fashion-mnist package installs here.
inline constexpr const char* kFashionMnistDefaultDir = "/usr/share/datasets/fashion-mnist";
// No Debian package ships MNIST; this mirrors the Fashion-MNIST layout.
inline constexpr const char* kMnistDefaultDir = "/usr/share/datasets/mnist";

inline constexpr int64_t kIdxImageSide = 28;
inline constexpr int64_t kIdxNumClasses = 10;

enum class IdxFlavor { FashionMnist, Mnist };

std::vector<std::string> fashion_mnist_class_names();  // "T-shirt/top", "Trouser", ...
std::vector<std::string> mnist_class_names();          // "0" .. "9"

// IDX image file (magic 0x00000803) -> uint8 [N, 28, 28].
at::Tensor read_idx_images(const std::string& path);
// IDX label file (magic 0x00000801) -> int64 [N], every value < 10.
at::Tensor read_idx_labels(const std::string& path);

// The four files under `dir` (empty = the flavor's default dir) as a Dataset
// with train and test filled (x float32 [N, 1, 28, 28], raw 0..255), an empty
// validation split and no preprocessing. Missing files: Error(Io) naming the
// paths tried, the expected files and where to get them.
// with_train = false leaves the train split empty without opening the train files.
Dataset load_idx_dataset(IdxFlavor flavor, const std::string& dir, bool with_train = true);

}  // namespace qdse::data
