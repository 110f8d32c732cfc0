// Digest chains: parsing, linking, statuses (newest first, so a digest is judged after every
// digest that names it), the digests a chain lacks, and its gaps.
//
// Trust flows down a chain. A digest is valid when a signature for it verifies: its sidecar's,
// or the previousDigestSignature its successor records (RSA signatures authenticate themselves,
// wherever they were read from). It is chained when it cannot be checked itself (no key with
// its fingerprint) but an authenticated successor records its exact SHA-256. A mismatch is
// blamed on the older digest whenever the successor is not itself invalid: the successor's
// record is what the chain above vouches for.
#include <algorithm>
#include <cmath>

#include "common/time.h"
#include "verify/analysis.h"

namespace trailreplay::verify {
namespace {

constexpr std::size_t kNone = static_cast<std::size_t>(-1);
// Beyond this many hours between two known digests the chain's cadence no longer names the
// missing ones one by one: the period is a gap.
constexpr std::int64_t kMaxInferred = 48;

std::string Iso(std::int64_t t) { return FormatIsoTime(t); }

std::string Stamp(std::int64_t t) {
  std::string iso = FormatIsoTime(t);  // YYYY-MM-DDTHH:MM:SSZ
  return iso.substr(0, 4) + iso.substr(5, 2) + iso.substr(8, 2) + "T" + iso.substr(11, 2) +
         iso.substr(14, 2) + iso.substr(17, 2) + "Z";
}

// The key CloudTrail gives the chain's digest ending at `end`, from another key of the chain.
std::string DigestKeyAt(const std::string& reference, const ChainId& chain, std::int64_t end) {
  std::vector<std::string> parts;
  for (std::string_view part : SplitPath(reference)) parts.emplace_back(part);
  if (parts.size() < 4) return {};
  const std::string iso = FormatIsoTime(end);
  parts[parts.size() - 4] = iso.substr(0, 4);
  parts[parts.size() - 3] = iso.substr(5, 2);
  parts[parts.size() - 2] = iso.substr(8, 2);
  parts.back() = chain.account + "_CloudTrail-Digest_" + chain.region + "_" + chain.trail + "_" +
                 chain.home_region + "_" + Stamp(end) + (chain.backfill ? "_backfill" : "") +
                 ".json.gz";
  std::string key;
  for (const auto& part : parts) key += (key.empty() ? "" : "/") + part;
  return key;
}

const PublicKey* FindKey(const std::vector<PublicKey>& keys, const std::string& fingerprint) {
  for (const PublicKey& key : keys) {
    if (key.fingerprint == fingerprint) return &key;
  }
  return nullptr;
}

bool Authenticated(const DigestRecord& r) {
  return r.status == DigestStatus::kValid || r.status == DigestStatus::kChained;
}

class DigestJudge {
 public:
  explicit DigestJudge(Analysis& a) : a_(a) {}

