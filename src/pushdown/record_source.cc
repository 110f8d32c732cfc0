// The two kinds of source. JSON sources keep the whole record: only the text engines give a
// number is theirs (1.50 comes back 1.5), and Trino's maps lose the order of an object's
// fields. The CloudTrail table keeps what its DDL names (see kTable), in lower-case columns
// matched to the record's keys without regard to case; nulls and absent fields are both SQL
// NULL; scalars are text (readOnly's boolean becomes 'true'); the objects the DDL types as
// STRING (requestParameters, ...) hold the object's JSON text, inside which JSON functions see
// everything again.
#include "pushdown/record_source.h"

#include <algorithm>
#include <cctype>

namespace trailreplay::pushdown {
namespace {

using pattern::PathStep;
using pattern::Selector;

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string StepsText(std::span<const PathStep> steps) {
  Selector selector;
  selector.steps.assign(steps.begin(), steps.end());
  return selector.ToString();
}

Reach JsonReach(const EngineSql& sql, const std::string& json) {
  return {sql.JsonKind(json), sql.JsonText(json), sql.JsonNumber(json)};
}

// A selector inside a JSON document `doc`: one value, or the elements of the container before
// its wildcard (parser.h allows one wildcard per selector).
Access JsonAccess(const EngineSql& sql, const std::string& doc, bool doc_is_object,
                  std::span<const PathStep> steps, Columns& columns) {
  Access access;
  access.numbers_rewritten = true;
  const auto wildcard = std::find_if(steps.begin(), steps.end(), [](const PathStep& s) {
    return s.kind == PathStep::Kind::kAnyField || s.kind == PathStep::Kind::kAnyIndex;
  });
  if (wildcard == steps.end()) {
    const std::string value = columns.Field(sql.JsonAt(doc, steps, doc_is_object));
    // The number is read only by numeric tests, inline where they need it.
    access.single = {columns.Typed(sql.JsonKind(value)), columns.Typed(sql.JsonText(value)),
                     sql.JsonNumber(value)};
    return access;
  }
  const auto at = static_cast<std::size_t>(wildcard - steps.begin());
  const bool array = wildcard->kind == PathStep::Kind::kAnyIndex;
  const std::string container =
      at == 0 && doc_is_object ? doc : sql.JsonAt(doc, steps.first(at), doc_is_object);
  access.shape = Access::Shape::kDynamic;
  access.list = columns.Typed(sql.JsonItems(columns.Field(container), array));
  access.order_lost = !array && sql.engine() == Engine::kTrino;
  const std::vector<PathStep> rest(wildcard + 1, steps.end());
  const EngineSql* engine = &sql;
  access.element = [engine, rest](const std::string& element) {
    return JsonReach(*engine, rest.empty() ? element : engine->JsonAt(element, rest, false));
  };
  return access;
}

// ---- JSON sources ---------------------------------------------------------------------------

class JsonSource : public RecordSource {
 public:
  JsonSource(const CompileOptions& options, const EngineSql& sql) : options_(options), sql_(sql) {}

  bool HasPaths() const override { return options_.dialect == Dialect::kDuckDb; }

  std::string FilesCtes(const std::string&) const override {
    std::string inputs = "[";
    for (std::size_t i = 0; i < options_.inputs.size(); ++i) {
      inputs += (i > 0 ? ", " : "") + SqlString(options_.inputs[i]);
    }
    inputs += "]";
    // Each top-level JSON value of a file is one row: a CloudTrail log ({"Records": [...]}),
    // an array of records, a single record, or one line of JSON Lines. read_json_objects
    // keeps each value's text as it is (read_json would turn date-like strings into
    // timestamps).
    return "files AS (\n"
           "  SELECT filename AS path, json AS doc\n"
           "  FROM read_json_objects(" +
           inputs +
           ", format = 'unstructured', filename = true,\n"
           "                         maximum_object_size = 1073741824)\n"
           ")";
  }

  std::string RecordsCte(const std::string& from) const override {
    if (options_.dialect == Dialect::kDuckDb) {
      return "records AS (\n"
             "  SELECT path, unnest(CASE WHEN json_type(doc) = 'ARRAY' THEN json_extract(doc, "
             "'$[*]')\n"
             "                           WHEN json_type(doc, '/Records') = 'ARRAY' THEN "
             "json_extract(doc, '$.Records[*]')\n"
             "                           ELSE [doc] END) AS r\n"
             "  FROM " +
             from + "\n)";
    }
    return "records AS (\n  SELECT CAST(NULL AS VARCHAR) AS path, t." +
           SqlIdentifier(options_.json_column) + " AS r\n  FROM " +
           QuotedTableName(options_.table) + " AS t\n)";
  }

