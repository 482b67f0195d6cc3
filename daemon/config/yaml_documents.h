// Where the documents of a YAML stream start (see yaml_documents.cpp for
// why fibd does not use YAML::LoadAll()).
#pragma once

#include <yaml-cpp/mark.h>

#include <string>
#include <vector>

namespace fibd::detail {

// The first two documents of a YAML stream: where each starts, and the line
// of its first node. yaml-cpp 0.7's YAML::LoadAll() never returns on some
// malformed streams (a stray ',' at the top level): its parser then yields
// empty documents forever without consuming input, and memory grows until
// the process dies (upstream issue 1040; found by fuzz_config). Here the
// loop is bounded, and a second document that starts where the first did
// means the parser is stuck.
struct DocumentStart {
  YAML::Mark start;
  int first_line = -1;  // of the document's first node
};

// The first two documents of `text` (fewer if it has fewer).
std::vector<DocumentStart> document_starts(const std::string& text);

}  // namespace fibd::detail
