// `trailreplay merge`: databases made by `scan` (the parts of a sharded run, or scans of
// separate PATHs) combined into one that equals what one scan of all their inputs makes.
//
// The inputs of all parts are visited in the global input order, a k-way merge of the parts'
// ledgers, each read in its own order (store/writer.h, InputOrder): by the delivery time of
// the file's S3 key, then for parts of a plan by the file's place in the plan, for other parts
// by the part's place on the command line and then the file's place among those its scan found
// (so `merge a.db b.db` orders as `scan A B` would), then archive members in their order. Each
// input's counted eventID keys (store/input_keys.h) go through the duplicate check of one scan
// (seen_ids.h); a key seen before in that order is a duplicate one scan would have dropped,
// and its part counted it only because the earlier copy was in another part. The merged
// database is then the sum of the parts' aggregates (minute totals, buckets, samples, value
// histograms) minus what those duplicates contributed; minimum and maximum are recomputed from
// the value histogram where a duplicate touched them. Events, their matches, the ledger (with
// its events and duplicates counts corrected) and scan_errors are copied in the global order.
//
// Memory holds one ledger row per part, the duplicate check's budget of keys, one input's keys,
// and the corrections of one batch: bounded whatever the number of events.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace trailreplay::store {

struct MergeOptions {
  std::vector<std::string> parts;
  std::string out;
  // The plan directory (`plan --out`): every shard of it must be among the parts.
  std::optional<std::string> plan_dir;
  std::string version;
};

struct MergeSummary {
  std::uint64_t parts = 0;          // merged now
  std::uint64_t parts_already = 0;  // merged into OUT before: nothing added
  std::uint64_t inputs = 0;
  std::uint64_t events = 0;      // counted in the merged database (from the parts merged now)
  std::uint64_t duplicates = 0;  // events counted by a part that an earlier part also counted
  double seconds = 0;
};

Result<MergeSummary> Merge(const MergeOptions& options);

// The plan's identity and shard count, read from DIR/plan.json.
struct PlanInfo {
  std::string plan_id;
  std::int64_t shards = 0;
};
Result<PlanInfo> ReadPlanInfo(const std::string& plan_dir);

}  // namespace trailreplay::store