  std::string RecordIsObject() const override {
    if (options_.dialect == Dialect::kDuckDb) return "json_type(t.r) = 'OBJECT'";
    if (sql_.engine() == Engine::kDuckDb) {
      return "CASE WHEN json_valid(t.r) THEN json_type(t.r) = 'OBJECT' ELSE false END";
    }
    return "substr(json_format(try(json_parse(t.r))), 1, 1) = '{'";
  }

  Access Resolve(const Selector& selector, Columns& columns) const override {
    return JsonAccess(sql_, "t.r", true, selector.steps, columns);
  }

  std::optional<std::string> RecordText(Columns& columns, std::string&) const override {
    if (options_.dialect == Dialect::kDuckDb) {
      return columns.Field(sql_.JsonDocumentText("t.r"));
    }
    return columns.Field("CAST(t.r AS VARCHAR)");
  }

  std::string RecordTextCaveat() const override {
    if (options_.dialect == Dialect::kDuckDb) {
      return "term and regex patterns search the record's text as DuckDB writes it back "
             "(compact, its own escapes), not the file's bytes";
    }
    return "term and regex patterns search the record's text as the table holds it, which "
           "may differ from CloudTrail's files in spacing and escapes";
  }

  std::vector<std::string> Notes() const override {
    std::vector<std::string> notes;
    if (options_.dialect == Dialect::kDuckDb) {
      notes.push_back(
          "DuckDB's read_json_objects reads CloudTrail logs ({\"Records\": [...]}, .json or "
          ".json.gz), "
          "JSON arrays of records, single records and JSON Lines; not CloudWatch Logs exports "
          "or tar/zip bundles (scan reads those). A file it cannot parse fails the query, "
          "where scan reports the bad record and goes on.");
      notes.push_back(
          "Duplicates: one copy per eventID and hour of eventTime, as scan counts them; the "
          "copy kept is the one in the first file by path, where scan keeps the first in "
          "delivery order. The two agree whenever the copies are identical, as CloudTrail's "
          "redeliveries are.");
      notes.push_back(
          "Files are skipped by the delivery time in their S3 key name exactly as scan "
          "skips them (--from, --to, --max-delivery-delay).");
    } else {
      notes.push_back(
          "Duplicates: one copy per eventID and hour of eventTime, as scan counts them; which "
          "copy is the engine's choice. The results agree with scan whenever the copies are "
          "identical, as CloudTrail's redeliveries are.");
      notes.push_back(
          "The table has no file names, so files delivered after --to plus "
          "--max-delivery-delay are not skipped: an event delivered that late is counted, "
          "where scan would not read its file.");
    }
    notes.push_back(
        "A record that is not a JSON object, or whose eventTime is missing or invalid, is not "
        "counted (scan reports it as a bad record).");
    return notes;
  }

