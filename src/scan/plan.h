// `trailreplay plan`: the inputs of a scan split into N manifests, one per shard of a sharded
// run (`scan --manifest` each anywhere, then `merge`).
//
// The inputs are found as `scan` finds them (input/discovery.h), or read from a listing of the
// bucket (the JSON `aws s3api list-objects-v2` prints, or an S3 Inventory CSV) so that planning
// needs no download; pruned by their S3 keys as `scan` prunes (time, account, region); and put
// in scan's input order (delivery time from the S3 key, files without one first, then the
// order found). Each input keeps its ordinal (its place among the files found), so a shard's
// scan orders its inputs as one scan of everything would, and `merge` can interleave them.
// Shards are consecutive runs of that order balanced by bytes: a shard then covers a span of
// delivery time, so its duplicate check meets each hour about once, as a whole scan does.
//
// DIR/plan.json names the plan (a random id) and its shard count; DIR/shard-NNNNN.jsonl is a
// manifest: a first line {"plan":ID,"shard":i,"shards":N,"inputs":n,"bytes":b}, then one input
// a line {"path":...,"size":...,"ordinal":...,"delivery_time":...,"account":...,"region":...}
// (the last three null when the key does not say).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "scan/scanner.h"

namespace trailreplay::scan {

struct PlanOptions {
  std::vector<std::string> paths;  // files and directories, as for scan
  // Instead of paths: a listing of the bucket, and where its keys are reached (a mount point,
  // such as Mountpoint for Amazon S3): the input path is `listing_root` + "/" + key.
  std::optional<std::string> listing;
  std::string listing_root;
  // S3 Inventory CSV: its columns (the fileSchema of the inventory's manifest.json).
  std::string inventory_schema = "Bucket, Key, Size";
  unsigned shards = 1;
  std::string out_dir;
  ScanOptions scope;  // from, to, accounts, regions, delivery_basis, max_delivery_delay
};

struct PlanSummary {
  std::string plan_id;
  std::uint64_t files = 0, pruned = 0, bytes = 0;
  std::vector<std::uint64_t> shard_inputs, shard_bytes;
  std::vector<std::string> issues;  // discovery's (unreadable directories, ...)
};

Result<PlanSummary> WritePlan(const PlanOptions& options);

struct Manifest {
  std::string identity_json;  // {"plan":...,"shard":...,"shards":...}
  std::vector<std::string> paths;
  std::vector<std::int64_t> ordinals;
};

Result<Manifest> ReadManifest(const std::string& file);

}  // namespace trailreplay::scan
