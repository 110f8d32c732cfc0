// Validation follows PutMetricFilter: metricValue is at most 100 characters and is a number or
// a `$` reference the pattern can supply; defaultValue and dimensions exclude each other; at
// most three dimensions, valued by references; unit is a StandardUnit. Errors point into the
// offending text like pattern errors do.
#include "metric/transformation.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

#include "pattern/parser.h"

namespace trailreplay::metric {

using pattern::BoundField;
using pattern::CompiledPattern;
using pattern::EventContext;
using pattern::PatternKind;

bool IsStandardUnit(std::string_view unit) {
  static constexpr std::array<std::string_view, 27> kUnits = {"Seconds",
                                                              "Microseconds",
                                                              "Milliseconds",
                                                              "Bytes",
                                                              "Kilobytes",
                                                              "Megabytes",
                                                              "Gigabytes",
                                                              "Terabytes",
                                                              "Bits",
                                                              "Kilobits",
                                                              "Megabits",
                                                              "Gigabits",
                                                              "Terabits",
                                                              "Percent",
                                                              "Count",
                                                              "Bytes/Second",
                                                              "Kilobytes/Second",
                                                              "Megabytes/Second",
                                                              "Gigabytes/Second",
                                                              "Terabytes/Second",
                                                              "Bits/Second",
                                                              "Kilobits/Second",
                                                              "Megabits/Second",
                                                              "Gigabits/Second",
                                                              "Terabits/Second",
                                                              "Count/Second",
                                                              "None"};
  return unit.empty() || std::find(kUnits.begin(), kUnits.end(), unit) != kUnits.end();
}

namespace {

Error TransformationError(std::string message, std::size_t offset, std::string_view subject) {
  return MakeError(ErrorCode::kInvalidTransformation, std::move(message), offset,
                   std::string(subject));
}

// Resolves `$.path`, `$name` or `$N` against the pattern. `what` names the field in messages.
Result<ValueRef> ResolveReference(std::string_view text, const CompiledPattern& compiled,
                                  pattern::SelectorPlan& plan, std::string_view what) {
  const pattern::Pattern& p = compiled.pattern();
  ValueRef ref;
  ref.text = std::string(text);
  if (text.size() < 2 || text[0] != '$') {
    return TransformationError(std::string(what) +
                                   " must be a number or a reference such as "
                                   "$.field (JSON patterns) or $name (space-delimited patterns)",
                               0, text);
  }
  if (text[1] == '.') {
    if (p.kind != PatternKind::kJson) {
      return TransformationError(std::string(what) + " " + std::string(text) +
                                     " reads a JSON field, but the pattern is not a JSON pattern",
                                 0, text);
    }
    auto selector = pattern::ParseSelectorText(text);
    if (!selector) {
      Error error = std::move(selector).error();
      error.code = ErrorCode::kInvalidTransformation;
      error.message = std::string(what) + ": " + error.message;
      return error;
    }
    ref.kind = ValueRef::Kind::kJson;
    ref.id = plan.Add(*selector);
    return ref;
  }
  if (p.kind != PatternKind::kDelimited) {
    return TransformationError(std::string(what) + " " + std::string(text) +
                                   " names a space-delimited field, but the pattern is not a "
                                   "space-delimited pattern",
                               0, text);
  }
  const std::string_view name = text.substr(1);
  std::uint32_t position = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), position);
  if (ec == std::errc() && end == name.data() + name.size()) {
    if (position == 0) return TransformationError("field positions start at $1", 1, text);
    ref.kind = ValueRef::Kind::kPosition;
    ref.id = position;
    return ref;
  }
  const int slot = p.FindSlot(name);
  if (slot < 0) {
    return TransformationError(std::string(what) + " " + std::string(text) +
                                   ": the pattern has no field named '" + std::string(name) + "'",
                               1, text);
  }
  ref.kind = ValueRef::Kind::kSlot;
  ref.id = static_cast<std::uint32_t>(slot);
  return ref;
}

}  // namespace

Result<CompiledTransformation> CompiledTransformation::Compile(const MetricTransformation& spec,
                                                               const CompiledPattern& compiled,
                                                               pattern::SelectorPlan& plan) {
  CompiledTransformation out;
  out.spec_ = spec;
  out.pattern_ = &compiled;
  const std::string& value = spec.metric_value;
  if (value.empty()) return TransformationError("metric value is empty", 0, value);
  if (value.size() > kMaxMetricValueChars) {
    return TransformationError("metric value is longer than 100 characters", kMaxMetricValueChars,
                               value);
  }
  double literal = 0;
  if (pattern::ParseNumber(value, literal)) {
    if (!AcceptedMetricValue(literal)) {
      return TransformationError("metric value " + value +
                                     " is outside the range CloudWatch accepts (a magnitude "
                                     "from 2^-360 to 2^360, or 0)",
                                 0, value);
    }
    out.literal_value_ = literal;
  } else {
    auto ref = ResolveReference(value, compiled, plan, "metric value");
    if (!ref) return std::move(ref).error();
    out.value_ref_ = *ref;
    out.references_.push_back(*ref);
  }

  if (spec.dimensions.size() > kMaxDimensions) {
    return MakeError(ErrorCode::kInvalidTransformation, "at most 3 dimensions are allowed, got " +
                                                            std::to_string(spec.dimensions.size()));
  }
  if (!spec.dimensions.empty() && spec.default_value) {
    return MakeError(ErrorCode::kInvalidTransformation,
                     "a metric filter cannot have both dimensions and a default value");
  }
  const PatternKind kind = compiled.pattern().kind;
  if (!spec.dimensions.empty() && kind != PatternKind::kJson && kind != PatternKind::kDelimited) {
    return MakeError(ErrorCode::kInvalidTransformation,
                     "dimensions need a JSON or space-delimited pattern to read values from");
  }
  for (std::size_t i = 0; i < spec.dimensions.size(); ++i) {
    const auto& [name, reference] = spec.dimensions[i];
    if (name.empty() || name.size() > kMaxDimensionNameChars) {
      return MakeError(ErrorCode::kInvalidTransformation,
                       "dimension names must be 1 to 255 characters");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (spec.dimensions[j].first == name) {
        return MakeError(ErrorCode::kInvalidTransformation,
                         "dimension '" + name + "' is given twice");
      }
    }
    auto ref = ResolveReference(reference, compiled, plan, "dimension '" + name + "'");
    if (!ref) return std::move(ref).error();
    out.dimension_refs_.push_back(*ref);
    out.references_.push_back(*ref);
  }
  if (!IsStandardUnit(spec.unit)) {
    return MakeError(ErrorCode::kInvalidTransformation,
                     "unit '" + spec.unit +
                         "' is not a CloudWatch unit (Count, Seconds, Bytes, "
                         "Percent, None, ...)");
  }
  return out;
}

