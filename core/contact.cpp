#include "core/contact.hpp"
