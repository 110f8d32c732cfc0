// The result a compiled query returns (compile.h writes it, import.h reads it): one row per
// minute and contribution, in these columns.
//
//   kind         'query'   one row: what was compiled (`detail`), so the result carries its
//                          own provenance
//                'events'  every event counted in the minute (after deduplication), matching
//                          or not: the scan's minute_totals
//                'filter'  one filter's contributions in the minute
//   minute       epoch seconds of the minute (a multiple of 60); NULL in the query row
//   filter       the filter's name
//   matched      1: events that matched the filter; 0: events that did not and published its
//                defaultValue
//   value        what they published; NULL (an empty field, quoted or not): matches that
//                published nothing (the metric value or a dimension could not be read)
//   count        how many events
//   dimension_1  the dimension values, in the order the filter lists its dimensions (NULL
//   dimension_2  beyond its count)
//   dimension_3
//   detail       the query row: JSON {"query_id", "version", "dialect", "engine", "source",
//                "from", "to", "max_delivery_delay", "filters": [{"name", "digest"}]}
//
// Grouping by value keeps every distinct value of a minute (what percentiles need); counts,
// sums, minima and maxima follow from them.
#pragma once

#include <array>
#include <string_view>

namespace trailreplay::pushdown {

inline constexpr std::array<std::string_view, 10> kResultColumns = {
    "kind",  "minute",      "filter",      "matched",     "value",
    "count", "dimension_1", "dimension_2", "dimension_3", "detail"};

}  // namespace trailreplay::pushdown
