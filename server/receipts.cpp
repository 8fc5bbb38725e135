#include "server/receipts.hpp"
