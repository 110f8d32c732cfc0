// The functions a compiled query calls, in each engine's spelling (Trino as Athena runs it;
// DuckDB), so the compiler above writes one query for both.
//
// JSON values are reached by path: Trino's JSONPath with every name in brackets
// (`$["userIdentity"]["type"]`, quotes and backslashes escaped), DuckDB's JSON Pointer
// (`/userIdentity/type`, with ~0 and ~1). Both engines read a step by what the container is:
// `[0]` on an object looks up a field "0", a field "0" on an array takes its first element.
// CloudWatch does neither, so a step that is an index, or a field whose name is a number,
// first checks the container's kind.
//
// A JSON value's kind is one letter, the same in both engines: 's' string, 'd' number, 't' /
// 'f' boolean, 'n' null, 'o' object, 'a' array; NULL when the path reaches nothing.
#pragma once

#include <span>
#include <string>

#include "pattern/ast.h"
#include "pushdown/sql_text.h"

namespace trailreplay::pushdown {

class EngineSql {
 public:
  explicit EngineSql(Engine engine) : engine_(engine) {}
  Engine engine() const { return engine_; }

  // The JSON value at `steps` of `doc` (a JSON or VARCHAR expression holding JSON), or NULL.
  // `doc_is_object`: the document is known to be an object (records are), which spares the
  // check of its own kind.
  std::string JsonAt(const std::string& doc, std::span<const pattern::PathStep> steps,
                     bool doc_is_object) const;
  std::string JsonKind(const std::string& json) const;
  // A scalar's text: a string's characters, a number as the engine writes it, true / false.
  std::string JsonText(const std::string& json) const;
  // A number's value (use where the kind is 'd').
  std::string JsonNumber(const std::string& json) const;
  // The elements of an array (`array`) or the values of an object, as a list of JSON values;
  // NULL when the value is not that container.
  std::string JsonItems(const std::string& json, bool array) const;
  // The text of a whole JSON document (term patterns search it).
  std::string JsonDocumentText(const std::string& doc) const;

  // TRUE when some element of `list` satisfies `predicate` over `var`; FALSE when none does,
  // or the list is empty or NULL.
  std::string Any(const std::string& list, const std::string& var,
                  const std::string& predicate) const;
  // The first element satisfying `predicate`, or NULL.
  std::string First(const std::string& list, const std::string& var,
                    const std::string& predicate) const;
  std::string ElementAt(const std::string& list, std::size_t one_based) const;
  std::string Field(const std::string& row, const std::string& name) const;

  std::string RegexMatch(const std::string& text, const std::string& regex_literal) const;
  std::string Contains(const std::string& text, const std::string& literal) const;
  std::string IntDiv(const std::string& a, const std::string& b) const;
  std::string RegexExtract(const std::string& text, const std::string& regex_literal,
                           int group) const;

 private:
  std::string Path(std::span<const pattern::PathStep> steps) const;
  std::string ContainerIs(const std::string& doc, std::span<const pattern::PathStep> prefix,
                          bool array) const;

  Engine engine_;
};

}  // namespace trailreplay::pushdown
