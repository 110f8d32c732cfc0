// `trailreplay plan` and `trailreplay merge`: a scan split into shards for an engine that runs
// them on many machines (AWS Batch, Kubernetes, Dask, Spark; scripts/distributed/), and the
// shards' databases combined into exactly the database one scan of everything makes.
//
// Exit codes: 0 done; 1 a fatal error (unreadable listing, unwritable directory, parts that
// cannot be merged: different filters or settings, overlapping manifests, an incomplete set
// when --plan is given); 2 the command line could not be parsed.
#include <iostream>

#include "cli/cli_support.h"
#include "cli/commands.h"
#include "cli/rules_loading.h"
#include "common/error_format.h"
#include "common/json_escape.h"
#include "common/terminal_text.h"
#include "common/text_format.h"
#include "common/time.h"
#include "scan/plan.h"
#include "store/merge.h"

namespace trailreplay::cli {
namespace {

struct PlanCliOptions {
  std::vector<std::string> paths;
  std::string listing, listing_root, inventory_schema = "Bucket, Key, Size";
  unsigned shards = 0;
  std::string out;
  std::string from, to, max_delay = "24h";
  std::vector<std::string> accounts, regions;
  std::string time_basis = "event";
  FormatChoice output;
};

int RunPlan(const PlanCliOptions& cli) {
  if (cli.listing.empty() == cli.paths.empty()) {
    std::cerr << "error: plan takes PATHs or --listing FILE, not both\n";
    return kExitUsage;
  }
  if (!cli.listing.empty() && cli.listing_root.empty()) {
    std::cerr << "error: --listing needs --listing-root DIR: where the scans will read the "
                 "bucket's keys (a mount point such as Mountpoint for Amazon S3, or a copy)\n";
    return kExitUsage;
  }
  scan::PlanOptions options;
  options.paths = cli.paths;
  if (!cli.listing.empty()) options.listing = cli.listing;
  options.listing_root = cli.listing_root;
  options.inventory_schema = cli.inventory_schema;
  options.shards = cli.shards;
  options.out_dir = cli.out;
  options.scope.accounts = cli.accounts;
  options.scope.regions = cli.regions;
  options.scope.delivery_basis = cli.time_basis == "delivery";
  if (auto ok = ParseTimeOptions({{&cli.from, &options.scope.from}, {&cli.to, &options.scope.to}});
      !ok) {
    std::cerr << FormatError(ok.error());
    return kExitFailure;
  }
  auto delay = ParseDurationArgument(cli.max_delay);
  if (!delay) {
    std::cerr << FormatError(delay.error());
    return kExitFailure;
  }
  options.scope.max_delivery_delay = *delay;
  auto summary = scan::WritePlan(options);
  if (!summary) {
    std::cerr << FormatError(summary.error());
    return kExitFailure;
  }
  for (const auto& issue : summary->issues) {
    std::cerr << "warning: " << TerminalSafe(issue) << "\n";
  }
  if (cli.output.json()) {
    std::string out = "{\"plan\":" + JsonString(summary->plan_id) +
                      ",\"files\":" + std::to_string(summary->files) +
                      ",\"pruned\":" + std::to_string(summary->pruned) +
                      ",\"bytes\":" + std::to_string(summary->bytes) + ",\"shards\":[";
    for (std::size_t s = 0; s < summary->shard_inputs.size(); ++s) {
      out += std::string(s > 0 ? "," : "") +
             "{\"inputs\":" + std::to_string(summary->shard_inputs[s]) +
             ",\"bytes\":" + std::to_string(summary->shard_bytes[s]) + "}";
    }
    std::cout << out << "]}\n";
  } else if (!Quiet()) {
    std::cout << "plan " << summary->plan_id << ": " << Grouped(summary->files) << " files found, "
              << Grouped(summary->pruned) << " outside the time/account/region range, "
              << Grouped(summary->files - summary->pruned) << " in " << summary->shard_inputs.size()
              << " shards of about "
              << Fixed(static_cast<double>(summary->bytes) /
                           static_cast<double>(summary->shard_inputs.size()) / 1e6,
                       1)
              << " MB\n  manifests: " << TerminalSafe(cli.out) << "/shard-NNNNN.jsonl\n";
  }
  return kExitOk;
}

struct MergeCliOptions {
  std::vector<std::string> parts;
  std::string db, plan;
  FormatChoice output;
};

int RunMerge(const MergeCliOptions& cli) {
  store::MergeOptions options;
  options.parts = cli.parts;
  options.out = cli.db;
  if (!cli.plan.empty()) options.plan_dir = cli.plan;
  options.version = TRAILREPLAY_VERSION;
  auto summary = store::Merge(options);
  if (!summary) {
    std::cerr << FormatError(summary.error());
    return kExitFailure;
  }
  if (cli.output.json()) {
    std::cout << "{\"parts\":" << summary->parts
              << ",\"parts_already_merged\":" << summary->parts_already
              << ",\"inputs\":" << summary->inputs << ",\"events\":" << summary->events
              << ",\"duplicates_across_parts\":" << summary->duplicates
              << ",\"seconds\":" << JsonNumber(summary->seconds) << "}\n";
  } else if (!Quiet()) {
    if (summary->parts == 0) {
      std::cout << "merge: every part is already in " << TerminalSafe(cli.db)
                << "; nothing added\n";
    } else {
      std::cout << "merge complete: " << summary->parts << " parts, " << Grouped(summary->inputs)
                << " inputs, " << Grouped(summary->events) << " events counted; "
                << Grouped(summary->duplicates) << " duplicates across parts dropped ("
                << Fixed(summary->seconds, 2) << " s)\n  database: " << TerminalSafe(cli.db)
                << "\n";
    }
  }
  return kExitOk;
}

}  // namespace

void RegisterPlan(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<PlanCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "plan",
      "Split a scan's inputs into N manifests balanced by bytes, for 'scan --manifest' on many "
      "machines and 'merge' after (from files, or from a bucket listing without downloading).");
  cmd->add_option("PATH", options->paths, "Files, directories (recursive) and archives");
  cmd->add_option("--shards", options->shards, "How many manifests")
      ->required()
      ->check(AtLeastOne());
  cmd->add_option("--out", options->out, "Directory for plan.json and shard-NNNNN.jsonl")
      ->required();
  cmd->add_option("--listing", options->listing,
                  "Plan from a listing instead of PATHs: the JSON 'aws s3api list-objects-v2' "
                  "prints, or an S3 Inventory CSV");
  cmd->add_option("--listing-root", options->listing_root,
                  "With --listing: where the scans read the keys (the bucket's mount point)");
  cmd->add_option("--inventory-schema", options->inventory_schema,
                  "With an S3 Inventory CSV: its columns (the fileSchema of its manifest.json)")
      ->capture_default_str();
  cmd->add_option("--from", options->from, "Only files that can hold events at or after this");
  cmd->add_option("--to", options->to, "Only files that can hold events before this");
  cmd->add_option("--max-delivery-delay", options->max_delay,
                  "With --to: also files delivered up to this long after it")
      ->capture_default_str();
  cmd->add_option("--account", options->accounts, "Only these accounts (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--region", options->regions, "Only these regions (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--time-basis", options->time_basis,
                  "As the scans will use it (prunes by delivery time with 'delivery')")
      ->check(CLI::IsMember({"event", "delivery"}))
      ->capture_default_str();
  AddFormatOption(cmd, options->output);
  cmd->callback([options, &exit_code] { exit_code = RunPlan(*options); });
}

void RegisterMerge(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<MergeCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "merge",
      "Combine databases made by 'scan' (the shards of a plan, or scans of separate PATHs, "
      "given in their order) into exactly the database one scan of all their inputs makes.");
  cmd->add_option("PART", options->parts, "The parts' databases")->required();
  cmd->add_option("--db", options->db, "The merged database (new, or a merge of these parts)")
      ->required();
  cmd->add_option("--plan", options->plan,
                  "The plan's directory: refuse unless every shard of it is among the parts");
  AddFormatOption(cmd, options->output);
  cmd->callback([options, &exit_code] { exit_code = RunMerge(*options); });
}

}  // namespace trailreplay::cli
