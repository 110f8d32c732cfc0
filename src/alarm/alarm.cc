// The replay is one pass over the steps of the evaluation span (minutes; 10 s for a
// high-resolution alarm). At each step e it computes the datapoint of the window [e - P, e)
// and keeps it in a ring of the last (R - 1)·P/step + 1 steps, because window k of the
// evaluation at T is the window that ended at T - k·P: every window is computed once and read
// by R evaluations. The window's samples are a contiguous run
// of `samples`, [leave, enter), and both ends only move forward, so
//   SampleCount, Sum   are differences of prefix sums over the samples (the sum in
//                      double-double, so that long series do not lose the fractions);
//   Minimum, Maximum   come from a monotonic deque of sample indices;
//   pNN                comes from a Fenwick tree of sample counts over the distinct values of
//                      the series, queried for the k-th smallest.
// All of that is O(1) or O(log V) per step; an evaluation then reads at most R ring slots
// (stopping at the N-th real datapoint), and skips even that when the whole range is empty.
// Once the range is empty the state cannot change until the next sample, so unless every
// evaluation is being recorded the replay jumps straight there (sparse metric-filter series
// are mostly such stretches).
// Nothing is allocated per evaluation except reasons, which are built only for transitions
// and for recorded evaluations.
#include "alarm/alarm.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <utility>

#include "common/time.h"

namespace trailreplay::alarm {

namespace {

constexpr std::int64_t kHourSeconds = 3600;
constexpr std::int64_t kDaySeconds = 86400;
// Lists of this many datapoints or more use AWS's long form ("The most recent datapoints
// which crossed the threshold: [...]"), which shows this many.
constexpr std::size_t kLongListFrom = 5;

std::int64_t CeilTo(std::int64_t t, std::int64_t step) { return -FloorTo(-t, step); }

// Java's Double.toString, which is what CloudWatch prints: the shortest digits that read back
// to the same double, plain notation with at least one fractional digit for 1e-3 <= |v| < 1e7,
// "d.dddE<exp>" otherwise.
void AppendNumber(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "Infinity" : "-Infinity";
    return;
  }
  if (v == 0) {
    out += std::signbit(v) ? "-0.0" : "0.0";
    return;
  }
  if (v < 0) out += '-';
  const double magnitude = std::fabs(v);
  // Shortest round-trip digits as d[.ddd]e<exp>.
  char buffer[64];
  const auto [end, ec] =
      std::to_chars(buffer, buffer + sizeof buffer, magnitude, std::chars_format::scientific);
  const std::string_view text(buffer, static_cast<std::size_t>(end - buffer));
  const std::size_t e = text.find('e');
  char digits[32];
  std::size_t length = 0;
  digits[length++] = text[0];
  for (std::size_t i = 2; i < e; ++i) digits[length++] = text[i];  // after "d."
  while (length > 1 && digits[length - 1] == '0') --length;
  std::string_view exponent_text = text.substr(e + 1);
  if (!exponent_text.empty() && exponent_text.front() == '+') exponent_text.remove_prefix(1);
  int exponent = 0;
  std::from_chars(exponent_text.data(), exponent_text.data() + exponent_text.size(), exponent);

