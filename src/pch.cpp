// Hosts the one precompiled header that every libtorch-using target of qdse (libraries,
// the CLI, tests, benchmarks) reuses. It holds the part of libtorch qdse uses (tensors
// and factories, grad-mode guards and seeding, autograd functions), not <torch/torch.h>:
// the whole C++ frontend (nn, optim, data, jit) makes every translation unit that
// includes the PCH spend about 7 s instantiating its templates, this subset about 3 s.
// The two training sources include <torch/nn.h> and <torch/optim.h> themselves.
