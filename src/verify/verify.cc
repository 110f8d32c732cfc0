// The orchestration of `verify` (read, judge the digests, judge the log files, find the gaps,
// check the database) and the log files' verdicts. The digests' live in chains.cc.
#include "verify/verify.h"

#include <algorithm>
#include <map>

#include "common/time.h"
#include "input/archive.h"
#include "verify/analysis.h"

namespace trailreplay::verify {
namespace {

constexpr std::size_t kNone = static_cast<std::size_t>(-1);
constexpr std::uint64_t kMaxKeyFileBytes = std::uint64_t{16} << 20;

std::string Iso(std::int64_t t) { return FormatIsoTime(t); }

Result<void> LoadKeys(Analysis& a) {
  std::string text;
  for (const std::string& file : a.options.public_key_files) {
    auto read = input::ReadWholeFile(file, text, kMaxKeyFileBytes);
    if (!read) {
      return MakeError(ErrorCode::kIo,
                       "cannot read public keys '" + file + "': " + read.error().message);
    }
    auto keys = ParsePublicKeys(text, file, a.warnings);
    if (!keys) return std::move(keys).error();
    for (PublicKey& key : *keys) {
      const bool known = std::any_of(a.keys.begin(), a.keys.end(), [&](const PublicKey& k) {
        return k.fingerprint == key.fingerprint;
      });
      if (!known) a.keys.push_back(std::move(key));
    }
  }
  return {};
}

// Where a log that no digest names falls in its account and region's chains.
class ChainSpans {
 public:
  explicit ChainSpans(const Analysis& a) {
    for (const DigestRecord& r : a.digests) {
      if (r.status == DigestStatus::kMissing && r.end && !r.chain.backfill) {
        missing_[Place(r.chain.org, r.chain.account, r.chain.region)].push_back(&r);
      }
      if (!r.usable || r.chain.backfill) continue;
      Span& span = spans_[Place(r.chain.org, r.chain.account, r.chain.region)];
      span.first = span.first ? std::min(*span.first, *r.start) : *r.start;
      span.last = span.last ? std::max(*span.last, *r.end) : *r.end;
    }
  }

  std::string Context(const FoundObject& object) const {
    const input::KeyInfo key = object.Key();
    if (key.kind != input::KeyKind::kLog) {
      return "not named like a CloudTrail log file, and no digest names it";
    }
    const auto it = spans_.find(Place(key.org_id, key.account, key.region));
    if (it == spans_.end()) {
      return "no digest of account " + key.account + " in region " + key.region +
             " is in the archive (log file validation was off, or the digests were not copied)";
    }
    const Span& span = it->second;
    const std::int64_t t = *key.delivery_time;
    if (auto gone = missing_.find(it->first); gone != missing_.end()) {
      for (const DigestRecord* r : gone->second) {
        if (t > *r->end - kDigestPeriod && t <= *r->end) {
          return "delivered in the hour of the missing digest " + r->key;
        }
      }
    }
    if (t > *span.last) {
      std::string out = "delivered after the newest digest of its account and region (ends " +
                        Iso(*span.last) + ")";
      if (t <= *span.last + kDigestPeriod + kDeliveryGrace) {
        out +=
            ": the digest that names it may not have been delivered when the archive was "
            "copied";
      }
      return out;
    }
    if (t < *span.first) {
      return "delivered before the first digest of its account and region (starts " +
             Iso(*span.first) + ")";
    }
    return "delivered while digests of its account and region were being written, but none "
           "names it";
  }