  if (magnitude >= 1e-3 && magnitude < 1e7) {
    if (exponent >= 0) {
      const auto integer_digits = static_cast<std::size_t>(exponent) + 1;
      if (length <= integer_digits) {
        out.append(digits, length);
        out.append(integer_digits - length, '0');
        out += ".0";
      } else {
        out.append(digits, integer_digits);
        out += '.';
        out.append(digits + integer_digits, length - integer_digits);
      }
    } else {
      out += "0.";
      out.append(static_cast<std::size_t>(-exponent - 1), '0');
      out.append(digits, length);
    }
  } else {
    out += digits[0];
    out += '.';
    if (length > 1) {
      out.append(digits + 1, length - 1);
    } else {
      out += '0';
    }
    out += 'E';
    char exponent_buffer[16];
    const auto [exponent_end, exponent_ec] =
        std::to_chars(exponent_buffer, exponent_buffer + sizeof exponent_buffer, exponent);
    out.append(exponent_buffer, static_cast<std::size_t>(exponent_end - exponent_buffer));
  }
}

// dd/MM/yy HH:mm:ss (UTC), without going through snprintf: reasons are built per transition.
void AppendReasonTime(std::string& out, std::int64_t t) {
  const std::int64_t days = FloorTo(t, kDaySeconds) / kDaySeconds;
  const std::int64_t seconds = t - days * kDaySeconds;
  // Howard Hinnant's civil_from_days.
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t day_of_era = z - era * 146097;
  const std::int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const std::int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const std::int64_t mp = (5 * day_of_year + 2) / 153;
  const std::int64_t day = day_of_year - (153 * mp + 2) / 5 + 1;
  const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
  char buffer[17] = {'0', '0', '/', '0', '0', '/', '0', '0', ' ',
                     '0', '0', ':', '0', '0', ':', '0', '0'};
  const auto two = [&buffer](std::size_t at, std::int64_t value) {
    buffer[at] = static_cast<char>('0' + value / 10 % 10);
    buffer[at + 1] = static_cast<char>('0' + value % 10);
  };
  two(0, day);
  two(3, month);
  two(6, ((year % 100) + 100) % 100);
  two(9, seconds / 3600);
  two(12, seconds / 60 % 60);
  two(15, seconds % 60);
  out.append(buffer, sizeof buffer);
}

std::string_view OperatorPhrase(Comparison comparison) {
  switch (comparison) {
    case Comparison::kGreaterThanOrEqualToThreshold:
      return "greater than or equal to";
    case Comparison::kGreaterThanThreshold:
      return "greater than";
    case Comparison::kLessThanThreshold:
      return "less than";
    case Comparison::kLessThanOrEqualToThreshold:
      return "less than or equal to";
  }
  return "";
}

bool Breaches(double value, Comparison comparison, double threshold) {
  switch (comparison) {
    case Comparison::kGreaterThanOrEqualToThreshold:
      return value >= threshold;
    case Comparison::kGreaterThanThreshold:
      return value > threshold;
    case Comparison::kLessThanThreshold:
      return value < threshold;
    case Comparison::kLessThanOrEqualToThreshold:
      return value <= threshold;
  }
  return false;
}

// "1 datapoint" / "3 datapoints".
void AppendCount(std::string& out, std::size_t n, std::string_view noun) {
  out += std::to_string(n);
  out += ' ';
  out += noun;
  if (n != 1) out += 's';
}

std::string_view WasWere(std::size_t n) { return n == 1 ? "was" : "were"; }

// a + b = sum + error exactly (Knuth's TwoSum).
void TwoSum(double a, double b, double& sum, double& error) {
  sum = a + b;
  const double b_virtual = sum - a;
  error = (a - (sum - b_virtual)) + (b - b_virtual);
}

// Smallest sample count that is not "low" for EvaluateLowSampleCountPercentile.
std::uint64_t MinimumPercentileSamples(double percentile) {
  if (!(percentile > 0 && percentile < 100)) return 0;
  const double limit = percentile >= 50 ? 1000 / (100 - percentile) : 1000 / percentile;
  const double needed = std::ceil(limit * (1 - 1e-9));
  if (needed >= 1e18) return std::numeric_limits<std::uint64_t>::max();
  return static_cast<std::uint64_t>(needed);
}

// Nearest rank: the least r >= 1 with 100·r >= p·n (at most n).
std::uint64_t PercentileRank(double percentile, std::uint64_t n) {
  const double target = percentile * static_cast<double>(n);
  double r = std::ceil(target / 100);
  if (!(r >= 1)) r = 1;
  if (r > static_cast<double>(n)) r = static_cast<double>(n);
  auto rank = static_cast<std::uint64_t>(r);
  while (rank > 1 && static_cast<double>(rank - 1) * 100 >= target) --rank;
  while (rank < n && static_cast<double>(rank) * 100 < target) ++rank;
  return rank;
}

// Numbers distinct doubles in order of first appearance: open addressing on the bit pattern,
// with -0.0 folded into 0.0 (they compare equal).
class DistinctValues {
 public:
  std::size_t Id(double value) {
    if (value == 0) value = 0;
    std::uint64_t bits = 0;
    std::memcpy(&bits, &value, sizeof bits);
    if ((values_.size() + 1) * 2 > slots_.size()) Grow();
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = Hash(bits) & mask;; i = (i + 1) & mask) {
      if (slots_[i] == 0) {
        values_.push_back(value);
        bits_.push_back(bits);
        slots_[i] = values_.size();
        return values_.size() - 1;
      }
      if (bits_[slots_[i] - 1] == bits) return slots_[i] - 1;
    }
  }
  const std::vector<double>& values() const { return values_; }

 private:
  // splitmix64's finaliser: doubles of small integers differ only in their high bits.
  static std::size_t Hash(std::uint64_t bits) {
    bits = (bits ^ (bits >> 30)) * 0xBF58476D1CE4E5B9ull;
    bits = (bits ^ (bits >> 27)) * 0x94D049BB133111EBull;
    return static_cast<std::size_t>(bits ^ (bits >> 31));
  }
  void Grow() {
    std::vector<std::size_t> slots(std::max<std::size_t>(64, slots_.size() * 2), 0);
    const std::size_t mask = slots.size() - 1;
    for (std::size_t id = 0; id < bits_.size(); ++id) {
      std::size_t i = Hash(bits_[id]) & mask;
      while (slots[i] != 0) i = (i + 1) & mask;
      slots[i] = id + 1;
    }
    slots_ = std::move(slots);
  }

  std::vector<std::size_t> slots_;  // id + 1; 0: empty
  std::vector<double> values_;
  std::vector<std::uint64_t> bits_;
};

// One window's datapoint, as the ring keeps it. count == 0: missing.
struct Slot {
  double value = 0;
  std::uint64_t count = 0;
  bool breaching = false;
};

// What an evaluation decided, and why (the reason is built from this only when needed).
enum class Outcome : std::uint8_t {
  kNoData,      // no real datapoint in the range
  kMOfN,        // the ordinary M-of-N result (with fillers, if any)
  kPremature,   // the premature-alarm rule fired
  kLowSamples,  // EvaluateLowSampleCountPercentile ignore: the state is kept
};

