#include "qdse/data/load_dataset.hpp"

#include <torch/types.h>

#include "qdse/core/error.hpp"
#include "qdse/data/csv_loader.hpp"
#include "qdse/data/idx_loader.hpp"
#include "qdse/data/jsc_loader.hpp"

namespace qdse::data {

const std::vector<std::string>& dataset_names() {
  static const std::vector<std::string> names = {"fashion_mnist", "mnist", "jsc", "csv"};
  return names;
}

std::string canonical_dataset_name(std::string_view name) {
  if (name == "fashion_mnist" || name == "fmnist" || name == "fashion-mnist") return "fashion_mnist";
  if (name == "mnist" || name == "jsc" || name == "csv") return std::string(name);
  throw Error(ErrorKind::Config, "unknown dataset `" + std::string(name) +
                                     "`; valid names: fashion_mnist (aliases fmnist, fashion-mnist), mnist, "
                                     "jsc, csv");
}

Preprocess default_preprocess(std::string_view name) {
  Preprocess p;
  if (name == "fashion_mnist") {
    p.kind = Preprocess::Kind::Normalize;
    p.mean = {kFashionMnistMean};
    p.std = {kFashionMnistStd};
  } else if (name == "mnist") {
    p.kind = Preprocess::Kind::Normalize;
    p.mean = {kMnistMean};
    p.std = {kMnistStd};
  } else {
    p.kind = Preprocess::Kind::Standardize;
  }
  return p;
}

Dataset load_dataset(const DatasetOptions& options) {
  const std::string name = canonical_dataset_name(options.name);
  if (!(options.validation_fraction >= 0.0 && options.validation_fraction < 1.0)) {
    throw Error(ErrorKind::Config, "`validation_fraction` must be in [0, 1), got " +
                                       std::to_string(options.validation_fraction));
  }
  if (options.limit_train && *options.limit_train < 1) {
    throw Error(ErrorKind::Config, "`limit_train` must be >= 1, got " + std::to_string(*options.limit_train));
  }
  Preprocess pre = options.preprocess.value_or(default_preprocess(name));
  if (pre.kind == Preprocess::Kind::Normalize && pre.mean.empty() && pre.std.empty()) {
    const Preprocess def = default_preprocess(name);
    if (def.kind == Preprocess::Kind::Normalize) {
      pre.mean = def.mean;
      pre.std = def.std;
    }
  }

  const bool with_train = options.train || pre.kind == Preprocess::Kind::Standardize;
  Dataset d;
  if (name == "fashion_mnist") {
    d = load_idx_dataset(IdxFlavor::FashionMnist, options.path, with_train);
  } else if (name == "mnist") {
    d = load_idx_dataset(IdxFlavor::Mnist, options.path, with_train);
  } else if (name == "jsc") {
    d = load_jsc_dataset(options.path);
  } else {
    d = load_csv_dataset(options.path, options.label_column);
  }
  d.validation = carve_split(d.train, options.validation_fraction, options.seed);
  apply_preprocess(d, pre);
  if (options.limit_train && *options.limit_train < d.train.size()) {
    d.train.x = d.train.x.narrow(0, 0, *options.limit_train).clone();
    d.train.y = d.train.y.narrow(0, 0, *options.limit_train).clone();
  }
  return d;
}

}  // namespace qdse::data
