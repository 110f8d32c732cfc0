#include "report/charts.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

#include "common/text_format.h"
#include "common/time.h"
#include "report/html_report.h"

namespace trailreplay::report {
namespace {

constexpr std::int64_t kHour = 3600, kDay = 86400;
constexpr double kCharWidth = 6.4;  // 11 px system-ui, generously
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

struct Civil {
  int year = 1970, month = 1, day = 1, hour = 0, minute = 0;
};
Civil ToCivil(std::int64_t t) {
  const std::string iso = FormatIsoTime(t);  // YYYY-MM-DDTHH:MM:SSZ
  Civil c;
  std::sscanf(iso.c_str(), "%d-%d-%dT%d:%d", &c.year, &c.month, &c.day, &c.hour, &c.minute);
  return c;
}
std::int64_t FromCivil(int year, int month, int day) {
  return DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * kDay;
}

std::string Format(const char* format, double a, double b) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, a, b);
  return buffer;
}

// One <text> element, kept inside [min_x, width] by its anchor.
std::string Text(double x, double y, const std::string& text, double width, const char* extra = "",
                 double min_x = 2) {
  const double half = static_cast<double>(text.size()) * kCharWidth / 2;
  const char* anchor = "middle";
  if (x - half < min_x) {
    anchor = "start";
    x = std::max(x - half, min_x);
  } else if (x + half > width - 2) {
    anchor = "end";
    x = std::min(x + half, width - 2);
  }
  return "<text x='" + Format("%.1f", x, 0) + "' y='" + Format("%.1f", y, 0) + "' text-anchor='" +
         anchor + "'" + extra + ">" + EscapeHtml(text) + "</text>";
}

std::string Line(double x1, double y1, double x2, double y2, const char* style) {
  char buffer[160];
  std::snprintf(buffer, sizeof buffer, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' %s/>", x1, y1,
                x2, y2, style);
  return buffer;
}

std::string SvgOpen(double width, double height, const std::string& label) {
  return "<svg xmlns='http://www.w3.org/2000/svg' class='chart' viewBox='0 0 " +
         Format("%.0f %.0f", width, height) + "' role='img' aria-label='" + EscapeHtml(label) +
         "' style='max-width:" + Format("%.0fpx", width, 0) +
         "'><rect x='0' y='0' width='100%' height='100%' fill='#ffffff'/>";
}

// The y axis: round ticks with grid lines and right-aligned labels, and its title rotated
// along the left edge.
std::string YAxis(const std::vector<double>& ticks, double left, double right,
                  const std::function<double(double)>& y, const std::string& title, double plot_top,
                  double plot_bottom) {
  std::string svg;
  for (double v : ticks) {
    svg += Line(left, y(v), right, y(v), "stroke='#eceff3'");
    svg += "<text x='" + Format("%.1f", left - 6, 0) + "' y='" + Format("%.1f", y(v) + 4, 0) +
           "' text-anchor='end'>" + ChartNumber(v) + "</text>";
  }
  const double middle = (plot_top + plot_bottom) / 2;
  svg += "<text class='axis' x='0' y='0' text-anchor='middle' transform='translate(12 " +
         Format("%.1f", middle, 0) + ") rotate(-90)'>" + EscapeHtml(title) + "</text>";
  return svg;
}

}  // namespace

std::string ChartNumber(double value) {
  if (std::fabs(value - std::round(value)) < 1e-9 && std::fabs(value) < 1e15) {
    const double rounded = std::round(value);
    return (rounded < 0 ? "-" : "") + Grouped(static_cast<std::uint64_t>(std::fabs(rounded)));
  }
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.4g", value);
  return buffer;
}

std::vector<double> RoundTicks(double max, int max_ticks, bool integers) {
  if (!(max > 0) || !std::isfinite(max)) max = 1;
  max_ticks = std::max(max_ticks, 1);
  const double raw = max / max_ticks;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * magnitude;
  for (double m : {1.0, 2.0, 5.0}) {
    if (raw <= m * magnitude * (1 + 1e-9)) {
      step = m * magnitude;
      break;
    }
  }
  if (integers) step = std::max(step, 1.0);
  std::vector<double> ticks;
  const double top = std::ceil(max / step - 1e-9) * step;
  for (int i = 0; i * step <= top * (1 + 1e-9); ++i) ticks.push_back(i * step);
  return ticks;
}

