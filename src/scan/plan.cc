#include "scan/plan.h"

#include <simdjson.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <tuple>

#include "common/json_escape.h"
#include "common/time.h"
#include "input/discovery.h"
#include "input/s3_key.h"

namespace trailreplay::scan {
namespace {

Result<std::string> ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return MakeError(ErrorCode::kIo, "cannot read '" + path + "': " + std::strerror(errno));
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return std::string(s);
}

// One CSV line's fields (RFC 4180 quoting, as S3 Inventory writes).
std::vector<std::string> CsvFields(std::string_view line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back().push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back().push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back().push_back(c);
    }
  }
  return fields;
}

// S3 Inventory URL-encodes keys (RFC 3986, '+' for space).
std::string UrlDecode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else if (s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// The objects of a listing, as files: a list-objects-v2 JSON (one document, or several pages
// one after another) or an S3 Inventory CSV. Keys are sorted bytewise, as S3 lists them and as
// discovery sorts a directory's names.
Result<std::vector<input::InputFile>> ReadListing(const PlanOptions& options) {
  const std::string& path = *options.listing;
  auto text = ReadWhole(path);
  if (!text) return std::move(text).error();
  std::vector<std::pair<std::string, std::uint64_t>> objects;
  const std::size_t first = text->find_first_not_of(" \t\r\n");
  if (first != std::string::npos && text->at(first) == '{') {
    simdjson::dom::parser parser;
    simdjson::dom::document_stream pages;
    if (auto error = parser.parse_many(*text).get(pages); error) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "'" + path + "': not JSON: " + simdjson::error_message(error));
    }
    std::size_t page_number = 0;
    for (auto page : pages) {
      ++page_number;
      simdjson::dom::element doc;
      if (auto error = page.get(doc); error) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "'" + path + "' page " + std::to_string(page_number) +
                             ": not JSON: " + simdjson::error_message(error));
      }
      simdjson::dom::array contents;
      if (doc["Contents"].get(contents)) continue;  // an empty page has none
      for (simdjson::dom::element object : contents) {
        std::string_view key;
        std::uint64_t size = 0;
        if (object["Key"].get(key) || object["Size"].get(size)) {
          return MakeError(ErrorCode::kInvalidArgument,
                           "'" + path + "' page " + std::to_string(page_number) +
                               ": an object without Key and Size; is it the output of 'aws "
                               "s3api list-objects-v2'?");
        }
        objects.emplace_back(std::string(key), size);
      }
    }
  } else {
    std::vector<std::string> schema;
    for (const std::string& f : CsvFields(options.inventory_schema)) schema.push_back(Trim(f));
    const auto column = [&](std::string_view name) -> std::size_t {
      for (std::size_t i = 0; i < schema.size(); ++i) {
        if (schema[i] == name) return i;
      }
      return schema.size();
    };
    const std::size_t key_col = column("Key"), size_col = column("Size");
    if (key_col == schema.size() || size_col == schema.size()) {
      return MakeError(
          ErrorCode::kInvalidArgument,
          "--inventory-schema '" + options.inventory_schema + "' names no Key and Size columns");
    }
    std::istringstream lines(*text);
    std::string line;
    std::uint64_t number = 0;
    while (std::getline(lines, line)) {
      ++number;
      if (Trim(line).empty()) continue;
      const auto fields = CsvFields(line);
      char* end = nullptr;
      const std::string size_text = size_col < fields.size() ? fields[size_col] : std::string();
      const unsigned long long size = std::strtoull(size_text.c_str(), &end, 10);
      if (fields.size() <= std::max(key_col, size_col) || size_text.empty() || *end != '\0') {
        return MakeError(ErrorCode::kInvalidArgument,
                         "'" + path + "' line " + std::to_string(number) +
                             ": not an S3 Inventory row with the columns " +
                             options.inventory_schema + " (see --inventory-schema)");
      }
      objects.emplace_back(UrlDecode(fields[key_col]), size);
    }
  }
  // As a walk of the mounted bucket finds them: directory by directory, names bytewise (a
  // plain sort would put "CloudTrail-Digest/" before "CloudTrail/", as '-' < '/').
  std::sort(objects.begin(), objects.end(), [](const auto& a, const auto& b) {
    const std::string &x = a.first, &y = b.first;
    const std::size_t n = std::min(x.size(), y.size());
    for (std::size_t i = 0; i < n; ++i) {
      if (x[i] == y[i]) continue;
      const auto cx = static_cast<unsigned char>(x[i] == '/' ? '\0' : x[i]);
      const auto cy = static_cast<unsigned char>(y[i] == '/' ? '\0' : y[i]);
      return cx < cy;
    }
    return x.size() < y.size();
  });
  objects.erase(std::unique(objects.begin(), objects.end(),
                            [](const auto& a, const auto& b) { return a.first == b.first; }),
                objects.end());
  std::vector<input::InputFile> files;
  std::string root = options.listing_root;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  for (auto& [key, size] : objects) {
    if (!key.empty() && key.back() == '/') continue;  // a "folder" marker
    files.push_back({root + "/" + key, size, 0});
  }
  return files;
}