class Replay {
 public:
  Replay(const AlarmSpec& alarm, const std::vector<MinuteSample>& samples,
         const EvaluateOptions& options)
      : alarm_(alarm), samples_(samples), options_(options) {}

  EvaluationResult Run();
  // Run over datapoints from `windows` instead of samples (EvaluateWindows).
  EvaluationResult RunWindows(const WindowSource& windows);

 private:
  void Prepare(std::size_t lo, std::size_t hi);
  void Enter(std::size_t index);
  void Leave(std::size_t index);
  Slot Compute(std::size_t leave, std::size_t enter) const;
  double WindowSum(std::size_t leave, std::size_t enter) const;
  std::uint64_t KthValueRank(std::uint64_t k) const;
  // Decides the evaluation whose newest window sits at ring position `position`. Sets
  // `new_state` (unchanged when the state is kept).
  Outcome Decide(std::size_t position, State state, State& new_state) const;
  // The state after an evaluation with no real datapoint in the range.
  State NoDataState(State state) const;
  // The ring slot of the window one period older than the one at `index`.
  std::size_t Older(std::size_t index) const {
    return index >= ring_step_ ? index - ring_step_ : index + ring_.size() - ring_step_;
  }
  std::string Reason(Outcome outcome, State new_state, std::size_t position, std::int64_t time);
  void CollectUsed(std::size_t position, std::int64_t time);
  void AppendList(std::string& out, bool breaching, std::size_t limit) const;

  const AlarmSpec& alarm_;
  const std::vector<MinuteSample>& samples_;
  const EvaluateOptions& options_;

  std::int64_t period_ = 60;       // P, seconds
  std::size_t period_steps_ = 1;   // P / the slot (SampleSlotSeconds)
  std::size_t n_ = 1;              // EvaluationPeriods
  std::size_t m_ = 1;              // DatapointsToAlarm
  std::size_t range_ = 3;          // R
  std::uint64_t low_samples_ = 0;  // percentile windows below this keep the state (0: off)

  std::size_t base_ = 0;  // index in samples_ of the first sample that can enter a window
  // Prefix sums over samples_[base_...]: SampleCount, and Sum as hi + lo.
  std::vector<std::uint64_t> prefix_count_;
  std::vector<double> prefix_sum_hi_, prefix_sum_lo_;
  // Monotonic deque (Minimum: increasing minima; Maximum: decreasing maxima).
  std::vector<std::size_t> deque_;
  std::size_t deque_head_ = 0, deque_tail_ = 0;
  // Percentiles: distinct values, each sample's (rank, count) run, and a Fenwick tree.
  std::vector<double> distinct_;
  std::vector<std::size_t> value_begin_;
  std::vector<std::pair<std::size_t, std::uint64_t>> ranked_values_;
  std::vector<std::uint64_t> fenwick_;
  std::uint64_t fenwick_total_ = 0;

  std::vector<Slot> ring_;
  std::size_t ring_step_ = 0;  // period_steps_ modulo the ring's size
  // The real datapoints the last CollectUsed found, newest first.
  std::vector<Datapoint> used_;
  std::size_t real_in_range_ = 0;
};

void Replay::Prepare(std::size_t lo, std::size_t hi) {
  base_ = lo;
  const std::size_t count = hi - lo;
  prefix_count_.assign(count + 1, 0);
  for (std::size_t i = 0; i < count; ++i) {
    prefix_count_[i + 1] = prefix_count_[i] + samples_[lo + i].count;
  }
  const Statistic statistic = alarm_.statistic;
  if (statistic == Statistic::kSum || statistic == Statistic::kAverage) {
    prefix_sum_hi_.assign(count + 1, 0);
    prefix_sum_lo_.assign(count + 1, 0);
    for (std::size_t i = 0; i < count; ++i) {
      double error = 0;
      TwoSum(prefix_sum_hi_[i], samples_[lo + i].sum, prefix_sum_hi_[i + 1], error);
      prefix_sum_lo_[i + 1] = prefix_sum_lo_[i] + error;
    }
  }
  if (statistic == Statistic::kMinimum || statistic == Statistic::kMaximum) {
    deque_.assign(count, 0);
  }
  if (statistic == Statistic::kPercentile) {
    // Each sample's values: its own list, or the stand-in described in alarm.h.
    std::vector<std::pair<double, std::uint64_t>> runs;
    std::size_t expected_runs = 0;
    for (std::size_t i = 0; i < count; ++i) {
      expected_runs += std::max<std::size_t>(samples_[lo + i].values.size(), 3);
    }
    runs.reserve(expected_runs);
    value_begin_.assign(count + 1, 0);
    for (std::size_t i = 0; i < count; ++i) {
      const MinuteSample& sample = samples_[lo + i];
      value_begin_[i] = runs.size();
      std::uint64_t listed = 0;
      for (const auto& [value, n] : sample.values) {
        if (n == 0) continue;
        runs.emplace_back(value, n);
        listed += n;
      }
      if (listed == 0 && sample.count > 0) {
        if (sample.minimum == sample.maximum || sample.count == 1) {
          runs.emplace_back(sample.minimum, sample.count);
        } else {
          runs.emplace_back(sample.minimum, 1);
          runs.emplace_back(sample.maximum, 1);
          if (sample.count > 2) {
            const double rest = static_cast<double>(sample.count - 2);
            const double mean = (sample.sum - sample.minimum - sample.maximum) / rest;
            runs.emplace_back(std::clamp(mean, sample.minimum, sample.maximum), sample.count - 2);
          }
        }
      }
    }
    value_begin_[count] = runs.size();
    // Number the distinct values by hashing (a long dense series has far fewer distinct
    // values than samples), then sort only those.
    DistinctValues ids;
    std::vector<std::size_t> run_ids;
    run_ids.reserve(runs.size());
    for (const auto& run : runs) run_ids.push_back(ids.Id(run.first));
    std::vector<std::size_t> order(ids.values().size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&ids](std::size_t a, std::size_t b) { return ids.values()[a] < ids.values()[b]; });
    std::vector<std::size_t> rank_of(order.size());
    distinct_.assign(order.size(), 0);
    for (std::size_t rank = 0; rank < order.size(); ++rank) {
      rank_of[order[rank]] = rank;
      distinct_[rank] = ids.values()[order[rank]];
    }
    ranked_values_.clear();
    ranked_values_.reserve(runs.size());
    for (std::size_t i = 0; i < runs.size(); ++i) {
      ranked_values_.emplace_back(rank_of[run_ids[i]], runs[i].second);
    }
    fenwick_.assign(distinct_.size() + 1, 0);
    fenwick_total_ = 0;
  }
}

