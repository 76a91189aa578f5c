// Hosts the one precompiled <torch/torch.h> that every libtorch-using target of qdse
// (libraries, the CLI, tests, benchmarks) reuses: compiling it costs about a minute on
// two cores, once instead of once per target.
