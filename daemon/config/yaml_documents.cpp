#include "config/yaml_documents.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include <sstream>

namespace fibd::detail {

namespace {

class DocumentStarts final : public YAML::EventHandler {
 public:
  std::vector<DocumentStart> docs;
  void OnDocumentStart(const YAML::Mark& mark) override { docs.push_back({mark}); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    node(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    node(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    node(mark);
  }
  void OnMapEnd() override {}

 private:
  void node(const YAML::Mark& mark) {
    if (!docs.empty() && docs.back().first_line < 0 && !mark.is_null()) {
      docs.back().first_line = mark.line;
    }
  }
};

}  // namespace

std::vector<DocumentStart> document_starts(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts handler;
  while (handler.docs.size() < 2 && parser.HandleNextDocument(handler)) {
  }
  return std::move(handler.docs);
}

}  // namespace fibd::detail
