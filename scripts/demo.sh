#!/usr/bin/env bash
# The main job on sample-data/: installs what is missing, builds, then runs the CIS filters
# over the sample CloudTrail events. (Until `trailreplay scan` exists this is a test-pattern
# demo over sample-data/events.jsonl.)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh dev trailreplay >/dev/null

tr=build/trailreplay
events=sample-data/events.jsonl
unauthorized='{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }'
trail='{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }'

count() { "$tr" test-pattern --pattern "$1" "$events" | grep -c '"match": true' || true; }

echo "trailreplay demo: CIS metric filters over $(wc -l <"$events") sample CloudTrail events"
echo
echo "unauthorized_api_calls  $(count "$unauthorized") matching events"
echo "cloudtrail_cfg_changes  $(count "$trail") matching events"
echo
echo "How the unauthorized-calls pattern is understood:"
"$tr" test-pattern --explain --pattern "$unauthorized"
echo
echo "The CloudTrail configuration changes, as 'aws logs test-metric-filter' would show them:"
"$tr" test-pattern --format aws --pattern "$trail" "$events" |
  grep -E '"eventNumber"|"\$\.eventName"'