void Replay::Enter(std::size_t index) {
  const MinuteSample& sample = samples_[index];
  if (sample.count == 0) return;
  const std::size_t local = index - base_;
  switch (alarm_.statistic) {
    case Statistic::kMinimum:
      while (deque_tail_ > deque_head_ &&
             samples_[deque_[deque_tail_ - 1]].minimum >= sample.minimum) {
        --deque_tail_;
      }
      deque_[deque_tail_++] = index;
      break;
    case Statistic::kMaximum:
      while (deque_tail_ > deque_head_ &&
             samples_[deque_[deque_tail_ - 1]].maximum <= sample.maximum) {
        --deque_tail_;
      }
      deque_[deque_tail_++] = index;
      break;
    case Statistic::kPercentile:
      for (std::size_t i = value_begin_[local]; i < value_begin_[local + 1]; ++i) {
        const auto [rank, n] = ranked_values_[i];
        for (std::size_t node = rank + 1; node < fenwick_.size(); node += node & (~node + 1)) {
          fenwick_[node] += n;
        }
        fenwick_total_ += n;
      }
      break;
    default:
      break;
  }
}

void Replay::Leave(std::size_t index) {
  const std::size_t local = index - base_;
  switch (alarm_.statistic) {
    case Statistic::kMinimum:
    case Statistic::kMaximum:
      while (deque_head_ < deque_tail_ && deque_[deque_head_] <= index) ++deque_head_;
      break;
    case Statistic::kPercentile:
      if (samples_[index].count == 0) break;
      for (std::size_t i = value_begin_[local]; i < value_begin_[local + 1]; ++i) {
        const auto [rank, n] = ranked_values_[i];
        for (std::size_t node = rank + 1; node < fenwick_.size(); node += node & (~node + 1)) {
          fenwick_[node] -= n;
        }
        fenwick_total_ -= n;
      }
      break;
    default:
      break;
  }
}

double Replay::WindowSum(std::size_t leave, std::size_t enter) const {
  const std::size_t a = leave - base_, b = enter - base_;
  double difference = 0, error = 0;
  TwoSum(prefix_sum_hi_[b], -prefix_sum_hi_[a], difference, error);
  return difference + (error + (prefix_sum_lo_[b] - prefix_sum_lo_[a]));
}

// Index in distinct_ of the k-th smallest value in the tree (1-based k <= fenwick_total_).
std::uint64_t Replay::KthValueRank(std::uint64_t k) const {
  std::size_t position = 0;
  std::size_t step = 1;
  while (step * 2 < fenwick_.size()) step *= 2;
  for (; step > 0; step /= 2) {
    if (position + step < fenwick_.size() && fenwick_[position + step] < k) {
      position += step;
      k -= fenwick_[position];
    }
  }
  return position;  // the answer is node position + 1, i.e. distinct_[position]
}

Slot Replay::Compute(std::size_t leave, std::size_t enter) const {
  Slot slot;
  slot.count = prefix_count_[enter - base_] - prefix_count_[leave - base_];
  if (slot.count == 0) return slot;
  switch (alarm_.statistic) {
    case Statistic::kSampleCount:
      slot.value = static_cast<double>(slot.count);
      break;
    case Statistic::kSum:
      slot.value = WindowSum(leave, enter);
      break;
    case Statistic::kAverage:
      slot.value = WindowSum(leave, enter) / static_cast<double>(slot.count);
      break;
    case Statistic::kMinimum:
      slot.value = samples_[deque_[deque_head_]].minimum;
      break;
    case Statistic::kMaximum:
      slot.value = samples_[deque_[deque_head_]].maximum;
      break;
    case Statistic::kPercentile: {
      const std::uint64_t rank = PercentileRank(alarm_.percentile, fenwick_total_);
      slot.value = distinct_[KthValueRank(rank)];
      break;
    }
  }
  slot.breaching = Breaches(slot.value, alarm_.comparison, alarm_.threshold);
  return slot;
}