  void Run() {
    IndexSidecars();
    MakeRecords();
    Deduplicate();
    Link();
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < a_.digests.size(); ++i) {
      if (a_.digests[i].usable) order.push_back(i);
    }
    std::sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
      const DigestRecord& rx = a_.digests[x];
      const DigestRecord& ry = a_.digests[y];
      return rx.end != ry.end ? rx.end > ry.end : rx.key > ry.key;
    });
    for (std::size_t i : order) Decide(a_.digests[i]);
    TrimBeforeArchive();
    InferMissing();
  }

 private:
  const FoundObject& Object(const DigestRecord& r) { return a_.collection.objects[*r.object]; }

  void IndexSidecars() {
    for (std::size_t i = 0; i < a_.collection.objects.size(); ++i) {
      const FoundObject& o = a_.collection.objects[i];
      if (o.kind != ObjectKind::kSidecar) continue;
      std::string owner = o.Display();
      owner.resize(owner.size() - kSidecarSuffix.size());
      sidecars_[owner] = i;
    }
  }

  void MakeRecords() {
    auto& objects = a_.collection.objects;
    for (std::size_t i = 0; i < objects.size(); ++i) {
      FoundObject& o = objects[i];
      if (o.kind != ObjectKind::kDigest) continue;
      if (o.unreadable) {
        a_.warnings.push_back(o.Display() + ": cannot be read: " + o.error);
        continue;
      }
      DigestRecord r;
      r.object = i;
      const input::KeyInfo name = o.Key();
      r.chain = ChainId::Of(name);
      r.end = name.delivery_time;
      if (!o.error.empty()) {
        Invalid(r, "cannot be decoded: " + o.error);
      } else if (auto parsed = ParseDigestFile(o.text); !parsed) {
        Invalid(r, "not a digest file as CloudTrail writes them: " + parsed.error().message);
      } else {
        Accept(r, o, std::move(*parsed));
      }
      std::string().swap(o.text);  // parsed: the text is not needed again
      a_.digests.push_back(std::move(r));
    }
    // Keys of the digests that could not be read come from where they were found.
    std::set<std::string> prefixes;
    for (const DigestRecord& r : a_.digests) {
      if (!r.digest) continue;
      const auto parts = SplitPath(r.digest->s3_object);
      for (std::size_t j = parts.size(); j-- > 0;) {
        if (parts[j] != "AWSLogs") continue;
        std::string prefix;
        for (std::size_t k = 0; k < j; ++k) {
          if (k > 0) prefix += '/';
          prefix += parts[k];
        }
        if (!prefix.empty()) prefixes.insert(prefix);
        break;
      }
    }
    a_.prefixes.assign(prefixes.begin(), prefixes.end());
    for (DigestRecord& r : a_.digests) {
      if (r.key.empty()) r.key = a_.index->KeyOf(Object(r), a_.prefixes);
      r.chain_name = r.chain.Name();
    }
  }

  void Invalid(DigestRecord& r, std::string detail) {
    r.status = DigestStatus::kInvalid;
    r.detail = std::move(detail);
  }

  void Accept(DigestRecord& r, const FoundObject& o, DigestFile digest) {
    r.key = digest.s3_object;
    r.bucket = digest.s3_bucket;
    r.start = digest.start_time;
    r.end = digest.end_time;
    const input::KeyInfo claimed = input::ParseKey(digest.s3_object);
    if (claimed.kind == input::KeyKind::kDigest) r.chain = ChainId::Of(claimed);
    std::string problem;
    if (claimed.kind != input::KeyKind::kDigest) {
      problem = "its digestS3Object is not a digest file's key in CloudTrail's layout";
    } else if (digest.signature_algorithm != kSignatureAlgorithm) {
      problem = "its digestSignatureAlgorithm is \"" + digest.signature_algorithm + "\", not " +
                std::string(kSignatureAlgorithm);
    } else if (digest.previous && digest.previous->hash_algorithm != kHashAlgorithm) {
      problem = "its previousDigestHashAlgorithm is \"" + digest.previous->hash_algorithm +
                "\", not " + std::string(kHashAlgorithm);
    } else if (digest.start_time > digest.end_time) {
      problem = "its digestStartTime is after its digestEndTime";
    } else if (!SitsAt(o, digest.s3_object)) {
      problem = "moved: found at " + o.Display() + ", but its digestS3Object says it belongs at " +
                digest.s3_object;
      // Reported where it was found, and at the time its name there says (what it claims
      // belongs to the key it names, which may be missing).
      r.key.clear();
      r.start.reset();
      r.end = o.Key().delivery_time;
    }
    for (const LogFileEntry& log : digest.log_files) {
      if (!problem.empty()) break;
      if (log.hash_algorithm != kHashAlgorithm) {
        problem = "log file " + log.s3_object + " has hashAlgorithm \"" + log.hash_algorithm +
                  "\", not " + std::string(kHashAlgorithm);
      }
    }
    r.digest = std::move(digest);
    if (!problem.empty()) {
      Invalid(r, problem);
      return;
    }
    r.usable = true;
  }

  // The same digest reached twice (a tree and a tar of it) counts once; two different
  // objects at one key cannot both be what CloudTrail wrote.
  void Deduplicate() {
    for (std::size_t i = 0; i < a_.digests.size(); ++i) {
      DigestRecord& r = a_.digests[i];
      if (!r.usable) continue;
      const auto [it, added] = a_.digest_by_key.emplace(r.key, i);
      if (added) continue;
      DigestRecord& first = a_.digests[it->second];
      r.usable = false;
      if (Object(first).content_sha256 == Object(r).content_sha256) {
        a_.warnings.push_back(Object(r).Display() + ": the same digest as " +
                              Object(first).Display() + "; counted once");
        r.status.reset();
        r.object.reset();  // dropped below
      } else {
        Invalid(r, "a second, different object at " + r.key + " (the first is " +
                       Object(first).Display() + ")");
      }
    }
    a_.digests.erase(std::remove_if(a_.digests.begin(), a_.digests.end(),
                                    [](const DigestRecord& r) { return !r.object; }),
                     a_.digests.end());
    a_.digest_by_key.clear();
    for (std::size_t i = 0; i < a_.digests.size(); ++i) {
      if (a_.digests[i].usable) a_.digest_by_key.emplace(a_.digests[i].key, i);
    }
  }

  void Link() {
    const std::size_t count = a_.digests.size();
    for (std::size_t i = 0; i < count; ++i) {
      if (!a_.digests[i].usable || !a_.digests[i].digest->previous) continue;
      const std::string previous = a_.digests[i].digest->previous->s3_object;
      auto it = a_.digest_by_key.find(previous);
      if (it == a_.digest_by_key.end()) {
        it = a_.digest_by_key.emplace(previous, AddMissing(i, previous)).first;
      }
      DigestRecord& target = a_.digests[it->second];
      DigestRecord& r = a_.digests[i];
      if (target.usable && target.end && r.end && *target.end >= *r.end) {
        Invalid(r, "its previous digest " + previous + " is not older than itself");
        continue;
      }
      target.successors.push_back(i);
    }
  }

  std::size_t AddMissing(std::size_t referrer, const std::string& key) {
    const DigestRecord& r = a_.digests[referrer];
    DigestRecord missing;
    missing.key = key;
    missing.bucket = r.digest->previous->s3_bucket;
    const input::KeyInfo info = input::ParseKey(key);
    missing.chain = info.kind == input::KeyKind::kDigest ? ChainId::Of(info) : r.chain;
    missing.chain_name = missing.chain.Name();
    missing.end = info.delivery_time;
    missing.status = DigestStatus::kMissing;
    missing.detail = "not in the archive; " + r.key + " names it as its previous digest";
    a_.digests.push_back(std::move(missing));
    return a_.digests.size() - 1;
  }

  void Decide(DigestRecord& d) {
    const FoundObject& o = Object(d);
    const DigestFile& digest = *d.digest;
    const std::string to_sign = StringToSign(digest, o.content_sha256);
    const PublicKey* key = FindKey(a_.keys, digest.fingerprint);

    struct Candidate {
      std::string signature, source;
      bool counts_against = true;  // a failure of this one condemns the digest
    };
    std::vector<Candidate> candidates;
    std::string notes;
    if (auto it = sidecars_.find(o.Display()); it != sidecars_.end()) {
      const FoundObject& sidecar = a_.collection.objects[it->second];
      auto parsed =
          sidecar.error.empty()
              ? ParseSidecar(sidecar.text)
              : Result<SidecarSignature>(MakeError(ErrorCode::kInvalidInput, sidecar.error));
      if (!parsed) {
        a_.warnings.push_back(sidecar.Display() + ": unusable sidecar: " + parsed.error().message);
        notes += "; its sidecar is unusable (" + parsed.error().message + ")";
      } else if (!parsed->algorithm.empty() && parsed->algorithm != kSignatureAlgorithm) {
        a_.warnings.push_back(sidecar.Display() + ": signature-algorithm \"" + parsed->algorithm +
                              "\" is not " + std::string(kSignatureAlgorithm));
        notes += "; its sidecar's algorithm is not " + std::string(kSignatureAlgorithm);
      } else {
        candidates.push_back({parsed->signature, "its sidecar " + sidecar.Display(), true});
      }
    }
    for (std::size_t s : d.successors) {
      const DigestRecord& successor = a_.digests[s];
      candidates.push_back({successor.digest->previous->signature,
                            "the previousDigestSignature of " + successor.key,
                            successor.status != DigestStatus::kInvalid});
    }

    std::string verified_by;
    std::vector<std::string> failed;
    if (key != nullptr) {
      for (const Candidate& c : candidates) {
        auto bytes = DecodeHex(c.signature);
        if (bytes && key->key.VerifySha256(to_sign, *bytes)) {
          if (verified_by.empty()) verified_by = c.source;
        } else if (c.counts_against) {
          failed.push_back(c.source);
        }
      }
    }

    std::string broken, consistent_with, chained_through;
    for (std::size_t s : d.successors) {
      const DigestRecord& successor = a_.digests[s];
      const std::string& recorded = successor.digest->previous->hash_value;
      if (recorded != o.content_sha256) {
        if (successor.status != DigestStatus::kInvalid && broken.empty()) {
          broken = "its content's SHA-256 is " + o.content_sha256 + ", but " + successor.key +
                   " records " + recorded + " as its previousDigestHashValue";
        }
        continue;
      }
      if (consistent_with.empty()) consistent_with = successor.key;
      if (Authenticated(successor) && chained_through.empty()) chained_through = successor.key;
    }

    if (!broken.empty()) {
      Invalid(d, broken + notes);
    } else if (!verified_by.empty()) {
      d.status = DigestStatus::kValid;
      d.detail = "signature verified with key " + digest.fingerprint + " (the signature from " +
                 verified_by + ")";
      for (const std::string& source : failed) {
        d.detail += "; the signature from " + source + " does not verify";
        a_.warnings.push_back(d.key + ": the signature from " + source +
                              " does not verify (the digest is verified with another)");
      }
      d.detail += notes;
    } else if (!failed.empty()) {
      Invalid(d, "signature verification failed: the signature from " + failed.front() +
                     " does not verify with key " + digest.fingerprint + notes);
    } else if (!chained_through.empty()) {
      d.status = DigestStatus::kChained;
      d.detail = "authenticated through " + chained_through + ", which records its SHA-256; " +
                 Unchecked(digest, key, !candidates.empty()) + notes;
    } else {
      d.status = DigestStatus::kUnauthenticated;
      d.detail = Unchecked(digest, key, !candidates.empty()) +
                 (consistent_with.empty() ? "" : "; consistent with " + consistent_with) + notes;
    }
  }

  // Why a digest's own signature could not be checked.
  std::string Unchecked(const DigestFile& digest, const PublicKey* key, bool has_signature) const {
    if (a_.keys.empty()) return "no public keys given (--public-keys): not authenticated";
    if (key == nullptr) {
      return "no given public key has its fingerprint " + digest.fingerprint;
    }
    if (!has_signature) {
      return "no signature to check: its S3 metadata (x-amz-meta-signature) was not kept "
             "beside it as <digest>.metadata.json, and no later digest records it";
    }
    return "its signature could not be checked";
  }

  // A copy of a bucket usually starts part-way through a chain: the predecessor of its oldest
  // digest is not missing unless it ends inside the period the archive should cover (--from).
  void TrimBeforeArchive() {
    std::map<std::string, std::size_t> oldest;
    for (std::size_t i = 0; i < a_.digests.size(); ++i) {
      const DigestRecord& r = a_.digests[i];
      if (!r.usable) continue;
      auto [it, added] = oldest.emplace(r.chain_name, i);
      if (!added && *a_.digests[it->second].end > *r.end) it->second = i;
    }
    for (const auto& [name, index] : oldest) {
      const DigestRecord& first = a_.digests[index];
      if (!first.digest->previous) continue;
      const auto it = a_.digest_by_key.find(first.digest->previous->s3_object);
      if (it == a_.digest_by_key.end()) continue;
      DigestRecord& previous = a_.digests[it->second];
      if (previous.status != DigestStatus::kMissing) continue;
      if (a_.options.from && (!previous.end || *previous.end > *a_.options.from)) continue;
      previous.status.reset();
      a_.chain_notes[name] = "begins part-way: its first digest here, " + first.key +
                             ", continues from " + previous.key +
                             ", which ends before the archive (give --from to require it)";
    }
  }

  // Two known digests of a standard chain further apart than its hourly cadence allows: the
  // ones between them are missing too (the CLI reports only the one a pointer names).
  void InferMissing() {
    std::map<std::string, std::vector<std::size_t>> chains;
    for (std::size_t i = 0; i < a_.digests.size(); ++i) {
      const DigestRecord& r = a_.digests[i];
      if ((r.usable || (r.status && *r.status == DigestStatus::kMissing)) && r.end &&
          !r.chain.backfill) {
        chains[r.chain_name].push_back(i);
      }
    }
    for (auto& [name, members] : chains) {
      std::sort(members.begin(), members.end(), [&](std::size_t x, std::size_t y) {
        return *a_.digests[x].end < *a_.digests[y].end;
      });
      for (std::size_t k = 1; k < members.size(); ++k) {
        const DigestRecord x = a_.digests[members[k - 1]];
        const DigestRecord y = a_.digests[members[k]];
        if (y.status != DigestStatus::kMissing) continue;
        const std::int64_t owed =
            std::llround(static_cast<double>(*y.end - *x.end) / kDigestPeriod) - 1;
        if (owed < 1 || owed > kMaxInferred) continue;
        for (std::int64_t n = 1; n <= owed; ++n) {
          const std::int64_t end = *x.end + n * kDigestPeriod;
          const std::string key = DigestKeyAt(y.key, y.chain, end);
          if (key.empty() || a_.digest_by_key.count(key) > 0) continue;
          DigestRecord missing;
          missing.key = key;
          missing.bucket = y.bucket;
          missing.chain = y.chain;
          missing.chain_name = name;
          missing.end = end;
          missing.status = DigestStatus::kMissing;
          missing.inferred = true;
          missing.detail = "not in the archive; owed by the chain's hourly cadence between " +
                           x.key + " (ends " + Iso(*x.end) + ") and " + y.key + " (missing, ends " +
                           Iso(*y.end) +
                           "); its name is inferred (a chain restart there would also explain "
                           "it, but the digest that would tell is missing)";
          a_.digest_by_key.emplace(key, a_.digests.size());
          a_.digests.push_back(std::move(missing));
        }
      }
    }
  }

  Analysis& a_;
  std::unordered_map<std::string, std::size_t> sidecars_;
};

