// The fast evaluator: compiled patterns and the per-thread event context they read from.
//
//   SelectorPlan    every JSON selector of every rule, merged into one trie, built once;
//   EventContext    one per thread: holds one log event at a time and, lazily, what the
//                   patterns need of it: the values at the plan's selectors (one simdjson On
//                   Demand pass over the event, descending only into subtrees some selector
//                   reaches, with strings viewed in simdjson's buffers: no DOM is built), and
//                   the event's space-delimited fields;
//   CompiledPattern a parsed pattern bound to plan ids; Matches() decides one event, with
//                   && and || short-circuiting.
//
// So N rules over one event cost one JSON pass, not N. Nothing here allocates per event once
// the context's buffers have grown to the largest event seen. A message that is not a JSON
// object never matches a JSON pattern (not even NOT EXISTS).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pattern/ast.h"

namespace trailreplay::pattern {

// What a selector landed on. Strings are unescaped; numbers keep their token text as written
// (so `= "400"` and globs can compare text) and their double value.
enum class JsonKind : std::uint8_t { kString, kNumber, kTrue, kFalse, kNull, kObject, kArray };

struct JsonValue {
  JsonKind kind = JsonKind::kNull;
  std::string_view text;  // string: unescaped; number: token; true/false/null: the literal
  double number = 0;      // kNumber
};

class SelectorPlan {
 public:
  static constexpr std::uint32_t kNone = UINT32_MAX;

  SelectorPlan();

  // Adds a selector (equal selectors share an id) and returns its id.
  std::uint32_t Add(const Selector& selector);
  // The same for a selector written as text: only for the program's own constant selectors
  // (asserts that it parses).
  std::uint32_t AddText(std::string_view selector_text);
  std::size_t size() const { return selector_count_; }
  // Steps in the longest selector: how deep an extraction walk can go.
  std::size_t max_depth() const { return max_depth_; }
  bool empty() const { return selector_count_ == 0; }

  struct Node {
    std::vector<std::pair<std::string, std::uint32_t>> fields;     // name -> child
    std::vector<std::pair<std::uint32_t, std::uint32_t>> indices;  // index -> child
    std::uint32_t any_field = kNone;
    std::uint32_t any_index = kNone;
    std::vector<std::uint32_t> terminals;  // selector ids that end here
    // Open-addressing table over `fields` (a power of two in size, kNone where empty): every
    // key of every event is looked up at each active node, and most keys are not in the plan.
    std::vector<std::uint32_t> field_table;
    bool HasChildren() const {
      return !fields.empty() || !indices.empty() || any_field != kNone || any_index != kNone;
    }
    // The child reached through field `key`, or kNone.
    std::uint32_t FindField(std::string_view key) const {
      if (field_table.empty()) return kNone;
      const std::size_t mask = field_table.size() - 1;
      for (std::size_t slot = HashKey(key) & mask;; slot = (slot + 1) & mask) {
        const std::uint32_t entry = field_table[slot];
        if (entry == kNone) return kNone;
        if (fields[entry].first == key) return fields[entry].second;
      }
    }
    static std::size_t HashKey(std::string_view key) {
      // Length and three of the characters tell CloudTrail's keys apart; the multiply spreads
      // them over the table.
      std::uint64_t h = key.size();
      if (!key.empty()) {
        h = h * 0x100 + static_cast<unsigned char>(key.front());
        h = h * 0x100 + static_cast<unsigned char>(key[key.size() / 2]);
        h = h * 0x100 + static_cast<unsigned char>(key.back());
      }
      return static_cast<std::size_t>((h * 0x9E3779B97F4A7C15ULL) >> 40);
    }
  };
  const std::vector<Node>& nodes() const { return nodes_; }

 private:
  std::uint32_t Child(std::uint32_t node, const PathStep& step);

  std::vector<Node> nodes_;  // nodes_[0] is `$`
  std::vector<std::vector<PathStep>> selectors_;
  std::size_t selector_count_ = 0;
  std::size_t max_depth_ = 0;
};

// A space-delimited field bound to a pattern slot.
struct BoundField {
  std::string_view text;
  std::uint32_t position = 0;  // 1-based position of its first field, 0 if unbound
  std::uint32_t count = 0;     // fields it spans: 1, or more when the last slot takes the rest
};

class EventContext {
 public:
  explicit EventContext(const SelectorPlan* plan);
  ~EventContext();
  EventContext(const EventContext&) = delete;
  EventContext& operator=(const EventContext&) = delete;

  // Starts a new event. `readable` is how many bytes may be read from message.data(); when it
  // leaves simdjson's padding after the message the event is parsed in place, otherwise it is
  // copied into the context's own padded buffer. The message must outlive its evaluation.
  void Reset(std::string_view message, std::size_t readable = 0);

  std::string_view message() const { return message_; }

  // True if the message is a JSON object (parses it on first use).
  bool IsJsonObject();
  // Values at selector `id` of the plan; empty when the path is absent.
  const std::vector<JsonValue>& Values(std::uint32_t id);

  // The message split into space-delimited fields (computed on first use).
  struct Field {
    std::string_view text;  // without enclosing quotes or brackets
    std::size_t start;      // offset in the message where the raw field starts
  };
  const std::vector<Field>& Fields();

