// synscan: a thin main. Everything lives in the libraries; exit codes in scanner/exit_codes.hpp.
#include "scanner/cli.hpp"

int main(int argc, char** argv) { return synscan::scanner::run_synscan(argc, argv); }