// Whether a call names the chain's trail: by name (a call in the trail's own account, or for an
// organization trail in any account of it), or by ARN (its home region, and for a trail that is
// not an organization's, its account).
bool NamesTrail(const TrailEvent& event, const ChainId& chain) {
  if (event.trail == chain.trail) {
    return !chain.org.empty() || event.account.empty() || event.account == chain.account;
  }
  // arn:<partition>:cloudtrail:<region>:<account>:trail/<name>
  const std::string suffix = ":trail/" + chain.trail;
  if (event.trail.size() <= suffix.size() ||
      event.trail.compare(event.trail.size() - suffix.size(), suffix.size(), suffix) != 0 ||
      event.trail.rfind("arn:", 0) != 0) {
    return false;
  }
  std::vector<std::string> fields;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= event.trail.size(); ++i) {
    if (i == event.trail.size() || event.trail[i] == ':') {
      fields.push_back(event.trail.substr(start, i - start));
      start = i + 1;
    }
  }
  return fields.size() >= 6 && fields[2] == "cloudtrail" && fields[3] == chain.home_region &&
         (!chain.org.empty() || fields[4] == chain.account);
}

// A call that stops a trail's digests, or starts them again.
bool Stops(const TrailEvent& e) {
  return e.event_name == "StopLogging" || e.event_name == "DeleteTrail" ||
         (e.event_name == "UpdateTrail" && e.enable_validation == false);
}

