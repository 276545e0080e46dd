#pragma once
// The engine's entry point lives in the public header (tests drive it over an injected link).
#include "scanner/engine.hpp"