State Replay::NoDataState(State state) const {
  switch (alarm_.treat_missing_data) {
    case MissingData::kMissing:
      return State::kInsufficientData;
    case MissingData::kIgnore:
      return state;
    case MissingData::kBreaching:
      return State::kAlarm;
    case MissingData::kNotBreaching:
      return State::kOk;
  }
  return state;
}

Outcome Replay::Decide(std::size_t position, State state, State& new_state) const {
  new_state = state;
  std::size_t real = 0, used_breaching = 0;
  bool low = false, real_not_breaching = false;
  std::size_t oldest_breach = range_;  // k of the oldest breaching window among the newest N
  for (std::size_t k = 0, index = position; k < range_; ++k, index = Older(index)) {
    const Slot& slot = ring_[index];
    if (slot.count == 0) continue;
    ++real;
    if (slot.breaching) {
      ++used_breaching;
      if (k < n_) oldest_breach = k;
    } else {
      real_not_breaching = true;
    }
    if (slot.count < low_samples_) low = true;
    if (real == n_) break;
  }
  if (real == 0) {
    new_state = NoDataState(state);
    return Outcome::kNoData;
  }
  if (low) return Outcome::kLowSamples;
  std::size_t breaching = used_breaching;
  if (real < n_ && alarm_.treat_missing_data == MissingData::kBreaching) breaching += n_ - real;
  if (breaching >= m_) {
    new_state = State::kAlarm;
    return Outcome::kMOfN;
  }
  // Fewer than M breach. With fewer than N real points and missing / ignore, the premature
  // rule: every real point breaches (so every newer window within the newest N is breaching or
  // missing) and the oldest breaching one within the newest N is at least M windows old.
  const bool premature_treatment = alarm_.treat_missing_data == MissingData::kMissing ||
                                   alarm_.treat_missing_data == MissingData::kIgnore;
  if (real < n_ && premature_treatment && !real_not_breaching && oldest_breach < n_ &&
      oldest_breach + 1 >= m_) {
    if (alarm_.treat_missing_data == MissingData::kMissing) new_state = State::kAlarm;
    return Outcome::kPremature;
  }
  new_state = State::kOk;
  return Outcome::kMOfN;
}

void Replay::CollectUsed(std::size_t position, std::int64_t time) {
  used_.clear();
  real_in_range_ = 0;
  for (std::size_t k = 0, index = position; k < range_; ++k, index = Older(index)) {
    const Slot& slot = ring_[index];
    if (slot.count == 0) continue;
    ++real_in_range_;
    if (used_.size() < n_) {
      const std::int64_t start = time - static_cast<std::int64_t>(k + 1) * period_;
      used_.push_back(Datapoint{start, slot.value, slot.breaching});
    }
  }
}

// "v (t), v (t)" of the used datapoints that breach (or do not), newest first, at most limit.
void Replay::AppendList(std::string& out, bool breaching, std::size_t limit) const {
  std::size_t listed = 0;
  for (const Datapoint& point : used_) {
    if (point.breaching != breaching) continue;
    if (listed == limit) break;
    if (listed > 0) out += ", ";
    AppendNumber(out, *point.value);
    out += " (";
    AppendReasonTime(out, point.start);
    out += ')';
    ++listed;
  }
}