 private:
  struct Span {
    std::optional<std::int64_t> first, last;
  };
  static std::string Place(const std::string& org, const std::string& account,
                           const std::string& region) {
    return org + "/" + account + "/" + region;
  }
  std::map<std::string, Span> spans_;
  std::map<std::string, std::vector<const DigestRecord*>> missing_;
};

void JudgeLogs(Analysis& a) {
  struct Claim {
    std::size_t record;
    const LogFileEntry* entry;
  };
  std::map<std::string, std::vector<Claim>> claims;
  for (std::size_t i = 0; i < a.digests.size(); ++i) {
    const DigestRecord& r = a.digests[i];
    if (!r.digest || !r.status) continue;
    for (const LogFileEntry& entry : r.digest->log_files) {
      claims[entry.s3_object].push_back({i, &entry});
    }
  }
  const auto& objects = a.collection.objects;
  for (const auto& [key, list] : claims) {
    std::vector<Claim> trusted;
    for (const Claim& claim : list) {
      if (a.digests[claim.record].status != DigestStatus::kInvalid) trusted.push_back(claim);
    }
    const Claim& namer = trusted.empty() ? list.front() : trusted.front();
    const DigestRecord& digest = a.digests[namer.record];
    LogFinding base;
    base.key = key;
    base.bucket = namer.entry->s3_bucket;
    base.chain = digest.chain_name;
    base.delivered = input::ParseKey(key).delivery_time;
    const std::string named_by = trusted.empty() ? "named only by the invalid digest " + digest.key
                                                 : "named by " + digest.key;
    const std::vector<std::size_t> found = a.index->Find(key);
    if (found.empty()) {
      LogFinding finding = base;
      finding.status = LogStatus::kMissing;
      finding.detail = "not in the archive; " + named_by;
      a.logs.push_back(std::move(finding));
      a.log_objects.push_back(kNone);
      continue;
    }
    for (std::size_t index : found) {
      const FoundObject& object = objects[index];
      a.claimed.insert(index);
      LogFinding finding = base;
      finding.path = object.Display();
      const Claim* match = nullptr;
      const Claim* first_member = nullptr;
      for (const Claim& claim : trusted) {
        if (claim.entry->hash_value == object.content_sha256) match = &claim;
        if (claim.entry->hash_value == object.first_member_sha256) first_member = &claim;
      }
      if (trusted.empty()) {
        finding.status = LogStatus::kUnvouched;
        finding.detail = named_by + ", which cannot vouch for it";
      } else if (object.unreadable) {
        finding.status = LogStatus::kMissing;
        finding.detail =
            "found at " + object.Display() + " but unreadable: " + object.error + "; " + named_by;
      } else if (!object.error.empty()) {
        finding.status = LogStatus::kModified;
        finding.detail = "cannot be decoded: " + object.error + "; " + named_by;
      } else if (match != nullptr) {
        const std::string who = a.digests[match->record].key;
        const std::size_t members = object.encoding.member_ends.size();
        if (!object.encoding.gzip) {
          finding.status = LogStatus::kReEncoded;
          finding.detail = "stored uncompressed: its content matches the SHA-256 " + who +
                           " records, but CloudTrail delivers one gzip member";
        } else if (members > 1) {
          finding.status = LogStatus::kReEncoded;
          finding.detail = "stored as " + std::to_string(members) +
                           " gzip members: its content matches the SHA-256 " + who +
                           " records, but CloudTrail delivers one gzip member";
        } else {
          finding.status = LogStatus::kValid;
          finding.detail = "content matches the SHA-256 " + who + " records";
          if (object.encoding.zero_padding > 0) {
            finding.detail += " (" + std::to_string(object.encoding.zero_padding) +
                              " zero bytes of padding follow the gzip member)";
          }
        }
      } else if (first_member != nullptr) {
        const std::uint64_t extra =
            object.encoding.member_ends.back() - object.encoding.member_ends.front();
        finding.status = LogStatus::kModified;
        finding.detail = "its first gzip member matches the SHA-256 " +
                         a.digests[first_member->record].key + " records, but " +
                         std::to_string(object.encoding.member_ends.size() - 1) +
                         " more member(s) follow with " + std::to_string(extra) +
                         " bytes of content no digest vouches for (AWS CLIs that read only the "
                         "first member call this file valid)";
      } else {
        finding.status = LogStatus::kModified;
        finding.detail = "its content's SHA-256 is " + object.content_sha256 + ", but " +
                         digest.key + " records " + namer.entry->hash_value;
      }
      a.logs.push_back(std::move(finding));
      a.log_objects.push_back(index);
    }
  }

  const ChainSpans spans(a);
  for (std::size_t i = 0; i < objects.size(); ++i) {
    const FoundObject& object = objects[i];
    if (object.kind != ObjectKind::kLog || a.claimed.count(i) > 0) continue;
    LogFinding finding;
    finding.key = a.index->KeyOf(object, a.prefixes);
    finding.path = object.Display();
    finding.status = LogStatus::kUnvouched;
    finding.delivered = object.Key().delivery_time;
    finding.detail = spans.Context(object);
    if (object.unreadable) finding.detail += "; unreadable: " + object.error;
    a.logs.push_back(std::move(finding));
    a.log_objects.push_back(i);
  }
}

bool InRange(const VerifyOptions& o, std::optional<std::int64_t> start,
             std::optional<std::int64_t> end) {
  if (!start && !end) return true;
  const std::int64_t first = start ? *start : *end - kDigestPeriod;
  const std::int64_t last = end ? *end : *start;
  return (!o.from || last >= *o.from) && first <= o.to;
}

void BuildReport(Analysis& a, VerifyReport& report) {
  const VerifyOptions& o = a.options;
  std::map<std::string, ChainSummary> chains;
  for (const DigestRecord& r : a.digests) {
    if (!r.status || !InRange(o, r.start, r.end)) continue;
    DigestFinding f;
    f.key = r.key;
    f.bucket = r.bucket;
    f.chain = r.chain_name;
    f.path = r.object ? a.collection.objects[*r.object].Display() : "";
    f.status = *r.status;
    f.detail = r.detail;
    f.start = r.start;
    f.end = r.end;
    report.digests.push_back(std::move(f));
    if (!r.usable) continue;
    ChainSummary& chain = chains[r.chain_name];
    chain.chain = r.chain_name;
    ++chain.digests;
    chain.first_start = chain.first_start ? std::min(*chain.first_start, *r.start) : *r.start;
    chain.last_end = chain.last_end ? std::max(*chain.last_end, *r.end) : *r.end;
  }
  for (auto& [name, chain] : chains) {
    const std::string& chain_name = name;  // clang cannot capture a structured binding
    chain.authenticated =
        std::all_of(report.digests.begin(), report.digests.end(), [&](const DigestFinding& d) {
          return d.chain != chain_name || d.status == DigestStatus::kValid ||
                 d.status == DigestStatus::kChained;
        });
    if (auto it = a.chain_notes.find(name); it != a.chain_notes.end()) chain.note = it->second;
    report.chains.push_back(chain);
  }
  std::sort(report.digests.begin(), report.digests.end(),
            [](const DigestFinding& x, const DigestFinding& y) {
              if (x.chain != y.chain) return x.chain < y.chain;
              const std::int64_t ex = x.end.value_or(0), ey = y.end.value_or(0);
              return ex != ey ? ex < ey : x.key < y.key;
            });
  for (const LogFinding& log : a.logs) {
    if (log.delivered && ((o.from && *log.delivered < *o.from) || *log.delivered > o.to)) continue;
    report.logs.push_back(log);
  }
  std::sort(report.logs.begin(), report.logs.end(), [](const LogFinding& x, const LogFinding& y) {
    return x.key != y.key ? x.key < y.key : x.path < y.path;
  });
  for (const Gap& gap : a.gaps) {
    if (InRange(o, gap.start, gap.end)) report.gaps.push_back(gap);
  }
  std::sort(report.gaps.begin(), report.gaps.end(), [](const Gap& x, const Gap& y) {
    return x.chain != y.chain ? x.chain < y.chain : x.start < y.start;
  });
  for (const FoundObject& object : a.collection.objects) {
    if (object.kind == ObjectKind::kOther) ++report.other_files;
  }
  report.files = a.collection.files;
  report.keys = a.keys.size();
  report.from = o.from;
  report.to = o.to;
  report.warnings = a.warnings;
}

}  // namespace

std::string_view DigestStatusName(DigestStatus status) {
  switch (status) {
    case DigestStatus::kValid:
      return "valid";
    case DigestStatus::kChained:
      return "chained";
    case DigestStatus::kUnauthenticated:
      return "unauthenticated";
    case DigestStatus::kInvalid:
      return "invalid";
    case DigestStatus::kMissing:
      return "missing";
  }
  return "?";
}

std::string_view LogStatusName(LogStatus status) {
  switch (status) {
    case LogStatus::kValid:
      return "valid";
    case LogStatus::kModified:
      return "modified";
    case LogStatus::kMissing:
      return "missing";
    case LogStatus::kUnvouched:
      return "unvouched";
    case LogStatus::kReEncoded:
      return "re-encoded";
  }
  return "?";
}

std::string_view InputStatusName(InputStatus status) {
  switch (status) {
    case InputStatus::kVouched:
      return "vouched";
    case InputStatus::kUnvouched:
      return "unvouched";
    case InputStatus::kUnhashed:
      return "unhashed";
    case InputStatus::kUnscanned:
      return "unscanned";
  }
  return "?";
}

std::uint64_t VerifyReport::Problems() const {
  std::uint64_t n = 0;
  for (const DigestFinding& d : digests) {
    n += d.status != DigestStatus::kValid && d.status != DigestStatus::kChained ? 1 : 0;
  }
  for (const LogFinding& l : logs) n += l.status != LogStatus::kValid ? 1 : 0;
  for (const Gap& g : gaps) n += g.explained ? 0 : 1;
  for (const InputFinding& i : inputs) n += i.status != InputStatus::kVouched ? 1 : 0;
  return n;
}

Result<VerifyReport> RunVerify(const VerifyOptions& options) {
  Analysis a(options);
  if (auto ok = LoadKeys(a); !ok) return std::move(ok).error();
  a.collection = Collect(options.paths, options.threads, options.max_document_bytes);
  a.warnings.insert(a.warnings.end(), a.collection.warnings.begin(), a.collection.warnings.end());
  a.index.emplace(a.collection.objects);
  AnalyzeDigests(a);
  JudgeLogs(a);
  FindGaps(a);
  VerifyReport report;
  BuildReport(a, report);
  if (!options.db_path.empty()) {
    if (auto ok = CheckDatabase(a, report); !ok) return std::move(ok).error();
    if (auto ok = StoreReport(options, report); !ok) return std::move(ok).error();
  }
  return report;
}

}  // namespace trailreplay::verify
