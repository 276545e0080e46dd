// synscan: a thin main. Everything lives in the libraries; see scanner/cli.hpp for exit codes.
#include "scanner/cli.hpp"

int main(int argc, char** argv) { return synscan::scanner::run_synscan(argc, argv); }
