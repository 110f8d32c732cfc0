// Time to replay one year of per-minute samples (525,600 minutes, so 525,600 evaluations for
// a per-minute alarm) through 20 alarms with different parameters: every statistic, periods
// from 1 minute to 1 day, N from 1 to 30 (two of them multi-day, evaluated hourly), M of N,
// every TreatMissingData. Two series:
//   sparse  what a CloudTrail metric filter publishes: ~2% of minutes carry 1..3 samples of
//           value 1, mostly in bursts;
//   dense   every minute carries 1..20 samples over 1..3 distinct values in 0..100 (a
//           defaultValue-style or latency-like metric; the worst case for percentiles).
// One iteration = the 20 alarms over the whole year, transitions only (what `trailreplay`
// stores); its time is the time per replayed year. `evaluations` counts alarm evaluations
// per second.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "alarm/alarm.h"

namespace {

using namespace trailreplay::alarm;

constexpr std::int64_t kYearStart = 1672531200;  // 2023-01-01T00:00:00Z
constexpr std::int64_t kYearMinutes = 365 * 1440;

std::vector<MinuteSample> MakeSparse() {
  std::mt19937_64 rng(42);
  std::vector<MinuteSample> samples;
  std::bernoulli_distribution start_burst(0.004), background(0.01), in_burst(0.5);
  std::uniform_int_distribution<int> burst_length(1, 5), count(1, 3);
  int burst_left = 0;
  for (std::int64_t i = 0; i < kYearMinutes; ++i) {
    if (burst_left == 0 && start_burst(rng)) burst_left = burst_length(rng);
    bool hit = background(rng);
    if (burst_left > 0) {
      --burst_left;
      hit = hit || in_burst(rng);
    }
    if (!hit) continue;
    MinuteSample s;
    s.minute = kYearStart + i * 60;
    s.count = static_cast<std::uint64_t>(count(rng));
    s.sum = static_cast<double>(s.count);
    s.minimum = s.maximum = 1;
    s.values = {{1.0, s.count}};
    samples.push_back(std::move(s));
  }
  return samples;
}

std::vector<MinuteSample> MakeDense() {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int> distinct(1, 3), value(0, 100), count(1, 7);
  std::vector<MinuteSample> samples;
  samples.reserve(static_cast<std::size_t>(kYearMinutes));
  for (std::int64_t i = 0; i < kYearMinutes; ++i) {
    MinuteSample s;
    s.minute = kYearStart + i * 60;
    const int k = distinct(rng);
    std::vector<int> values;
    for (int j = 0; j < k; ++j) values.push_back(value(rng));
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    for (int v : values) {
      const auto c = static_cast<std::uint64_t>(count(rng));
      const double x = v;
      s.values.emplace_back(x, c);
      s.minimum = s.count == 0 ? x : std::min(s.minimum, x);
      s.maximum = s.count == 0 ? x : std::max(s.maximum, x);
      s.count += c;
      s.sum += x * static_cast<double>(c);
    }
    samples.push_back(std::move(s));
  }
  return samples;
}

AlarmSpec Make(Statistic statistic, double percentile, std::int64_t period, int n, int m,
               Comparison comparison, double threshold, MissingData treatment,
               bool ignore_low = false) {
  AlarmSpec a;
  a.statistic = statistic;
  a.percentile = percentile;
  a.period = period;
  a.evaluation_periods = n;
  a.datapoints_to_alarm = m;
  a.comparison = comparison;
  a.threshold = threshold;
  a.treat_missing_data = treatment;
  a.ignore_low_sample_percentile = ignore_low;
  return a;
}

std::vector<AlarmSpec> Alarms() {
  using S = Statistic;
  using C = Comparison;
  using T = MissingData;
  return {
      Make(S::kSum, 0, 300, 1, 1, C::kGreaterThanOrEqualToThreshold, 1, T::kMissing),  // CIS
      Make(S::kSum, 0, 300, 1, 1, C::kGreaterThanOrEqualToThreshold, 3, T::kMissing),
      Make(S::kSum, 0, 60, 3, 2, C::kGreaterThanOrEqualToThreshold, 1, T::kMissing),
      Make(S::kSum, 0, 300, 3, 3, C::kGreaterThanOrEqualToThreshold, 1, T::kIgnore),
      Make(S::kSum, 0, 300, 5, 3, C::kGreaterThanThreshold, 2, T::kBreaching),
      Make(S::kSampleCount, 0, 900, 2, 2, C::kGreaterThanThreshold, 10, T::kNotBreaching),
      Make(S::kAverage, 0, 300, 3, 2, C::kGreaterThanThreshold, 50, T::kMissing),
      Make(S::kMaximum, 0, 60, 5, 1, C::kGreaterThanOrEqualToThreshold, 90, T::kMissing),
      Make(S::kMinimum, 0, 600, 2, 1, C::kLessThanThreshold, 5, T::kIgnore),
      Make(S::kPercentile, 99, 300, 3, 2, C::kGreaterThanThreshold, 95, T::kMissing),
      Make(S::kPercentile, 90, 900, 1, 1, C::kGreaterThanThreshold, 80, T::kIgnore, true),
      Make(S::kPercentile, 50, 60, 5, 5, C::kGreaterThanOrEqualToThreshold, 50, T::kNotBreaching),
      Make(S::kSum, 0, 3600, 24, 1, C::kGreaterThanOrEqualToThreshold, 10, T::kMissing),
      Make(S::kSum, 0, 3600, 30, 3, C::kGreaterThanOrEqualToThreshold, 1, T::kMissing),
      Make(S::kSampleCount, 0, 86400, 2, 1, C::kGreaterThanThreshold, 100, T::kMissing),
      Make(S::kAverage, 0, 120, 4, 2, C::kLessThanThreshold, 10, T::kBreaching),
      Make(S::kMaximum, 0, 1800, 2, 2, C::kGreaterThanThreshold, 99, T::kNotBreaching),
      Make(S::kSum, 0, 300, 10, 5, C::kGreaterThanThreshold, 0, T::kMissing),
      Make(S::kMinimum, 0, 300, 1, 1, C::kLessThanOrEqualToThreshold, 0, T::kNotBreaching),
      Make(S::kPercentile, 99.9, 600, 3, 1, C::kGreaterThanOrEqualToThreshold, 99, T::kMissing),
  };
}

void BM_ReplayYear(benchmark::State& state) {
  static const std::vector<MinuteSample> sparse = MakeSparse();
  static const std::vector<MinuteSample> dense = MakeDense();
  const std::vector<MinuteSample>& samples = state.range(0) == 0 ? sparse : dense;
  const std::vector<AlarmSpec> alarms = Alarms();
  EvaluateOptions options;
  options.from = kYearStart;
  options.to = kYearStart + kYearMinutes * 60 - 60;
  std::size_t transitions = 0;
  std::int64_t evaluations = 0;
  for (const AlarmSpec& alarm : alarms) {
    const bool hourly = alarm.period * alarm.evaluation_periods > 86400;
    evaluations += hourly ? kYearMinutes / 60 : kYearMinutes;
  }
  for (auto _ : state) {
    for (const AlarmSpec& alarm : alarms) {
      const EvaluationResult result = Evaluate(alarm, samples, options);
      transitions += result.transitions.size();
      benchmark::DoNotOptimize(result.transitions.data());
    }
  }
  state.SetLabel(state.range(0) == 0 ? "sparse" : "dense");
  state.counters["evaluations"] = benchmark::Counter(
      static_cast<double>(evaluations * state.iterations()), benchmark::Counter::kIsRate);
  state.counters["samples"] = static_cast<double>(samples.size());
  state.counters["transitions_per_year"] =
      static_cast<double>(transitions) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_ReplayYear)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// One alarm of the 20 over one series: which alarm shapes cost what.
void BM_OneAlarm(benchmark::State& state) {
  static const std::vector<MinuteSample> sparse = MakeSparse();
  static const std::vector<MinuteSample> dense = MakeDense();
  const std::vector<MinuteSample>& samples = state.range(0) == 0 ? sparse : dense;
  const AlarmSpec alarm = Alarms()[static_cast<std::size_t>(state.range(1))];
  EvaluateOptions options;
  options.from = kYearStart;
  options.to = kYearStart + kYearMinutes * 60 - 60;
  std::size_t transitions = 0;
  for (auto _ : state) {
    const EvaluationResult result = Evaluate(alarm, samples, options);
    transitions += result.transitions.size();
    benchmark::DoNotOptimize(result.transitions.data());
  }
  state.SetLabel(StatisticName(alarm.statistic, alarm.percentile) + " P=" +
                 std::to_string(alarm.period) + " N=" + std::to_string(alarm.evaluation_periods) +
                 " " + std::string(MissingDataName(alarm.treat_missing_data)));
  state.counters["transitions_per_year"] =
      static_cast<double>(transitions) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_OneAlarm)
    ->ArgsProduct({{0, 1}, benchmark::CreateDenseRange(0, 19, 1)})
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
