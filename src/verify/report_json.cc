// The report as JSON (what `verify --json` prints and the database keeps). Times are ISO-8601
// UTC; a value that is unknown is null.
#include <map>

#include "common/json_escape.h"
#include "common/time.h"
#include "verify/verify.h"

namespace trailreplay::verify {
namespace {

void Field(std::string& out, std::string_view name, std::string_view value, bool first = false) {
  if (!first) out += ',';
  AppendJsonString(out, name);
  out += ':';
  AppendJsonString(out, value);
}

void OptionalField(std::string& out, std::string_view name, std::string_view value) {
  out += ',';
  AppendJsonString(out, name);
  out += ':';
  if (value.empty()) {
    out += "null";
  } else {
    AppendJsonString(out, value);
  }
}

void TimeField(std::string& out, std::string_view name, std::optional<std::int64_t> time) {
  OptionalField(out, name, time ? FormatIsoTime(*time) : "");
}

void Count(std::string& out, std::string_view name, std::uint64_t n, bool first = false) {
  if (!first) out += ',';
  AppendJsonString(out, name);
  out += ':' + std::to_string(n);
}

}  // namespace

std::string SummaryJson(const VerifyReport& report) {
  std::string out = "{";
  Count(out, "files", report.files, true);
  Count(out, "other_files", report.other_files);
  Count(out, "public_keys", report.keys);
  TimeField(out, "from", report.from);
  TimeField(out, "to", report.to);

  std::map<DigestStatus, std::uint64_t> digests;
  for (const auto& d : report.digests) ++digests[d.status];
  out += ",\"digests\":{";
  bool first = true;
  for (DigestStatus s :
       {DigestStatus::kValid, DigestStatus::kChained, DigestStatus::kUnauthenticated,
        DigestStatus::kInvalid, DigestStatus::kMissing}) {
    Count(out, DigestStatusName(s), digests[s], first);
    first = false;
  }
  std::map<LogStatus, std::uint64_t> logs;
  for (const auto& l : report.logs) ++logs[l.status];
  out += "},\"logs\":{";
  first = true;
  for (LogStatus s : {LogStatus::kValid, LogStatus::kModified, LogStatus::kMissing,
                      LogStatus::kUnvouched, LogStatus::kReEncoded}) {
    Count(out, LogStatusName(s), logs[s], first);
    first = false;
  }
  std::uint64_t explained = 0;
  for (const auto& g : report.gaps) explained += g.explained ? 1 : 0;
  out += "},\"gaps\":{";
  Count(out, "explained", explained, true);
  Count(out, "unexplained", report.gaps.size() - explained);
  out += "}";
  if (report.database_checked) {
    std::map<InputStatus, std::uint64_t> inputs;
    for (const auto& i : report.inputs) ++inputs[i.status];
    out += ",\"database\":{";
    first = true;
    for (InputStatus s : {InputStatus::kVouched, InputStatus::kUnvouched, InputStatus::kUnhashed,
                          InputStatus::kUnscanned}) {
      Count(out, InputStatusName(s), inputs[s], first);
      first = false;
    }
    out += "}";
  }
  out += ",\"chains\":[";
  for (std::size_t i = 0; i < report.chains.size(); ++i) {
    const ChainSummary& c = report.chains[i];
    out += i > 0 ? ",{" : "{";
    Field(out, "chain", c.chain, true);
    Count(out, "digests", c.digests);
    TimeField(out, "start", c.first_start);
    TimeField(out, "end", c.last_end);
    out += std::string(",\"authenticated\":") + (c.authenticated ? "true" : "false");
    OptionalField(out, "note", c.note);
    out += "}";
  }
  bool authenticated = report.keys > 0 && !report.digests.empty();
  for (const auto& d : report.digests) {
    authenticated =
        authenticated && (d.status == DigestStatus::kValid || d.status == DigestStatus::kChained);
  }
  out += std::string("],\"authenticated\":") + (authenticated ? "true" : "false");
  Count(out, "problems", report.Problems());
  return out + "}";
}

std::string ReportJson(const VerifyReport& report) {
  std::string out = "{\"digests\":[";
  for (std::size_t i = 0; i < report.digests.size(); ++i) {
    const DigestFinding& d = report.digests[i];
    out += i > 0 ? ",\n{" : "\n{";
    Field(out, "key", d.key, true);
    OptionalField(out, "bucket", d.bucket);
    Field(out, "chain", d.chain);
    OptionalField(out, "path", d.path);
    Field(out, "status", DigestStatusName(d.status));
    Field(out, "detail", d.detail);
    TimeField(out, "start", d.start);
    TimeField(out, "end", d.end);
    out += "}";
  }
  out += "],\n\"logs\":[";
  for (std::size_t i = 0; i < report.logs.size(); ++i) {
    const LogFinding& l = report.logs[i];
    out += i > 0 ? ",\n{" : "\n{";
    Field(out, "key", l.key, true);
    OptionalField(out, "bucket", l.bucket);
    OptionalField(out, "chain", l.chain);
    OptionalField(out, "path", l.path);
    Field(out, "status", LogStatusName(l.status));
    Field(out, "detail", l.detail);
    TimeField(out, "delivered", l.delivered);
    out += "}";
  }
  out += "],\n\"gaps\":[";
  for (std::size_t i = 0; i < report.gaps.size(); ++i) {
    const Gap& g = report.gaps[i];
    out += i > 0 ? ",\n{" : "\n{";
    Field(out, "chain", g.chain, true);
    Field(out, "start", FormatIsoTime(g.start));
    Field(out, "end", FormatIsoTime(g.end));
    out += std::string(",\"explained\":") + (g.explained ? "true" : "false") + ",\"evidence\":[";
    for (std::size_t e = 0; e < g.evidence.size(); ++e) {
      const Evidence& ev = g.evidence[e];
      out += e > 0 ? ",{" : "{";
      Field(out, "key", ev.key, true);
      Field(out, "eventID", ev.event_id);
      Field(out, "eventName", ev.event_name);
      Field(out, "eventTime", ev.event_time);
      out += "}";
    }
    out += "]";
    Field(out, "detail", g.detail);
    out += "}";
  }
  out += "]";
  if (report.database_checked) {
    out += ",\n\"database\":{\"inputs\":[";
    for (std::size_t i = 0; i < report.inputs.size(); ++i) {
      const InputFinding& f = report.inputs[i];
      out += i > 0 ? ",\n{\"path\":" : "\n{\"path\":";
      out += f.path.empty() ? "null" : JsonString(f.path);
      Field(out, "member", f.member);
      OptionalField(out, "key", f.key);
      Field(out, "status", InputStatusName(f.status));
      Field(out, "detail", f.detail);
      out += "}";
    }
    out += "]}";
  }
  out += ",\n\"summary\":" + SummaryJson(report) + ",\n\"warnings\":[";
  for (std::size_t i = 0; i < report.warnings.size(); ++i) {
    if (i > 0) out += ",";
    AppendJsonString(out, report.warnings[i]);
  }
  return out + "]}\n";
}

}  // namespace trailreplay::verify