 private:
  const CompileOptions& options_;
  const EngineSql& sql_;
};

// ---- the Athena CloudTrail table --------------------------------------------------------------

enum class ColumnType { kText, kBoolean, kJsonText, kStruct, kStructArray };

struct Column {
  std::string_view name;  // CloudTrail's key; the column is its lower-case form
  ColumnType type = ColumnType::kText;
  std::vector<Column> fields;
};

// The table of the Athena user guide ("Creating the table for CloudTrail logs in Athena using
// partition projection"), as CloudTrail names the keys.
const std::vector<Column>& TableColumns() {
  using T = ColumnType;
  static const std::vector<Column> kColumns = {
      {"eventVersion", T::kText, {}},
      {"userIdentity",
       T::kStruct,
       {{"type", T::kText, {}},
        {"principalId", T::kText, {}},
        {"arn", T::kText, {}},
        {"accountId", T::kText, {}},
        {"invokedBy", T::kText, {}},
        {"accessKeyId", T::kText, {}},
        {"userName", T::kText, {}},
        {"onBehalfOf", T::kStruct, {{"userId", T::kText, {}}, {"identityStoreArn", T::kText, {}}}},
        {"sessionContext",
         T::kStruct,
         {{"attributes",
           T::kStruct,
           {{"mfaAuthenticated", T::kText, {}}, {"creationDate", T::kText, {}}}},
          {"sessionIssuer",
           T::kStruct,
           {{"type", T::kText, {}},
            {"principalId", T::kText, {}},
            {"arn", T::kText, {}},
            {"accountId", T::kText, {}},
            {"userName", T::kText, {}}}},
          {"ec2RoleDelivery", T::kText, {}},
          {"webIdFederationData", T::kStruct, {{"federatedProvider", T::kText, {}}}}}}}},
      {"eventTime", T::kText, {}},
      {"eventSource", T::kText, {}},
      {"eventName", T::kText, {}},
      {"awsRegion", T::kText, {}},
      {"sourceIPAddress", T::kText, {}},
      {"userAgent", T::kText, {}},
      {"errorCode", T::kText, {}},
      {"errorMessage", T::kText, {}},
      {"requestParameters", T::kJsonText, {}},
      {"responseElements", T::kJsonText, {}},
      {"additionalEventData", T::kJsonText, {}},
      {"requestID", T::kText, {}},
      {"eventID", T::kText, {}},
      {"readOnly", T::kBoolean, {}},
      {"resources",
       T::kStructArray,
       {{"ARN", T::kText, {}}, {"accountId", T::kText, {}}, {"type", T::kText, {}}}},
      {"eventType", T::kText, {}},
      {"apiVersion", T::kText, {}},
      {"recipientAccountId", T::kText, {}},
      {"serviceEventDetails", T::kJsonText, {}},
      {"sharedEventID", T::kText, {}},
      {"vpcEndpointId", T::kText, {}},
      {"vpcEndpointAccountId", T::kText, {}},
      {"eventCategory", T::kText, {}},
      {"addendum",
       T::kStruct,
       {{"reason", T::kText, {}},
        {"updatedFields", T::kText, {}},
        {"originalRequestID", T::kText, {}},
        {"originalEventID", T::kText, {}}}},
      {"sessionCredentialFromConsole", T::kText, {}},
      {"edgeDeviceDetails", T::kJsonText, {}},
      {"tlsDetails",
       T::kStruct,
       {{"tlsVersion", T::kText, {}},
        {"cipherSuite", T::kText, {}},
        {"clientProvidedHostHeader", T::kText, {}}}},
  };
  return kColumns;
}

const Column* FindColumn(const std::vector<Column>& columns, std::string_view key) {
  const std::string lower = Lower(key);
  for (const Column& column : columns) {
    if (Lower(column.name) == lower) return &column;
  }
  return nullptr;
}

class TableSource : public RecordSource {
 public:
  TableSource(const CompileOptions& options, const EngineSql& sql) : options_(options), sql_(sql) {}

  bool HasPaths() const override { return true; }

  std::string FilesCtes(const std::string& partition) const override {
    return "files AS (\n  SELECT t.*, t.\"$path\" AS path\n  FROM " +
           QuotedTableName(options_.table) + " AS t" +
           (partition.empty() ? "" : "\n  WHERE " + partition) + "\n)";
  }

  std::string RecordsCte(const std::string& from) const override {
    return "records AS (\n  SELECT * FROM " + from + "\n)";
  }

  std::string RecordIsObject() const override { return ""; }

  Access Resolve(const Selector& selector, Columns& columns) const override {
    Access access;
    Walk(selector.steps, 0, TableColumns(), "t", selector, columns, access);
    return access;
  }

  std::optional<std::string> RecordText(Columns&, std::string& why) const override {
    why = "needs the record's raw text, which the CloudTrail table does not keep";
    return std::nullopt;
  }
  std::string RecordTextCaveat() const override { return ""; }

  std::vector<std::string> Notes() const override {
    return {
        "The table is the Athena user guide's CloudTrail table: the fields it names, in "
        "lower-case columns; a key it leaves out is invisible to the query, a JSON null and "
        "an absent field are both NULL, and scalars are text.",
        "Duplicates: one copy per eventID and hour of eventTime, as scan counts them; the copy "
        "kept is the one in the first file by \"$path\", where scan keeps the first in "
        "delivery order. The two agree whenever the copies are identical, as CloudTrail's "
        "redeliveries are.",
        "Files are skipped by the delivery time in their S3 key (\"$path\") exactly as scan "
        "skips them (--from, --to, --max-delivery-delay); with --partition-columns, the "
        "partitions outside those days are not read at all.",
        "Records dated only by Logstash's @timestamp (no eventTime) are not counted: the "
        "table has no such column.",
    };
  }

