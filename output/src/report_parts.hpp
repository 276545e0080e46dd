#pragma once
// The pieces of the HTML report (tools.hpp): the summary is HTML written by report.cpp; the data
// for the address-space grids and the results table is one JSON document (report_data.cpp) that
// the page's own script (report_page.cpp) decodes and draws.
#include <string>
#include <string_view>

#include "output/tools.hpp"

namespace synscan::output::detail {

/// The service a report shows for a record: the file's name, else service_name_view().
std::string report_service_name(const ScannedPort& port);

/// The reason a report shows: the file's spelling, else synscan's reason text.
std::string_view report_reason_text(const ScannedPort& port);

/// The scan's hosts that are up, their records and (when `changes` is given) the changes since a
/// baseline, as compact JSON (see report_data.cpp for the layout). Every '<' is written as
/// \u003c so the text can sit inside a <script> element whatever the strings hold.
std::string report_data_json(const ScanModel& scan, const ScanDiff* changes);

/// The page's stylesheet and script (no external resources).
extern const std::string_view kReportStyle;
extern const std::string_view kReportScript;

}  // namespace synscan::output::detail