std::string Replay::Reason(Outcome outcome, State new_state, std::size_t position,
                           std::int64_t time) {
  std::string out;
  const MissingData treatment = alarm_.treat_missing_data;
  if (outcome == Outcome::kNoData) {
    if (treatment == MissingData::kMissing) {
      out = "Insufficient Data: ";
      AppendCount(out, n_, "datapoint");
      out += ' ';
      out += WasWere(n_);
      out += " unknown.";
      return out;
    }
    out = treatment == MissingData::kIgnore ? "Missing data ignored: " : "Threshold Crossed: ";
    out += "no datapoints were received for ";
    AppendCount(out, n_, "period");
    if (treatment == MissingData::kIgnore) {
      out += "; the state is kept.";
      return out;
    }
    out += " and ";
    AppendCount(out, n_, "missing datapoint");
    out += ' ';
    out += WasWere(n_);
    out += treatment == MissingData::kBreaching ? " treated as [Breaching]."
                                                : " treated as [NonBreaching].";
    return out;
  }

  CollectUsed(position, time);
  std::size_t breaching = 0;
  for (const Datapoint& point : used_) breaching += point.breaching ? 1 : 0;
  const std::size_t not_breaching = used_.size() - breaching;

  out.reserve(256);
  const std::string_view op = OperatorPhrase(alarm_.comparison);

  if (outcome == Outcome::kLowSamples) {
    const Slot* low = nullptr;
    std::int64_t start = 0;
    for (std::size_t k = 0, seen = 0, index = position; k < range_ && seen < n_;
         ++k, index = Older(index)) {
      const Slot& slot = ring_[index];
      if (slot.count == 0) continue;
      ++seen;
      if (slot.count < low_samples_) {
        low = &slot;
        start = time - static_cast<std::int64_t>(k + 1) * period_;
        break;
      }
    }
    out += "Low sample count: 1 datapoint [";
    if (low != nullptr) {
      AppendNumber(out, low->value);
      out += " (";
      AppendReasonTime(out, start);
      out += ")] had ";
      AppendCount(out, low->count, "sample");
    }
    out += ", fewer than the ";
    out += std::to_string(low_samples_);
    out += " needed for ";
    out += StatisticName(alarm_.statistic, alarm_.percentile);
    out += "; the state is kept.";
    return out;
  }

  const bool kept = outcome == Outcome::kPremature && new_state != State::kAlarm;
  out += kept ? "Missing data ignored: " : "Threshold Crossed: ";

  if (n_ == 1) {
    const Datapoint& point = used_.front();
    out += "1 datapoint [";
    AppendNumber(out, *point.value);
    out += " (";
    AppendReasonTime(out, point.start);
    out += ")] was ";
    if (!point.breaching) out += "not ";
    out += op;
    out += " the threshold (";
    AppendNumber(out, alarm_.threshold);
    out += ").";
    return out;
  }

  // List the non-breaching points for OK when there are any, else the breaching ones.
  const bool list_breaching = !(new_state == State::kOk && not_breaching > 0);
  const std::size_t listed = list_breaching ? breaching : not_breaching;
  const std::size_t fillers = used_.size() < n_ && (treatment == MissingData::kBreaching ||
                                                    treatment == MissingData::kNotBreaching)
                                  ? n_ - used_.size()
                                  : 0;
  const auto append_fillers = [&] {
    AppendCount(out, fillers, "missing datapoint");
    out += ' ';
    out += WasWere(fillers);
    out += treatment == MissingData::kBreaching ? " treated as [Breaching]"
                                                : " treated as [NonBreaching]";
  };
  const auto append_minimum = [&] {
    out += "minimum ";
    if (list_breaching) {
      AppendCount(out, m_, "datapoint");
      out += " for OK -> ALARM transition";
    } else {
      out += "1 datapoint for ALARM -> OK transition";
    }
  };

  if (listed == 0) {  // only fillers to speak of
    append_fillers();
    out += " (";
    append_minimum();
    out += ").";
    return out;
  }
  out += std::to_string(listed);
  out += " out of the last ";
  AppendCount(out, n_, "datapoint");
  if (listed < kLongListFrom) {
    out += " [";
    AppendList(out, list_breaching, listed);
    out += "] ";
    out += WasWere(listed);
    out += ' ';
  } else {
    out += " were ";
  }
  if (!list_breaching) out += "not ";
  out += op;
  out += " the threshold (";
  AppendNumber(out, alarm_.threshold);
  out += ')';
  if (fillers > 0) {
    out += " and ";
    append_fillers();
  }
  if (outcome == Outcome::kPremature) {
    const std::size_t missing = n_ - used_.size();
    out += " and ";
    AppendCount(out, missing, "datapoint");
    out += ' ';
    out += WasWere(missing);
    out += " missing";
  }
  if (listed >= kLongListFrom) {
    out += ". The most recent datapoints which crossed the threshold: [";
    AppendList(out, list_breaching, kLongListFrom);
    out += ']';
  }
  if (kept) {
    out += " (premature alarm not raised; the state is kept).";
  } else {
    out += outcome == Outcome::kPremature ? " (premature alarm; " : " (";
    append_minimum();
    out += ").";
  }
  return out;
}

EvaluationResult Replay::RunWindows(const WindowSource& windows) {
  EvaluationResult result;
  const std::int64_t slot = SampleSlotSeconds(alarm_.period);
  period_ = std::max<std::int64_t>(slot, FloorTo(alarm_.period, slot));
  period_steps_ = static_cast<std::size_t>(period_ / slot);
  n_ = static_cast<std::size_t>(std::max(1, alarm_.evaluation_periods));
  m_ = static_cast<std::size_t>(std::clamp(alarm_.datapoints_to_alarm, 1, static_cast<int>(n_)));
  range_ =
      options_.evaluation_range > 0 ? static_cast<std::size_t>(options_.evaluation_range) : n_ + 2;
  range_ = std::max(range_, n_);
  const bool multi_day = static_cast<std::int64_t>(n_) * period_ > kDaySeconds;
  const std::int64_t step = multi_day ? kHourSeconds : slot;
  const std::int64_t first = CeilTo(options_.from, step);
  const std::int64_t last = FloorTo(options_.to, step);
  if (first > last) return result;
  ring_.assign((range_ - 1) * period_steps_ + 1, Slot{});
  ring_step_ = period_steps_ % ring_.size();
  const std::size_t position = ring_.size() - 1;
  State state = options_.initial_state;
  std::vector<std::optional<double>> values;
  for (std::int64_t end = first; end <= last; end += step) {
    values.assign(range_, std::nullopt);
    windows(end, range_, values);
    bool any = false;
    std::size_t index = position;
    for (std::size_t k = 0; k < range_; ++k, index = Older(index)) {
      const std::optional<double>& v = values[range_ - 1 - k];
      Slot s;
      if (v) {
        s.value = *v;
        s.count = 1;
        s.breaching = Breaches(*v, alarm_.comparison, alarm_.threshold);
        any = true;
      }
      ring_[index] = s;
    }
    State new_state = state;
    Outcome outcome = Outcome::kNoData;
    if (!any) {
      new_state = NoDataState(state);
    } else {
      outcome = Decide(position, state, new_state);
    }
    const bool changed = new_state != state;
    if (changed || options_.record_every_evaluation) {
      std::string reason = Reason(outcome, new_state, position, end);
      if (options_.record_every_evaluation) {
        result.evaluations.push_back(Evaluation{end, new_state, reason});
      }
      if (changed) {
        result.transitions.push_back(Transition{end, state, new_state, std::move(reason)});
      }
    }
    state = new_state;
  }
  return result;
}

