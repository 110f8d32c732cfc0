#include "support/reference_evaluator.h"

#include "pattern/parser.h"

#include <cstdlib>
#include <cstring>

namespace trailreplay::testing {
namespace {

using pattern::CompareOp;
using pattern::Expr;
using pattern::ExprKind;
using pattern::PathStep;
using pattern::Pattern;
using pattern::PatternKind;
using pattern::Term;
using pattern::TermMode;
using pattern::Value;

// ---- a small strict JSON parser -----------------------------------------------------------

class JsonParser {
 public:
  explicit JsonParser(std::string_view text) : s_(text) {}

  std::optional<JsonNode> ParseDocument() {
    JsonNode node;
    SkipWs();
    if (!ParseValue(node, 0)) return std::nullopt;
    SkipWs();
    if (i_ != s_.size()) return std::nullopt;
    return node;
  }

 private:
  void SkipWs() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
      ++i_;
  }
  bool Literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }
  static void AppendUtf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  bool Hex4(unsigned& out) {
    if (i_ + 4 > s_.size()) return false;
    out = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = s_[i_++];
      out <<= 4;
      if (c >= '0' && c <= '9') {
        out |= static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        out |= static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        out |= static_cast<unsigned>(c - 'A' + 10);
      } else {
        return false;
      }
    }
    return true;
  }
  bool ParseString(std::string& out) {
    if (i_ >= s_.size() || s_[i_] != '"') return false;
    ++i_;
    while (i_ < s_.size()) {
      const char c = s_[i_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (i_ >= s_.size()) return false;
      const char e = s_[i_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out.push_back(e);
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          unsigned cp = 0;
          if (!Hex4(cp)) return false;
          if (cp >= 0xD800 && cp < 0xDC00) {
            unsigned low = 0;
            if (!Literal("\\u") || !Hex4(low) || low < 0xDC00 || low >= 0xE000) return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp < 0xE000) {
            return false;
          }
          AppendUtf8(out, cp);
          break;
        }
        default:
          return false;
      }
    }
    return false;
  }
  bool ParseNumber(JsonNode& node) {
    const std::size_t start = i_;
    if (i_ < s_.size() && s_[i_] == '-') ++i_;
    if (i_ >= s_.size()) return false;
    if (s_[i_] == '0') {
      ++i_;
    } else if (s_[i_] >= '1' && s_[i_] <= '9') {
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
    } else {
      return false;
    }
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      const std::size_t f = i_;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
      if (i_ == f) return false;
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      const std::size_t f = i_;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
      if (i_ == f) return false;
    }
    node.kind = JsonNode::Kind::kNumber;
    node.text = std::string(s_.substr(start, i_ - start));
    node.number = std::strtod(node.text.c_str(), nullptr);
    return true;
  }
  bool ParseValue(JsonNode& node, int depth) {
    if (depth > 200 || i_ >= s_.size()) return false;
    const char c = s_[i_];
    if (c == '{') {
      ++i_;
      node.kind = JsonNode::Kind::kObject;
      SkipWs();
      if (i_ < s_.size() && s_[i_] == '}') {
        ++i_;
        return true;
      }
      while (true) {
        SkipWs();
        std::string key;
        if (!ParseString(key)) return false;
        SkipWs();
        if (i_ >= s_.size() || s_[i_] != ':') return false;
        ++i_;
        SkipWs();
        JsonNode child;
        if (!ParseValue(child, depth + 1)) return false;
        node.members.push_back({std::move(key), std::move(child)});
        SkipWs();
        if (i_ < s_.size() && s_[i_] == ',') {
          ++i_;
          continue;
        }
        if (i_ < s_.size() && s_[i_] == '}') {
          ++i_;
          return true;
        }
        return false;
      }
    }
    if (c == '[') {
      ++i_;
      node.kind = JsonNode::Kind::kArray;
      SkipWs();
      if (i_ < s_.size() && s_[i_] == ']') {
        ++i_;
        return true;
      }
      while (true) {
        SkipWs();
        JsonNode child;
        if (!ParseValue(child, depth + 1)) return false;
        node.items.push_back(std::move(child));
        SkipWs();
        if (i_ < s_.size() && s_[i_] == ',') {
          ++i_;
          continue;
        }
        if (i_ < s_.size() && s_[i_] == ']') {
          ++i_;
          return true;
        }
        return false;
      }
    }
    if (c == '"') {
      node.kind = JsonNode::Kind::kString;
      return ParseString(node.text);
    }
    if (Literal("true")) {
      node.kind = JsonNode::Kind::kTrue;
      return true;
    }
    if (Literal("false")) {
      node.kind = JsonNode::Kind::kFalse;
      return true;
    }
    if (Literal("null")) {
      node.kind = JsonNode::Kind::kNull;
      return true;
    }
    return ParseNumber(node);
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

// ---- the rules, as written ------------------------------------------------------------------

void Resolve(const JsonNode& node, const std::vector<PathStep>& steps, std::size_t k,
             std::vector<const JsonNode*>& out) {
  if (k == steps.size()) {
    out.push_back(&node);
    return;
  }
  const PathStep& step = steps[k];
  switch (step.kind) {
    case PathStep::Kind::kField:
      if (node.kind != JsonNode::Kind::kObject) return;
      for (const auto& [key, child] : node.members) {
        if (key == step.name) Resolve(child, steps, k + 1, out);
      }
      return;
    case PathStep::Kind::kAnyField:
      if (node.kind != JsonNode::Kind::kObject) return;
      for (const auto& member : node.members) Resolve(member.value, steps, k + 1, out);
      return;
    case PathStep::Kind::kIndex:
      if (node.kind != JsonNode::Kind::kArray || step.index >= node.items.size()) return;
      Resolve(node.items[step.index], steps, k + 1, out);
      return;
    case PathStep::Kind::kAnyIndex:
      if (node.kind != JsonNode::Kind::kArray) return;
      for (const JsonNode& item : node.items) Resolve(item, steps, k + 1, out);
      return;
  }
}

// Glob by plain recursion: obviously right, exponential only on inputs far longer than tests use.
bool NaiveGlob(std::string_view glob, std::string_view text) {
  if (glob.empty()) return text.empty();
  if (glob[0] == '*') {
    for (std::size_t skip = 0; skip <= text.size(); ++skip) {
      if (NaiveGlob(glob.substr(1), text.substr(skip))) return true;
    }
    return false;
  }
  return !text.empty() && text[0] == glob[0] && NaiveGlob(glob.substr(1), text.substr(1));
}

bool TextEquals(const Value& v, std::string_view text) {
  if (v.kind == Value::Kind::kRegex) return v.regex->Search(text);
  return NaiveGlob(v.text, text);  // a glob without '*' is plain equality
}

bool Ordered(CompareOp op, double a, double b) {
  switch (op) {
    case CompareOp::kLt:
      return a < b;
    case CompareOp::kGt:
      return a > b;
    case CompareOp::kLe:
      return a <= b;
    case CompareOp::kGe:
      return a >= b;
    case CompareOp::kEq:
      return a == b;
    case CompareOp::kNe:
      return a != b;
  }
  return false;
}

bool NodeSatisfies(const JsonNode& node, CompareOp op, const Value& v) {
  const bool scalar = node.kind == JsonNode::Kind::kString ||
                      node.kind == JsonNode::Kind::kNumber || node.kind == JsonNode::Kind::kTrue ||
                      node.kind == JsonNode::Kind::kFalse;
  if (!scalar) return false;
  const std::string text = node.kind == JsonNode::Kind::kTrue    ? "true"
                           : node.kind == JsonNode::Kind::kFalse ? "false"
                                                                 : node.text;
  if (op != CompareOp::kEq && op != CompareOp::kNe) {
    return node.kind == JsonNode::Kind::kNumber && v.kind == Value::Kind::kNumber &&
           Ordered(op, node.number, v.number);
  }
  bool equal;
  if (v.kind == Value::Kind::kNumber) {
    equal = node.kind == JsonNode::Kind::kNumber ? node.number == v.number : text == v.text;
  } else {
    equal = TextEquals(v, text);
  }
  return op == CompareOp::kEq ? equal : !equal;
}

bool EvalJson(const Expr& e, const Pattern& p, const JsonNode& root) {
  if (e.kind == ExprKind::kAnd) {
    bool all = true;
    for (const Expr& c : e.children) all = EvalJson(c, p, root) && all;  // no short-circuit
    return all;
  }
  if (e.kind == ExprKind::kOr) {
    bool any = false;
    for (const Expr& c : e.children) any = EvalJson(c, p, root) || any;
    return any;
  }
  std::vector<const JsonNode*> found;
  Resolve(root, p.selectors[e.operand].steps, 0, found);
  switch (e.kind) {
    case ExprKind::kNotExists:
      return found.empty();
    case ExprKind::kIsNull:
    case ExprKind::kIsTrue:
    case ExprKind::kIsFalse: {
      const JsonNode::Kind want = e.kind == ExprKind::kIsNull   ? JsonNode::Kind::kNull
                                  : e.kind == ExprKind::kIsTrue ? JsonNode::Kind::kTrue
                                                                : JsonNode::Kind::kFalse;
      for (const JsonNode* n : found) {
        if (n->kind == want) return true;
      }
      return false;
    }
    default:
      for (const JsonNode* n : found) {
        if (NodeSatisfies(*n, e.op, e.value)) return true;
      }
      return false;
  }
}

// Space-delimited: split, bind, test.
struct RefField {
  std::string text;
  std::size_t start;
};

std::vector<RefField> SplitFields(std::string_view m) {
  std::vector<RefField> out;
  std::size_t i = 0;
  auto sep = [](char c) { return c == ' ' || c == '\t'; };
  while (i < m.size()) {
    if (sep(m[i])) {
      ++i;
      continue;
    }
    const std::size_t start = i;
    if (m[i] == '"' || m[i] == '[') {
      const char close = m[i] == '"' ? '"' : ']';
      std::size_t j = i + 1;
      while (j < m.size() && m[j] != close) ++j;
      if (j < m.size() && (j + 1 == m.size() || sep(m[j + 1]))) {
        out.push_back({std::string(m.substr(i + 1, j - i - 1)), start});
        i = j + 1;
        continue;
      }
    }
    std::size_t j = i;
    while (j < m.size() && !sep(m[j])) ++j;
    out.push_back({std::string(m.substr(i, j - i)), start});
    i = j;
  }
  return out;
}

bool ReadsAsNumber(const std::string& text, double& out) {
  if (!pattern::IsNumberLiteral(text)) return false;
  out = std::strtod(text.c_str(), nullptr);
  return true;
}

bool FieldOk(const std::string& text, CompareOp op, const Value& v) {
  if (v.kind == Value::Kind::kNumber) {
    double d = 0;
    const bool numeric = ReadsAsNumber(text, d);
    if (op != CompareOp::kEq && op != CompareOp::kNe) return numeric && Ordered(op, d, v.number);
    const bool equal = numeric ? d == v.number : text == v.text;
    return op == CompareOp::kEq ? equal : !equal;
  }
  const bool equal = TextEquals(v, text);
  return op == CompareOp::kEq ? equal : !equal;
}

bool EvalFields(const Expr& e, const std::vector<std::string>& bound) {
  if (e.kind == ExprKind::kAnd) {
    for (const Expr& c : e.children) {
      if (!EvalFields(c, bound)) return false;
    }
    return true;
  }
  if (e.kind == ExprKind::kOr) {
    for (const Expr& c : e.children) {
      if (EvalFields(c, bound)) return true;
    }
    return false;
  }
  return FieldOk(bound[e.operand], e.op, e.value);
}

bool DelimitedMatches(const Pattern& p, std::string_view message) {
  const std::vector<RefField> fields = SplitFields(message);
  const std::size_t n = fields.size();
  const std::size_t k = p.slots.size();
  std::vector<std::string> bound(k);
  std::size_t ellipsis = k;
  for (std::size_t i = 0; i < k; ++i) {
    if (p.slots[i].ellipsis) ellipsis = i;
  }
  if (ellipsis == k) {
    if (k == 0 || n < k) return false;
    for (std::size_t i = 0; i + 1 < k; ++i) bound[i] = fields[i].text;
    if (n == k) {
      bound[k - 1] = fields[k - 1].text;
    } else {
      std::string rest(message.substr(fields[k - 1].start));
      while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t')) rest.pop_back();
      bound[k - 1] = rest;
    }
  } else {
    const std::size_t after = k - ellipsis - 1;
    if (n < ellipsis + after) return false;
    for (std::size_t i = 0; i < ellipsis; ++i) bound[i] = fields[i].text;
    for (std::size_t j = 0; j < after; ++j) bound[ellipsis + 1 + j] = fields[n - after + j].text;
  }
  for (const auto& slot : p.slots) {
    if (slot.condition && !EvalFields(*slot.condition, bound)) return false;
  }
  return true;
}

bool Contains(std::string_view hay, std::string_view needle) {
  if (needle.empty()) return true;
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    if (std::memcmp(hay.data() + i, needle.data(), needle.size()) == 0) return true;
  }
  return false;
}

