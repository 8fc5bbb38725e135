#include "storage/candidate_store.hpp"
