// Random log events and filter patterns for differential tests, from small vocabularies
// chosen so that matches, near-misses, type mixes (numbers as strings, booleans, null),
// escapes, duplicate keys and wildcards all occur often. Deterministic for a given seed.
#pragma once

#include <cstdint>
#include <random>
#include <string>

namespace trailreplay::testing {

class EventGenerator {
 public:
  explicit EventGenerator(std::uint32_t seed) : rng_(seed) {}

  // A one-line JSON object; about 1 in 25 is not a JSON object (broken, array, scalar, text).
  std::string JsonEvent();
  // A JSON filter pattern (may occasionally exceed a quota; callers skip parse failures).
  std::string JsonPattern();
  // An `||` of tests that mostly compare one selector (CIS's lists of event names), sometimes
  // inside an `&&`: what the evaluator turns into set lookups.
  std::string AnyOfPattern();
  // The same for a space-delimited pattern's field.
  std::string AnyOfDelimitedPattern();
  // A line of space-delimited words, some quoted or bracketed.
  std::string TextEvent();
  // A term pattern or a space-delimited pattern over the TextEvent vocabulary.
  std::string TermPattern();
  std::string DelimitedPattern();

 private:
  std::size_t Pick(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
  }
  bool Chance(int percent) { return static_cast<int>(Pick(100)) < percent; }
  std::string JsonValue(int depth);
  std::string JsonKey();
  std::string Selector();
  std::string PatternValue(bool numeric_only);
  std::string JsonTest();
  std::string JsonExpr(int depth);
  std::string Word();
  std::string FieldCondition(const std::string& name);

  std::mt19937 rng_;
};

}  // namespace trailreplay::testing
