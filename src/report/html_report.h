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
// The alarms are those last replayed into the database (replayed_alarms); the CLI replays
// the database's own rules first when nothing has been replayed yet.
#pragma once

#include <string>

#include "common/result.h"

namespace trailreplay::report {

struct ReportOptions {
  std::string db_path;
  std::string title = "trailreplay report";
  std::size_t max_events_per_episode = 50;
  std::size_t max_episodes_per_alarm = 200;
};

Result<std::string> BuildHtmlReport(const ReportOptions& options);

// `text` with &, <, >, " and ' escaped for HTML text and attribute values.
std::string EscapeHtml(std::string_view text);

}  // namespace trailreplay::report
