// The self-contained HTML report of a scanned and replayed database: one file, inline CSS
// and SVG, no script and nothing fetched from the network, so it opens from an evidence
// share or an e-mail attachment exactly as it was written.
//
//   overview     one row per alarm, firing alarms first: episodes, time in ALARM, matches and
//                their share of all events, the noisiest principal, and flags for a pattern
//                lint says misleads or that is a historical benchmark text; alarms with no
//                match in one line; each links to its section
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
#include "report/report_data.h"

namespace trailreplay::report {

Result<std::string> BuildHtmlReport(const ReportOptions& options);
// The page for data already gathered.
std::string RenderHtml(const ReportData& data);

// `text` with &, <, >, " and ' escaped for HTML text and attribute values.
std::string EscapeHtml(std::string_view text);

}  // namespace trailreplay::report
