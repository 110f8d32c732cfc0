// Where a compiled query finds the records, and how it reaches the values a JSON selector names
// in them: in each record's JSON (duckdb: the files through read_json_objects; trino-json: a
// table column of JSON text), or in the columns of the Athena CloudTrail table (athena), whose
// CloudTrail SerDe keeps less of each record. A source says what it loses, selector by
// selector, and the compiler turns that into verdict reasons when a test depends on it.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pattern/ast.h"
#include "pushdown/compile.h"
#include "pushdown/engine_sql.h"

namespace trailreplay::pushdown {

// One value a selector reaches, as SQL expressions: its kind (a letter, see engine_sql.h; NULL
// when absent), its text (a scalar's text; meaningful for kinds s, d, t, f) and its number
// (DOUBLE; meaningful for kind d).
struct Reach {
  std::string kind, text, number;
};

// Where a selector's values are, and what the source loses of them.
struct Access {
  enum class Shape { kSingle, kFixed, kDynamic };
  Shape shape = Shape::kSingle;
  Reach single;
  std::vector<Reach> fixed;  // a wildcard over fields the source knows: each of them
  std::string list;          // kDynamic: the elements, a list expression
  std::function<Reach(const std::string& element)> element;  // kDynamic: one element's value
  // What tests on it cannot rely on.
  bool presence_lost = false;       // a JSON null and an absent field look the same
  bool type_lost = false;           // held as text: a number or boolean looks like a string
  bool numbers_rewritten = false;   // a number's text is the engine's writing of it
  bool order_lost = false;          // kDynamic elements come in no document order
  std::vector<std::string> always;  // reasons that hold for every test on it
};

// Expressions the query computes once per record, in two layers: `fields` reads the record,
// `typed` derives from fields. Each returns the column's name (equal expressions share one).
class Columns {
 public:
  std::string Field(const std::string& expression);
  std::string Typed(const std::string& expression);
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }
  const std::vector<std::pair<std::string, std::string>>& typed() const { return typed_; }

 private:
  static std::string Add(std::vector<std::pair<std::string, std::string>>& layer,
                         const char* prefix, const std::string& expression);
  std::vector<std::pair<std::string, std::string>> fields_, typed_;
};

class RecordSource {
 public:
  virtual ~RecordSource() = default;
  // Whether records carry the file they came from (a `path` column): then the compiler can
  // skip files by the delivery time in their names, as scan does.
  virtual bool HasPaths() const = 0;
  // With paths: the CTEs ending in `files`, with a `path` column (one row per file for
  // duckdb, per record for athena); `partition` is a condition on the table's partition
  // columns, or empty.
  virtual std::string FilesCtes(const std::string& partition) const = 0;
  // The `records` CTE: one row per record with its `path`, read from `from` (a relation with
  // the columns of `files`; unused without paths).
  virtual std::string RecordsCte(const std::string& from) const = 0;
  // What `fields` reads `records AS t` through: a condition that the record is a JSON object,
  // or empty.
  virtual std::string RecordIsObject() const = 0;
  virtual Access Resolve(const pattern::Selector& selector, Columns& columns) const = 0;
  // A column with the record's whole text, for term patterns; nullopt when the source has
  // none, with the reason.
  virtual std::optional<std::string> RecordText(Columns& columns, std::string& why) const = 0;
  // A reason term patterns are approximate here even when the text exists.
  virtual std::string RecordTextCaveat() const = 0;
  // What holds for every filter of the dialect.
  virtual std::vector<std::string> Notes() const = 0;
};

std::unique_ptr<RecordSource> MakeRecordSource(const CompileOptions& options, const EngineSql& sql);

// The qualified table name, each part quoted: `db.t` -> "db"."t".
std::string QuotedTableName(const std::string& name);

}  // namespace trailreplay::pushdown