class GapFinder {
 public:
  explicit GapFinder(Analysis& a) : a_(a) {
    // The few trail calls in the logs, and per account and region the latest log file no
    // digest names: what every gap and every chain's tip is checked against.
    for (std::size_t i = 0; i < a_.logs.size(); ++i) {
      if (a_.log_objects[i] == kNone) continue;
      const FoundObject& object = a_.collection.objects[a_.log_objects[i]];
      for (const TrailEvent& e : object.events) events_.emplace_back(i, &e);
      const LogFinding& log = a_.logs[i];
      if (log.status != LogStatus::kUnvouched || !log.delivered || *log.delivered > a_.options.to) {
        continue;
      }
      const input::KeyInfo key = input::ParseKey(object.Location());
      if (key.kind != input::KeyKind::kLog) continue;
      auto [it, added] = latest_.emplace(Place(key.org_id, key.account, key.region), i);
      if (!added && *a_.logs[it->second].delivered < *log.delivered) it->second = i;
    }
  }

  void Run() {
    std::map<std::string, std::vector<std::size_t>> chains;
    for (std::size_t i = 0; i < a_.digests.size(); ++i) {
      const DigestRecord& r = a_.digests[i];
      if ((r.usable || (r.status && *r.status == DigestStatus::kMissing)) && r.end &&
          !r.chain.backfill) {
        chains[r.chain_name].push_back(i);
      }
    }
    for (auto& [name, members] : chains) {
      std::sort(members.begin(), members.end(), [&](std::size_t x, std::size_t y) {
        return *a_.digests[x].end < *a_.digests[y].end;
      });
      Restarts(members);
      Tip(members);
    }
  }

