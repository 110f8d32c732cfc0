// One <section>: the verdict, the counts by kind and status, the chains, the problems (the
// first kMaxProblems; the table holds all of them) and the gaps with the calls that explain
// them. Everything shown comes from the archive and is escaped.
#include "report/integrity_section.h"

#include <simdjson.h>

#include <map>

#include "common/time.h"
#include "report/html_report.h"

namespace trailreplay::report {
namespace {

constexpr int kMaxProblems = 100;

std::string Td(const std::string& text, const char* cls = nullptr) {
  return std::string("<td") + (cls != nullptr ? std::string(" class='") + cls + "'" : "") + ">" +
         EscapeHtml(text) + "</td>";
}

// A field of the stored JSON; "" (or 0, false) when absent or of another type.
std::string Text(simdjson::dom::element e, std::string_view key) {
  std::string_view value;
  return e[key].get(value) == simdjson::SUCCESS ? std::string(value) : std::string();
}

std::string Time(store::Statement& s, int column) {
  return s.ColumnIsNull(column) ? "" : FormatIsoTime(s.ColumnInt(column));
}

}  // namespace

Result<std::string> IntegritySection(store::Database& db) {
  auto run = db.Prepare(
      "SELECT verification_id, run_at, version, problems, summary FROM verifications "
      "ORDER BY verification_id DESC LIMIT 1");
  if (!run) return std::move(run).error();
  auto found = run->Step();
  if (!found) return std::move(found).error();
  if (!*found) return std::string();
  const std::int64_t id = run->ColumnInt(0);
  const std::int64_t problems = run->ColumnInt(3);
  const std::string summary = run->ColumnText(4);

  std::string html = "<section><h2>Integrity</h2><p class='definition'>";
  html += problems == 0
              ? "Complete and unmodified: every digest authenticated, every log file vouched "
                "for by CloudTrail's digests, every gap in them explained."
              : "<span class='badge'>" + std::to_string(problems) +
                    (problems == 1 ? " problem" : " problems") + "</span> found.";
  html += " Checked by <code>trailreplay verify</code> " + EscapeHtml(run->ColumnText(2)) + " at " +
          EscapeHtml(run->ColumnText(1)) + ".</p>";

  // Chains, from the stored summary.
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  simdjson::dom::array chains;
  if (parser.parse(summary).get(root) == simdjson::SUCCESS &&
      root["chains"].get(chains) == simdjson::SUCCESS && chains.size() > 0) {
    html +=
        "<h3>Digest chains</h3><table><tr><th>chain</th><th class='num'>digests</th><th>from"
        "</th><th>to</th><th>authenticated</th></tr>";
    for (simdjson::dom::element chain : chains) {
      std::int64_t digests = 0;
      bool authenticated = false;
      if (chain["digests"].get(digests) != simdjson::SUCCESS) digests = 0;
      if (chain["authenticated"].get(authenticated) != simdjson::SUCCESS) authenticated = false;
      html += "<tr>" + Td(Text(chain, "chain")) + Td(std::to_string(digests), "num") +
              Td(Text(chain, "start")) + Td(Text(chain, "end")) + Td(authenticated ? "yes" : "no") +
              "</tr>";
    }
    html += "</table>";
  }

  auto counts = db.Prepare(
      "SELECT kind, status, count(*) FROM verification_findings WHERE verification_id = ? "
      "GROUP BY 1, 2 ORDER BY 1, 2");
  if (!counts) return std::move(counts).error();
  counts->Bind(1, id);
  html += "<h3>Findings</h3><table><tr><th>kind</th><th>status</th><th class='num'>count</th></tr>";
  for (;;) {
    auto row = counts->Step();
    if (!row) return std::move(row).error();
    if (!*row) break;
    html += "<tr>" + Td(counts->ColumnText(0)) + Td(counts->ColumnText(1)) +
            Td(std::to_string(counts->ColumnInt(2)), "num") + "</tr>";
  }
  html += "</table>";

  if (problems > 0) {
    auto list = db.Prepare(
        "SELECT kind, status, coalesce(key, path, chain, ''), detail FROM verification_findings "
        "WHERE verification_id = ? AND status NOT IN ('valid', 'chained', 'explained', "
        "'vouched') ORDER BY kind, status, 3 LIMIT ?");
    if (!list) return std::move(list).error();
    list->Bind(1, id).Bind(2, static_cast<std::int64_t>(kMaxProblems));
    html +=
        "<h3>Problems</h3><table class='events'><tr><th>kind</th><th>status</th><th>key</th>"
        "<th>detail</th></tr>";
    int shown = 0;
    for (;;) {
      auto row = list->Step();
      if (!row) return std::move(row).error();
      if (!*row) break;
      ++shown;
      html += "<tr>" + Td(list->ColumnText(0)) + Td(list->ColumnText(1)) + Td(list->ColumnText(2)) +
              Td(list->ColumnText(3)) + "</tr>";
    }
    html += "</table>";
    if (problems > shown) {
      html += "<p class='quiet'>The first " + std::to_string(shown) + " of " +
              std::to_string(problems) +
              "; every finding is in the verification_findings table.</p>";
    }
  }

  auto gaps = db.Prepare(
      "SELECT chain, start_time, end_time, status, detail, evidence FROM verification_findings "
      "WHERE verification_id = ? AND kind = 'gap' ORDER BY chain, start_time");
  if (!gaps) return std::move(gaps).error();
  gaps->Bind(1, id);
  std::string rows;
  for (;;) {
    auto row = gaps->Step();
    if (!row) return std::move(row).error();
    if (!*row) break;
    std::string evidence;
    simdjson::dom::array events;
    if (parser.parse(gaps->ColumnText(5)).get(events) == simdjson::SUCCESS) {
      for (simdjson::dom::element e : events) {
        evidence += EscapeHtml(Text(e, "eventName") + " at " + Text(e, "eventTime") + " (" +
                               Text(e, "eventID") + ")") +
                    "<br>";
      }
    }
    rows += "<tr>" + Td(gaps->ColumnText(0)) + Td(Time(*gaps, 1)) + Td(Time(*gaps, 2)) +
            Td(gaps->ColumnText(3)) + "<td>" + (evidence.empty() ? "" : evidence) +
            EscapeHtml(gaps->ColumnText(4)) + "</td></tr>";
  }
  if (!rows.empty()) {
    html +=
        "<h3>Gaps in the digest chains</h3><table class='events'><tr><th>chain</th><th>from"
        "</th><th>to</th><th>status</th><th>evidence</th></tr>" +
        rows + "</table>";
  }
  return html + "</section>\n";
}

}  // namespace trailreplay::report
