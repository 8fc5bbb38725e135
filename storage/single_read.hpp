#pragma once

#include <pqxx/nontransaction>

namespace zhiyuan::storage {

/// One read statement in autocommit mode: a single round trip, where pqxx's read_transaction
/// takes four (BEGIN, SET TRANSACTION READ ONLY, the query, ROLLBACK). A single statement sees
/// one snapshot by itself; reads of several statements that must agree use a read_transaction.
using single_read = pqxx::nontransaction;

}  // namespace zhiyuan::storage