 private:
  void Restarts(const std::vector<std::size_t>& members) {
    for (std::size_t k = 1; k < members.size(); ++k) {
      const DigestRecord& x = a_.digests[members[k - 1]];
      const DigestRecord& y = a_.digests[members[k]];
      if (y.usable && !y.digest->previous) {
        const std::int64_t start = std::min(*x.end, *y.start);
        Add(y.chain, start, std::max(*x.end, *y.start), /*tip=*/false,
            "the chain restarts: " + y.key + " is a starting digest (no previous digest), and " +
                x.key + " ended at " + Iso(*x.end));
        continue;
      }
      if (y.status != DigestStatus::kMissing || y.inferred) continue;
      const std::int64_t owed =
          std::llround(static_cast<double>(*y.end - *x.end) / kDigestPeriod) - 1;
      if (owed > kMaxInferred) {
        Add(y.chain, *x.end, *y.end - kDigestPeriod, /*tip=*/false,
            "no digest between " + x.key + " and the missing " + y.key);
      }
    }
  }

  // The newest digest of a chain must be followed by nothing the archive shows was logged
  // later: log files of its account and region that no digest names, delivered after the
  // next digest would have been, or --to.
  void Tip(const std::vector<std::size_t>& members) {
    const DigestRecord& newest = a_.digests[members.back()];
    if (!newest.usable) return;
    const std::int64_t due = *newest.end + kDigestPeriod + kDeliveryGrace;
    std::optional<std::int64_t> until;
    std::string why;
    if (const auto it =
            latest_.find(Place(newest.chain.org, newest.chain.account, newest.chain.region));
        it != latest_.end() && *a_.logs[it->second].delivered > due) {
      const LogFinding& log = a_.logs[it->second];
      until = *log.delivered;
      why = "log files were delivered until " + Iso(*until) + " (the latest, " + log.key +
            ", is named by no digest)";
    }
    if (a_.options.to_given && due < a_.options.to && (!until || a_.options.to > *until)) {
      until = a_.options.to;
      why = "--to is " + Iso(a_.options.to);
    }
    if (!until) return;
    Add(newest.chain, *newest.end, *until, /*tip=*/true,
        "the chain's newest digest " + newest.key + " ends at " + Iso(*newest.end) + ", but " +
            why);
  }