EvaluationResult Replay::Run() {
  EvaluationResult result;
  // Window ends advance by `slot` (SampleSlotSeconds: a minute, 10 s for high resolution).
  const std::int64_t slot = SampleSlotSeconds(alarm_.period);
  period_ = std::max<std::int64_t>(slot, FloorTo(alarm_.period, slot));
  period_steps_ = static_cast<std::size_t>(period_ / slot);
  n_ = static_cast<std::size_t>(std::max(1, alarm_.evaluation_periods));
  m_ = static_cast<std::size_t>(std::clamp(alarm_.datapoints_to_alarm, 1, static_cast<int>(n_)));
  range_ =
      options_.evaluation_range > 0 ? static_cast<std::size_t>(options_.evaluation_range) : n_ + 2;
  range_ = std::max(range_, n_);
  if (alarm_.statistic == Statistic::kPercentile && alarm_.ignore_low_sample_percentile) {
    low_samples_ = MinimumPercentileSamples(alarm_.percentile);
  }
  const bool multi_day = static_cast<std::int64_t>(n_) * period_ > kDaySeconds;
  const std::int64_t step = multi_day ? kHourSeconds : slot;  // between evaluations
  const std::int64_t first = CeilTo(options_.from, step);
  const std::int64_t last = FloorTo(options_.to, step);
  if (first > last) return result;

  const std::int64_t span = static_cast<std::int64_t>(range_) * period_;  // R·P
  // Window ends run from the oldest window of the first evaluation to the last evaluation.
  const std::int64_t first_end = first - span + period_;
  auto by_minute = [](const MinuteSample& sample, std::int64_t t) { return sample.minute < t; };
  const std::size_t lo = static_cast<std::size_t>(
      std::lower_bound(samples_.begin(), samples_.end(), first - span, by_minute) -
      samples_.begin());
  const std::size_t hi = static_cast<std::size_t>(
      std::lower_bound(samples_.begin(), samples_.end(), last, by_minute) - samples_.begin());
  Prepare(lo, std::max(lo, hi));

  ring_.assign((range_ - 1) * period_steps_ + 1, Slot{});
  ring_step_ = period_steps_ % ring_.size();
  State state = options_.initial_state;
  std::size_t enter = lo, leave = lo, range_begin = lo;
  std::size_t position = ring_.size() - 1;
  for (std::int64_t end = first_end; end <= last; end += slot) {
    while (enter < hi && samples_[enter].minute < end) Enter(enter++);
    const std::int64_t start = end - period_;
    while (leave < enter && samples_[leave].minute < start) Leave(leave++);
    position = position + 1 == ring_.size() ? 0 : position + 1;
    ring_[position] = Compute(leave, enter);
    if (end < first || (multi_day && FloorTo(end, step) != end)) continue;

    // Evaluation at T = end.
    while (range_begin < enter && samples_[range_begin].minute < end - span) ++range_begin;
    State new_state = state;
    Outcome outcome = Outcome::kNoData;
    const bool empty_range = prefix_count_[enter - lo] == prefix_count_[range_begin - lo];
    if (empty_range) {
      new_state = NoDataState(state);
    } else {
      outcome = Decide(position, state, new_state);
    }
    const bool changed = new_state != state;
    if (changed || options_.record_every_evaluation) {
      std::string reason = Reason(outcome, new_state, position, end);
      if (options_.record_every_evaluation) {
        result.evaluations.push_back(Evaluation{end, new_state, reason});
      }
      if (changed) {
        result.transitions.push_back(Transition{end, state, new_state, std::move(reason)});
      }
    }
    state = new_state;

    // After one evaluation without data the state is a fixed point of the no-data rule, so
    // nothing changes until the next sample enters a window: jump there. The ring needs no
    // work: every slot it holds is a window inside the empty range, i.e. missing, and so are
    // the windows jumped over. Only when evaluations are not being recorded.
    if (empty_range && !options_.record_every_evaluation) {
      const std::int64_t resume =
          enter < hi ? FloorTo(samples_[enter].minute, slot) + slot : last + slot;
      end = std::max(end, resume - slot);
    }
  }
  return result;
}

}  // namespace