std::vector<TimeTick> TimeTicks(std::int64_t from, std::int64_t to, int max_ticks) {
  std::vector<TimeTick> ticks;
  if (to <= from) return ticks;
  max_ticks = std::max(max_ticks, 2);
  const std::int64_t span = to - from;
  const bool spans_years = ToCivil(from).year != ToCivil(to).year;
  // Fixed steps up to two weeks; beyond them, whole months and years.
  static constexpr std::int64_t kSteps[] = {60,    300,       600,       900,       1800,
                                            kHour, 2 * kHour, 3 * kHour, 6 * kHour, 12 * kHour,
                                            kDay,  2 * kDay,  7 * kDay,  14 * kDay};
  std::int64_t step = 0;
  for (std::int64_t s : kSteps) {
    if (span / s <= max_ticks) {
      step = s;
      break;
    }
  }
  std::vector<std::int64_t> times;
  if (step != 0) {
    // Weeks start on a Monday (1970-01-05 was one); everything else on a multiple of itself.
    const std::int64_t origin = step >= 7 * kDay ? 4 * kDay : 0;
    for (std::int64_t t = FloorTo(from - origin, step) + origin; t <= to; t += step) {
      if (t >= from) times.push_back(t);
    }
  } else {
    int months = 1;
    for (int m : {1, 2, 3, 6, 12, 24, 60, 120}) {
      months = m;
      if (span / (m * 30 * kDay) <= max_ticks) break;
    }
    Civil c = ToCivil(from);
    int index = c.year * 12 + (c.month - 1);
    index -= index % months;
    for (;; index += months) {
      const std::int64_t t = FromCivil(index / 12, index % 12 + 1, 1);
      if (t > to) break;
      if (t >= from) times.push_back(t);
    }
  }
  int previous_day = -1, previous_year = -1;
  for (std::int64_t t : times) {
    const Civil c = ToCivil(t);
    TimeTick tick;
    tick.time = t;
    char buffer[32];
    const std::string date = std::string(kMonths[c.month - 1]) + " " + std::to_string(c.day);
    const int day_key = c.year * 400 + c.month * 32 + c.day;
    if (step != 0 && step < kDay) {
      std::snprintf(buffer, sizeof buffer, "%02d:%02d", c.hour, c.minute);
      tick.label = buffer;
      if (day_key != previous_day) tick.under = date;
      if (c.year != previous_year && (spans_years || previous_year == -1)) {
        tick.under = date + ", " + std::to_string(c.year);
      }
    } else if (step != 0) {
      tick.label = date;
      if (c.year != previous_year) tick.under = std::to_string(c.year);
    } else {
      tick.label = c.month == 1 && step == 0 && span > 400 * kDay ? std::to_string(c.year)
                                                                  : kMonths[c.month - 1];
      if (c.year != previous_year && tick.label != std::to_string(c.year)) {
        tick.under = std::to_string(c.year);
      }
    }
    previous_day = day_key;
    previous_year = c.year;
    ticks.push_back(std::move(tick));
  }
  return ticks;
}

std::string TimelineSvg(const TimelineChart& chart) {
  constexpr double kWidth = 720, kHeight = 250, kLeft = 64, kRight = 16, kTop = 16, kBottom = 58;
  const double plot_width = kWidth - kLeft - kRight;
  const double span = static_cast<double>(std::max<std::int64_t>(chart.to - chart.from, 1));
  double max = chart.show_threshold ? chart.threshold : 0;
  for (const auto& [t, v] : chart.buckets) max = std::max(max, v);
  const std::vector<double> ticks = RoundTicks(max, 5, true);
  const double top = ticks.back();
  auto x = [&](std::int64_t t) {
    return kLeft + plot_width * static_cast<double>(t - chart.from) / span;
  };
  auto y = [&](double v) { return kTop + (kHeight - kTop - kBottom) * (1 - v / top); };
  std::string svg = SvgOpen(kWidth, kHeight, chart.title);
  svg += YAxis(ticks, kLeft, kWidth - kRight, y, chart.y_unit, kTop, kHeight - kBottom);
  char buffer[320];
  for (const auto& [start, end] : chart.episodes) {
    double x0 = x(std::max(start, chart.from)), x1 = x(std::min(end, chart.to));
    if (x1 - x0 < kMinEpisodeWidth) {
      const double middle = (x0 + x1) / 2;
      x0 = std::max(kLeft, middle - kMinEpisodeWidth / 2);
      x1 = x0 + kMinEpisodeWidth;
    }
    std::snprintf(buffer, sizeof buffer,
                  "<rect class='episode' x='%.1f' y='%.1f' width='%.1f' height='%.1f' "
                  "fill='#f4a6a2' opacity='0.75'><title>ALARM %s .. %s</title></rect>",
                  x0, kTop, x1 - x0, kHeight - kTop - kBottom, FormatIsoTime(start).c_str(),
                  FormatIsoTime(end).c_str());
    svg += buffer;
  }
  const double bar = std::max(1.0, plot_width * static_cast<double>(chart.bucket_seconds) / span);
  for (const auto& [t, v] : chart.buckets) {
    if (t < chart.from || t >= chart.to) continue;
    std::snprintf(buffer, sizeof buffer,
                  "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='#2f6fbf'>"
                  "<title>%s: %s</title></rect>",
                  x(t), y(v), bar, y(0) - y(v), FormatIsoTime(t).c_str(), ChartNumber(v).c_str());
    svg += buffer;
  }
  // The threshold: a dashed line, labelled at its right end above the line.
  if (chart.show_threshold) {
    svg += Line(kLeft, y(chart.threshold), kWidth - kRight, y(chart.threshold),
                "stroke='#d62828' stroke-width='1.5' stroke-dasharray='6 4'");
    svg += "<text class='threshold' x='" + Format("%.1f", kWidth - kRight - 2, 0) + "' y='" +
           Format("%.1f", std::max(kTop + 10, y(chart.threshold) - 4), 0) +
           "' text-anchor='end' fill='#d62828'>threshold " + ChartNumber(chart.threshold) +
           "</text>";
  }
  svg += Line(kLeft, y(0), kWidth - kRight, y(0), "stroke='#9aa3b2'");
  // Time ticks: as many as fit labels of about 13 characters.
  const int max_ticks = std::max(2, static_cast<int>(plot_width / (13 * kCharWidth + 12)));
  for (const TimeTick& tick : TimeTicks(chart.from, chart.to, max_ticks)) {
    const double tx = x(tick.time);
    svg += Line(tx, y(0), tx, y(0) + 5, "stroke='#9aa3b2'");
    svg += Text(tx, y(0) + 17, tick.label, kWidth);
    if (!tick.under.empty()) svg += Text(tx, y(0) + 30, tick.under, kWidth);
  }
  svg += "<text class='axis' x='" + Format("%.1f", kLeft + plot_width / 2, 0) + "' y='" +
         Format("%.1f", kHeight - 6, 0) + "' text-anchor='middle'>time (UTC)</text>";
  return svg + "</svg>";
}

