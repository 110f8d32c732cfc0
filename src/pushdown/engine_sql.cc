#include "pushdown/engine_sql.h"

namespace trailreplay::pushdown {
namespace {

using pattern::PathStep;

// A field name either engine's path syntax could take for an array index (Trino parses it
// with Integer.parseInt: "+1" and "01" too).
bool IndexLike(const std::string& name) {
  if (name.empty()) return false;
  std::size_t i = name[0] == '+' || name[0] == '-' ? 1 : 0;
  if (i == name.size()) return false;
  for (; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
  }
  return true;
}

}  // namespace

std::string EngineSql::Path(std::span<const PathStep> steps) const {
  std::string path;
  if (engine_ == Engine::kDuckDb) {
    if (steps.empty()) return SqlString("$");
    for (const PathStep& step : steps) {
      path += '/';
      if (step.kind == PathStep::Kind::kIndex) {
        path += std::to_string(step.index);
        continue;
      }
      for (char c : step.name) {
        if (c == '~') {
          path += "~0";
        } else if (c == '/') {
          path += "~1";
        } else {
          path += c;
        }
      }
    }
    return SqlString(path);
  }
  path = "$";
  for (const PathStep& step : steps) {
    if (step.kind == PathStep::Kind::kIndex) {
      path += "[" + std::to_string(step.index) + "]";
      continue;
    }
    path += "[\"";
    for (char c : step.name) {
      if (c == '"' || c == '\\') path += '\\';
      path += c;
    }
    path += "\"]";
  }
  return SqlString(path);
}

std::string EngineSql::ContainerIs(const std::string& doc, std::span<const PathStep> prefix,
                                   bool array) const {
  if (engine_ == Engine::kDuckDb) {
    const std::string type =
        prefix.empty() ? "json_type(" + doc + ")" : "json_type(" + doc + ", " + Path(prefix) + ")";
    return type + (array ? " = 'ARRAY'" : " = 'OBJECT'");
  }
  return "substr(json_format(json_extract(" + doc + ", " + Path(prefix) +
         ")), 1, 1) = " + (array ? "'['" : "'{'");
}

std::string EngineSql::JsonAt(const std::string& doc, std::span<const PathStep> steps,
                              bool doc_is_object) const {
  std::string guards;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const PathStep& step = steps[i];
    const bool index = step.kind == PathStep::Kind::kIndex;
    if (!index && !IndexLike(step.name)) continue;
    if (i == 0 && doc_is_object) {
      if (index) return "CAST(NULL AS JSON)";  // an object has no elements
      continue;
    }
    guards += (guards.empty() ? "" : " AND ") + ContainerIs(doc, steps.first(i), index);
  }
  const std::string extract = "json_extract(" + doc + ", " + Path(steps) + ")";
  if (guards.empty()) return extract;
  return "CASE WHEN " + guards + " THEN " + extract + " END";
}

std::string EngineSql::JsonKind(const std::string& json) const {
  if (engine_ == Engine::kDuckDb) {
    return "CASE json_type(" + json +
           ") WHEN 'VARCHAR' THEN 's' WHEN 'BIGINT' THEN 'd' WHEN 'UBIGINT' THEN 'd' "
           "WHEN 'DOUBLE' THEN 'd' WHEN 'HUGEINT' THEN 'd' WHEN 'BOOLEAN' THEN CASE WHEN "
           "json_extract_string(" +
           json +
           ", '$') = 'true' THEN 't' ELSE 'f' END WHEN 'NULL' THEN 'n' WHEN 'OBJECT' THEN 'o' "
           "WHEN 'ARRAY' THEN 'a' END";
  }
  return "CASE WHEN " + json + " IS NULL THEN NULL ELSE CASE substr(json_format(" + json +
         "), 1, 1) WHEN '\"' THEN 's' WHEN '{' THEN 'o' WHEN '[' THEN 'a' WHEN 't' THEN 't' "
         "WHEN 'f' THEN 'f' WHEN 'n' THEN 'n' ELSE 'd' END END";
}

std::string EngineSql::JsonText(const std::string& json) const {
  return engine_ == Engine::kDuckDb ? "json_extract_string(" + json + ", '$')"
                                    : "json_extract_scalar(" + json + ", '$')";
}

std::string EngineSql::JsonNumber(const std::string& json) const {
  return "TRY_CAST(" + json + " AS DOUBLE)";
}

std::string EngineSql::JsonItems(const std::string& json, bool array) const {
  if (engine_ == Engine::kDuckDb) {
    return "CASE WHEN json_type(" + json + ") = " + (array ? "'ARRAY'" : "'OBJECT'") +
           " THEN json_extract(" + json + ", " + (array ? "'$[*]'" : "'$.*'") + ") END";
  }
  return array ? "TRY_CAST(" + json + " AS ARRAY(JSON))"
               : "map_values(TRY_CAST(" + json + " AS MAP(VARCHAR, JSON)))";
}

std::string EngineSql::JsonDocumentText(const std::string& doc) const {
  return engine_ == Engine::kDuckDb ? "CAST(" + doc + " AS VARCHAR)" : "json_format(" + doc + ")";
}

std::string EngineSql::Any(const std::string& list, const std::string& var,
                           const std::string& predicate) const {
  if (engine_ == Engine::kDuckDb) {
    return "coalesce(list_bool_or(list_transform(" + list + ", " + var + " -> " + predicate +
           ")), false)";
  }
  return "coalesce(any_match(" + list + ", " + var + " -> " + predicate + "), false)";
}

std::string EngineSql::First(const std::string& list, const std::string& var,
                             const std::string& predicate) const {
  if (engine_ == Engine::kDuckDb) {
    return "list_extract(list_filter(" + list + ", " + var + " -> " + predicate + "), 1)";
  }
  return "element_at(filter(" + list + ", " + var + " -> " + predicate + "), 1)";
}

std::string EngineSql::ElementAt(const std::string& list, std::size_t one_based) const {
  return (engine_ == Engine::kDuckDb ? "list_extract(" : "element_at(") + list + ", " +
         std::to_string(one_based) + ")";
}

std::string EngineSql::Field(const std::string& row, const std::string& name) const {
  if (engine_ == Engine::kDuckDb) return "struct_extract(" + row + ", " + SqlString(name) + ")";
  return "(" + row + ")." + SqlIdentifier(name);
}

std::string EngineSql::RegexMatch(const std::string& text, const std::string& regex_literal) const {
  return (engine_ == Engine::kDuckDb ? "regexp_matches(" : "regexp_like(") + text + ", " +
         regex_literal + ")";
}

std::string EngineSql::Contains(const std::string& text, const std::string& literal) const {
  return "strpos(" + text + ", " + literal + ") > 0";
}

std::string EngineSql::IntDiv(const std::string& a, const std::string& b) const {
  return "((" + a + ")" + (engine_ == Engine::kDuckDb ? " // " : " / ") + b + ")";
}

std::string EngineSql::RegexExtract(const std::string& text, const std::string& regex_literal,
                                    int group) const {
  return "NULLIF(regexp_extract(" + text + ", " + regex_literal + ", " + std::to_string(group) +
         "), '')";
}

}  // namespace trailreplay::pushdown
