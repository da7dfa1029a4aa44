// The planner: decides how a bound statement reaches its rows. Today that
// is the access path of single-table SELECT, UPDATE and DELETE (see
// access_path.h); joins and secondary indexes will add choices here.
//
// Thread-safety: a pure function of the statement.
#pragma once

#include "cerebellum/binder/bound_statement.h"

namespace kopf::cerebellum {

void Plan(BoundStatement* statement);

}  // namespace kopf::cerebellum
