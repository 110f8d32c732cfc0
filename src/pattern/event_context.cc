// EventContext: one event, and what patterns read of it, computed lazily and at most once.
//
// JSON extraction is a single forward pass with simdjson On Demand. The plan's selectors form
// a trie; the pass carries the set of trie nodes that the current value is reached by (a set,
// because `$.a.*` and `$.a.b` both reach `$.a.b`, and an On Demand value can be read only
// once). Values no node reaches are skipped by simdjson without being parsed. Scalars are
// recorded as views: unescaped strings live in the parser's string buffer, number tokens in
// the input, both valid until the next Reset().
#include <simdjson.h>

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "pattern/compiled.h"

namespace trailreplay::pattern {

namespace ondemand = simdjson::ondemand;

struct EventContext::Impl {
  ondemand::parser parser;
  std::string padded;  // copy of the message when the caller's buffer lacks padding
  // Active trie-node sets, one per depth, reused across events.
  std::vector<std::vector<std::uint32_t>> levels;
  // Whole-document mode: the document and where its walk is.
  ondemand::document document;
  ondemand::array_iterator record, record_end;
  bool records_object = false;

  // Walks one record's object: values at the plan's selectors, or (without a plan) just its
  // fields, so that its structure is read.
  bool WalkRecord(ondemand::object object, EventContext& ctx);

