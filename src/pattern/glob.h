// '*' globs in filter-pattern values: `*` matches any run of characters (including none);
// every other character matches itself, case-sensitively. Used for JSON string values
// (`AccessDenied*`, `*.8xlarge`, `Ev*ent`: spec section 0 makes middle wildcards globs) and
// space-delimited field conditions (`4*`, `*.html*`).
#pragma once

#include <string_view>

namespace trailreplay::pattern {

// Linear in |text| * (number of '*' segments) at worst; no backtracking blow-up.
bool GlobMatch(std::string_view glob, std::string_view text);

}  // namespace trailreplay::pattern