  void Add(const ChainId& chain, std::int64_t start, std::int64_t end, bool tip,
           std::string detail) {
    Gap gap;
    gap.chain = chain.Name();
    gap.start = start;
    gap.end = end;
    std::vector<std::string> ignored;
    const std::int64_t from = start - 2 * kDigestPeriod, to = end + kDigestPeriod;
    for (const auto& [i, event] : events_) {
      const LogFinding& log = a_.logs[i];
      const TrailEvent& e = *event;
      {
        if (e.time < from || e.time > to || !e.error_code.empty() || !NamesTrail(e, chain) ||
            (tip && !Stops(e))) {
          continue;
        }
        if (log.status != LogStatus::kValid && log.status != LogStatus::kReEncoded) {
          ignored.push_back(e.event_name + " " + e.event_id + " in " + log.key + " (" +
                            std::string(LogStatusName(log.status)) + ")");
          continue;
        }
        // A log judged twice (copies) gives its events once.
        const bool seen = std::any_of(gap.evidence.begin(), gap.evidence.end(),
                                      [&](const Evidence& x) { return x.event_id == e.event_id; });
        if (!seen) gap.evidence.push_back({log.key, e.event_id, e.event_name, e.event_time});
      }
    }
    std::sort(gap.evidence.begin(), gap.evidence.end(), [](const Evidence& x, const Evidence& y) {
      return x.event_time != y.event_time ? x.event_time < y.event_time : x.event_id < y.event_id;
    });
    gap.explained = !gap.evidence.empty();
    gap.detail = std::move(detail);
    if (!gap.explained) {
      gap.detail += std::string("; unexplained: no ") +
                    (tip ? "StopLogging or DeleteTrail call"
                         : "StopLogging, DeleteTrail or StartLogging call") +
                    " on trail " + chain.trail + " (home region " + chain.home_region +
                    ") in the vouched log files from " + Iso(from) + " to " + Iso(to);
    }
    if (!ignored.empty()) {
      gap.detail += "; not counted, being in log files that are not vouched for: " + ignored[0];
      if (ignored.size() > 1) gap.detail += " and " + std::to_string(ignored.size() - 1) + " more";
    }
    a_.gaps.push_back(std::move(gap));
  }

  static std::string Place(const std::string& org, const std::string& account,
                           const std::string& region) {
    return org + "/" + account + "/" + region;
  }

  Analysis& a_;
  std::vector<std::pair<std::size_t, const TrailEvent*>> events_;  // (log finding, call)
  std::map<std::string, std::size_t> latest_;  // place -> its latest unvouched log finding
};

}  // namespace

std::string ChainId::Name() const {
  std::string out = org.empty() ? "" : org + "/";
  out += account + "/" + region + "/" + trail + "/" + home_region;
  if (backfill) out += "/backfill";
  return out;
}

ChainId ChainId::Of(const input::KeyInfo& key) {
  return ChainId{key.org_id, key.account, key.region, key.trail, key.home_region, key.backfill};
}

void AnalyzeDigests(Analysis& analysis) { DigestJudge(analysis).Run(); }

void FindGaps(Analysis& analysis) { GapFinder(analysis).Run(); }

}  // namespace trailreplay::verify
