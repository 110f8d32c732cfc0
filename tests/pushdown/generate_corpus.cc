// Test driver for tests/pushdown/duckdb_pushdown.py: random CloudTrail-like records and random
// metric filters from the differential tests' generator (support/event_generator.h), so that
// the SQL compile writes can be checked against a native scan on inputs nobody chose.
//
//   generate_corpus SEED RECORDS FILTERS DIR
//     DIR/records.jsonl   RECORDS JSON objects, one a line, each a generated object with an
//                         eventTime (spread over three hours) and usually an eventID (GUIDs in
//                         either case, other text, or none); some lines repeat an earlier
//                         record, as redelivered duplicates do
//     DIR/rules.json      FILTERS metric filters (describe-metric-filters shape) with generated
//                         JSON patterns and transformations: a constant or a field as the
//                         metric value, sometimes a defaultValue or a dimension
//
// Records the generator makes that are not JSON objects, or that repeat a key in one object
// (which JSON engines read as one key and CloudWatch as two), are left out: compile's notes
// say neither is supported by the SQL.
#include <simdjson.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "common/json_escape.h"
#include "metric/filter_set.h"
#include "support/event_generator.h"

namespace {

bool HasDuplicateKeys(simdjson::dom::element element) {
  simdjson::dom::object object;
  simdjson::dom::array array;
  if (!element.get_object().get(object)) {
    std::set<std::string_view> keys;
    for (auto field : object) {
      if (!keys.insert(field.key).second || HasDuplicateKeys(field.value)) return true;
    }
  } else if (!element.get_array().get(array)) {
    for (auto item : array) {
      if (HasDuplicateKeys(item)) return true;
    }
  }
  return false;
}

std::string Guid(std::mt19937& rng, bool upper) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) out += '-';
    char c = kHex[rng() % 16];
    if (upper && c >= 'a') c = static_cast<char>(c - 'a' + 'A');
    out += c;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::cerr << "usage: generate_corpus SEED RECORDS FILTERS DIR\n";
    return 2;
  }
  const auto seed = static_cast<std::uint32_t>(std::stoul(argv[1]));
  const std::size_t records = std::stoul(argv[2]);
  const std::size_t filters = std::stoul(argv[3]);
  const std::string dir = argv[4];
  trailreplay::testing::EventGenerator gen(seed);
  std::mt19937 rng(seed * 7919u + 1);
  simdjson::dom::parser parser;

  std::ofstream out(dir + "/records.jsonl", std::ios::binary);
  std::vector<std::string> written;
  while (written.size() < records) {
    if (!written.empty() && rng() % 40 == 0) {
      // A redelivered copy; now and then with its GUID in upper case, which is the same ID.
      std::string copy = written[rng() % written.size()];
      if (rng() % 3 == 0) {
        const std::size_t at = copy.find("\"eventID\":\"");
        if (at != std::string::npos && copy.compare(at + 11, 3, "id-") != 0) {
          for (std::size_t i = at + 11; i < at + 11 + 36 && i < copy.size(); ++i) {
            if (copy[i] >= 'a' && copy[i] <= 'f') copy[i] = static_cast<char>(copy[i] - 'a' + 'A');
          }
        }
      }
      out << copy << "\n";
      written.push_back(copy);
      continue;
    }
    const std::string event = gen.JsonEvent();
    simdjson::dom::element root;
    if (parser.parse(event).get(root) || !root.is_object() || HasDuplicateKeys(root)) continue;
    const std::size_t brace = event.find('{');
    std::string rest = event.substr(brace + 1);
    const std::int64_t t = 1709251200 + static_cast<std::int64_t>(rng() % (3 * 3600));
    char time[32];
    std::snprintf(time, sizeof time, "%04d-%02d-%02dT%02lld:%02lld:%02lldZ", 2024, 3, 1,
                  static_cast<long long>((t - 1709251200) / 3600),
                  static_cast<long long>((t / 60) % 60), static_cast<long long>(t % 60));
    std::string head = "{\"eventTime\":\"" + std::string(time) + "\"";
    switch (rng() % 10) {
      case 0:
        break;  // no eventID: never a duplicate
      case 1:
        // Not a GUID: compared as text. Unique, since two records of one hour sharing an ID
        // would be duplicates whose kept copy depends on input order (compile's note).
        head += ",\"eventID\":\"id-" + std::to_string(written.size()) + "\"";
        break;
      default:
        head += ",\"eventID\":\"" + Guid(rng, rng() % 3 == 0) + "\"";
    }
    std::string line = head;
    std::size_t first = rest.find_first_not_of(' ');
    if (first != std::string::npos && rest[first] != '}') line += ",";
    line += rest;
    if (parser.parse(line).get(root) || HasDuplicateKeys(root)) continue;
    out << line << "\n";
    written.push_back(line);
  }

  static const char* kValues[] = {"1", "1", "$.n", "$.a", "$.arr[0]", "$.obj.*", "2.5"};
  static const char* kDimensions[] = {"$.eventName", "$.b", "$.obj.a", "$.flag"};
  std::string rules = "{\"metricFilters\": [\n";
  std::size_t made = 0;
  while (made < filters) {
    const std::string pattern = rng() % 4 == 0 ? gen.AnyOfPattern() : gen.JsonPattern();
    trailreplay::metric::MetricFilterSpec spec;
    spec.name = "f" + std::to_string(made + 1);
    spec.pattern = pattern;
    spec.transformation.metric_name = spec.name;
    spec.transformation.metric_namespace = "Generated";
    spec.transformation.metric_value = kValues[rng() % 7];
    const auto extra = rng() % 6;
    if (extra == 0) spec.transformation.default_value = 0;
    if (extra == 1) spec.transformation.default_value = 2.5;
    if (extra == 2) spec.transformation.dimensions.emplace_back("d", kDimensions[rng() % 4]);
    if (!trailreplay::metric::FilterSet::Compile({spec})) continue;  // over a quota, say
    const auto& t = spec.transformation;
    rules +=
        std::string(made > 0 ? ",\n" : "") +
        "{\"filterName\": " + trailreplay::JsonString(spec.name) +
        ", \"filterPattern\": " + trailreplay::JsonString(spec.pattern) +
        ", \"metricTransformations\": [{\"metricName\": " + trailreplay::JsonString(t.metric_name) +
        ", \"metricNamespace\": \"Generated\"" +
        ", \"metricValue\": " + trailreplay::JsonString(t.metric_value);
    if (t.default_value)
      rules += ", \"defaultValue\": " + trailreplay::JsonNumber(*t.default_value);
    if (!t.dimensions.empty()) {
      rules += ", \"dimensions\": {\"d\": " + trailreplay::JsonString(t.dimensions[0].second) + "}";
    }
    rules += "}]}";
    ++made;
  }
  rules += "\n]}\n";
  std::ofstream(dir + "/rules.json", std::ios::binary) << rules;
  return out ? 0 : 1;
}
