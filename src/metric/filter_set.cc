#include "metric/filter_set.h"

#include <simdjson.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "common/json_escape.h"
#include "common/json_location.h"
#include "pattern/parser.h"

namespace trailreplay::metric {

std::vector<MetricFilterSpec> BuiltinFilters() {
  auto make = [](const char* name, const char* pattern, const char* metric) {
    MetricFilterSpec spec;
    spec.name = name;
    spec.pattern = pattern;
    spec.transformation.metric_name = metric;
    spec.transformation.metric_namespace = "CISBenchmark";
    spec.transformation.metric_value = "1";
    spec.origin = "built-in";
    return spec;
  };
  return {
      make("unauthorized_api_calls",
           R"({ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") })",
           "unauthorized_api_calls"),
      make("cloudtrail_cfg_changes",
           "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || "
           "($.eventName = DeleteTrail) || ($.eventName = StartLogging) || "
           "($.eventName = StopLogging) }",
           "cloudtrail_cfg_changes"),
  };
}

namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

Error FilterError(const std::string& origin, std::string_view filter, std::string message) {
  std::string text = origin + ": ";
  if (!filter.empty()) text += "filter '" + std::string(filter) + "': ";
  return MakeError(ErrorCode::kInvalidArgument, text + message);
}

// A field that must be a string when present.
Result<std::optional<std::string>> OptionalString(element object, const char* key,
                                                  const std::string& origin,
                                                  std::string_view filter) {
  element value;
  if (object[key].get(value)) return std::optional<std::string>{};
  std::string_view text;
  if (value.get_string().get(text)) {
    return FilterError(origin, filter, std::string("'") + key + "' must be a string");
  }
  return std::optional<std::string>{std::string(text)};
}

Result<MetricTransformation> ReadTransformation(element object, const std::string& origin,
                                                std::string_view filter) {
  MetricTransformation t;
  if (!object.is_object()) {
    return FilterError(origin, filter, "a metric transformation must be an object");
  }
  for (const char* key : {"metricName", "metricNamespace", "metricValue"}) {
    auto text = OptionalString(object, key, origin, filter);
    if (!text) return std::move(text).error();
    if (!text->has_value()) {
      return FilterError(origin, filter, std::string("metric transformation lacks '") + key + "'");
    }
    std::string& target = std::strcmp(key, "metricName") == 0        ? t.metric_name
                          : std::strcmp(key, "metricNamespace") == 0 ? t.metric_namespace
                                                                     : t.metric_value;
    target = **text;
  }
  element value;
  if (!object["defaultValue"].get(value)) {
    double number = 0;
    if (value.get_double().get(number) || !std::isfinite(number)) {
      return FilterError(origin, filter, "'defaultValue' must be a number");
    }
    if (!AcceptedMetricValue(number)) {
      return FilterError(origin, filter,
                         "'defaultValue' is outside the range CloudWatch accepts (a magnitude "
                         "from 2^-360 to 2^360, or 0)");
    }
    t.default_value = number;
  }
  auto unit = OptionalString(object, "unit", origin, filter);
  if (!unit) return std::move(unit).error();
  if (unit->has_value() && **unit != "None") t.unit = **unit;
  if (!object["dimensions"].get(value)) {
    simdjson::dom::object dims;
    if (value.get_object().get(dims)) {
      return FilterError(origin, filter, "'dimensions' must be an object of name: reference");
    }
    for (auto [name, reference] : dims) {
      std::string_view ref;
      if (reference.get_string().get(ref)) {
        return FilterError(origin, filter,
                           "dimension '" + std::string(name) + "' must name a string reference");
      }
      t.dimensions.emplace_back(std::string(name), std::string(ref));
    }
  }
  return t;
}

}  // namespace