 private:
  // Adds what `steps[at..]` reaches under `columns` (the fields of the struct `row`, or the
  // table when row is "t") to `access`.
  void Walk(std::span<const PathStep> steps, std::size_t at, const std::vector<Column>& fields,
            const std::string& row, const Selector& selector, Columns& columns,
            Access& access) const {
    const PathStep& step = steps[at];
    switch (step.kind) {
      case PathStep::Kind::kIndex:
      case PathStep::Kind::kAnyIndex:
        Absent(access, columns);  // an object has no elements
        return;
      case PathStep::Kind::kAnyField: {
        access.shape = Access::Shape::kFixed;
        access.always.push_back(selector.ToString() +
                                ": a wildcard over the table's columns sees only the fields "
                                "its DDL names");
        for (const Column& field : fields) {
          Access one;
          Into(steps, at, field, row, selector, columns, one);
          Merge(one, access);
        }
        return;
      }
      case PathStep::Kind::kField:
        break;
    }
    const Column* field = FindColumn(fields, step.name);
    if (field == nullptr) {
      access.always.push_back(StepsText(steps.first(at + 1)) +
                              ": the CloudTrail table has no column for it, so every test "
                              "sees it absent");
      Absent(access, columns);
      return;
    }
    if (field->name != step.name) {
      access.always.push_back(StepsText(steps.first(at + 1)) + ": CloudTrail writes '" +
                              std::string(field->name) +
                              "'; the table's columns ignore case, CloudWatch does not");
    }
    Into(steps, at, *field, row, selector, columns, access);
  }

  // `steps[at]` reached `field` of `row`: its value, or the rest of the path below it.
  void Into(std::span<const PathStep> steps, std::size_t at, const Column& field,
            const std::string& row, const Selector& selector, Columns& columns,
            Access& access) const {
    const std::string column = Lower(field.name);
    const std::string value = row == "t" ? "t." + SqlIdentifier(column) : sql_.Field(row, column);
    const std::size_t next = at + 1;
    if (next == steps.size()) {
      Leaf(field.type, value, columns, access);
      return;
    }
    const PathStep& step = steps[next];
    switch (field.type) {
      case ColumnType::kText:
      case ColumnType::kBoolean:
        Absent(access, columns);  // a scalar has no fields
        return;
      case ColumnType::kJsonText: {
        Access inner = JsonAccess(sql_, value, false, steps.subspan(next), columns);
        inner.always = std::move(access.always);
        access = std::move(inner);
        return;
      }
      case ColumnType::kStruct:
        Walk(steps, next, field.fields, value, selector, columns, access);
        return;
      case ColumnType::kStructArray:
        break;
    }
    // resources: [i] is element i + 1 of the array; [*] every element.
    if (step.kind == PathStep::Kind::kIndex) {
      if (next + 1 == steps.size()) {
        Leaf(ColumnType::kStruct, sql_.ElementAt(value, step.index + 1), columns, access);
        return;
      }
      Walk(steps, next + 1, field.fields, sql_.ElementAt(value, step.index + 1), selector, columns,
           access);
      return;
    }
    if (step.kind != PathStep::Kind::kAnyIndex) {
      Absent(access, columns);  // an array has no fields
      return;
    }
    access.shape = Access::Shape::kDynamic;
    access.list = columns.Field(value);
    access.presence_lost = true;
    const std::vector<PathStep> rest(steps.begin() + static_cast<std::ptrdiff_t>(next + 1),
                                     steps.end());
    // The element's fields, walked once with a placeholder to learn what the path reaches
    // (and what it loses); the placeholder is then replaced by each element.
    const Column* element_fields = &field;
    const TableSource* self = this;
    Access probe;
    if (!rest.empty()) {
      Columns scratch;
      self->WalkElement(rest, element_fields->fields, "@element", selector, scratch, probe);
    }
    access.always.insert(access.always.end(), probe.always.begin(), probe.always.end());
    access.type_lost = probe.type_lost;
    access.numbers_rewritten = probe.numbers_rewritten;
    access.element = [self, rest, element_fields, selector](const std::string& element) {
      if (rest.empty())
        return Reach{"CASE WHEN " + element + " IS NULL THEN NULL ELSE 'o' END",
                     "CAST(NULL AS VARCHAR)", "CAST(NULL AS DOUBLE)"};
      Columns scratch;
      Access one;
      self->WalkElement(rest, element_fields->fields, element, selector, scratch, one);
      return one.single;
    };
  }

  // A path below one element of a struct array, with expressions inlined (no columns: the
  // element is a lambda variable).
  void WalkElement(const std::vector<PathStep>& rest, const std::vector<Column>& fields,
                   const std::string& element, const Selector& selector, Columns& scratch,
                   Access& access) const {
    const PathStep& step = rest.front();
    const Column* field =
        step.kind == PathStep::Kind::kField ? FindColumn(fields, step.name) : nullptr;
    if (field == nullptr || rest.size() > 1 || field->type != ColumnType::kText) {
      if (field == nullptr) {
        access.always.push_back(selector.ToString() +
                                ": the CloudTrail table has no column for it, so every test "
                                "sees it absent");
      }
      access.single = {"CAST(NULL AS VARCHAR)", "CAST(NULL AS VARCHAR)", "CAST(NULL AS DOUBLE)"};
      return;
    }
    if (field->name != step.name) {
      access.always.push_back(selector.ToString() + ": CloudTrail writes '" +
                              std::string(field->name) +
                              "'; the table's columns ignore case, CloudWatch does not");
    }
    const std::string value = sql_.Field(element, Lower(field->name));
    access.single = TextReach(value);
    access.type_lost = access.numbers_rewritten = true;
    (void)scratch;
  }