std::string TuningSvg(const std::vector<std::pair<double, std::size_t>>& curve, double current) {
  constexpr double kWidth = 420, kHeight = 240, kLeft = 56, kRight = 16, kTop = 22, kBottom = 44;
  if (curve.empty()) return "";
  const double min_x = curve.front().first, max_x = std::max(curve.back().first, min_x + 1);
  double max_y = 1;
  for (const auto& [t, n] : curve) max_y = std::max(max_y, static_cast<double>(n));
  const std::vector<double> y_ticks = RoundTicks(max_y, 4, true);
  const double top = y_ticks.back();
  auto x = [&](double t) {
    return kLeft + (kWidth - kLeft - kRight) * (t - min_x) / (max_x - min_x);
  };
  auto y = [&](double n) { return kTop + (kHeight - kTop - kBottom) * (1 - n / top); };
  std::string svg = SvgOpen(kWidth, kHeight, "tuning curve");
  svg += YAxis(y_ticks, kLeft, kWidth - kRight, y, "ALARM episodes", kTop, kHeight - kBottom);
  std::string points;
  for (const auto& [t, n] : curve) {
    points += Format("%.1f,%.1f ", x(t), y(static_cast<double>(n)));
  }
  svg += "<polyline points='" + points + "' fill='none' stroke='#2f6fbf' stroke-width='2'/>";
  // Every point has a hover title; a label where the count changes, when it has room (labels
  // never overlap: one is skipped when it would touch the last one drawn).
  double last_right = -1e9, last_y = 0;
  std::size_t previous = static_cast<std::size_t>(-1);
  for (const auto& [t, n] : curve) {
    const bool own = t == current;
    const double px = x(t), py = y(static_cast<double>(n));
    svg += "<circle cx='" + Format("%.1f", px, 0) + "' cy='" + Format("%.1f", py, 0) + "' r='" +
           (own ? "5" : "3") + "' fill='" + (own ? "#d62828" : "#2f6fbf") + "'><title>threshold " +
           ChartNumber(t) + ": " + Grouped(n) + (n == 1 ? " episode" : " episodes") +
           "</title></circle>";
    if (n != previous || own) {
      const std::string label = Grouped(n);
      const double half = static_cast<double>(label.size()) * kCharWidth / 2;
      const double ly = py - 8;
      if (px - half > last_right + 3 || std::fabs(ly - last_y) > 13) {
        svg += Text(px, ly, label, kWidth, " class='point'", kLeft + 2);
        last_right = px + half;
        last_y = ly;
      }
    }
    previous = n;
  }
  svg += Line(kLeft, y(0), kWidth - kRight, y(0), "stroke='#9aa3b2'");
  // Threshold ticks at round numbers inside the curve's range, and its first threshold.
  std::vector<double> x_ticks{min_x};
  for (double t : RoundTicks(max_x, 6, true)) {
    const double room = (max_x - min_x) / 12;  // keep clear of the first tick's label
    if (t > min_x + room && t <= max_x + 1e-9) x_ticks.push_back(t);
  }
  for (double t : x_ticks) {
    svg += Line(x(t), y(0), x(t), y(0) + 5, "stroke='#9aa3b2'");
    svg += Text(x(t), y(0) + 17, ChartNumber(t), kWidth);
  }
  svg += "<text class='axis' x='" + Format("%.1f", kLeft + (kWidth - kLeft - kRight) / 2, 0) +
         "' y='" + Format("%.1f", kHeight - 6, 0) + "' text-anchor='middle'>threshold</text>";
  return svg + "</svg>";
}

}  // namespace trailreplay::report
