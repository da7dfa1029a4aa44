// Permission: which role a statement needs (protocol/role.h), decided from
// its bound kind, and the check the engine makes before executing it.
//
//   read-only   SELECT, SHOW TABLES, SHOW INDEXES, DESCRIBE,
//               EXPLAIN (of anything: it runs nothing)
//   read-write  INSERT, UPDATE, DELETE, COPY (FROM and TO)
//   admin       CREATE/DROP TABLE, CREATE/DROP INDEX
//
// A new statement kind breaks the build here (std::visit without a case)
// until it is given a role: COMPACT and BACKUP belong with the admin
// statements.
//
// The check runs after binding, so a statement naming a missing table
// fails with UndefinedTable whatever the role (any role may list the
// tables anyway), and nothing is planned or run for a refused one.
//
// Thread-safety: pure functions.
#pragma once

#include "cerebellum/binder/bound_statement.h"
#include "protocol/role.h"
#include "protocol/status.h"

namespace kopf::cerebellum {

// The weakest role that may run `statement`.
protocol::Role RequiredRole(const BoundStatement& statement);

// OK when `role` may run `statement`; else kPermissionDenied with a message
// naming the statement, the role it needs and the role held.
protocol::Status CheckPermission(const BoundStatement& statement, protocol::Role role);

}  // namespace kopf::cerebellum