bool TermsMatch(const Pattern& p, std::string_view message) {
  bool all_optional = !p.terms.empty();
  for (const Term& t : p.terms) all_optional = all_optional && t.mode == TermMode::kOptional;
  if (all_optional) {
    for (const Term& t : p.terms) {
      if (Contains(message, t.text)) return true;
    }
    return false;
  }
  for (const Term& t : p.terms) {
    if (t.mode == TermMode::kRequired && !Contains(message, t.text)) return false;
    if (t.mode == TermMode::kExcluded && Contains(message, t.text)) return false;
  }
  return true;
}

}  // namespace

std::optional<JsonNode> ParseJson(std::string_view text) {
  return JsonParser(text).ParseDocument();
}

bool ReferenceMatches(const Pattern& p, std::string_view message) {
  switch (p.kind) {
    case PatternKind::kMatchAll:
      return true;
    case PatternKind::kTerms:
      return TermsMatch(p, message);
    case PatternKind::kRegex:
      return p.regex->Search(message);
    case PatternKind::kJson: {
      const std::optional<JsonNode> root = ParseJson(message);
      if (!root || root->kind != JsonNode::Kind::kObject) return false;
      return EvalJson(*p.condition, p, *root);
    }
    case PatternKind::kDelimited:
      return DelimitedMatches(p, message);
  }
  return false;
}

}  // namespace trailreplay::testing
