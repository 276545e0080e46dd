#pragma once
// Constructors of the concrete writers; make_writer (writers.cpp) is the only caller.
#include <memory>

#include "output/writers.hpp"

namespace synscan::output::detail {

std::unique_ptr<ResultWriter> make_xml_writer(std::unique_ptr<OutputFile> file,
                                              ServiceLookup lookup);
std::unique_ptr<ResultWriter> make_greppable_writer(std::unique_ptr<OutputFile> file,
                                                    ServiceLookup lookup);
std::unique_ptr<ResultWriter> make_json_lines_writer(std::unique_ptr<OutputFile> file,
                                                     ServiceLookup lookup);

}  // namespace synscan::output::detail