  bool Walk(ondemand::value& value, std::size_t depth, EventContext& ctx);
  bool WalkObject(ondemand::object object, std::size_t depth, EventContext& ctx);
};

EventContext::EventContext(const SelectorPlan* plan)
    : plan_(plan), impl_(std::make_unique<Impl>()) {
  values_.resize(plan_ != nullptr ? plan_->size() : 0);
}

EventContext::~EventContext() = default;

void EventContext::Reset(std::string_view message, std::size_t readable) {
  in_document_ = false;
  message_ = message;
  json_done_ = false;
  is_json_object_ = false;
  fields_done_ = false;
  if (readable < message.size() + simdjson::SIMDJSON_PADDING) {
    impl_->padded.assign(message.data(), message.size());
    impl_->padded.resize(message.size() + simdjson::SIMDJSON_PADDING, '\0');
    message_ = std::string_view(impl_->padded.data(), message.size());
  }
}

bool EventContext::IsJsonObject() {
  if (!json_done_) ExtractJson();
  return is_json_object_;
}

const std::vector<JsonValue>& EventContext::Values(std::uint32_t id) {
  if (!json_done_) ExtractJson();
  return values_[id];
}

namespace {

// The first '"' or '\\' at or after `p`. Callers pass a key inside a document whose simdjson
// padding follows it, so a block of 16 bytes may be read past the byte found.
const char* QuoteOrBackslash(const char* p) {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
  for (;; p += 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const auto hits = static_cast<unsigned>(_mm_movemask_epi8(
        _mm_or_si128(_mm_cmpeq_epi8(bytes, quote), _mm_cmpeq_epi8(bytes, backslash))));
    if (hits != 0) return p + __builtin_ctz(hits);
  }
#else
  while (*p != '"' && *p != '\\') ++p;
  return p;
#endif
}

// The key of an object field as text. Keys without escapes are viewed in place; escaped keys
// (rare: `\u0065rrorCode`) are unescaped by simdjson.
simdjson::error_code FieldKey(ondemand::field& field, std::string_view& key) {
  const char* raw = field.key().raw();
  // The closing quote of a key is the first '"' unless a backslash comes first. Keys are
  // short: one 16-byte compare (or a plain loop) beats two library calls.
  const char* end = QuoteOrBackslash(raw);
  if (*end == '"') {
    key = std::string_view(raw, static_cast<std::size_t>(end - raw));
    return simdjson::SUCCESS;
  }
  return field.unescaped_key().get(key);
}

// simdjson skips a value nobody reads by counting brackets, and it trusts the value's first
// token: a value that starts with ':' ',' ']' '}', or a string followed by ':' (which it takes
// for a key), moves its depth count off by one, and the record would then end at the wrong
// brace. Such a value is malformed JSON: the walk stops there, and the splitter reports it.
// After a sound first token the skip counts brackets outside strings as the splitter does,
// with the leniencies compiled.h lists: neither checks commas and colons inside unread
// values, the skip does not check that a closer matches its opener's kind, and simdjson takes
// a backslash outside a string as an escape.
bool SoundToSkip(ondemand::value& value) {
  const std::string_view token = value.raw_json_token();
  if (token.empty()) return false;
  switch (token.front()) {
    case ':':
    case ',':
    case ']':
    case '}':
      return false;
    case '"':
      // The token runs to the next structural character, which the buffer holds after it.
      return token.data()[token.size()] != ':';
    default:
      return true;
  }
}

}  // namespace

void EventContext::ExtractJson() {
  json_done_ = true;
  for (auto& list : values_) list.clear();
  // Cheap rejection: a JSON object message starts with '{' after optional blanks.
  std::size_t first = 0;
  while (first < message_.size() && (message_[first] == ' ' || message_[first] == '\t' ||
                                     message_[first] == '\r' || message_[first] == '\n')) {
    ++first;
  }
  if (first >= message_.size() || message_[first] != '{') return;

  ondemand::document doc;
  if (impl_->parser
          .iterate(message_.data(), message_.size(), message_.size() + simdjson::SIMDJSON_PADDING)
          .get(doc)) {
    return;
  }
  ondemand::object root;
  if (doc.get_object().get(root)) return;
  bool ok = impl_->WalkRecord(root, *this);
  // After the root object, only the end of input may remain ("{} x" is not a JSON message).
  if (ok) ok = doc.current_location().error() == simdjson::OUT_OF_BOUNDS;
  if (!ok) {
    for (auto& list : values_) list.clear();
    return;
  }
  is_json_object_ = true;
}

bool EventContext::Impl::WalkRecord(ondemand::object object, EventContext& ctx) {
  const SelectorPlan* plan = ctx.plan_;
  if (plan == nullptr || plan->empty()) {
    // Nothing to extract, but the message must still be a well-formed object: walk its fields
    // so simdjson reads the structure.
    for (auto field_result : object) {
      if (field_result.error()) return false;
      ondemand::value& unread = field_result.value_unsafe().value();
      if (!SoundToSkip(unread)) return false;
    }
    return true;
  }
  // Sized before the walk: the walk holds references into it across recursion.
  const std::size_t depth = plan->max_depth();
  if (levels.size() < depth + 2) levels.resize(depth + 2);
  if (ctx.values_.size() < plan->size()) ctx.values_.resize(plan->size());
  levels[0].assign(1, 0);  // the root node `$`
  return WalkObject(object, 0, ctx);
}

// ---- whole documents ----------------------------------------------------------------------

bool EventContext::StartDocument(std::string_view doc, bool records_object) {
  // No event until NextRecord() loads one (Reset() would copy an empty message for padding).
  in_document_ = false;
  message_ = {};
  json_done_ = false;
  is_json_object_ = false;
  fields_done_ = false;
  Impl& im = *impl_;
  if (im.parser.iterate(doc.data(), doc.size(), doc.size() + simdjson::SIMDJSON_PADDING)
          .get(im.document)) {
    return false;
  }
  im.records_object = records_object;
  ondemand::array records;
  if (records_object) {
    ondemand::object root;
    ondemand::object_iterator first, end;
    ondemand::field field;
    std::string_view key;
    if (im.document.get_object().get(root) || root.begin().get(first) || root.end().get(end) ||
        !(first != end) || (*first).get(field) || FieldKey(field, key) || key != "Records" ||
        field.value().get_array().get(records)) {
      return false;
    }
  } else if (im.document.get_array().get(records)) {
    return false;
  }
  if (records.begin().get(im.record) || records.end().get(im.record_end)) return false;
  document_ = doc;
  in_document_ = true;
  return true;
}

EventContext::DocumentStep EventContext::NextRecord() {
  if (!in_document_) return DocumentStep::kIrregular;
  Impl& im = *impl_;
  if (!(im.record != im.record_end)) return EndDocument();
  json_done_ = true;
  is_json_object_ = false;
  fields_done_ = false;
  for (auto& list : values_) list.clear();
  ondemand::value element;
  ondemand::object object;
  const char* start = nullptr;
  if ((*im.record).get(element) || element.current_location().get(start) ||
      element.get_object().get(object) || !im.WalkRecord(object, *this)) {
    in_document_ = false;
    return DocumentStep::kIrregular;
  }
  // The walk read the whole object: the iterator is at the ',' or ']' after it.
  const char* end = nullptr;
  if (im.document.current_location().get(end)) {
    in_document_ = false;
    return DocumentStep::kIrregular;
  }
  while (end > start && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n')) {
    --end;
  }
  message_ = std::string_view(start, static_cast<std::size_t>(end - start));
  record_offset_ = static_cast<std::size_t>(start - document_.data());
  is_json_object_ = true;
  ++im.record;
  return DocumentStep::kRecord;
}

EventContext::DocumentStep EventContext::EndDocument() {
  in_document_ = false;
  Impl& im = *impl_;
  // Past the array, only the log's closing brace and blanks may follow: a second field, or a
  // second document (concatenated logs), is left to the splitter.
  const char* p = nullptr;
  if (im.document.current_location().get(p)) {
    // No token left: blanks at most.
    return im.records_object ? DocumentStep::kIrregular : DocumentStep::kEnd;
  }
  if (!im.records_object || *p != '}') return DocumentStep::kIrregular;
  for (++p; p < document_.data() + document_.size(); ++p) {
    if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') return DocumentStep::kIrregular;
  }
  return DocumentStep::kEnd;
}

bool EventContext::Impl::WalkObject(ondemand::object object, std::size_t depth, EventContext& ctx) {
  const auto& nodes = ctx.plan_->nodes();
  std::vector<std::uint32_t>& next = levels[depth + 1];
  // The usual case, one node and no `*` at this level, looks each key up once.
  const std::vector<std::uint32_t>& current = levels[depth];
  const SelectorPlan::Node* only =
      current.size() == 1 && nodes[current[0]].any_field == SelectorPlan::kNone ? &nodes[current[0]]
                                                                                : nullptr;
  for (auto field_result : object) {
    // Read in place: copying the field out of its result (`.get(field)`) made a 16-byte load
    // of two narrower stores, a store-forwarding stall on every key.
    if (field_result.error()) return false;
    ondemand::field& field = field_result.value_unsafe();
    std::string_view key;
    if (FieldKey(field, key)) return false;
    next.clear();
    if (only != nullptr) {
      const std::uint32_t child = only->FindField(key);
      if (child != SelectorPlan::kNone) next.push_back(child);
    } else {
      for (std::uint32_t n : current) {
        const SelectorPlan::Node& node = nodes[n];
        if (node.any_field != SelectorPlan::kNone) next.push_back(node.any_field);
        const std::uint32_t child = node.FindField(key);
        if (child != SelectorPlan::kNone) next.push_back(child);
      }
    }
    if (next.empty()) {
      ondemand::value& unread = field.value();
      if (!SoundToSkip(unread)) return false;
      continue;  // simdjson skips the unread value
    }
    if (!Walk(field.value(), depth + 1, ctx)) return false;
  }
  return true;
}

bool EventContext::Impl::Walk(ondemand::value& value, std::size_t depth, EventContext& ctx) {
  const auto& nodes = ctx.plan_->nodes();
  ondemand::json_type type;
  if (value.type().get(type)) return false;

  JsonValue scalar;
  switch (type) {
    case ondemand::json_type::object:
    case ondemand::json_type::array: {
      const bool is_object = type == ondemand::json_type::object;
      bool descend = false;
      for (std::uint32_t n : levels[depth]) {
        for (std::uint32_t id : nodes[n].terminals) {
          ctx.values_[id].push_back({is_object ? JsonKind::kObject : JsonKind::kArray, {}, 0});
        }
        descend = descend || nodes[n].HasChildren();
      }
      if (!descend) return true;
      if (is_object) {
        ondemand::object object;
        if (value.get_object().get(object)) return false;
        return WalkObject(object, depth, ctx);
      }
      ondemand::array array;
      if (value.get_array().get(array)) return false;
      std::uint32_t index = 0;
      for (auto element_result : array) {
        if (element_result.error()) return false;
        ondemand::value& element = element_result.value_unsafe();
        std::vector<std::uint32_t>& next = levels[depth + 1];
        next.clear();
        for (std::uint32_t n : levels[depth]) {
          const SelectorPlan::Node& node = nodes[n];
          if (node.any_index != SelectorPlan::kNone) next.push_back(node.any_index);
          for (const auto& [i, child] : node.indices) {
            if (i == index) next.push_back(child);
          }
        }
        ++index;
        if (next.empty()) {
          if (!SoundToSkip(element)) return false;
          continue;
        }
        if (!Walk(element, depth + 1, ctx)) return false;
      }
      return true;
    }
    case ondemand::json_type::string: {
      scalar.kind = JsonKind::kString;
      // Most CloudTrail strings have no escapes: view them between their quotes in the input
      // instead of unescaping a copy into simdjson's buffer.
      // The token runs to the next structural character: the string, its closing quote, then
      // any blanks.
      std::string_view token = value.raw_json_token();
      while (token.size() > 1 && token.back() != '"') token.remove_suffix(1);
      const std::string_view inside = token.substr(1, token.size() > 1 ? token.size() - 2 : 0);
      if (token.size() >= 2 && std::memchr(inside.data(), '\\', inside.size()) == nullptr) {
        scalar.text = inside;
      } else if (value.get_string().get(scalar.text)) {
        return false;
      }
      break;
    }
    case ondemand::json_type::number: {
      scalar.kind = JsonKind::kNumber;
      std::string_view token = value.raw_json_token();
      while (!token.empty() && (token.back() == ' ' || token.back() == '\t' ||
                                token.back() == '\n' || token.back() == '\r')) {
        token.remove_suffix(1);
      }
      scalar.text = token;
      if (value.get_double().get(scalar.number)) return false;
      break;
    }
    case ondemand::json_type::boolean: {
      bool b = false;
      if (value.get_bool().get(b)) return false;
      scalar.kind = b ? JsonKind::kTrue : JsonKind::kFalse;
      scalar.text = b ? "true" : "false";
      break;
    }
    case ondemand::json_type::null: {
      bool is_null = false;
      if (value.is_null().get(is_null) || !is_null) return false;
      scalar.kind = JsonKind::kNull;
      scalar.text = "null";
      break;
    }
  }
  for (std::uint32_t n : levels[depth]) {
    for (std::uint32_t id : nodes[n].terminals) ctx.values_[id].push_back(scalar);
  }
  return true;
}

// ---- space-delimited fields ---------------------------------------------------------------

const std::vector<EventContext::Field>& EventContext::Fields() {
  if (fields_done_) return fields_;
  fields_done_ = true;
  fields_.clear();
  const std::string_view m = message_;
  auto is_sep = [](char c) { return c == ' ' || c == '\t'; };
  std::size_t i = 0;
  while (true) {
    while (i < m.size() && is_sep(m[i])) ++i;
    if (i >= m.size()) break;
    const std::size_t start = i;
    const char open = m[i];
    const char close = open == '"' ? '"' : open == '[' ? ']' : '\0';
    if (close != '\0') {
      // A quoted or bracketed run is one field, without its delimiters, when the closer is
      // followed by a separator or the end; otherwise it is an ordinary word.
      const std::size_t end = m.find(close, i + 1);
      if (end != std::string_view::npos && (end + 1 == m.size() || is_sep(m[end + 1]))) {
        fields_.push_back({m.substr(i + 1, end - i - 1), start});
        i = end + 1;
        continue;
      }
    }
    while (i < m.size() && !is_sep(m[i])) ++i;
    fields_.push_back({m.substr(start, i - start), start});
  }
  return fields_;
}

}  // namespace trailreplay::pattern