Result<std::vector<MetricFilterSpec>> ParseFilterDocument(std::string_view json,
                                                          const std::string& origin) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  element root;
  if (auto error = parser.parse(padded).get(root)) {
    return FilterError(origin, "", InvalidJsonMessage(json, simdjson::error_message(error)));
  }
  element filters;
  if (!root.is_object() || root["metricFilters"].get(filters)) {
    return FilterError(origin, "",
                       "expected the output of 'aws logs describe-metric-filters' "
                       "({\"metricFilters\": [...]})");
  }
  simdjson::dom::array list;
  if (filters.get_array().get(list)) {
    return FilterError(origin, "", "'metricFilters' must be an array");
  }
  std::vector<MetricFilterSpec> out;
  std::size_t index = 0;
  for (element item : list) {
    const std::string position = "metricFilters[" + std::to_string(index++) + "]";
    if (!item.is_object()) return FilterError(origin, position, "must be an object");
    MetricFilterSpec spec;
    spec.origin = origin;
    auto name = OptionalString(item, "filterName", origin, position);
    if (!name) return std::move(name).error();
    if (!name->has_value() || (*name)->empty()) {
      return FilterError(origin, position, "lacks 'filterName'");
    }
    spec.name = **name;
    auto pattern_text = OptionalString(item, "filterPattern", origin, spec.name);
    if (!pattern_text) return std::move(pattern_text).error();
    // AWS stores an empty pattern as "" (match everything); absent means the same.
    spec.pattern = pattern_text->value_or("");
    auto group = OptionalString(item, "logGroupName", origin, spec.name);
    if (!group) return std::move(group).error();
    spec.log_group = group->value_or("");
    element value;
    if (!item["creationTime"].get(value)) {
      std::int64_t ms = 0;
      if (value.get_int64().get(ms)) {
        return FilterError(origin, spec.name,
                           "'creationTime' must be milliseconds since the epoch");
      }
      spec.creation_time_ms = ms;
    }
    simdjson::dom::array transformations;
    if (item["metricTransformations"].get_array().get(transformations)) {
      return FilterError(origin, spec.name, "lacks the 'metricTransformations' array");
    }
    if (transformations.size() != 1) {
      return FilterError(origin, spec.name,
                         "must have exactly one metric transformation (AWS allows one), found " +
                             std::to_string(transformations.size()));
    }
    auto transformation = ReadTransformation(transformations.at(0).value(), origin, spec.name);
    if (!transformation) return std::move(transformation).error();
    spec.transformation = std::move(*transformation);
    out.push_back(std::move(spec));
  }
  if (out.empty()) return FilterError(origin, "", "holds no metric filters");
  return out;
}

Result<std::vector<MetricFilterSpec>> LoadFilterFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return MakeError(ErrorCode::kIo,
                     "cannot read rules file '" + path + "': " + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return ParseFilterDocument(text.str(), path);
}

std::string FilterFingerprint(const MetricFilterSpec& spec) {
  const MetricTransformation& t = spec.transformation;
  std::string out = "{\"name\":" + JsonString(spec.name) +
                    ",\"pattern\":" + JsonString(spec.pattern) +
                    ",\"metric\":" + JsonString(t.metric_name) +
                    ",\"namespace\":" + JsonString(t.metric_namespace) +
                    ",\"value\":" + JsonString(t.metric_value);
  if (t.default_value) out += ",\"default\":" + JsonNumber(*t.default_value);
  out += ",\"dimensions\":{";
  for (std::size_t i = 0; i < t.dimensions.size(); ++i) {
    if (i > 0) out += ",";
    out += JsonString(t.dimensions[i].first) + ":" + JsonString(t.dimensions[i].second);
  }
  out += "},\"unit\":" + JsonString(t.unit) + "}";
  return out;
}

Result<FilterSet> FilterSet::Compile(std::vector<MetricFilterSpec> specs) {
  FilterSet set;
  set.plan_ = std::make_unique<pattern::SelectorPlan>();
  std::set<std::string> names;
  for (auto& spec : specs) {
    if (!names.insert(spec.name).second) {
      return FilterError(spec.origin, spec.name, "defined twice");
    }
    auto parsed = pattern::ParsePattern(spec.pattern);
    if (!parsed) {
      Error error = std::move(parsed).error();
      error.message = spec.origin + ": filter '" + spec.name + "': " + error.message;
      return error;
    }
    auto compiled = std::unique_ptr<Compiled>(new Compiled{
        std::move(spec), pattern::CompiledPattern(std::move(*parsed), *set.plan_), {}});
    auto transformation = CompiledTransformation::Compile(compiled->spec.transformation,
                                                          compiled->pattern, *set.plan_);
    if (!transformation) {
      Error error = std::move(transformation).error();
      error.message =
          compiled->spec.origin + ": filter '" + compiled->spec.name + "': " + error.message;
      return error;
    }
    compiled->transformation = std::move(*transformation);
    set.filters_.push_back(std::move(compiled));
  }
  return set;
}

std::uint32_t FilterSet::AddSelector(std::string_view selector_text) {
  return plan_->AddText(selector_text);
}

}  // namespace trailreplay::metric