  static Reach TextReach(const std::string& value) {
    return {"CASE WHEN " + value + " IS NULL THEN NULL ELSE 's' END", value,
            "TRY_CAST(" + value + " AS DOUBLE)"};
  }

  void Leaf(ColumnType type, const std::string& expression, Columns& columns,
            Access& access) const {
    const std::string value = columns.Field(expression);
    access.presence_lost = true;
    switch (type) {
      case ColumnType::kText:
        access.type_lost = access.numbers_rewritten = true;
        access.single = {columns.Typed("CASE WHEN " + value + " IS NULL THEN NULL ELSE 's' END"),
                         value, "TRY_CAST(" + value + " AS DOUBLE)"};
        return;
      case ColumnType::kBoolean:
        access.type_lost = true;
        access.single = {
            columns.Typed("CASE WHEN " + value + " IS NULL THEN NULL WHEN " + value +
                          " = 'true' THEN 't' WHEN " + value + " = 'false' THEN 'f' ELSE 's' END"),
            value, "TRY_CAST(" + value + " AS DOUBLE)"};
        return;
      case ColumnType::kJsonText:
        access.type_lost = true;
        access.single = {columns.Typed("CASE WHEN " + value + " IS NULL THEN NULL WHEN substr(" +
                                       value + ", 1, 1) = '{' THEN 'o' WHEN substr(" + value +
                                       ", 1, 1) = '[' THEN 'a' ELSE 's' END"),
                         value, "TRY_CAST(" + value + " AS DOUBLE)"};
        return;
      case ColumnType::kStruct:
      case ColumnType::kStructArray:
        access.single = {columns.Typed("CASE WHEN " + value + " IS NULL THEN NULL ELSE " +
                                       (type == ColumnType::kStruct ? "'o'" : "'a'") + " END"),
                         "CAST(NULL AS VARCHAR)", "CAST(NULL AS DOUBLE)"};
        return;
    }
  }

  static void Absent(Access& access, Columns&) {
    access.single = {"CAST(NULL AS VARCHAR)", "CAST(NULL AS VARCHAR)", "CAST(NULL AS DOUBLE)"};
  }

  // Adds `one` (a single value) to `access` (a fixed list).
  static void Merge(Access& one, Access& access) {
    if (one.shape == Access::Shape::kSingle) {
      access.fixed.push_back(one.single);
    } else if (one.shape == Access::Shape::kFixed) {
      access.fixed.insert(access.fixed.end(), one.fixed.begin(), one.fixed.end());
    }
    access.presence_lost = access.presence_lost || one.presence_lost;
    access.type_lost = access.type_lost || one.type_lost;
    access.numbers_rewritten = access.numbers_rewritten || one.numbers_rewritten;
    for (auto& reason : one.always) {
      if (std::find(access.always.begin(), access.always.end(), reason) == access.always.end()) {
        access.always.push_back(reason);
      }
    }
  }

  const CompileOptions& options_;
  const EngineSql& sql_;
};

}  // namespace

std::string Columns::Add(std::vector<std::pair<std::string, std::string>>& layer,
                         const char* prefix, const std::string& expression) {
  for (const auto& [name, existing] : layer) {
    if (existing == expression) return name;
  }
  std::string name = prefix + std::to_string(layer.size() + 1);
  layer.emplace_back(name, expression);
  return name;
}

std::string Columns::Field(const std::string& expression) { return Add(fields_, "f", expression); }
std::string Columns::Typed(const std::string& expression) { return Add(typed_, "v", expression); }

std::string QuotedTableName(const std::string& name) {
  std::string out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = name.find('.', start);
    out += SqlIdentifier(name.substr(start, dot == std::string::npos ? dot : dot - start));
    if (dot == std::string::npos) break;
    out += '.';
    start = dot + 1;
  }
  return out;
}

std::unique_ptr<RecordSource> MakeRecordSource(const CompileOptions& options,
                                               const EngineSql& sql) {
  if (options.dialect == Dialect::kAthena) return std::make_unique<TableSource>(options, sql);
  return std::make_unique<JsonSource>(options, sql);
}

}  // namespace trailreplay::pushdown
