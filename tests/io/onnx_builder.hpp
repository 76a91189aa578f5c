// Test helper: builds ONNX ModelProtos in C++ (no Python in CI) so the importer's
// tests can make any model, valid or broken, byte by byte.
// Ownership: an OnnxBuilder owns its ModelProto. Thread-safety: none needed.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstring>
#include <string>
#include <vector>

#include "onnx/onnx_pb.h"
#include "qdse/io/onnx/import.hpp"

namespace qdse::test {

class OnnxBuilder {
 public:
  explicit OnnxBuilder(int64_t opset = 13) {
    model_.set_ir_version(7);
    model_.set_producer_name("qdse-test");
    auto* imp = model_.add_opset_import();
    imp->set_domain("");
    imp->set_version(opset);
    model_.mutable_graph()->set_name("test");
  }

  onnx::ModelProto& model() { return model_; }
  onnx::GraphProto& graph() { return *model_.mutable_graph(); }

  // Float input [batch, sample...]; the batch dim is symbolic like torch's dynamic axes.
  OnnxBuilder& input(const std::string& name, const std::vector<int64_t>& sample_shape) {
    auto* in = graph().add_input();
    in->set_name(name);
    auto* tt = in->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    auto* shape = tt->mutable_shape();
    shape->add_dim()->set_dim_param("batch");
    for (int64_t d : sample_shape) shape->add_dim()->set_dim_value(d);
    return *this;
  }

  OnnxBuilder& output(const std::string& name) {
    auto* out = graph().add_output();
    out->set_name(name);
    out->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
    return *this;
  }

  // float32 tensors are stored as raw_data, int64 as int64_data (both forms are tested).
  static void fill(onnx::TensorProto& p, const std::string& name, const at::Tensor& t) {
    p.set_name(name);
    for (int64_t d : t.sizes()) p.add_dims(d);
    const at::Tensor c = t.contiguous();
    if (c.scalar_type() == at::kLong) {
      p.set_data_type(onnx::TensorProto::INT64);
      for (int64_t i = 0; i < c.numel(); ++i) p.add_int64_data(c.data_ptr<int64_t>()[i]);
    } else {
      const at::Tensor f = c.to(at::kFloat).contiguous();
      p.set_data_type(onnx::TensorProto::FLOAT);
      p.set_raw_data(std::string(static_cast<const char*>(f.data_ptr()), f.numel() * sizeof(float)));
    }
  }

  OnnxBuilder& initializer(const std::string& name, const at::Tensor& t) {
    fill(*graph().add_initializer(), name, t);
    return *this;
  }

  onnx::NodeProto& node(const std::string& op, const std::vector<std::string>& inputs,
                        const std::vector<std::string>& outputs, const std::string& name = "") {
    auto* n = graph().add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (const auto& i : inputs) n->add_input(i);
    for (const auto& o : outputs) n->add_output(o);
    return *n;
  }

  static void attr(onnx::NodeProto& n, const std::string& name, int64_t v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void attr_f(onnx::NodeProto& n, const std::string& name, float v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }
  static void attr(onnx::NodeProto& n, const std::string& name, const std::vector<int64_t>& v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
  }
  static void attr(onnx::NodeProto& n, const std::string& name, const std::string& v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v);
  }
  static void attr_t(onnx::NodeProto& n, const std::string& name, const at::Tensor& t) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::TENSOR);
    fill(*a->mutable_t(), "", t);
  }

  std::string bytes() const { return model_.SerializeAsString(); }

  ir::Graph import(const io::OnnxImportOptions& options = {}) const {
    return io::import_onnx_bytes(bytes(), options);
  }

 private:
  onnx::ModelProto model_;
};

}  // namespace qdse::test
