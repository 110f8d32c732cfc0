// Renders an Error for people: "error: <message>" plus, when the error points into a subject
// (a pattern, a metric value), the subject reprinted with a caret under the offending byte.
#pragma once

#include <string>

#include "common/result.h"

namespace trailreplay {

// Multi-line, ends with a newline. `what` names the subject ("pattern", "metric value").
std::string FormatError(const Error& error, const std::string& what = "pattern");

}  // namespace trailreplay
