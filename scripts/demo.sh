#!/usr/bin/env bash
# The main job on sample-data/: installs what is missing, builds, scans the sample CloudTrail
# archive (S3 layout, two accounts, two regions, two days, an incident) with the built-in CIS
# filters into build/sample.db, replays their CloudWatch alarms over it, asks the database
# the questions a responder would, tunes the threshold against the incident, names who is
# behind it, and writes the HTML report to build/sample-report.html. Then it proves a signed
# copy of part of the sample (sample-data/signed: CloudTrail's digest files, signed by a sample
# key) complete and unmodified with `verify`, shows what verify finds in a tampered copy, and
# checks a database scanned from the signed copy against the digests.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh dev trailreplay >/dev/null

tr=build/trailreplay
db=build/sample.db
rm -f "$db" "$db-wal" "$db-shm"

echo "\$ trailreplay scan sample-data/AWSLogs --db $db"
"$tr" scan sample-data/AWSLogs --db "$db" --progress never
echo

echo "\$ trailreplay replay --db $db --max-episodes 6"
"$tr" replay --db "$db" --max-episodes 6
echo
echo "\$ trailreplay replay --db $db --alarm unauthorized_api_calls --threshold 5"
"$tr" replay --db "$db" --alarm unauthorized_api_calls --threshold 5
echo

query() {
  echo "-- $1"
  "$tr" sql --db "$db" "$2"
  echo
}
query "the busiest 5-minute buckets of unauthorized API calls" \
  "SELECT bucket_start, matches FROM buckets WHERE filter_name = 'unauthorized_api_calls'
   ORDER BY matches DESC, bucket_start LIMIT 5"
query "the events behind the incident's episode (alarm_episodes joined to matches)" \
  "SELECT m.event_time, m.event_name, m.error_code, m.principal_arn, m.source_ip
   FROM alarm_episodes AS a JOIN matches AS m ON m.filter_name = a.alarm_name
    AND m.event_time >= strftime('%Y-%m-%dT%H:%M:%SZ', a.start_epoch - 900, 'unixepoch')
    AND m.event_time < a.end_time
   WHERE a.alarm_name = 'unauthorized_api_calls' AND a.start_time = '2024-03-02T03:13:00Z'
   ORDER BY m.event_time"
query "who made the unauthorized calls" \
  "SELECT principal_arn, source_ip, count(*) AS calls FROM matches
   WHERE filter_name = 'unauthorized_api_calls' GROUP BY 1, 2 ORDER BY 3 DESC, 1 LIMIT 5"
query "every CloudTrail configuration change" \
  "SELECT event_time, account, region, event_name, error_code, principal_arn FROM matches
   WHERE filter_name = 'cloudtrail_cfg_changes' ORDER BY event_time"

echo "\$ trailreplay tune --db $db --alarm unauthorized_api_calls --threshold 1..8 --incident 2024-03-02T03:00Z..2024-03-02T03:30Z"
"$tr" tune --db "$db" --alarm unauthorized_api_calls --threshold 1..8 \
  --incident 2024-03-02T03:00Z..2024-03-02T03:30Z
echo
echo "\$ trailreplay contributors --db $db --alarm unauthorized_api_calls --at 2024-03-02T03:13Z --top 3"
"$tr" contributors --db "$db" --alarm unauthorized_api_calls --at 2024-03-02T03:13Z --top 3
echo
echo "\$ trailreplay report --db $db -o build/sample-report.html"
"$tr" report --db "$db" -o build/sample-report.html
echo

keys=sample-data/signed/public-keys.json
echo "\$ trailreplay verify sample-data/signed --public-keys $keys"
"$tr" verify sample-data/signed --public-keys "$keys"
echo

# The same copy, tampered with: one log file edited (its first eventName renamed, gzip again)
# and one digest deleted with its sidecar.
tampered=build/tampered-sample
rm -rf "$tampered"
cp -r sample-data/signed "$tampered"
log=$tampered/AWSLogs/444455556666/CloudTrail/us-east-1/2024/03/02/444455556666_CloudTrail_us-east-1_20240302T0211Z_UIfLqJR75MZ3Wxh9.json.gz
zcat "$log" | sed '0,/"eventName":"/s//"eventName":"Renamed/' | gzip -n >"$log.tmp"
mv "$log.tmp" "$log"
digest=$tampered/AWSLogs/444455556666/CloudTrail-Digest/us-east-1/2024/03/01/444455556666_CloudTrail-Digest_us-east-1_management-events_us-east-1_20240301T211947Z.json.gz
rm "$digest" "$digest.metadata.json"
echo "\$ trailreplay verify $tampered --public-keys $keys   # one log edited, one digest deleted"
"$tr" verify "$tampered" --public-keys "$keys" || echo "(exit status $?: problems found)"
echo

signed_db=build/signed.db
rm -f "$signed_db" "$signed_db-wal" "$signed_db-shm"
"$tr" scan sample-data/signed --db "$signed_db" --progress never >/dev/null
echo "\$ trailreplay verify sample-data/signed --public-keys $keys --db $signed_db"
"$tr" verify sample-data/signed --public-keys "$keys" --db "$signed_db" | tail -n 6
"$tr" report --db "$signed_db" -o build/signed-report.html
echo "  (build/signed-report.html: the report of that database, with its integrity section)"
echo

echo "Scanning the same archive again adds nothing (every file is in the ledger):"
"$tr" scan sample-data/AWSLogs --db "$db" --progress never --json
