// The format registry's factory: one switch over Format, matching kFormats.
#include "output/writers.hpp"

#include "writer_factories.hpp"

namespace synscan::output {

std::unique_ptr<ResultWriter> make_writer(Format format, std::unique_ptr<OutputFile> file) {
  return make_writer(format, std::move(file), &service_name_view);
}

std::unique_ptr<ResultWriter> make_writer(Format format, std::unique_ptr<OutputFile> file,
                                          ServiceLookup lookup) {
  if (!file) throw OutputError("no output file given to the writer");
  if (!lookup) lookup = &service_name_view;
  switch (format) {
    case Format::kXml:
      return detail::make_xml_writer(std::move(file), std::move(lookup));
    case Format::kGreppable:
      return detail::make_greppable_writer(std::move(file), std::move(lookup));
    case Format::kJsonLines:
      return detail::make_json_lines_writer(std::move(file), std::move(lookup));
  }
  throw OutputError("unknown output format");
}

}  // namespace synscan::output
