// Contributors and noise: who and what is behind an alarm's matching events, which of them
// look like noise, and what excluding that noise from the filter pattern would have done.
//
//   contributors  for a set of stored matching events (an episode's datapoint windows, a time
//                 range, or a whole filter): the top principals, source IPs, event names,
//                 event sources, error codes, user agents and readOnly values, with counts and
//                 shares
//   noise         over the filter's whole replayed history, read from each event's raw JSON:
//                 - a steady flow from one AWS service (userIdentity.type AWSService, or a
//                   service host name as the source): matches in at least 4 separate
//                   300-second buckets; a service failing its own deliveries (a log bucket
//                   policy that refuses it) is configuration, not an intruder; the exclusion
//                   is on sourceIPAddress, as the CIS benchmark's later filter has it
//                 - a steady trickle: one principal (an assumed role's sessions count as one)
//                   failing in at least 4 separate 300-second buckets, never more than 3 in a
//                   bucket, mostly (80%) with the same call: a job or an integration lacking a
//                   permission, not an attack
//                 - read-only console calls (readOnly true from the console's user agents)
//                   that fail opportunistically, the case the CIS benchmark warns about
//                 - read-only calls in general (Describe*/List*/Get*), shown for their effect
//   exclusions    each finding becomes a clause that keeps every event except the noisy ones,
//                 written for AWS's semantics, where `!=` is false on an absent field (spec
//                 A.3): `($.userIdentity.arn NOT EXISTS) || ($.userIdentity.arn != "...")`,
//                 `($.readOnly NOT EXISTS) || ($.readOnly IS FALSE)`; the new pattern is
//                 `{ (<original body>) && (<clause>) }`, parsed with pattern::ParsePattern
//   effect        an exclusion only narrows the filter, so the stored matches are all the
//                 candidates: the new pattern is evaluated on their raw JSON, the samples of
//                 the events it drops are taken out of the stored series (a filter with a
//                 defaultValue publishes its default for them instead), and the alarm is
//                 replayed in memory before and after: episodes, and whether each incident
//                 still alarms
//   proposal      the findings whose exclusion drops no event inside an incident (or the
//                 episode examined) and keeps every incident alarming, combined into one
//                 clause; the broad read-only finding joins only when incidents were given
//
// Nothing is written to the database.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alarm/alarm.h"
#include "common/result.h"
#include "replay/replay.h"
#include "replay/tune.h"
#include "store/database.h"

namespace trailreplay::replay {

// One stored matching event, with the fields contributors count.
struct MatchedEvent {
  std::int64_t event_pk = 0;
  std::int64_t stamp = 0;
  std::string principal_arn, source_ip, event_name, event_source, error_code, user_agent;
  // The AWS service that made the call, when one did (ServiceCaller), else "".
  std::string service;
  std::string read_only;  // "true", "false" or "" (absent)
  std::string raw;
  std::optional<double> value;  // what it published to the series (none: nothing)
};

struct Count {
  std::string value;  // "" stands for an absent field
  std::uint64_t count = 0;
  double share = 0;  // of all events examined
};
struct Breakdown {
  std::string field;  // "principal", "source IP", "event name", ...
  std::vector<Count> top;
  std::size_t distinct = 0;
};
// The AWS service behind a call, when a service made it: CloudTrail records such calls with
// userIdentity.type "AWSService" and no ARN, naming the service in userIdentity.invokedBy
// and in sourceIPAddress as a host name ("delivery.logs.amazonaws.com"); a service acting
// for a principal sets invokedBy too. "" for calls made by people and workloads.
std::string ServiceCaller(std::string_view identity_type, std::string_view invoked_by,
                          std::string_view source_ip);

// Who made a call, as contributors names it: the principal's ARN, or "AWS service <host>".
std::string CallerName(const MatchedEvent& event);

// The top `top` values of each field, by count (ties by value).
std::vector<Breakdown> Contributors(const std::vector<const MatchedEvent*>& events,
                                    std::size_t top);

// A stored filter.
struct StoredFilter {
  std::int64_t filter_id = 0;
  std::string name, pattern;
  std::string metric_namespace, metric_name;
  std::optional<double> default_value;
};
Result<StoredFilter> FindFilter(store::Database& db, const std::string& name);
// The filter publishing the alarm's metric (the one with the most matches when several do).
Result<StoredFilter> FilterForAlarm(store::Database& db, const alarm::AlarmSpec& spec);

// The filter's stored matches with stamp in one of `windows` (all of them when empty), each
// window's in order of stamp, then event_pk; with a series id, only those that published to
// that series, with the value they published. Each event's record is read for its fields and
// kept in `raw` only `with_raw` (a record is most of an event's bytes).
Result<std::vector<MatchedEvent>> LoadMatches(
    store::Database& db, std::int64_t filter_id, std::int64_t series_id,
    const std::vector<std::pair<std::int64_t, std::int64_t>>& windows, bool with_raw);

// `{ (<body of pattern>) && (<clause>) }`, checked with pattern::ParsePattern (AWS's limits
// included). An error for a pattern that is not a JSON pattern.
Result<std::string> ExcludingPattern(const std::string& pattern, const std::string& clause);

// The series with the samples of `dropped` events taken out (and `default_value` published
// for each instead, when the filter has one).
std::vector<alarm::MinuteSample> WithoutEvents(std::vector<alarm::MinuteSample> samples,
                                               const std::vector<const MatchedEvent*>& dropped,
                                               std::optional<double> default_value);

struct Effect {
  std::size_t episodes = 0;
  std::int64_t seconds_in_alarm = 0;
  std::vector<IncidentOutcome> incidents;
  bool keeps_incidents = true;
};

struct NoiseFinding {
  std::string kind;           // "steady trickle", "read-only console calls", "read-only calls"
  std::string subject;        // the principal (or `role/*`), or the calls
  std::string description;    // one line of evidence
  std::string clause;         // the exclusion
  std::string pattern;        // the filter's pattern with the exclusion
  std::uint64_t dropped = 0;  // stored matches it drops over the history
  std::uint64_t dropped_in_incident = 0;  // of which inside an incident's windows
  Effect after;
  bool proposed = false;  // part of the proposal
};

struct NoiseReport {
  StoredFilter filter;
  std::optional<alarm::AlarmSpec> alarm;  // none: no alarm watches the filter's metric
  Range range;
  std::vector<Incident> incidents;  // the ones checked
  Effect before;
  std::vector<NoiseFinding> findings;
  std::optional<NoiseFinding> proposal;  // the combined exclusion
  std::string note;                      // why nothing could be proposed, when so
};

struct ContributorsOptions {
  std::string db_path;
  std::optional<alarm::AlarmSpec> alarm;  // --alarm (resolved), or
  std::string filter_name;                // --filter
  std::optional<std::size_t> episode;     // 1-based
  std::optional<std::int64_t> at;         // the episode containing this time
  std::optional<std::int64_t> from, to;   // a time range of events
  std::vector<Incident> incidents;
  std::vector<alarm::AlarmSpec> rule_alarms;  // for --filter: the alarms of the rules
  std::size_t top = 5;
  int evaluation_range = 0;
  bool ignore_creation_time = false;
};

struct ContributorsResult {
  std::string subject;  // what was examined, in words
  std::optional<Episode> episode;
  std::size_t episode_number = 0;
  std::uint64_t events = 0;
  std::vector<Breakdown> breakdowns;
  NoiseReport noise;
};

Result<ContributorsResult> RunContributors(const ContributorsOptions& options);

}  // namespace trailreplay::replay
