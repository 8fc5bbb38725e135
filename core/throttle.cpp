#include "core/throttle.hpp"