std::string NullOr(const std::string& s) { return s.empty() ? "null" : JsonString(s); }

}  // namespace

Result<PlanSummary> WritePlan(const PlanOptions& options) {
  if (options.shards == 0) {
    return MakeError(ErrorCode::kInvalidArgument, "--shards must be at least 1");
  }
  PlanSummary summary;
  std::vector<input::InputFile> files;
  if (options.listing) {
    auto listed = ReadListing(options);
    if (!listed) return std::move(listed).error();
    files = std::move(*listed);
  } else {
    input::Discovery discovery = input::Discover(options.paths, options.scope.threads);
    for (const auto& issue : discovery.issues) {
      summary.issues.push_back(issue.path + ": " + issue.message);
    }
    files = std::move(discovery.files);
  }
  summary.files = files.size();

  struct Entry {
    std::int64_t time;
    std::int64_t ordinal;
    input::KeyInfo key;
  };
  std::vector<Entry> entries;
  for (std::size_t i = 0; i < files.size(); ++i) {
    input::KeyInfo key = input::ParseKey(files[i].path);
    if (PrunedByKey(options.scope, key)) {
      ++summary.pruned;
      continue;
    }
    summary.bytes += files[i].size;
    entries.push_back({key.delivery_time.value_or(std::numeric_limits<std::int64_t>::min()),
                       static_cast<std::int64_t>(i), std::move(key)});
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.time, a.ordinal) < std::tie(b.time, b.ordinal);
  });

  {
    std::error_code error;
    std::filesystem::create_directories(options.out_dir, error);
    if (error) {
      return MakeError(ErrorCode::kIo,
                       "cannot create '" + options.out_dir + "': " + error.message());
    }
  }
  {
    std::random_device random;
    char text[17];
    std::snprintf(text, sizeof text, "%08x%08x", static_cast<unsigned>(random()),
                  static_cast<unsigned>(random()));
    summary.plan_id = text;
  }
  // Consecutive runs of the order, each cut where the bytes so far reach its share.
  const unsigned n = options.shards;
  std::vector<std::size_t> starts(n + 1, entries.size());
  starts[0] = 0;
  {
    // Shard k starts at the first input before which the bytes reach k/n of the total.
    std::uint64_t so_far = 0;
    unsigned shard = 1;
    for (std::size_t i = 0; i <= entries.size() && shard < n; ++i) {
      while (shard < n && so_far * n >= summary.bytes * shard) starts[shard++] = i;
      if (i < entries.size()) so_far += files[static_cast<std::size_t>(entries[i].ordinal)].size;
    }
  }
  for (unsigned s = 0; s < n; ++s) {
    char name[32];
    std::snprintf(name, sizeof name, "/shard-%05u.jsonl", s);
    const std::string path = options.out_dir + name;
    std::uint64_t bytes = 0;
    for (std::size_t i = starts[s]; i < starts[s + 1]; ++i) {
      bytes += files[static_cast<std::size_t>(entries[i].ordinal)].size;
    }
    std::string out = "{\"plan\":" + JsonString(summary.plan_id) +
                      ",\"shard\":" + std::to_string(s) + ",\"shards\":" + std::to_string(n) +
                      ",\"inputs\":" + std::to_string(starts[s + 1] - starts[s]) +
                      ",\"bytes\":" + std::to_string(bytes) + "}\n";
    for (std::size_t i = starts[s]; i < starts[s + 1]; ++i) {
      const Entry& e = entries[i];
      const input::InputFile& f = files[static_cast<std::size_t>(e.ordinal)];
      out += "{\"path\":" + JsonString(f.path) + ",\"size\":" + std::to_string(f.size) +
             ",\"ordinal\":" + std::to_string(e.ordinal) + ",\"delivery_time\":" +
             (e.key.delivery_time ? JsonString(FormatIsoTime(*e.key.delivery_time)) : "null") +
             ",\"account\":" + NullOr(e.key.account) + ",\"region\":" + NullOr(e.key.region) +
             "}\n";
    }
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file << out;
    if (!file.flush()) {
      return MakeError(ErrorCode::kIo, "cannot write '" + path + "': " + std::strerror(errno));
    }
    summary.shard_inputs.push_back(starts[s + 1] - starts[s]);
    summary.shard_bytes.push_back(bytes);
  }
  const std::string plan_path = options.out_dir + "/plan.json";
  std::ofstream plan(plan_path, std::ios::binary | std::ios::trunc);
  plan << "{\"plan\":" << JsonString(summary.plan_id) << ",\"shards\":" << n
       << ",\"inputs\":" << entries.size() << ",\"bytes\":" << summary.bytes
       << ",\"files_found\":" << summary.files << ",\"files_pruned\":" << summary.pruned << "}\n";
  if (!plan.flush()) {
    return MakeError(ErrorCode::kIo, "cannot write '" + plan_path + "': " + std::strerror(errno));
  }
  return summary;
}

