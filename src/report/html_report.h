// The self-contained HTML report of a scanned and replayed database: one file, inline CSS
// and SVG, no script and nothing fetched from the network, so it opens from an evidence
// share or an e-mail attachment exactly as it was written.
//
//   per alarm    the 300-second series of its metric as bars, the threshold as a line and
//                the ALARM episodes as bands; the episode table with each episode's events;
//                the tuning curve (threshold against the number of ALARM episodes, replayed
//                in memory); the top contributors (principals, source IPs, event names)
//   integrity    what the last `verify --db` proved about the archive (integrity_section.h)
//   provenance   the scans (when, version, options), inputs by kind and status, duplicates
//                dropped, and the bad input met
//
// Every alarm of the database's rules (those it was scanned with) is replayed in memory over
// the whole scanned history, whatever was replayed into the database before, so a narrowed or
// what-if replay can never stand in for the real history. Replays stored in the database that
// differ from that (another window, what-if settings, alarms outside the rules) follow as
// sections of their own, labelled with their window and settings. Alarms the rules hold but
// that cannot be replayed over this database are listed with the reason. Nothing is written.
#pragma once

#include <string>

#include "common/result.h"
#include "rules/rules.h"

namespace trailreplay::report {

struct ReportOptions {
  std::string db_path;
  rules::RuleSet rules;  // the database's own (what it was scanned with)
  std::string title = "trailreplay report";
  std::size_t max_events_per_episode = 50;
  std::size_t max_episodes_per_alarm = 200;
};

Result<std::string> BuildHtmlReport(const ReportOptions& options);

// `text` with &, <, >, " and ' escaped for HTML text and attribute values.
std::string EscapeHtml(std::string_view text);

}  // namespace trailreplay::report
