#include "server/login_guard.hpp"