std::string_view StateName(State state) {
  switch (state) {
    case State::kInsufficientData:
      return "INSUFFICIENT_DATA";
    case State::kOk:
      return "OK";
    case State::kAlarm:
      return "ALARM";
  }
  return "";
}

std::string StatisticName(Statistic statistic, double percentile) {
  switch (statistic) {
    case Statistic::kSampleCount:
      return "SampleCount";
    case Statistic::kSum:
      return "Sum";
    case Statistic::kAverage:
      return "Average";
    case Statistic::kMinimum:
      return "Minimum";
    case Statistic::kMaximum:
      return "Maximum";
    case Statistic::kPercentile: {
      char buffer[64];
      const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, percentile);
      return "p" + std::string(buffer, static_cast<std::size_t>(end - buffer));
    }
  }
  return "";
}

std::string_view ComparisonName(Comparison comparison) {
  switch (comparison) {
    case Comparison::kGreaterThanOrEqualToThreshold:
      return "GreaterThanOrEqualToThreshold";
    case Comparison::kGreaterThanThreshold:
      return "GreaterThanThreshold";
    case Comparison::kLessThanThreshold:
      return "LessThanThreshold";
    case Comparison::kLessThanOrEqualToThreshold:
      return "LessThanOrEqualToThreshold";
  }
  return "";
}

std::string_view MissingDataName(MissingData treatment) {
  switch (treatment) {
    case MissingData::kMissing:
      return "missing";
    case MissingData::kIgnore:
      return "ignore";
    case MissingData::kBreaching:
      return "breaching";
    case MissingData::kNotBreaching:
      return "notBreaching";
  }
  return "";
}

namespace {

std::optional<double> ParsePercentile(std::string_view text) {
  if (text.size() < 2 || text[0] != 'p') return std::nullopt;
  std::string_view digits = text.substr(1);
  const std::size_t dot = digits.find('.');
  const std::string_view whole = digits.substr(0, dot);
  const std::string_view fraction =
      dot == std::string_view::npos ? std::string_view{} : digits.substr(dot + 1);
  auto all_digits = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (whole.empty() || whole.size() > 2 || !all_digits(whole)) return std::nullopt;
  if (dot != std::string_view::npos &&
      (fraction.empty() || fraction.size() > 2 || !all_digits(fraction))) {
    return std::nullopt;
  }
  const double p = std::strtod(std::string(digits).c_str(), nullptr);
  if (!(p > 0 && p < 100)) return std::nullopt;
  return p;
}

}  // namespace

std::optional<State> ParseStateName(std::string_view text) {
  for (State state : {State::kInsufficientData, State::kOk, State::kAlarm}) {
    if (text == StateName(state)) return state;
  }
  return std::nullopt;
}

std::optional<Statistic> ParseStatisticName(std::string_view text, double& percentile) {
  for (Statistic statistic : {Statistic::kSampleCount, Statistic::kSum, Statistic::kAverage,
                              Statistic::kMinimum, Statistic::kMaximum}) {
    if (text == StatisticName(statistic, 0)) return statistic;
  }
  if (auto p = ParsePercentile(text)) {
    percentile = *p;
    return Statistic::kPercentile;
  }
  return std::nullopt;
}

std::optional<Comparison> ParseComparisonName(std::string_view text) {
  for (Comparison comparison :
       {Comparison::kGreaterThanOrEqualToThreshold, Comparison::kGreaterThanThreshold,
        Comparison::kLessThanThreshold, Comparison::kLessThanOrEqualToThreshold}) {
    if (text == ComparisonName(comparison)) return comparison;
  }
  return std::nullopt;
}

std::optional<MissingData> ParseMissingDataName(std::string_view text) {
  for (MissingData treatment : {MissingData::kMissing, MissingData::kIgnore,
                                MissingData::kBreaching, MissingData::kNotBreaching}) {
    if (text == MissingDataName(treatment)) return treatment;
  }
  return std::nullopt;
}

bool IsHighResolutionPeriod(std::int64_t period) {
  return period == 10 || period == 20 || period == 30;
}

std::int64_t SampleSlotSeconds(std::int64_t period) {
  return period < kMinuteSeconds ? kHighResolutionStep : kMinuteSeconds;
}

std::string ReasonTime(std::int64_t epoch_seconds) {
  std::string out;
  AppendReasonTime(out, epoch_seconds);
  return out;
}

EvaluationResult Evaluate(const AlarmSpec& alarm, const std::vector<MinuteSample>& samples,
                          const EvaluateOptions& options) {
  return Replay(alarm, samples, options).Run();
}

EvaluationResult EvaluateWindows(const AlarmSpec& alarm, const WindowSource& windows,
                                 const EvaluateOptions& options) {
  static const std::vector<MinuteSample> kNoSamples;
  return Replay(alarm, kNoSamples, options).RunWindows(windows);
}

}  // namespace trailreplay::alarm