Result<Manifest> ReadManifest(const std::string& file) {
  auto text = ReadWhole(file);
  if (!text) return std::move(text).error();
  Manifest manifest;
  simdjson::dom::parser parser;
  std::istringstream lines(*text);
  std::string line;
  std::uint64_t number = 0;
  while (std::getline(lines, line)) {
    ++number;
    if (Trim(line).empty()) continue;
    simdjson::dom::element doc;
    auto bad = [&](const std::string& why) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "manifest '" + file + "' line " + std::to_string(number) + ": " + why);
    };
    if (auto error = parser.parse(line).get(doc); error) {
      return bad(std::string("not JSON: ") + simdjson::error_message(error));
    }
    if (number == 1) {
      std::string_view plan;
      std::int64_t shard = 0, shards = 0;
      if (doc["plan"].get(plan) || doc["shard"].get(shard) || doc["shards"].get(shards)) {
        return bad("the first line must name the plan and the shard, as `plan` writes it");
      }
      manifest.identity_json = "{\"plan\":" + JsonString(plan) +
                               ",\"shard\":" + std::to_string(shard) +
                               ",\"shards\":" + std::to_string(shards) + "}";
      continue;
    }
    std::string_view path;
    std::int64_t ordinal = 0;
    if (doc["path"].get(path) || doc["ordinal"].get(ordinal)) {
      return bad("an input needs \"path\" and \"ordinal\"");
    }
    manifest.paths.emplace_back(path);
    manifest.ordinals.push_back(ordinal);
  }
  if (manifest.identity_json.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "manifest '" + file + "' is empty");
  }
  return manifest;
}

}  // namespace trailreplay::scan
