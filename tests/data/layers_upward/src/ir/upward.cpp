// Fixture for the LayerRuleRejectsUpwardInclude test: the ir layer reaching up into pipeline.
#include "qdse/ir/graph.hpp"
#include "qdse/pipeline/search_runner.hpp"