  // Whole-document mode, for documents of many records: a CloudTrail log ({"Records":[...]},
  // `records_object`) or a top-level array of records. simdjson indexes the document once and
  // each NextRecord() walks one record, instead of a splitter finding each record and a
  // parse per record. `doc` must have simdjson's padding readable after it and must outlive
  // the walk; Reset() ends it.
  //
  // StartDocument() is false when the document does not have exactly that shape, or fails
  // simdjson's indexing (bad UTF-8, an unclosed string): nothing is loaded then. NextRecord()
  // loads the next record as Reset() and Values() would, with message() the record's exact
  // text, or says why it stopped: kEnd after the last record when nothing but blanks follows
  // the document; kIrregular when the document breaks, a record is not a well-formed object
  // as far as the walk reads it, or more data follows. After kIrregular the caller discards
  // what it took from this document and splits it record by record, which reports each fault
  // where it is.
  //
  // Like the per-record parse, the walk validates what the selectors read; values nobody reads
  // are skipped by counting brackets outside strings, after a check of their first token. So
  // inside an unread value, commas, colons, literals, the kinds of closers and backslashes
  // outside strings are not checked: such a record is counted, not reported.
  enum class DocumentStep : std::uint8_t { kRecord, kEnd, kIrregular };
  bool StartDocument(std::string_view doc, bool records_object);
  DocumentStep NextRecord();
  // Where the current record starts in the document.
  std::size_t record_offset() const { return record_offset_; }

  // Scratch for binding slots, reused across calls.
  std::vector<BoundField>& slot_scratch() { return slot_scratch_; }

 private:
  void ExtractJson();
  DocumentStep EndDocument();

  const SelectorPlan* plan_;
  struct Impl;  // the simdjson parser and padded buffer, kept out of this header
  std::unique_ptr<Impl> impl_;
  std::string_view message_;
  bool json_done_ = false;
  bool is_json_object_ = false;
  bool fields_done_ = false;
  bool in_document_ = false;
  std::string_view document_;
  std::size_t record_offset_ = 0;
  std::vector<std::vector<JsonValue>> values_;
  std::vector<Field> fields_;
  std::vector<BoundField> slot_scratch_;
};

class CompiledPattern {
 public:
  // Binds `pattern`'s selectors into `plan` (which must outlive the contexts that use it).
  CompiledPattern(Pattern pattern, SelectorPlan& plan);

  const Pattern& pattern() const { return pattern_; }
  bool Matches(EventContext& event) const;

  // Space-delimited patterns: binds slots to fields; false if the field count cannot fit.
  // out[i] is slot i's text (ellipsis slots are left unbound).
  bool BindSlots(EventContext& event, std::vector<BoundField>& out) const;

  // The plan id of pattern selector `index`.
  std::uint32_t plan_id(std::size_t index) const { return plan_ids_[index]; }

 private:
  // A set of plain strings (no globs), tested by one hash probe.
  class TextSet {
   public:
    void Add(std::string_view text);
    bool Contains(std::string_view text) const;

   private:
    static std::size_t Hash(std::string_view text);
    std::vector<std::string> texts_;
    std::vector<std::uint32_t> table_;  // power-of-two open addressing, kEmpty where free
    std::uint64_t lengths_ = 0;         // bit n: some text has length n (64 and up: bit 63)
    static constexpr std::uint32_t kEmpty = UINT32_MAX;
  };

  // A condition tree compiled for evaluation. It is the Expr's tree except that, under an
  // `||`, two or more equalities between one operand and plain strings (CIS's lists of event
  // names) become one kAnyOf node: a set lookup instead of a comparison per name. The `||`
  // has no side effects, so regrouping its children does not change its result.
  struct Node {
    enum class Kind : std::uint8_t { kAnd, kOr, kLeaf, kAnyOf };
    Kind kind = Kind::kLeaf;
    std::uint32_t first = 0, count = 0;  // kAnd / kOr: children in child_ids_
    std::uint32_t operand = 0;           // kLeaf / kAnyOf: selector or slot index
    std::uint32_t index = 0;             // kLeaf: in leaves_; kAnyOf: in sets_
  };
  static constexpr std::uint32_t kNoCondition = UINT32_MAX;
  std::uint32_t Compile(const Expr& expr);

  bool Evaluate(std::uint32_t node, EventContext& event,
                const std::vector<BoundField>* slots) const;
  bool EvaluateLeaf(const Expr& leaf, EventContext& event,
                    const std::vector<BoundField>* slots) const;
  bool MatchTerms(std::string_view message) const;

  Pattern pattern_;
  std::vector<std::uint32_t> plan_ids_;
  bool all_optional_ = false;
  std::vector<Node> nodes_;
  std::vector<std::uint32_t> child_ids_;
  std::vector<Expr> leaves_;  // copies of the leaves (without children): nodes outlive moves
  std::vector<TextSet> sets_;
  std::uint32_t condition_ = kNoCondition;      // kJson
  std::vector<std::uint32_t> slot_conditions_;  // kDelimited: per slot, or kNoCondition
};

// Text equality with '*' globs, as filter values compare against a scalar's text.
bool ValueTextMatches(const Value& value, std::string_view text);

// Reads `text` as a number the way delimited fields and metric values are read: the whole text
// must be a number literal. Returns false otherwise.
bool ParseNumber(std::string_view text, double& out);

// One JSON value against one comparison (the rules atop compiled.cc), and one space-delimited
// field's text: a field that reads as a number compares numerically with a number literal.
bool JsonValueSatisfies(const JsonValue& value, CompareOp op, const Value& literal);
bool FieldSatisfies(std::string_view text, CompareOp op, const Value& literal);

}  // namespace trailreplay::pattern