std::optional<std::string_view> ReadReference(const ValueRef& ref, EventContext& event,
                                              const std::vector<BoundField>& bound) {
  switch (ref.kind) {
    case ValueRef::Kind::kJson: {
      const auto& values = event.Values(ref.id);
      if (values.empty()) return std::nullopt;
      const pattern::JsonValue& v = values.front();
      if (v.kind == pattern::JsonKind::kObject || v.kind == pattern::JsonKind::kArray ||
          v.kind == pattern::JsonKind::kNull) {
        return std::nullopt;
      }
      return v.text;
    }
    case ValueRef::Kind::kSlot:
      if (ref.id >= bound.size() || bound[ref.id].position == 0) return std::nullopt;
      return bound[ref.id].text;
    case ValueRef::Kind::kPosition: {
      const auto& fields = event.Fields();
      if (ref.id == 0 || ref.id > fields.size()) return std::nullopt;
      return fields[ref.id - 1].text;
    }
  }
  return std::nullopt;
}

bool AcceptedMetricValue(double value) {
  const double magnitude = std::fabs(value);
  static const double kLargest = std::ldexp(1.0, 360), kSmallest = std::ldexp(1.0, -360);
  return std::isfinite(value) && magnitude <= kLargest && (value == 0 || magnitude >= kSmallest);
}

void CompiledTransformation::Apply(bool matched, EventContext& event, Sample& out) const {
  out.publish = false;
  out.rejected = false;
  out.value = 0;
  out.dimensions.clear();
  if (!matched) {
    if (spec_.default_value) {
      out.publish = true;
      out.value = *spec_.default_value;
    }
    return;
  }
  std::vector<BoundField>& bound = event.slot_scratch();
  if (pattern_->pattern().kind == PatternKind::kDelimited && !pattern_->BindSlots(event, bound)) {
    return;
  }
  if (literal_value_) {
    out.value = *literal_value_;
  } else {
    auto text = ReadReference(*value_ref_, event, bound);
    if (!text || !pattern::ParseNumber(*text, out.value)) return;
    if (!AcceptedMetricValue(out.value)) {
      out.rejected = true;
      return;
    }
  }
  for (std::size_t i = 0; i < dimension_refs_.size(); ++i) {
    auto text = ReadReference(dimension_refs_[i], event, bound);
    if (!text) {
      out.dimensions.clear();
      return;
    }
    out.dimensions.emplace_back(spec_.dimensions[i].first, std::string(*text));
  }
  out.publish = true;
}

std::vector<std::pair<std::string, std::string>> ExtractedValues(
    const CompiledPattern& compiled, const CompiledTransformation* transformation,
    EventContext& event) {
  std::vector<std::pair<std::string, std::string>> out;
  auto add = [&out](std::string key, std::string_view value) {
    for (const auto& entry : out) {
      if (entry.first == key) return;
    }
    out.emplace_back(std::move(key), std::string(value));
  };
  const pattern::Pattern& p = compiled.pattern();
  std::vector<BoundField> bound;
  if (p.kind == PatternKind::kJson) {
    for (std::size_t i = 0; i < p.selectors.size(); ++i) {
      ValueRef ref{ValueRef::Kind::kJson, compiled.plan_id(i), p.selectors[i].ToString()};
      if (auto text = ReadReference(ref, event, bound)) add(ref.text, *text);
    }
  } else if (p.kind == PatternKind::kDelimited) {
    if (!compiled.BindSlots(event, bound)) return out;
    const auto& fields = event.Fields();
    std::vector<bool> covered(fields.size(), false);
    for (std::size_t i = 0; i < p.slots.size(); ++i) {
      const BoundField& b = bound[i];
      if (b.position == 0) continue;
      for (std::uint32_t f = 0; f < b.count; ++f) covered[b.position - 1 + f] = true;
      add(p.slots[i].name.empty() ? "$" + std::to_string(b.position) : "$" + p.slots[i].name,
          b.text);
    }
    // Fields that `...` covers are reported by position.
    for (std::size_t f = 0; f < fields.size(); ++f) {
      if (!covered[f]) add("$" + std::to_string(f + 1), fields[f].text);
    }
  } else {
    return out;
  }
  if (transformation != nullptr) {
    // `bound` already holds this event's slot binding (space-delimited patterns).
    for (const ValueRef& ref : transformation->references()) {
      if (auto text = ReadReference(ref, event, bound)) add(ref.text, *text);
    }
  }
  return out;
}

}  // namespace trailreplay::metric
